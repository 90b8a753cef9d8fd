"""Japanese morphology (SudachiPy with its core dictionary): word boundaries, content words and
dictionary forms, for word-safe quotes, grounded replies and steps from a conversation.

One tokenizer per process, behind a lock (a SudachiPy tokenizer is not safe to share between
threads). Latin text is split on spaces by the same API, so English works too.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

_lock = threading.Lock()


@dataclass(frozen=True)
class Morpheme:
    surface: str
    pos: str  # 名詞, 動詞, 形容詞, 助詞, 助動詞, 補助記号, …
    pos_detail: str
    dictionary_form: str
    normalized_form: str
    begin: int
    end: int


@lru_cache(maxsize=1)
def _tokenizer() -> object:
    from sudachipy import Dictionary

    return Dictionary(dict="core").tokenizer()


@lru_cache(maxsize=4096)
def _analyse(text: str) -> tuple[Morpheme, ...]:
    from sudachipy import SplitMode

    with _lock:
        found = _tokenizer().tokenize(text, SplitMode.C)  # type: ignore[attr-defined]
        return tuple(
            Morpheme(
                m.surface(),
                m.part_of_speech()[0],
                m.part_of_speech()[1],
                m.dictionary_form(),
                m.normalized_form(),
                m.begin(),
                m.end(),
            )
            for m in found
        )


def analyse(text: str) -> tuple[Morpheme, ...]:
    return _analyse(text) if text else ()


CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞"}
# Parts of speech that are words of substance: not pronouns, numbers on their own, or suffixes.
_NOT_CONTENT_DETAIL = {"代名詞", "数詞", "非自立可能", "接尾辞"}
_STOP_BASES = {
    "する",
    "為る",
    "ある",
    "有る",
    "いる",
    "居る",
    "なる",
    "成る",
    "思う",
    "こと",
    "事",
    "もの",
    "物",
    "今日",
    "今",
    "とき",
    "時",
}


EN_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "i",
        "i'm",
        "i'll",
        "i've",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "he",
        "she",
        "they",
        "them",
        "his",
        "her",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "is",
        "am",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "will",
        "would",
        "can",
        "could",
        "should",
        "shall",
        "may",
        "might",
        "must",
        "to",
        "of",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "about",
        "from",
        "into",
        "over",
        "after",
        "before",
        "up",
        "down",
        "out",
        "off",
        "again",
        "then",
        "so",
        "and",
        "or",
        "but",
        "if",
        "because",
        "as",
        "until",
        "while",
        "than",
        "too",
        "very",
        "just",
        "really",
        "not",
        "no",
        "nor",
        "only",
        "own",
        "same",
        "more",
        "most",
        "some",
        "any",
        "each",
        "few",
        "all",
        "both",
        "other",
        "such",
        "what",
        "which",
        "who",
        "whom",
        "when",
        "where",
        "why",
        "how",
        "there",
        "here",
        "today",
        "tonight",
        "tomorrow",
        "week",
        "want",
        "wanted",
        "going",
        "get",
        "got",
        "make",
        "made",
        "feel",
        "felt",
        "think",
        "thought",
        "try",
        "tried",
        "keep",
        "kept",
        "still",
        "also",
        "lot",
        "bit",
    ]
)


def is_latin(text: str) -> bool:
    return not any("\u3040" <= c <= "\u9fff" or "\uff66" <= c <= "\uff9f" for c in text)


def content_words(text: str) -> list[str]:
    """Nouns, verbs and adjectives that carry the text's meaning, in order, once each (surface forms
    for nouns, dictionary forms for the rest; for English, the words that are not stop words)."""
    if is_latin(text):
        found: list[str] = []
        for raw in text.split():
            word = raw.strip(".,!?;:\"'()[]").lower()
            if len(word) > 2 and word not in EN_STOP and word not in found:
                found.append(word)
        return found
    words: list[str] = []
    for m in analyse(text):
        if m.pos not in CONTENT_POS or m.pos_detail in _NOT_CONTENT_DETAIL:
            continue
        if (
            m.dictionary_form in _STOP_BASES
            or m.normalized_form in _STOP_BASES
            or (len(m.surface) < 2 and m.pos != "名詞")
        ):
            continue
        word = m.surface if m.pos == "名詞" else m.dictionary_form
        if word not in words and word.strip():
            words.append(word)
    return words


def noun_phrases(text: str) -> list[str]:
    """Runs of consecutive nouns (「英語のポッドキャスト」→「ポッドキャスト」, 「朝会」, 「公式問題集」);
    for English, the content words."""
    if is_latin(text):
        return content_words(text)
    phrases: list[str] = []
    current = ""
    for m in analyse(text):
        if m.pos == "名詞" and m.pos_detail not in {"代名詞"}:
            current += m.surface
            continue
        if len(current) >= 2 and current not in phrases and current not in _STOP_BASES:
            phrases.append(current)
        current = ""
    if len(current) >= 2 and current not in phrases and current not in _STOP_BASES:
        phrases.append(current)
    return phrases


_PHRASE_END = {"助詞", "補助記号", "助動詞"}


def cut_at_word(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut only between phrases (after a particle, a mark or an
    auxiliary in Japanese; at a space in Latin text), with "…" when cut. Never splits a word,
    nor a compound noun (ポッドキャスト stays whole)."""
    if len(text) <= limit:
        return text
    if is_latin(text):
        space = text.rfind(" ", 0, limit + 1)
        return (text[:space] if space > 0 else text[:limit]).rstrip(" ,;:") + "…"
    morphemes = analyse(text)
    boundary = 0
    for i, m in enumerate(morphemes):
        if m.end > limit:
            break
        following = morphemes[i + 1] if i + 1 < len(morphemes) else None
        if m.pos in _PHRASE_END and not (following is not None and following.pos in _PHRASE_END):
            boundary = m.end
    if boundary == 0:  # one long phrase: the last word boundary that does not split a noun run
        for i, m in enumerate(morphemes):
            if m.end > limit:
                break
            following = morphemes[i + 1] if i + 1 < len(morphemes) else None
            if not (m.pos == "名詞" and following is not None and following.pos == "名詞"):
                boundary = m.end
    if boundary == 0:
        return text[:limit].rstrip() + "…"
    return text[:boundary].rstrip(" 、,") + "…"
