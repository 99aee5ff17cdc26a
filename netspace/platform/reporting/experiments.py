"""Figures and report sections of the paper's remaining experiments: the complexity (runtime) fits and the best
models across regimes. The numbers come from the pure functions in :mod:`netspace.platform.analysis.runtime` and
:mod:`~netspace.platform.analysis.zoo`; :func:`experiments_section` is their part of ``netspace report``."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netspace.platform.analysis.runtime import DEVICE, RUNTIME, complexity_fits
from netspace.platform.analysis.zoo import ZOO_PARAMS, best_across_regimes
from netspace.platform.reporting import style
from netspace.platform.reporting.figures import SavedFigure, figure_html, log_axis, save

#: best models per regime shown in the report's zoo view
ZOO_K = 3


def plot_complexity_fits(trials: pd.DataFrame, path=None):
    """acts vs FLOPs and runtime vs FLOPs and vs acts (log-log; the runtime panels only when trials recorded their
    runtime), points per device with their fitted power laws (:func:`complexity_fits`). Returns the matplotlib figure (saved to ``path`` when given)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from netspace.platform.reporting.style import PALETTE

    df = trials
    if "outcome" in df.columns:
        df = df[df["outcome"] == "finished"]
    fits = complexity_fits(trials)
    timed = RUNTIME in df.columns and pd.to_numeric(df[RUNTIME], errors="coerce").gt(0).any()
    panels = [("flops", "acts"), ("flops", RUNTIME), ("acts", RUNTIME)] if timed else [("flops", "acts")]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.5 * len(panels), 3.2), squeeze=False)
    devices = sorted(df[DEVICE].dropna().astype(str).unique()) if DEVICE in df.columns else []
    for ax, (x, y) in zip(axes.flat, panels):
        ax.set_xlabel(style.COMPLEXITY_NAMES.get(x, x))
        ax.set_ylabel("inference ms" if y == RUNTIME else style.COMPLEXITY_NAMES.get(y, y))
        if x not in df.columns or y not in df.columns:
            continue
        groups = [("any", df)] if y != RUNTIME or not devices else [(d, df[df[DEVICE] == d]) for d in devices]
        for i, (device, g) in enumerate(groups):
            color = PALETTE[i % len(PALETTE)]
            xv, yv = pd.to_numeric(g[x], errors="coerce"), pd.to_numeric(g[y], errors="coerce")
            ax.scatter(xv, yv, s=8, color=color, alpha=0.6, label=None if device == "any" else device)
            row = fits[(fits["device"] == device) & (fits["y"] == y) & (fits["x"] == x)]
            if len(row):
                r = row.iloc[0]
                grid = np.geomspace(float(xv[xv > 0].min()), float(xv.max()), 50)
                ax.plot(grid, r["coef"] * grid ** r["exponents"][0], color=color,
                        label=f"∝ {x}^{r['exponents'][0]:.2f} (R² {r['r2']:.2f})")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
        if ax.has_data():
            log_axis(ax, "x")
            log_axis(ax, "y", style.fmt_ms_tick if y == RUNTIME else style.fmt_tick)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig


