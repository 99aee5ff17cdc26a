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
from netspace.platform.analysis.normalized import DEFAULT_BINS, complexity_edges, normalized_weights_in_range
from netspace.platform.analysis.trends import binned_trend


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


def space_weights(df: pd.DataFrame, complexity: str = "flops", n_bins: int = DEFAULT_BINS, *,
                  range: tuple[float, float] | None = None, log: bool = False, warn: bool = True) -> np.ndarray:
    """Normalized-EDF weights of every row, as the authors compute them: ``n_bins`` linear (or ``log``) bins
    over a fixed complexity ``range`` (default: the pooled min..max), shared by all spaces in ``df``. Rows
    outside the range get weight 0; an :class:`EmptyBinWarning` names spaces missing from occupied bins."""
    c = pd.to_numeric(df[complexity], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    edges = complexity_edges(c, n_bins, range=range, log=log)
    return normalized_weights_in_range(c, df["space"].to_numpy(), edges, warn=warn, what=complexity)


def edf_curves(df: pd.DataFrame, spaces=None, grid=None, points: int = 300, normalize: str | None = None,
               bands: bool = False, n_boot: int = 200, level: float = 0.95, seed: int = 0, n_bins: int = DEFAULT_BINS,
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


def summary_table(df: pd.DataFrame, spaces=None, complexity: str | None = "flops", n_bins: int = DEFAULT_BINS,
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
PAIR_COLUMNS = ["a", "b", "n_a", "n_b", "ks", "p_value", "median_a", "median_b", "median_diff", "diff_lo", "diff_hi",
                "better", "verdict"]


def pairwise_comparisons(df: pd.DataFrame, spaces=None, *, normalize: str | None = None, n_boot: int = 1000,
                         seed: int = 0, alpha: float = 0.05, n_bins: int = DEFAULT_BINS,
                         range: tuple[float, float] | None = None, log_bins: bool = False) -> pd.DataFrame:
    """One row per pair of spaces (a listed before b): KS distance D with its p-value, the medians, the median
    difference b − a with a bootstrap ``1 − alpha`` interval, and a plain verdict.

    Unweighted EDFs: the exact/asymptotic two-sample KS p-value of :func:`scipy.stats.ks_2samp`. Normalized EDFs
    (``normalize`` names a complexity column): a permutation test of the weighted D (space labels permuted
    ``n_boot`` times, weights recomputed on the fixed bins each time), p = (1 + #{D* >= D}) / (1 + n_boot).
    ``better`` is the space with the lower median when p < alpha, else empty; the verdict reads
    "B better than A, p = 0.001" or "no detectable difference at n = 16".
    """
    from scipy import stats

    from netspace.platform.analysis.bootstrap import median_diff_interval

    done = split_references(finished(df))[0]
    spaces = space_order(done, spaces)
    sub = done[done["space"].isin(spaces)]
    e_all = sub["error"].to_numpy(dtype=float)
    g_all = sub["space"].to_numpy()
    edges = None
    if normalize:
        c_all = pd.to_numeric(sub[normalize], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        edges = complexity_edges(c_all, n_bins, range=range, log=log_bins)
        normalized_weights_in_range(c_all, g_all, edges, what=normalize)  # EmptyBinWarning where spaces differ
    rows = []
    for i, a in enumerate(spaces):
        for b in spaces[i + 1:]:
            ma, mb = g_all == a, g_all == b
            ea, eb = e_all[ma], e_all[mb]
            if normalize:
                m = ma | mb
                ks, p = weighted_ks_permutation(e_all[m], c_all[m], mb[m], edges, n_perm=n_boot, seed=seed)
            else:
                res = stats.ks_2samp(ea, eb)
                ks, p = float(res.statistic), float(res.pvalue)
            med_a, med_b = float(np.median(ea)), float(np.median(eb))
            lo, hi = median_diff_interval(ea, eb, n_boot=n_boot, level=1 - alpha, seed=seed)
            better = (b if med_b < med_a else a) if p < alpha and med_a != med_b else ""
            rows.append({"a": a, "b": b, "n_a": int(ea.size), "n_b": int(eb.size), "ks": ks, "p_value": p,
                         "median_a": med_a, "median_b": med_b, "median_diff": med_b - med_a, "diff_lo": lo,
                         "diff_hi": hi, "better": better, "verdict": verdict(a, b, better, p, ea.size, eb.size)})
    return pd.DataFrame(rows, columns=PAIR_COLUMNS)


def format_p(p: float) -> str:
    if not np.isfinite(p):
        return "p = n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def verdict(a: str, b: str, better: str, p: float, n_a: int, n_b: int) -> str:
    if better:
        worse = a if better == b else b
        return f"{better} better than {worse}, {format_p(p)}"
    n = f"n = {n_a}" if n_a == n_b else f"n = {n_a}/{n_b}"
    return f"no detectable difference at {n} ({format_p(p)})"


def weighted_ks_permutation(errors, complexity, is_b, edges, *, n_perm: int = 1000, seed: int = 0,
                            max_draws: int = 20_000_000) -> tuple[float, float]:
    """KS distance of the normalized (weighted) EDFs of two groups and its permutation p-value.

    Under the null both groups are draws of one population, so the group labels are exchangeable: permute them,
    recompute every model's normalized weight on the fixed ``edges`` and the weighted D. Vectorised over
    permutations (the pooled models are sorted once by error; ties in error share one EDF step).
    """
    e = np.asarray(errors, dtype=float)
    c = np.asarray(complexity, dtype=float)
    lab = np.asarray(is_b, dtype=bool)
    keep = np.isfinite(e)
    e, c, lab = e[keep], c[keep], lab[keep]
    n, nb = e.size, len(edges) - 1
    if lab.sum() == 0 or (~lab).sum() == 0:
        return float("nan"), float("nan")
    order = np.argsort(e, kind="stable")
    e, c, lab = e[order], c[order], lab[order]
    inside = np.isfinite(c) & (c >= edges[0]) & (c <= edges[-1])
    b = np.where(inside, bin_of(c, edges), nb)  # bin nb collects models outside the range (weight 0)
    last = np.r_[e[1:] != e[:-1], True]  # EDF evaluated after the last of each run of equal errors

    def cdf(members: np.ndarray) -> np.ndarray:  # (k, n) bool -> cumulative normalized weight, rows sum to 1
        k = members.shape[0]
        key = np.arange(k)[:, None] * (nb + 1) + b[None, :]
        counts = np.bincount(key[members], minlength=k * (nb + 1)).reshape(k, nb + 1)
        counts[:, nb] = 0  # outside the range: no weight
        occupied = np.maximum((counts > 0).sum(axis=1), 1)
        per = np.take_along_axis(counts, np.broadcast_to(b, (k, n)), axis=1)
        w = np.where(members & (per > 0), 1.0 / np.maximum(per, 1), 0.0) / occupied[:, None]
        return np.cumsum(w, axis=1)

    def d_of(labels: np.ndarray) -> np.ndarray:  # labels: (k, n) bool, True = group b -> D per row
        return np.max(np.abs(cdf(labels) - cdf(~labels))[:, last], axis=1)

    d_obs = float(d_of(lab[None, :])[0])
    rng = np.random.default_rng(seed)
    chunk = max(1, min(n_perm, max_draws // max(n, 1)))
    ge, done = 0, 0
    while done < n_perm:
        k = min(chunk, n_perm - done)
        perms = np.argsort(rng.random((k, n)), axis=1)
        ge += int((d_of(lab[perms]) >= d_obs - 1e-12).sum())
        done += k
    return d_obs, (1 + ge) / (1 + n_perm)


def bin_of(values, edges) -> np.ndarray:
    from netspace.platform.analysis.normalized import bin_index

    return bin_index(values, edges)
