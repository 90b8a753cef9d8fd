"""Statistics of eval runs: bootstrap intervals, pass@k and pass^k, a paired test.

Hand-written (about 60 lines) rather than a SciPy dependency at run time: each is a few lines of
numpy with a fixed seed, so reports are reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

RESAMPLES = 2000
SEED = 20261128


def mean_ci(values: Sequence[float], *, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and its percentile-bootstrap confidence interval."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return (math.nan, math.nan, math.nan)
    if data.size == 1 or np.all(data == data[0]):
        return (float(data.mean()), float(data.mean()), float(data.mean()))
    rng = np.random.default_rng(SEED)
    means = data[rng.integers(0, data.size, size=(RESAMPLES, data.size))].mean(axis=1)
    low, high = np.quantile(means, [(1 - level) / 2, 1 - (1 - level) / 2])
    return (float(data.mean()), float(low), float(high))


def pass_at_k(n: int, c: int, k: int) -> float:
    """Chance that at least one of k attempts passes, from n attempts with c passes (unbiased)."""
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """pass^k: chance that all k attempts pass (consistency), from n attempts with c passes."""
    if c < k:
        return 0.0
    return math.comb(c, k) / math.comb(n, k)


def paired_test(before: Sequence[float], after: Sequence[float]) -> tuple[float, float]:
    """Mean difference (after − before) of paired scores and a two-sided sign-flip
    randomisation p-value (how often a random sign pattern gives a difference as large)."""
    a = np.asarray(before, dtype=float)
    b = np.asarray(after, dtype=float)
    diff = b - a
    if diff.size == 0:
        return (0.0, 1.0)
    observed = abs(diff.mean())
    if observed == 0:
        return (0.0, 1.0)
    rng = np.random.default_rng(SEED)
    signs = rng.choice([-1.0, 1.0], size=(RESAMPLES, diff.size))
    extreme = np.abs((signs * diff).mean(axis=1)) >= observed - 1e-12
    return (float(diff.mean()), float((extreme.sum() + 1) / (RESAMPLES + 1)))
