"""Comparing design spaces from a trials table (pure functions of a pandas DataFrame, no I/O).

The table has one row per finished model with at least a ``space`` and an ``error`` column (and a
complexity column such as ``flops`` for normalized EDFs), as :func:`netspace.platform.storage.results.load_trials`
returns after filtering to completed trials.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from netspace.platform.analysis.bootstrap import edf_band
from netspace.platform.analysis.edf import edf_at, error_grid
from netspace.platform.analysis.ks import ks_statistic
from netspace.platform.analysis.normalized import log_bins, normalized_weights
from netspace.platform.analysis.trends import binned_trend


def finished(df: pd.DataFrame, error: str = "error") -> pd.DataFrame:
    """Rows that are COMPLETE (when a ``state`` column exists) with a finite error."""
    mask = np.isfinite(pd.to_numeric(df[error], errors="coerce").to_numpy(dtype=float, na_value=np.nan))
    if "state" in df.columns:
        mask &= (df["state"] == "COMPLETE").to_numpy()
    return df[mask]


def space_order(df: pd.DataFrame, spaces=None) -> list[str]:
    present = list(dict.fromkeys(df["space"].tolist()))
    return [s for s in spaces if s in present] if spaces else present


def space_weights(df: pd.DataFrame, complexity: str = "flops", n_bins: int = 10) -> np.ndarray:
    """Normalized-EDF weights of every row (bins shared by all spaces in ``df``)."""
    c = pd.to_numeric(df[complexity], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return normalized_weights(c, df["space"].to_numpy(), edges=log_bins(c, n_bins))


def edf_curves(df: pd.DataFrame, spaces=None, grid=None, points: int = 300, normalize: str | None = None,
               bands: bool = False, n_boot: int = 200, level: float = 0.95, seed: int = 0, n_bins: int = 10) -> pd.DataFrame:
    """Long table (space, error, F[, lo, hi]) of each space's EDF on a common grid.

    ``normalize`` names a complexity column to weight by (normalized EDF); ``bands`` adds bootstrap bands.
    """
    spaces = space_order(df, spaces)
    sub = df[df["space"].isin(spaces)]
    e_all = sub["error"].to_numpy(dtype=float)
    g = error_grid(e_all, points=points) if grid is None else np.asarray(grid, dtype=float)
    w_all = space_weights(sub, normalize, n_bins) if normalize else None
    space_col = sub["space"].to_numpy()
    parts = []
    for s in spaces:
        m = space_col == s
        e = e_all[m]
        w = None if w_all is None else w_all[m]
        part = {"space": s, "error": g, "F": edf_at(e, g, w)}
        if bands:
            part["lo"], part["hi"] = edf_band(e, g, w, n_boot=n_boot, level=level, seed=seed)
        parts.append(pd.DataFrame(part))
    cols = ["space", "error", "F"] + (["lo", "hi"] if bands else [])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def summary_table(df: pd.DataFrame, spaces=None, complexity: str | None = "flops", n_bins: int = 10) -> pd.DataFrame:
    """Per space: n, min / median error, KS vs the first space (plain and, with ``complexity``, normalized)."""
    spaces = space_order(df, spaces)
    sub = df[df["space"].isin(spaces)]
    space_col = sub["space"].to_numpy()
    e_all = sub["error"].to_numpy(dtype=float)
    w_all = space_weights(sub, complexity, n_bins) if complexity and complexity in sub.columns else None
    rows = []
    ref = space_col == spaces[0] if spaces else None
    for s in spaces:
        m = space_col == s
        e = e_all[m]
        row = {"space": s, "n": int(m.sum()), "min_error": float(np.min(e)) if e.size else np.nan,
               "median_error": float(np.median(e)) if e.size else np.nan,
               "ks_vs_first": ks_statistic(e_all[ref], e)}
        if w_all is not None:
            row["ks_normalized_vs_first"] = ks_statistic(e_all[ref], e, w_all[ref], w_all[m])
        rows.append(row)
    return pd.DataFrame(rows)


def param_columns(df: pd.DataFrame, space: str | None = None) -> list[str]:
    """The ``param_*`` columns holding at least one numeric value (for ``space`` if given)."""
    sub = df if space is None else df[df["space"] == space]
    out = []
    for c in sub.columns:
        if c.startswith("param_") and pd.to_numeric(sub[c], errors="coerce").notna().any():
            out.append(c)
    return out


def param_trends(df: pd.DataFrame, space: str, n_bins: int = 10) -> pd.DataFrame:
    """Long table (param, x, lo, hi, n, best, median) of binned error trends of every parameter of a space."""
    sub = df[df["space"] == space]
    e = sub["error"].to_numpy(dtype=float)
    parts = []
    for c in param_columns(sub):
        t = binned_trend(pd.to_numeric(sub[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan), e, n_bins)
        t.insert(0, "param", c[len("param_"):])
        parts.append(t)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["param", "x", "lo", "hi", "n", "best", "median"])


def complexity_trend(df: pd.DataFrame, metric: str = "flops", n_bins: int = 10) -> pd.DataFrame:
    """Long table (space, x, lo, hi, n, best, median) of error against a complexity column on log bins."""
    parts = []
    for s in space_order(df):
        sub = df[df["space"] == s]
        t = binned_trend(pd.to_numeric(sub[metric], errors="coerce").to_numpy(dtype=float, na_value=np.nan),
                         sub["error"].to_numpy(dtype=float), n_bins, log=True, max_categories=0)
        t.insert(0, "space", s)
        parts.append(t)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["space", "x", "lo", "hi", "n", "best", "median"])
