"""Refinement evidence that must beat chance (pure numpy, vectorised).

For K quantities x_1..x_K of the same n models (sampled parameters and derived features) and their errors e:

- **good region** (RegNet paper, appendix): in each of ``n_boot`` rounds draw a random ``subsample`` share of
  the models (with replacement — a random 25 %, not the best 25 %) and keep x of the round's lowest-error model;
  the region is the central ``level`` interval of those values. Its *width* (on log scale for log-uniform
  quantities) is the statistic: narrow = the best models agree on x.
- **trend**: |Pearson correlation| of e with x (log x for log-uniform quantities).

Both are computed again on ``n_null`` populations with the errors shuffled (x kept, so each quantity's own
marginal, the space's constraints included, is the reference — not the declared range). One shuffle serves
every quantity, and the Westfall–Young min-p adjustment (:func:`~netspace.platform.analysis.multiplicity.min_p_adjust`)
controls the family-wise error over all K regions and K trends at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netspace.platform.analysis.multiplicity import min_p_adjust


@dataclass
class Evidence:
    """Per quantity (arrays of length K): the good region (lo, median, hi in x units), its width, the trend
    correlation, and the raw and family-wise adjusted p-values of both (NaN where not testable)."""

    lo: np.ndarray
    median: np.ndarray
    hi: np.ndarray
    width: np.ndarray
    corr: np.ndarray
    p_region: np.ndarray
    p_region_adj: np.ndarray
    p_trend: np.ndarray
    p_trend_adj: np.ndarray


def _region_stats(t: np.ndarray, best: np.ndarray, probs) -> np.ndarray:
    """t: (n, K) transformed quantities; best: (R, n_boot) model index per round -> (len(probs), R, K) quantiles
    of t over the rounds (NaN values ignored; linear interpolation as :func:`numpy.quantile`)."""
    vals = np.sort(t[best], axis=1)  # (R, n_boot, K), NaN last
    cnt = np.isfinite(vals).sum(axis=1)  # (R, K)
    out = []
    for p in probs:
        pos = p * np.maximum(cnt - 1, 0)
        i0 = np.floor(pos).astype(np.int64)
        i1 = np.minimum(i0 + 1, np.maximum(cnt - 1, 0))
        v0 = np.take_along_axis(vals, i0[:, None, :], axis=1)[:, 0, :]
        v1 = np.take_along_axis(vals, i1[:, None, :], axis=1)[:, 0, :]
        q = v0 + (pos - i0) * (v1 - v0)
        out.append(np.where(cnt > 0, q, np.nan))
    return np.stack(out)


def _corr(t: np.ndarray, e: np.ndarray) -> np.ndarray:
    """|corr| of each column of t (n, K) with each row of e (R, n) -> (R, K); NaN for a constant column."""
    tc = t - t.mean(axis=0, keepdims=True)
    ec = e - e.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        num = ec @ tc
        den = np.sqrt((ec * ec).sum(axis=1))[:, None] * np.sqrt((tc * tc).sum(axis=0))[None, :]
        return np.abs(np.where(den > 0, num / den, np.nan))


def refine_evidence(x, errors, log, *, subsample: float = 0.25, n_boot: int = 400, n_null: int = 500,
                    level: float = 0.95, seed: int = 0, max_cells: int = 20_000_000) -> Evidence:
    """Good regions and trends of the K columns of ``x`` (n, K) against ``errors`` (n,), each tested against
    ``n_null`` error shuffles (see the module docstring). ``log``: (K,) bool, log scale for that column.

    Rows with a non-finite error are dropped; a column with a non-finite value in a kept row is imputed by its
    median for the trend and never wins a round it is NaN in (NaN-aware quantiles)."""
    x = np.asarray(x, dtype=float)
    e = np.asarray(errors, dtype=float).ravel()
    keep = np.isfinite(e)
    x, e = x[keep], e[keep]
    n, k = x.shape
    logm = np.asarray(log, dtype=bool) & np.all((x > 0) | ~np.isfinite(x), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(logm[None, :], np.log(np.where(x > 0, x, np.nan)), x)
    nan = np.full(k, np.nan)
    if n < 3 or k == 0:
        return Evidence(nan, nan, nan, nan, nan, nan, nan, nan, nan)
    rng = np.random.default_rng(seed)
    m = max(1, int(round(subsample * n)))
    idx = rng.integers(0, n, size=(n_boot, m))  # the rounds' subsamples, shared by the observation and the null
    perms = np.vstack([np.arange(n)[None, :], np.argsort(rng.random((n_null, n)), axis=1)])  # row 0 = observed
    r_all = perms.shape[0]
    a = (1.0 - level) / 2.0
    probs = (a, 0.5, 1.0 - a, 0.25, 0.75)
    q = np.empty((len(probs), r_all, k))
    chunk = max(1, min(r_all, max_cells // max(n_boot * max(m, k), 1)))
    # the rounds' winners compare errors only: their dense ranks (equal iff the errors are equal) give the same
    # argmin, ties included, and small integers are several times faster to gather and compare than floats
    _, rank = np.unique(e, return_inverse=True)
    rank = rank.astype(np.int16 if rank.size and rank.max() < np.iinfo(np.int16).max else np.int32)
    for s in range(0, r_all, chunk):
        ep = rank[perms[s:s + chunk]]  # (c, n) shuffled errors, as ranks
        win = np.argmin(ep[:, idx], axis=2)  # (c, n_boot): position of the round's best in its subsample
        best = idx[np.arange(n_boot)[None, :], win]
        q[:, s:s + chunk] = _region_stats(t, best, probs)
    lo_t, med_t, hi_t = q[0], q[1], q[2]
    width = q[4] - q[3]  # the statistic: interquartile width of the best models' values (robust, not the 95 % ends)
    t_imp = np.where(np.isfinite(t), t, np.nanmedian(t, axis=0, keepdims=True))
    corr = _corr(t_imp, e[perms])
    constant = ~(np.nanmax(t, axis=0) > np.nanmin(t, axis=0))
    width[:, constant] = np.nan
    corr[:, constant] = np.nan
    raw, adj = min_p_adjust(np.r_[-width[0], corr[0]], np.hstack([-width[1:], corr[1:]]))

    def back(v: np.ndarray) -> np.ndarray:
        return np.where(logm, np.exp(v), v)

    return Evidence(back(lo_t[0]), back(med_t[0]), back(hi_t[0]), width[0], corr[0],
                    raw[:k], adj[:k], raw[k:], adj[k:])
