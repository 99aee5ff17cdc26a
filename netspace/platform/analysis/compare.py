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
from netspace.platform.analysis.normalized import complexity_edges, normalized_weights_in_range
from netspace.platform.analysis.trends import binned_trend
from netspace.platform.analysis.verdicts import format_p  # noqa: F401  (re-exported)


def finished(df: pd.DataFrame, error: str = "error") -> pd.DataFrame:
    """Rows that are COMPLETE (when a ``state`` column exists) with a finite error."""
    mask = np.isfinite(pd.to_numeric(df[error], errors="coerce").to_numpy(dtype=float, na_value=np.nan))
    if "state" in df.columns:
        mask &= (df["state"] == "COMPLETE").to_numpy()
    return df[mask]


def split_references(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(populations, references)``: rows of sampled spaces, and rows of reference presets (the ``reference``
    column of :func:`~netspace.platform.storage.results.load_trials`; all rows are populations without it)."""
    if "reference" not in df.columns:
        return df, df.iloc[0:0]
    mask = df["reference"].fillna(False).astype(bool).to_numpy()
    return df[~mask], df[mask]


def space_order(df: pd.DataFrame, spaces=None) -> list[str]:
    present = list(dict.fromkeys(df["space"].tolist()))
    return [s for s in spaces if s in present] if spaces else present


def space_weights(df: pd.DataFrame, complexity: str = "flops", n_bins: int | None = None, *,
                  range: tuple[float, float] | None = None, log: bool = False, warn: bool = True) -> np.ndarray:
    """Normalized-EDF weights of every row, as the authors compute them: ``n_bins`` linear (or ``log``) bins
    over a fixed complexity ``range`` (default: the pooled min..max), shared by all spaces in ``df``. Rows
    outside the range get weight 0; an :class:`EmptyBinWarning` names spaces missing from occupied bins.
    ``n_bins`` defaults to about 5 models of the smallest space per bin, at most the authors' 40
    (:func:`~netspace.platform.analysis.stratified.default_n_bins`)."""
    if not n_bins:
        from netspace.platform.analysis.stratified import default_n_bins

        n_bins = default_n_bins(int(df["space"].value_counts().min()) if len(df) else 0)
    c = pd.to_numeric(df[complexity], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    edges = complexity_edges(c, n_bins, range=range, log=log)
    return normalized_weights_in_range(c, df["space"].to_numpy(), edges, warn=warn, what=complexity)


def edf_curves(df: pd.DataFrame, spaces=None, grid=None, points: int = 300, normalize: str | None = None,
               bands: bool = False, n_boot: int = 200, level: float = 0.95, seed: int = 0, n_bins: int | None = None,
               range: tuple[float, float] | None = None, log_bins: bool = False) -> pd.DataFrame:
    """Long table (space, error, F[, lo, hi]) of each space's EDF on a common grid.

    ``normalize`` names a complexity column to weight by (normalized EDF); ``bands`` adds bootstrap bands.
    """
    spaces = space_order(df, spaces)
    sub = df[df["space"].isin(spaces)]
    e_all = sub["error"].to_numpy(dtype=float)
    g = error_grid(e_all, points=points) if grid is None else np.asarray(grid, dtype=float)
    w_all = space_weights(sub, normalize, n_bins, range=range, log=log_bins) if normalize else None
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


def summary_table(df: pd.DataFrame, spaces=None, complexity: str | None = "flops", n_bins: int | None = None,
                  range: tuple[float, float] | None = None, log_bins: bool = False) -> pd.DataFrame:
    """Per space: n, min / median error, KS vs the first space (plain and, with ``complexity``, normalized)."""
    spaces = space_order(df, spaces)
    sub = df[df["space"].isin(spaces)]
    space_col = sub["space"].to_numpy()
    e_all = sub["error"].to_numpy(dtype=float)
    w_all = (space_weights(sub, complexity, n_bins, range=range, log=log_bins)
             if complexity and complexity in sub.columns else None)
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


# -- pairwise comparisons with confidence ------------------------------------------------------------------------
PAIR_COLUMNS = ["a", "b", "n_a", "n_b", "ks", "p_value", "p_adjusted", "median_a", "median_b", "median_diff", "diff_lo",
                "diff_hi", "better", "verdict", "bins"]


def pairwise_comparisons(df: pd.DataFrame, spaces=None, *, normalize: str | None = None, n_boot: int = 1000,
                         seed: int = 0, alpha: float = 0.05, n_bins: int | None = None,
                         range: tuple[float, float] | None = None, log_bins: bool = False,
                         n_perm: int | None = None) -> pd.DataFrame:
    """One row per pair of spaces (a listed before b): KS distance D, its raw and Holm-adjusted p-values (the
    family is every pair of this call, i.e. of the campaign), the medians, the median difference b − a with a
    bootstrap ``1 − alpha`` interval, and a plain verdict (:mod:`netspace.platform.analysis.verdicts`).

    Plain EDFs: scipy's two-sample KS p-value; medians and interval of the errors. Normalized EDFs (``normalize``
    names a complexity column): ``n_bins`` complexity bins (default: adapted to the smaller space,
    :func:`~netspace.platform.analysis.stratified.default_n_bins`) over the pooled range, adjacent bins pooled per
    pair until both spaces occupy each (or no verdict, with the reason), the weighted KS distance with a
    permutation p-value that shuffles labels *within* bins (``n_perm`` permutations, default ``n_boot``), and the
    weighted medians with an interval resampled within bins. ``better`` is set only when the adjusted p < alpha
    and the interval excludes 0; ``bins`` is the number of (pooled) complexity bins (0 for plain EDFs).
    """
    from scipy import stats

    from netspace.platform.analysis.bootstrap import bootstrap_medians
    from netspace.platform.analysis.multiplicity import holm
    from netspace.platform.analysis.stratified import (
        default_n_bins,
        pool_bins,
        stratified_ks_test,
        stratified_median_diff,
    )
    from netspace.platform.analysis.verdicts import decide, verdict_text

    done = split_references(finished(df))[0]
    spaces = space_order(done, spaces)
    sub = done[done["space"].isin(spaces)]
    e_all = sub["error"].to_numpy(dtype=float)
    g_all = sub["space"].to_numpy()
    n_perm = n_boot if n_perm is None else n_perm
    level = 1 - alpha
    sizes = {s: int((g_all == s).sum()) for s in spaces}
    if normalize:
        c_all = pd.to_numeric(sub[normalize], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        k_bins = n_bins or default_n_bins(min(sizes.values()) if sizes else 0)
        edges = complexity_edges(c_all, k_bins, range=range, log=log_bins)
        inside = np.isfinite(c_all) & (c_all >= edges[0]) & (c_all <= edges[-1])
        bin_all = np.where(inside, bin_of(np.where(inside, c_all, edges[0]), edges), -1)
    else:
        boots = {s: bootstrap_medians(e_all[g_all == s], n_boot, seed=seed + i) for i, s in enumerate(spaces)}
    rows = []
    for i, a in enumerate(spaces):
        for b in spaces[i + 1:]:
            ma, mb = g_all == a, g_all == b
            ea, eb = e_all[ma], e_all[mb]
            reason, bins = "", 0
            if normalize:
                m = ma | mb
                pooled, bins, reason = pool_bins(bin_all[m], mb[m], k_bins)
                if pooled is None:
                    ks = p = med_a = med_b = lo = hi = float("nan")
                    reason = f"no normalized comparison of {a} and {b} by {normalize}: {reason.replace('space a', a).replace('space b', b)}"
                else:
                    ks, p = stratified_ks_test(e_all[m], pooled, mb[m], bins, n_perm=n_perm, seed=seed)
                    med_a, med_b, _, lo, hi = stratified_median_diff(e_all[m], pooled, mb[m], bins, n_boot=n_boot,
                                                                     level=level, seed=seed)
            else:
                # scipy's exact p is O(n_a · n_b): asymptotic beyond 500 × 500 models (as accurate there)
                res = stats.ks_2samp(ea, eb, method="auto" if ea.size * eb.size <= 250_000 else "asymp")
                ks, p = float(res.statistic), float(res.pvalue)
                med_a, med_b = float(np.median(ea)), float(np.median(eb))
                lo, hi = (float(x) for x in np.quantile(boots[b] - boots[a], [alpha / 2, 1 - alpha / 2]))
            rows.append({"a": a, "b": b, "n_a": int(ea.size), "n_b": int(eb.size), "ks": ks, "p_value": p,
                         "median_a": med_a, "median_b": med_b, "median_diff": med_b - med_a, "diff_lo": lo,
                         "diff_hi": hi, "bins": int(bins), "reason": reason})
    p_adj = holm([r["p_value"] for r in rows])
    family = int(np.isfinite(p_adj).sum())
    for r, pa in zip(rows, p_adj):
        r["p_adjusted"] = float(pa)
        better, differ, medians = decide(r["a"], r["b"], pa, r["diff_lo"], r["diff_hi"], alpha)
        r["better"] = better
        r["verdict"] = verdict_text(r["a"], r["b"], better=better, differ=differ, medians=medians, p=r["p_value"],
                                    p_adj=pa, family=family, n_a=r["n_a"], n_b=r["n_b"], level=level,
                                    reason=r.pop("reason"))
    return pd.DataFrame(rows, columns=PAIR_COLUMNS)


def differing_pairs(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`pairwise_comparisons` whose verdict names a better space (adjusted p and interval)."""
    if table is None or table.empty:
        return table
    return table[table["better"] != ""]


def bin_of(values, edges) -> np.ndarray:
    from netspace.platform.analysis.normalized import bin_index

    return bin_index(values, edges)
