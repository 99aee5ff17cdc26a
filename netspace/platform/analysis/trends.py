"""Error against a parameter or complexity: binned best and median lines (vectorised)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def binned_trend(x, errors, n_bins: int = 10, log: bool | None = None, max_categories: int = 12) -> pd.DataFrame:
    """Per bin of ``x``: centre ``x``, ``lo``/``hi`` edges, ``n``, ``best`` (min) and ``median`` error.

    A numeric ``x`` with at most ``max_categories`` distinct values is treated as categorical (one row per
    value, e.g. b ∈ {1, 2, 4}); otherwise ``n_bins`` equal-width bins, log-spaced when ``log`` (default: when
    x > 0 and spans more than a factor 10). Empty bins are dropped.
    """
    xv = np.asarray(x, dtype=float).ravel()
    ev = np.asarray(errors, dtype=float).ravel()
    keep = np.isfinite(xv) & np.isfinite(ev)
    xv, ev = xv[keep], ev[keep]
    cols = ["x", "lo", "hi", "n", "best", "median"]
    if xv.size == 0:
        return pd.DataFrame(columns=cols)
    uniq = np.unique(xv)
    if uniq.size <= max_categories:
        b = np.searchsorted(uniq, xv)
        lo = hi = centre = uniq
    else:
        if log is None:
            log = bool(xv.min() > 0 and xv.max() / xv.min() > 10)
        t = np.log(xv) if log else xv
        edges = np.linspace(t.min(), t.max(), n_bins + 1)
        b = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, n_bins - 1)
        tc = (edges[:-1] + edges[1:]) / 2
        lo, hi, centre = (np.exp(edges[:-1]), np.exp(edges[1:]), np.exp(tc)) if log else (edges[:-1], edges[1:], tc)
    nb = len(centre)
    n = np.bincount(b, minlength=nb)
    best = np.full(nb, np.inf)
    np.minimum.at(best, b, ev)
    # medians per bin: sort by (bin, error) once
    order = np.lexsort((ev, b))
    sb, se = b[order], ev[order]
    start = np.searchsorted(sb, np.arange(nb), side="left")
    med = np.full(nb, np.nan)
    ok = n > 0
    lo_i = start[ok] + (n[ok] - 1) // 2
    hi_i = start[ok] + n[ok] // 2
    med[ok] = (se[lo_i] + se[hi_i]) / 2
    df = pd.DataFrame({"x": centre, "lo": lo, "hi": hi, "n": n, "best": best, "median": med})
    return df[ok].reset_index(drop=True)
