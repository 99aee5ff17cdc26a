"""Normalized EDFs (Radosavovic et al. 2019): reweight each space's models so every space has the same
complexity distribution before comparing error EDFs.

Complexity is binned on log-spaced bins shared by all spaces; model i of space s gets
w_i = 1 / (number of space-s models in model i's bin), then the weights are normalised to sum to 1 per space,
so each space puts equal mass on every bin it occupies.
"""

from __future__ import annotations

import numpy as np


def log_bins(values, n_bins: int = 10) -> np.ndarray:
    """``n_bins + 1`` log-spaced edges covering the positive finite ``values``."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return np.array([1.0, 10.0])
    lo, hi = np.log10(v.min()), np.log10(v.max())
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    return np.logspace(lo, hi, n_bins + 1)


def bin_index(values, edges) -> np.ndarray:
    """Bin of each value (0..len(edges)-2); values outside the edges are clipped into the end bins."""
    v = np.asarray(values, dtype=float)
    idx = np.searchsorted(edges, v, side="right") - 1
    return np.clip(idx, 0, len(edges) - 2)


def normalized_weights(complexity, groups=None, edges=None, n_bins: int = 10) -> np.ndarray:
    """Weights w_i ∝ 1 / count of model i's group in model i's complexity bin, summing to 1 per group.

    ``groups`` labels each model's space (all one space when None); ``edges`` defaults to
    :func:`log_bins` of all complexities, shared by the groups. Models with non-finite or non-positive
    complexity get weight 0.
    """
    c = np.asarray(complexity, dtype=float).ravel()
    g = np.zeros(c.size, dtype=np.int64) if groups is None else np.unique(np.asarray(groups), return_inverse=True)[1].ravel()
    valid = np.isfinite(c) & (c > 0)
    if edges is None:
        edges = log_bins(c[valid], n_bins)
    nb = len(edges) - 1
    b = bin_index(np.where(valid, c, edges[0]), edges)
    ng = int(g.max()) + 1 if g.size else 0
    key = g * nb + b
    counts = np.bincount(key[valid], minlength=ng * nb).astype(float)
    w = np.zeros(c.size)
    w[valid] = 1.0 / counts[key[valid]]
    totals = np.bincount(g, weights=w, minlength=ng)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(totals[g] > 0, w / totals[g], 0.0)
    return w
