"""Family-wise error control for several tests at once (pure numpy).

- :func:`holm` — Holm's step-down adjustment of p-values (valid under any dependence between the tests);
- :func:`min_p_adjust` — Westfall–Young single-step min-p adjustment from a shared permutation null: the tests'
  null statistics come from the *same* permutations, so their dependence is kept (less conservative than Holm
  when the tests are correlated, e.g. a parameter and a feature derived from it).
"""

from __future__ import annotations

import numpy as np


def holm(p_values) -> np.ndarray:
    """Holm-adjusted p-values: sort the m finite p-values, p_(i) -> max_{j <= i} min(1, (m − j + 1) p_(j)).

    NaN stays NaN and does not count in m. Rejecting where the adjusted p < alpha controls the family-wise error
    rate at alpha.
    """
    p = np.asarray(p_values, dtype=float).ravel()
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)
    return out


def permutation_p(observed, null) -> np.ndarray:
    """Per test k: p_k = (1 + #{b: null[b, k] >= observed[k]}) / (1 + B) (large statistic = evidence).

    NaN where the observed statistic is NaN; null NaNs count as not extreme."""
    obs = np.asarray(observed, dtype=float).ravel()
    nul = np.asarray(null, dtype=float).reshape(-1, obs.size)
    ge = (np.nan_to_num(nul, nan=-np.inf) >= obs[None, :] - 1e-12 * np.maximum(1.0, np.abs(obs[None, :]))).sum(axis=0)
    p = (1.0 + ge) / (1.0 + nul.shape[0])
    return np.where(np.isfinite(obs), p, np.nan)


def min_p_adjust(observed, null) -> tuple[np.ndarray, np.ndarray]:
    """Raw and Westfall–Young single-step min-p adjusted permutation p-values of K tests.

    ``observed``: (K,) statistics, large = evidence; ``null``: (B, K) statistics of the same K tests on B
    permutations of the data (one permutation per row, shared by all tests). Each null statistic is turned into
    its own test's permutation p-value, and p_adj,k = (1 + #{b: min_j p*_bj <= p_k}) / (1 + B). Tests with a NaN
    observed statistic are left out of the family (NaN in both outputs).
    """
    obs = np.asarray(observed, dtype=float).ravel()
    if obs.size == 0:
        return np.empty(0), np.empty(0)
    nul = np.asarray(null, dtype=float).reshape(-1, obs.size)
    raw = permutation_p(obs, nul)
    keep = np.flatnonzero(np.isfinite(raw))
    adj = np.full(obs.shape, np.nan)
    if keep.size == 0:
        return raw, adj
    b = nul.shape[0]
    z = np.nan_to_num(nul[:, keep], nan=-np.inf)
    # p*_bk = (1 + #{b' != b: z[b', k] >= z[b, k]}) / (1 + B): replicate b read as if it were the observation
    srt = np.sort(z, axis=0)
    ge = b - np.stack([np.searchsorted(srt[:, k], z[:, k] - 1e-12 * np.maximum(1.0, np.abs(z[:, k])), side="left")
                       for k in range(keep.size)], axis=1)
    p_star = ge / (1.0 + b)  # ge counts b itself
    min_star = np.sort(p_star.min(axis=1))
    count = np.searchsorted(min_star, raw[keep] + 1e-15, side="right")
    adj[keep] = np.minimum(1.0, (1.0 + count) / (1.0 + b))
    return raw, np.maximum(adj, raw)
