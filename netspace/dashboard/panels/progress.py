"""Progress: trials per space and state, running trials with their latest epoch report."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from netspace.dashboard import data, tables
from netspace.dashboard.view import View
from netspace.platform.reporting import style


def render(v: View, refresh_s: float | None) -> None:
    st.header("Progress")
    counts, running = v.counts, v.running
    total = counts.drop(columns=["REJECTED"], errors="ignore").to_numpy().sum()
    best = data.best(v.url, v.campaign)
    cols = st.columns(5)
    cols[0].metric("trials", int(total))
    cols[1].metric("complete", int(counts["COMPLETE"].sum()))
    cols[2].metric("running", int(counts["RUNNING"].sum()))
    cols[3].metric("failed", int(counts["FAIL"].sum()))
    cols[4].metric("best error", style.fmt_pct(best))
    state = (f"live: every section refreshes every {refresh_s:g} s" if refresh_s
             else "finished: nothing re-read until you press 'reload data'")
    st.caption(state)
    left, right = st.columns([2, 3])
    with left:
        st.caption("trials per space and state (REJECTED: constraint/regime rejections, never trained)"
                   if "REJECTED" in counts.columns else "trials per space and state")
        st.dataframe(counts.rename_axis("design space"), width="stretch")
    with right:
        st.caption("running trials (latest epoch report)")
        if running.empty:
            st.write("no trial is running")
        else:
            shown = running.drop(columns=["started", "epochs"])
            for col in shown.columns[2:]:  # a trial that has not reported an epoch yet: empty cells
                shown[col] = pd.to_numeric(shown[col], errors="coerce")
            shown["epoch"] = [f"{int(e)} / {int(n)}" if pd.notna(e) and pd.notna(n) else None
                              for e, n in zip(running["epoch"], running["epochs"])]
            tables.show(shown)
