"""Best networks: the top-k completed trials with their complexity and config (click a row to open it)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from netspace.dashboard import data, tables
from netspace.dashboard.view import View
from netspace.platform.analysis import style


def top_k(v: View, k: int) -> pd.DataFrame:
    top = v.done.nsmallest(k, "error").copy()
    cfgs = data.configs(v.url, tuple(int(t) for t in top["trial_id"]))
    top["config"] = [cfgs.get(int(t)) for t in top["trial_id"]]
    return top


def render(v: View) -> tuple[pd.DataFrame, str | None]:
    """Returns the top-k table and 'space:number' of a selected row (None when no row is selected)."""
    st.header("Best networks")
    k = st.slider("top k", 1, 50, 10, key="top_k")
    top = top_k(v, k)
    st.caption(f"the {len(top)} lowest-error of {len(v.done)} completed networks "
               f"({', '.join(v.spaces)}) · select a row to open it below")
    longest = max((len(style.fmt_config(c)) for c in top["config"]), default=10)
    event = tables.show(top[["space", "number", "error", "flops", "params", "config"]], on_select="rerun",
                        selection_mode="single-row", key="best_table",
                        widths={"space": "small", "number": "small", "error": "small", "flops": "small",
                                "params": "small", "config": max(300, int(7.4 * longest))})
    rows = getattr(getattr(event, "selection", None), "rows", None) or []
    pick = None
    if rows and rows[0] < len(top):
        r = top.iloc[rows[0]]
        pick = f"{r['space']}:{int(r['number'])}"
    return top, pick
