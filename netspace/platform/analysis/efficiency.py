"""Random-search efficiency: expected best (min) error among k models drawn from a population, in closed form.

With the n errors sorted ascending e_(1) <= … <= e_(n) and k draws with replacement, the minimum's rank is
>= i with probability ((n − i + 1)/n)^k, so E[min] = Σ_i e_(i)·[((n−i+1)/n)^k − ((n−i)/n)^k]. Without
replacement the survival probability is C(n−i+1, k)/C(n, k).
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln


def expected_min_error(errors, ks, replace: bool = True) -> np.ndarray:
    """E[min error of k random models] for every k in ``ks`` (order statistics, no simulation)."""
    e = np.sort(np.asarray(errors, dtype=float)[np.isfinite(np.asarray(errors, dtype=float))])
    k = np.atleast_1d(np.asarray(ks, dtype=float))
    n = e.size
    if n == 0:
        return np.full(k.shape, np.nan)
    i = np.arange(1, n + 2, dtype=float)  # survival P(rank >= i), i = 1..n+1
    if replace:
        base = (n - i + 1) / n
        with np.errstate(divide="ignore"):
            surv = np.exp(k[:, None] * np.log(base)[None, :])
    else:
        if np.any(k > n):
            raise ValueError(f"k up to {int(k.max())} exceeds the population ({n}) without replacement")
        m = n - i + 1  # models at rank >= i
        def lchoose(a, b):
            return gammaln(a + 1) - gammaln(b + 1) - gammaln(a - b + 1)
        valid = m[None, :] >= k[:, None]
        with np.errstate(invalid="ignore"):
            logs = lchoose(m[None, :], k[:, None]) - lchoose(float(n), k)[:, None]
        surv = np.where(valid, np.exp(np.where(valid, logs, 0.0)), 0.0)
    pmf = surv[:, :-1] - surv[:, 1:]
    return pmf @ e


def efficiency_curve(errors, k_max: int | None = None, points: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """(k, expected min error) on log-spaced k from 1 to ``k_max`` (default: the population size)."""
    n = int(np.isfinite(np.asarray(errors, dtype=float)).sum())
    k_max = max(1, k_max or n)
    ks = np.unique(np.round(np.logspace(0, np.log10(k_max), points)).astype(int))
    return ks, expected_min_error(errors, ks)
