"""Figures of the paper's remaining experiments: the complexity (runtime) fits and the best models across regimes.
The numbers come from the pure functions in :mod:`netspace.platform.analysis.runtime` and
:mod:`~netspace.platform.analysis.zoo`."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from netspace.platform.analysis.runtime import DEVICE, RUNTIME, complexity_fits
from netspace.platform.analysis.zoo import ZOO_PARAMS


def plot_complexity_fits(trials: pd.DataFrame, path=None):
    """acts vs FLOPs and runtime vs FLOPs and vs acts (log-log), points per device with their fitted power laws
    (:func:`complexity_fits`). Returns the matplotlib figure (saved to ``path`` when given)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from netspace.platform.reporting.style import PALETTE

    df = trials
    if "outcome" in df.columns:
        df = df[df["outcome"] == "finished"]
    fits = complexity_fits(trials)
    panels = [("flops", "acts"), ("flops", RUNTIME), ("acts", RUNTIME)]
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.2), squeeze=False)
    devices = sorted(df[DEVICE].dropna().astype(str).unique()) if DEVICE in df.columns else []
    for ax, (x, y) in zip(axes.flat, panels):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(x)
        ax.set_ylabel("inference ms" if y == RUNTIME else y)
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
        ax.set_xscale("log")
        ax.set_xlabel("FLOPs")
        ax.set_title(p)
        if p in ("w0", "wa"):
            ax.set_yscale("log")
    for ax in list(axes.flat)[len(shown):]:
        ax.axis("off")
    if table["group"].nunique() > 1:
        axes.flat[0].legend(fontsize=7)
    fig.suptitle("best models across regimes")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig

