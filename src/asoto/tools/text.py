"""Unicode-safe text helpers shared by checks and the offline responder."""

from __future__ import annotations

import re
import unicodedata

_SENTENCE_END = re.compile(r"[。．！？!?\n]|(?<=[.])\s")
_JA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_LATIN = re.compile(r"[A-Za-z]")
# Characters that must not end a cut: joiners, variation selectors, combining marks.
_NO_CUT_AFTER = {"\u200d", "\ufe0f", "\ufe0e"}


def clip(text: str, limit: int) -> str:
    """Cut to at most ``limit`` characters without splitting a combining sequence or ZWJ emoji."""
    if len(text) <= limit:
        return text
    cut = limit
    while cut > 0 and (
        text[cut - 1] in _NO_CUT_AFTER or unicodedata.combining(text[cut]) > 0 or text[cut] in _NO_CUT_AFTER
    ):
        cut -= 1
    pair = text[cut - 1 : cut + 1]
    if cut > 0 and pair.isascii() and pair.isalnum():
        space = text.rfind(" ", 0, cut)  # do not cut a Latin word in half
        if space > cut - 15:
            cut = space
    return text[:cut].rstrip() + "…"


def quote_of(text: str, limit: int = 30) -> str:
    """The member's first sentence, for quoting back to them; a long one is cut between phrases,
    never inside a word (SudachiPy boundaries)."""
    from asoto.tools.morph import cut_at_word

    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        return ""
    first = _SENTENCE_END.split(text, maxsplit=1)[0].strip().strip("「」\"'")
    return cut_at_word(first or text, limit)


def japanese_ratio(text: str) -> float:
    """Share of Japanese characters among Japanese + Latin letters (0 when there are none)."""
    ja = len(_JA.findall(text))
    latin = len(_LATIN.findall(text))
    return ja / (ja + latin) if ja + latin else 0.0


def language_of(text: str) -> str:
    return "ja" if japanese_ratio(text) >= 0.3 else "en"


def has_forbidden_control(text: str) -> bool:
    """Text Postgres cannot store: NUL and other C0 controls (except tab, newline, CR), DEL, and
    lone UTF-16 surrogates (JSON's "\\ud800" decodes to one; text and JSONB refuse it)."""
    return any((ord(c) < 32 and c not in "\t\n\r") or c == "\x7f" or "\ud800" <= c <= "\udfff" for c in text)
