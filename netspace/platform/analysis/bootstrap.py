"""Bootstrap confidence bands of an EDF and the bootstrap "good region" of a parameter (seeded, vectorised)."""

from __future__ import annotations

import numpy as np

from netspace.platform.analysis.edf import _clean


def edf_band(errors, grid, weights=None, n_boot: int = 200, level: float = 0.95, seed: int = 0,
             max_draws: int = 20_000_000) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise ``level`` percentile band of the EDF on ``grid`` over ``n_boot`` resamples of the models.

    Unweighted: a resample's EDF on the grid only depends on how many models fall in each grid interval,
    so the resample is drawn directly as multinomial interval counts (exactly the bootstrap distribution,
    O(n_boot·len(grid))). Weighted: models are resampled by index and the weights renormalised.
    """
    e, w = _clean(errors, weights)
    g = np.asarray(grid, dtype=float)
    if e.size == 0:
        nan = np.full(g.shape, np.nan)
        return nan, nan
    rng = np.random.default_rng(seed)
    # interval of each error: e < g_j  <=>  j >= searchsorted(g, e, "right")
    pos = np.searchsorted(g, e, side="right")
    nbin = g.size + 1
    if w is None:
        p = np.bincount(pos, minlength=nbin) / e.size
        counts = rng.multinomial(e.size, p, size=n_boot)
        curves = np.cumsum(counts, axis=1)[:, :-1] / e.size
    else:
        n = e.size
        chunk = max(1, min(n_boot, max_draws // max(n, 1)))
        curves = np.empty((n_boot, g.size))
        for start in range(0, n_boot, chunk):
            b = min(chunk, n_boot - start)
            idx = rng.integers(0, n, size=(b, n))
            flat = (np.arange(b)[:, None] * nbin + pos[idx]).ravel()
            mass = np.bincount(flat, weights=w[idx].ravel(), minlength=b * nbin).reshape(b, nbin)
            tot = mass.sum(axis=1, keepdims=True)
            tot[tot == 0] = np.nan
            curves[start:start + b] = np.cumsum(mass, axis=1)[:, :-1] / tot
    alpha = (1.0 - level) / 2.0
    lo, hi = np.nanquantile(curves, [alpha, 1.0 - alpha], axis=0)
    return lo, hi


def good_region(x, errors, frac: float = 0.25, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> dict:
    """Empirical bootstrap of the parameter value of the best model (RegNet paper, appendix).

    Repeatedly draw ``frac`` of the (x, error) pairs with replacement and keep the x of the lowest-error pair;
    returns the median and the ``level`` interval of those x values.
    """
    xv = np.asarray(x, dtype=float).ravel()
    ev = np.asarray(errors, dtype=float).ravel()
    keep = np.isfinite(xv) & np.isfinite(ev)
    xv, ev = xv[keep], ev[keep]
    if xv.size == 0:
        return {"lo": np.nan, "median": np.nan, "hi": np.nan, "n": 0}
    rng = np.random.default_rng(seed)
    m = max(1, int(round(frac * xv.size)))
    idx = rng.integers(0, xv.size, size=(n_boot, m))
    best = idx[np.arange(n_boot), np.argmin(ev[idx], axis=1)]
    alpha = (1.0 - level) / 2.0
    lo, med, hi = np.quantile(xv[best], [alpha, 0.5, 1.0 - alpha])
    return {"lo": float(lo), "median": float(med), "hi": float(hi), "n": int(xv.size)}


def bootstrap_medians(errors, n_boot: int = 1000, seed: int = 0) -> np.ndarray:
    """Medians of ``n_boot`` resamples (with replacement) of the finite ``errors`` (NaN when there are none).

    Exact and O(n_boot) after one sort: a resample is n indices floor(n·U_i) into the sorted errors, and its
    k-th smallest index is floor(n·U_(k)) with U_(k) ~ Beta(k, n − k + 1); for an even n the next order statistic
    is U_(k) + (1 − U_(k))·Beta(1, n − k), and the median is the mean of the two values (as :func:`numpy.median`)."""
    e, _ = _clean(errors)
    if e.size == 0:
        return np.full(n_boot, np.nan)
    e = np.sort(e)
    n = e.size
    rng = np.random.default_rng(seed)
    k = (n + 1) // 2  # 1-based rank of the (lower) middle value
    u = rng.beta(k, n - k + 1, n_boot)
    lo = e[np.minimum((n * u).astype(np.int64), n - 1)]
    if n % 2:
        return lo
    u2 = u + (1.0 - u) * rng.beta(1, n - k, n_boot)
    return (lo + e[np.minimum((n * u2).astype(np.int64), n - 1)]) / 2


def median_diff_interval(errors_a, errors_b, n_boot: int = 1000, level: float = 0.95, seed: int = 0,
                         max_draws: int = 20_000_000) -> tuple[float, float]:
    """Percentile bootstrap interval of median(b) − median(a): both samples resampled independently."""
    a, _ = _clean(errors_a)
    b, _ = _clean(errors_b)
    if a.size == 0 or b.size == 0:
        return float("nan"), float("nan")
    diffs = bootstrap_medians(b, n_boot, seed=seed + 1) - bootstrap_medians(a, n_boot, seed=seed)
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(diffs, [alpha, 1.0 - alpha])
    return float(lo), float(hi)
