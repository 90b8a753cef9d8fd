"""The features the risk classifier reads, computed the same way in training and in use.

- character 2–4-grams of the folded text (spelling tricks undone), TF-IDF;
- words: SudachiPy normalised forms (死にたく → 死ぬ + たい) and their bigrams, TF-IDF;
- the offline sentence encoder (USE-multilingual) on the cleaned text;
- the hand-written lexicon's floor, cue and frame groups (``lexicon.features``).

TF-IDF is fitted by scikit-learn at training time; at run time ``TfidfTable.transform``
applies the stored vocabulary and idf with the same formula (raw counts, sublinear tf,
l2 norm), which a unit test checks against scikit-learn. That keeps the shipped model a plain
JSON file (no pickle to trust) and scikit-learn out of the serving process.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from asoto.safety import lexicon
from asoto.safety.normalize import clean, fold

CHAR_NGRAMS = (2, 4)


def char_ngrams(text: str) -> list[str]:
    """Character n-grams of the folded text (what scikit-learn's ``analyzer="char"`` makes)."""
    folded = " ".join(fold(text).split())
    low, high = CHAR_NGRAMS
    grams: list[str] = []
    for n in range(low, high + 1):
        grams.extend(folded[i : i + n] for i in range(len(folded) - n + 1))
    return grams


_tokenizer_lock = threading.Lock()


@lru_cache(maxsize=1)
def _tokenizer() -> object:
    from sudachipy import Dictionary

    return Dictionary(dict="core").tokenizer()


_SKIP_POS = {"補助記号", "空白"}


def words(text: str) -> list[str]:
    """Normalised word forms (dictionary form, common spelling) of the folded text."""
    from sudachipy import SplitMode

    tokenizer = _tokenizer()
    with _tokenizer_lock:  # a SudachiPy tokenizer is not safe to share between threads
        morphemes = tokenizer.tokenize(fold(text), SplitMode.C)  # type: ignore[attr-defined]
        forms = [m.normalized_form() for m in morphemes if m.part_of_speech()[0] not in _SKIP_POS]
    return forms


def word_ngrams(text: str) -> list[str]:
    forms = words(text)
    return forms + [f"{a}_{b}" for a, b in itertools.pairwise(forms)]


ANALYZERS: Mapping[str, Callable[[str], list[str]]] = {"char": char_ngrams, "word": word_ngrams}


@dataclass(frozen=True)
class TfidfTable:
    """A fitted TF-IDF vocabulary: term → column, and the idf of each column."""

    analyzer: str
    vocabulary: Mapping[str, int]
    idf: np.ndarray

    def rows(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each text as (columns, values): sublinear tf × idf, then l2 norm, as scikit-learn."""
        analyze = ANALYZERS[self.analyzer]
        out = []
        for text in texts:
            counts = Counter(t for t in analyze(text) if t in self.vocabulary)
            cols = np.fromiter((self.vocabulary[t] for t in counts), dtype=np.int64, count=len(counts))
            vals = np.fromiter(((1.0 + math.log(c)) for c in counts.values()), dtype=np.float64, count=len(counts))
            vals *= self.idf[cols]
            norm = float(np.linalg.norm(vals))
            out.append((cols, vals / norm if norm > 0 else vals))
        return out

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """Dense rows, for tests and small batches."""
        dense = np.zeros((len(texts), len(self.idf)), dtype=np.float64)
        for i, (cols, vals) in enumerate(self.rows(texts)):
            dense[i, cols] = vals
        return dense


def lexicon_matrix(texts: Sequence[str]) -> np.ndarray:
    return np.asarray([lexicon.features(t) for t in texts], dtype=np.float64).reshape(
        len(texts), len(lexicon.FEATURE_NAMES)
    )


def encoder_text(text: str) -> str:
    """What the sentence encoder reads (see ``normalize.clean``)."""
    return clean(text)
