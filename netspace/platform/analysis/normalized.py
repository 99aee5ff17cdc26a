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


# -- the authors' normalized EDF: fixed complexity range, linear bins (default 40), warnings for empty bins ----------
DEFAULT_BINS = 40


class EmptyBinWarning(UserWarning):
    """A space has no model in a complexity bin that another space occupies: its normalized EDF cannot match
    the other's complexity distribution there (nothing is renormalised silently; the warning says where)."""


def complexity_edges(values, n_bins: int = DEFAULT_BINS, *, range: tuple[float, float] | None = None,
                     log: bool = False) -> np.ndarray:
    """``n_bins + 1`` edges over ``range`` (default: min to max of the finite positive ``values``): linear, as
    in the authors' notebooks, or log-spaced with ``log``."""
    if range is None:
        v = np.asarray(values, dtype=float)
        v = v[np.isfinite(v) & (v > 0)]
        if v.size == 0:
            return np.array([1.0, 10.0])
        lo, hi = float(v.min()), float(v.max())
    else:
        lo, hi = float(range[0]), float(range[1])
        if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo and (lo > 0 or not log)):
            raise ValueError(f"complexity range [{lo:g}, {hi:g}] must have low < high{' and low > 0' if log else ''}")
    if hi - lo <= 1e-12 * max(abs(hi), 1.0):
        lo, hi = (lo / 2, hi * 2) if log else (lo - 0.5, hi + 0.5)
    if log:
        return np.logspace(np.log10(lo), np.log10(hi), n_bins + 1)
    return np.linspace(lo, hi, n_bins + 1)


def empty_bins(complexity, groups, edges) -> dict:
    """For each group: the bins (indices) holding models of another group but none of this one."""
    labels, codes = np.unique(np.asarray(groups).ravel(), return_inverse=True)
    return _empty_bins(np.asarray(complexity, dtype=float).ravel(), labels, codes.ravel(), edges)


def _empty_bins(c: np.ndarray, labels: np.ndarray, codes: np.ndarray, edges) -> dict:
    inside = np.isfinite(c) & (c >= edges[0]) & (c <= edges[-1])
    nb = len(edges) - 1
    b = bin_index(np.where(inside, c, edges[0]), edges)
    occ = np.bincount(codes[inside] * nb + b[inside], minlength=labels.size * nb).reshape(labels.size, nb) > 0
    anyocc = occ.any(axis=0)
    out = {}
    for i in np.argsort(np.unique(codes, return_index=True)[1]):  # groups in order of first appearance
        out[labels[i].item() if hasattr(labels[i], "item") else labels[i]] = np.flatnonzero(anyocc & ~occ[i]).tolist()
    return out


def normalized_weights_in_range(complexity, groups, edges, *, warn: bool = True, what: str = "complexity") -> np.ndarray:
    """:func:`normalized_weights` over fixed ``edges``: models outside the range get weight 0, and an
    :class:`EmptyBinWarning` names every space that lacks models in bins another space occupies."""
    import warnings

    from netspace.search_spaces.sampling import format_count

    c = np.asarray(complexity, dtype=float).ravel()
    labels, codes = np.unique(np.asarray(groups).ravel(), return_inverse=True)
    codes = codes.ravel()
    inside = np.isfinite(c) & (c >= edges[0]) & (c <= edges[-1])
    w = normalized_weights(np.where(inside, c, np.nan), codes, edges=edges)
    if warn:
        nb = len(edges) - 1
        lines = []
        for s, bins in _empty_bins(c, labels, codes, edges).items():
            if bins:
                k = bins[0]
                lines.append(f"{s} has no model in {len(bins)} of the {nb} {what} bins other spaces occupy "
                             f"(first: {format_count(edges[k])}–{format_count(edges[k + 1])})")
        out = int((~inside & np.isfinite(c)).sum())
        if out:
            lines.append(f"{out} model(s) outside the {what} range [{format_count(edges[0])}, {format_count(edges[-1])}] are left out")
        if lines:
            warnings.warn("normalized EDF: " + "; ".join(lines) + "; the spaces' complexity distributions differ "
                          "there (use fewer bins or more samples)", EmptyBinWarning, stacklevel=3)
    return w
