"""Ranking metrics for matching: graded relevance in, one number each out."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence


def precision_at_k(grades: Sequence[int], k: int, *, relevant: int = 2) -> float:
    return sum(g >= relevant for g in grades[:k]) / k if k else 0.0


def recall_at_k(grades: Sequence[int], k: int, total_relevant: int, *, relevant: int = 2) -> float:
    if total_relevant == 0:
        return 1.0
    return sum(g >= relevant for g in grades[:k]) / min(k, total_relevant)


def dcg(grades: Sequence[int]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def ndcg_at_k(grades: Sequence[int], k: int, ideal: Sequence[int]) -> float:
    best = dcg(sorted(ideal, reverse=True)[:k])
    return dcg(grades[:k]) / best if best else 0.0


def mrr(grades: Sequence[int], *, relevant: int = 2) -> float:
    for i, g in enumerate(grades):
        if g >= relevant:
            return 1.0 / (i + 1)
    return 0.0


def ordered_by(scores: Sequence[float]) -> bool:
    return all(a >= b - 1e-9 for a, b in itertools.pairwise(scores))
