"""Error EDFs: F(e) = Σ w_i 1[e_i < e] / Σ w_i (w_i = 1/n unweighted), evaluated on a grid, vectorised."""

from __future__ import annotations

import numpy as np


def _clean(errors, weights=None) -> tuple[np.ndarray, np.ndarray | None]:
    e = np.asarray(errors, dtype=float).ravel()
    keep = np.isfinite(e)
    if weights is None:
        return e[keep], None
    w = np.asarray(weights, dtype=float).ravel()
    if w.shape != e.shape:
        raise ValueError(f"weights have shape {w.shape}, errors {e.shape}")
    keep &= np.isfinite(w) & (w >= 0)
    return e[keep], w[keep]


def edf_at(errors, grid, weights=None) -> np.ndarray:
    """F(g) = fraction (weighted if ``weights``) of finite errors strictly below each grid value g."""
    e, w = _clean(errors, weights)
    g = np.asarray(grid, dtype=float)
    if e.size == 0:
        return np.full(g.shape, np.nan)
    order = np.argsort(e, kind="stable")
    e = e[order]
    idx = np.searchsorted(e, g, side="left")  # number of errors < g
    if w is None:
        return idx / e.size
    cw = np.concatenate([[0.0], np.cumsum(w[order])])
    total = cw[-1]
    return cw[idx] / total if total > 0 else np.full(g.shape, np.nan)


def edf(errors, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """The EDF's jump points: sorted unique errors x and F just after each, i.e. #(e <= x) / n (weighted).

    F(e) = #(e_i < e)/n is 0 up to and including x[0] and equals ``f[k]`` on (x[k], x[k+1]]; plot it as
    a post-step function ``plt.step(x, f, where="post")``.
    """
    e, w = _clean(errors, weights)
    if e.size == 0:
        return np.empty(0), np.empty(0)
    x = np.unique(e)
    idx = np.searchsorted(np.sort(e), x, side="right")
    if w is None:
        return x, idx / e.size
    order = np.argsort(e, kind="stable")
    cw = np.concatenate([[0.0], np.cumsum(w[order])])
    return x, cw[idx] / cw[-1]


def error_grid(*error_arrays, points: int = 400, lo: float | None = None, hi: float | None = None) -> np.ndarray:
    """A common evaluation grid spanning all finite errors of the given arrays (a little past the max)."""
    finite = [np.asarray(a, dtype=float) for a in error_arrays]
    finite = [a[np.isfinite(a)] for a in finite]
    allv = np.concatenate(finite) if finite else np.empty(0)
    if allv.size == 0:
        return np.linspace(0.0, 100.0, points)
    lo = float(allv.min()) if lo is None else lo
    hi = float(allv.max()) if hi is None else hi
    span = max(hi - lo, 1e-9)
    return np.linspace(lo, hi + 1e-6 * span + 1e-12, points)