def plot_best_across_regimes(table: pd.DataFrame, path=None, params=ZOO_PARAMS):
    """One panel per parameter (d, w0, wa, wm, g, b, e_fit) against FLOPs (log x), a line per group, points for
    every row of :func:`best_across_regimes` (rank 1 larger). Returns the matplotlib figure (saved to ``path``
    when given)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from netspace.platform.reporting.style import PALETTE

    shown = [p for p in params if p in table.columns and table[p].notna().any()] or list(params)
    ncols = min(4, len(shown))
    nrows = math.ceil(len(shown) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.6 * nrows), squeeze=False)
    for i, (group, g) in enumerate(table.groupby("group", sort=False)):
        color = PALETTE[i % len(PALETTE)]
        top = g[g["rank"] == 1].sort_values("flops")
        for ax, p in zip(axes.flat, shown):
            ax.scatter(g["flops"], g[p], s=np.where(g["rank"] == 1, 28, 10), color=color, alpha=0.8)
            ax.plot(top["flops"], top[p], color=color, label=str(group))
    for ax, p in zip(axes.flat, shown):
        ax.set_xlabel("FLOPs")
        ax.set_title(p)
        if ax.has_data():
            log_axis(ax, "x")
            if p in ("w0", "wa") and (pd.to_numeric(table[p], errors="coerce") > 0).any():
                log_axis(ax, "y", lambda v: f"{v:g}")
    for ax in list(axes.flat)[len(shown):]:
        ax.axis("off")
    if table["group"].nunique() > 1:
        axes.flat[0].legend(fontsize=7)
    fig.suptitle("best models across regimes")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig



# -- the report's section --------------------------------------------------------------------------------------------
def _fit_text(row) -> str:
    names = {"flops": "FLOPs", "acts": "acts", RUNTIME: "runtime"}
    xs = [names.get(x, x) for x in str(row["x"]).split(" + ")]
    terms = " · ".join(f"{x}<sup>{k:.2f}</sup>" for x, k in zip(xs, row["exponents"]))
    return f"{names.get(row['y'], row['y'])} ∝ {terms}"


def fits_html(fits: pd.DataFrame) -> str:
    rows = "\n".join(f"<tr><td>{html.escape(str(r['device']))}</td><td>{_fit_text(r)}</td>"
                     f"<td>{r['coef']:.3g}</td><td>{r['r2']:.2f}</td><td>{int(r['n'])}</td></tr>"
                     for _, r in fits.iterrows())
    return ('<table class="t fits">\n<tr><th>device</th><th>power law</th><th>coefficient</th><th>R² (logs)</th>'
            f"<th>n</th></tr>\n{rows}\n</table>")


def regime_groups(attrs: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """study label -> group (its ``regime_of``) for the groups sampled in at least two regimes."""
    of = {label: str(a["regime_of"]) for label, a in (attrs or {}).items() if a.get("regime_of")}
    counts = pd.Series(list(of.values()), dtype=object).value_counts()
    return {label: g for label, g in of.items() if counts.get(g, 0) >= 2}


def zoo_table_html(table: pd.DataFrame) -> str:
    show = pd.DataFrame({
        "group": table["group"], "regime": table["regime"], "rank": table["rank"], "trial": table["number"],
        "top-1 error (%)": table["error"].map("{:.2f}".format), "FLOPs": table["flops"].map(style.fmt_tick),
        **({"runtime": table[RUNTIME].map(style.fmt_ms)} if table[RUNTIME].notna().any() else {}),
        "d": table["d"].map(lambda v: "" if pd.isna(v) else f"{v:.0f}"),
        "w0": table["w0"].map(lambda v: "" if pd.isna(v) else f"{v:.0f}"),
        "wa": table["wa"].map(lambda v: "" if pd.isna(v) else f"{v:.1f}"),
        "wm": table["wm"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}"),
        "g": table["g"].map(lambda v: "" if pd.isna(v) else f"{v:g}"),
        "b": table["b"].map(lambda v: "" if pd.isna(v) else f"{v:g}"),
        "e_fit": table["e_fit"].map(lambda v: "" if pd.isna(v) else f"{v:.3f}"),
    })
    return show.to_html(index=False, border=0, classes="t zoo")


def experiments_section(done: pd.DataFrame, attrs: Mapping[str, Mapping[str, Any]], out: Path) -> tuple[str, list[SavedFigure]]:
    """The report's complexity section (acts vs FLOPs, and runtime vs FLOPs and acts per device, as power laws
    with their exponents) and, when the campaign samples a space in several regimes, the best models across the
    regimes (figure and table). Returns the HTML, figures inline, and the figures (their PDFs are in ``out``)."""
    parts: list[str] = []
    figs: list[SavedFigure] = []
    fits = complexity_fits(done) if not done.empty else pd.DataFrame()
    if len(fits):
        fig = save(plot_complexity_fits(done), out / "complexity_fits.pdf", "Complexity: activations and runtime")
        figs.append(fig)
        timed = RUNTIME in done.columns and pd.to_numeric(done[RUNTIME], errors="coerce").notna().any()
        parts.append(
            "<h2>Complexity: activations and runtime</h2>\n<p>Power laws fitted by least squares on logarithms "
            "(y ≈ c · x<sup>k</sup>), as in the RegNet paper: activations against FLOPs over all finished networks "
            "(the paper finds k ≈ 0.5 among the best), and the measured inference time (median ms of a fixed batch, "
            "on the training device, in the training dtype) against FLOPs, activations and both; runtime fits are "
            "per device.</p>\n" + fits_html(fits)
            + ("" if timed else "\n<p>No trial recorded its runtime, so only activations are fitted.</p>")
            + "\n" + figure_html(fig))
    groups = regime_groups(attrs)
    if groups and not done.empty:
        table = best_across_regimes(done[done["space"].isin(groups)], k=ZOO_K, groups=groups)
        if len(table):
            fig = save(plot_best_across_regimes(table), out / "best_across_regimes.pdf", "Best models across regimes")
            figs.append(fig)
            parts.append(
                f"<h2>Best models across regimes</h2>\n<p>The best {ZOO_K} finished networks of every regime, by "
                "the space each entry samples across its <code>regimes:</code>, with the RegNet parameters d, w0, wa, "
                "wm, g, b (from the quantized linear fit of the block widths for other spaces) and e_fit, that fit's "
                "error; lines join the best of each regime. <code>netspace zoo export NAME --out zoo.yaml</code> "
                "writes the best of each regime as presets.</p>\n" + figure_html(fig) + "\n" + zoo_table_html(table))
    return "\n".join(parts), figs
