"""Text normalisation for risk detection: the many spellings of one word become one.

People write risk in internet spellings: half-width katakana (ｼﾆﾀｲ), katakana for hiragana
(シニタイ), look-alike substitutions (タヒ for 死, 氏ね), spaced letters (死 に た い),
elongations (しにたいいいい), leet (su1c1de, d!e) and zero-width characters. ``fold`` maps
them onto one form so the lexicon and the classifier see the same text. It is used for
matching only; nothing the member sees is changed.
"""

from __future__ import annotations

import re
import unicodedata

_ZERO_WIDTH = re.compile(r"[\u200b-\u200f\u2060\ufeff\u00ad]")
# Spaces and light punctuation between two Japanese characters are dropped: "死 に た い".
_JA = r"\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff"
_GAP_BETWEEN_JA = re.compile(rf"(?<=[{_JA}])[\s・･.,_\-*]+(?=[{_JA}])")
# Spaced Latin letters ("k i l l") are joined when at least four single letters follow in a row.
_SPACED_LATIN = re.compile(r"(?<!\S)(?:[a-z]\s){3,}[a-z](?!\S)")
_REPEATS = re.compile(r"(.)\1{2,}")
_LONG_VOWEL_RUN = re.compile(r"[ー〜~]{2,}")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_LEET_BETWEEN_LETTERS = re.compile(r"(?<=[a-z])[013457@$!](?=[a-z])")
# Look-alikes and slang spellings written to get past filters (after NFKC, before kana folding:
# タヒ is 死 split into two katakana, and only the katakana spelling is slang).
_KATAKANA_SUBSTITUTIONS = (("タヒ", "死"),)
_SUBSTITUTIONS = (
    ("氏ね", "死ね"),
    ("氏にたい", "死にたい"),
    ("氏んで", "死んで"),
    ("自〇", "自殺"),
    ("自○", "自殺"),
    ("〇す", "殺す"),
    ("○す", "殺す"),
    ("◯す", "殺す"),
    ("4ね", "死ね"),
    ("4にたい", "死にたい"),
)


def to_hiragana(text: str) -> str:
    """Katakana → hiragana (ー and the katakana-only small letters stay)."""
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def fold(text: str) -> str:
    """One canonical spelling for matching (NFKC, lower case, hiragana, no tricks)."""
    text = unicodedata.normalize("NFKC", text)
    text = _ZERO_WIDTH.sub("", text).lower()
    for old, new in _KATAKANA_SUBSTITUTIONS:
        text = text.replace(old, new)
    text = to_hiragana(text)
    text = _GAP_BETWEEN_JA.sub("", text)
    text = _SPACED_LATIN.sub(lambda m: m.group(0).replace(" ", ""), text)
    text = _LEET_BETWEEN_LETTERS.sub(lambda m: m.group(0).translate(_LEET), text)
    text = _LONG_VOWEL_RUN.sub("ー", text)
    text = _REPEATS.sub(r"\1", text)
    for old, new in _SUBSTITUTIONS:
        text = text.replace(old, new)
    return text


_HIRAGANA = re.compile(r"[\u3041-\u3096]")
_KATAKANA = re.compile(r"[\u30a1-\u30f6]")


def clean(text: str) -> str:
    """Natural spelling for the sentence encoder: the tricks undone, the kana kept.

    Like ``fold`` but katakana stays katakana (スマホ is a word), except in a text written
    wholly without hiragana, where katakana stands for it (「ツライ」「朝ﾉ読書ｦ」)."""
    text = unicodedata.normalize("NFKC", text)
    text = _ZERO_WIDTH.sub("", text).lower()
    for old, new in _KATAKANA_SUBSTITUTIONS:
        text = text.replace(old, new)
    if _KATAKANA.search(text) and not _HIRAGANA.search(text):
        text = to_hiragana(text)
    text = _GAP_BETWEEN_JA.sub("", text)
    text = _SPACED_LATIN.sub(lambda m: m.group(0).replace(" ", ""), text)
    text = _LEET_BETWEEN_LETTERS.sub(lambda m: m.group(0).translate(_LEET), text)
    text = _LONG_VOWEL_RUN.sub("ー", text)
    return _REPEATS.sub(r"\1", text)


_SENTENCE_END = re.compile(r"(?<=[。．！？!?\n])|(?<=[.…])\s+|(?<=[)）」』])\s+")


def sentences(text: str, *, limit: int = 200) -> list[str]:
    """The text's sentences (a line break or an end mark ends one), at most ``limit``."""
    parts = [s.strip() for s in _SENTENCE_END.split(unicodedata.normalize("NFKC", text))]
    return [p for p in parts if p][:limit]
