"""Best networks: the top-k completed trials with their complexity and config (click a row to open it)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from netspace.dashboard import data, tables
from netspace.dashboard.architecture import architecture
from netspace.dashboard.view import View
from netspace.platform.reporting import style


def top_k(v: View, k: int) -> pd.DataFrame:
    top = v.done.nsmallest(k, "error").copy()
    cfgs = data.configs(v.url, tuple(int(t) for t in top["trial_id"]))
    top["config"] = [cfgs.get(int(t)) for t in top["trial_id"]]
    top["stages"] = [stages_text(s, c) for s, c in zip(top["space"], top["config"])]
    return top


def stages_text(space: str, config) -> str:
    """The network in one short line: blocks × width per stage (``2×256 · 8×672``), else its config."""
    arch = architecture(space, config, fit=False)
    if arch is None:
        return style.fmt_config(config)
    return " · ".join(f"{d}×{w}" for d, w in zip(arch.stages["depth"], arch.stages["width"]))


def render(v: View) -> tuple[pd.DataFrame, str | None]:
    """Returns the top-k table and 'space:number' of a selected row (None when no row is selected)."""
    st.header("Best networks")
    k = st.slider("top k", 1, 50, 10, key="top_k", persist_state="page")
    top = top_k(v, k)
    st.caption(f"the {len(top)} lowest-error of {len(v.done)} completed networks "
               f"({', '.join(v.spaces)}) · stages: blocks × width per stage · select a row to open it below")
    event = tables.show(top[["space", "number", "error", "flops", "params", "acts", "stages"]], on_select="rerun",
                        selection_mode="single-row", key="best_table", widths={"stages": "large"})
    rows = getattr(getattr(event, "selection", None), "rows", None) or []
    pick = None
    if rows and rows[0] < len(top):
        r = top.iloc[rows[0]]
        pick = f"{r['space']}#{int(r['number'])}"
    return top, pick
