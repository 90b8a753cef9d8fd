"""Match scores: pure functions, weights in one place.

A member↔member match is a weighted sum of four components, each in [0, 1]:

- ``similarity``: cosine of the members' profile vectors (profile + interests + recent logs),
  clipped at 0. What they talk and care about.
- ``complementarity``: how much the candidate is strong where the member is weak, over the three
  elements: Σ need(e)·gain(e) / Σ need(e), with need = (100 − member)/100 and
  gain = max(0, candidate − member)/100. A member low in 関係性 meets someone high in it.
- ``shared_interests``: Jaccard overlap of declared interests.
- ``recency``: exp(−days since the candidate was last active / 30), so active people come first.

Then MMR (maximal marginal relevance) re-ranks with λ = ``MMR_LAMBDA``: each pick maximises
λ·score − (1−λ)·(max cosine to the already picked), so the top k are not near-duplicates.
A returned match shows ``score`` = that pick's value on the relevance scale (``diversified``),
``relevance`` = the weighted sum before diversity, and ``diversity_penalty`` = their difference:
the list is in the order of the score it shows.

A member↔project match uses similarity (member vs project description), skill fit (share of the
wanted skills the member has) and recency of the project.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType

import numpy as np

ELEMENTS = ("relationship", "activity", "sensitivity")
MEMBER_WEIGHTS = MappingProxyType(
    {"similarity": 0.45, "complementarity": 0.15, "shared_interests": 0.3, "recency": 0.1}
)
PROJECT_WEIGHTS = MappingProxyType({"similarity": 0.5, "skill_fit": 0.4, "recency": 0.1})
MMR_LAMBDA = 0.75
RECENCY_DAYS = 30.0


def similarity(cosine: float) -> float:
    return max(0.0, min(1.0, cosine))


def complementarity(member: Mapping[str, int], candidate: Mapping[str, int]) -> float:
    need = {e: (100 - member[e]) / 100 for e in ELEMENTS}
    total = sum(need.values())
    if total == 0:
        return 0.0
    return sum(need[e] * max(0, candidate[e] - member[e]) / 100 for e in ELEMENTS) / total


def shared_interests(a: Sequence[str], b: Sequence[str]) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


def recency(last_active: datetime | None, now: datetime) -> float:
    if last_active is None:
        return 0.0
    days = max(0.0, (now - last_active).total_seconds() / 86_400)
    return math.exp(-days / RECENCY_DAYS)


def skill_fit(member_skills: Sequence[str], wanted: Sequence[str]) -> float:
    return len(set(member_skills) & set(wanted)) / len(set(wanted)) if wanted else 0.0


def weighted(components: Mapping[str, float], weights: Mapping[str, float]) -> float:
    return round(sum(weights[k] * components[k] for k in weights), 6)


def mmr(scores: Sequence[float], vectors: np.ndarray, k: int, lam: float = MMR_LAMBDA) -> list[int]:
    """Indices of k items picked by maximal marginal relevance (vectors are unit-normalised)."""
    return [i for i, _ in mmr_scored(scores, vectors, k, lam)]


def diversified(value: float, lam: float = MMR_LAMBDA) -> float:
    """The score a list shows: an MMR pick's value on the relevance scale (value / λ, floored at
    0), i.e. relevance − ((1−λ)/λ)·(cosine to the closest earlier pick). MMR values never rise
    from one pick to the next, so a list in pick order is also in the order of this score."""
    return round(max(0.0, value / lam), 6)


def mmr_scored(
    scores: Sequence[float], vectors: np.ndarray, k: int, lam: float = MMR_LAMBDA
) -> list[tuple[int, float]]:
    """(index, MMR value) of k items in pick order."""
    n = len(scores)
    if n == 0 or k <= 0:
        return []
    relevance = np.asarray(scores, dtype=np.float64)
    sims = vectors @ vectors.T if n > 1 else np.zeros((1, 1))
    picked: list[tuple[int, float]] = []
    closest = np.full(n, -np.inf)
    available = np.ones(n, dtype=bool)
    for _ in range(min(k, n)):
        redundancy = np.where(np.isinf(closest), 0.0, closest)
        value = lam * relevance - (1 - lam) * redundancy
        value[~available] = -np.inf
        best = int(np.argmax(value))
        picked.append((best, float(value[best])))
        available[best] = False
        closest = np.maximum(closest, sims[best])
    return picked
