"""Kolmogorov–Smirnov distance between (optionally weighted) error EDFs: D = sup_e |F1(e) − F2(e)|."""

from __future__ import annotations

import numpy as np

from netspace.platform.analysis.edf import _clean


def _cdf_right(e: np.ndarray, w: np.ndarray | None, x: np.ndarray) -> np.ndarray:
    order = np.argsort(e, kind="stable")
    idx = np.searchsorted(e[order], x, side="right")
    if w is None:
        return idx / e.size
    cw = np.concatenate([[0.0], np.cumsum(w[order])])
    return cw[idx] / cw[-1]


def ks_statistic(errors_a, errors_b, weights_a=None, weights_b=None) -> float:
    """D = sup_e |F_a(e) − F_b(e)|.

    Both EDFs are step functions that jump only at sample values, and F(e) = #(e_i < e)/n is constant on
    (x_k, x_{k+1}], so the supremum is the maximum over the pooled sample values x of |G_a(x) − G_b(x)|
    with G(x) = #(e_i <= x)/n (weighted: the normalised weight sums). NaN if either side is empty.
    """
    a, wa = _clean(errors_a, weights_a)
    b, wb = _clean(errors_b, weights_b)
    if a.size == 0 or b.size == 0:
        return float("nan")
    if (wa is not None and wa.sum() <= 0) or (wb is not None and wb.sum() <= 0):
        return float("nan")
    x = np.unique(np.concatenate([a, b]))
    return float(np.max(np.abs(_cdf_right(a, wa, x) - _cdf_right(b, wb, x))))


def ks_matrix(error_arrays: list, weight_arrays: list | None = None) -> np.ndarray:
    """Pairwise KS statistics of several spaces (symmetric, zero diagonal)."""
    n = len(error_arrays)
    ws = weight_arrays or [None] * n
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            out[i, j] = out[j, i] = ks_statistic(error_arrays[i], error_arrays[j], ws[i], ws[j])
    return out
