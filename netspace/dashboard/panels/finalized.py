"""Finalized networks: the runs of ``netspace finalize`` (study ``NAME::final``) per source network and epoch count —
runs done / planned, mean ± std top-1 error over seeds, the low-epoch error the network was chosen with — and the
figure ``netspace promote`` ranks each network by. Shown only once a campaign was finalized."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from netspace.dashboard import data, tables
from netspace.dashboard.view import View
from netspace.platform.analysis.finalized import promote_pick


def runs_text(row) -> str:
    """``3 / 3``, ``1 / 3 · 1 running · 1 failed``: finished runs of the planned ones, and those in flight or lost."""
    extra = [f"{int(row[k])} {k}" for k in ("running", "failed") if int(row[k])]
    return " · ".join([f"{int(row['done'])} / {int(row['planned'])}", *extra])


def promote_text(row) -> str:
    n = int(row["done"])
    return f"✓ mean of {n} seed{'s' if n != 1 else ''} at {int(row['epochs'])} epochs" if row["promote"] else ""


def table(summary: pd.DataFrame) -> pd.DataFrame:
    """The rows as the panel shows them."""
    out = pd.DataFrame({
        "network": summary["source"], "epochs": summary["epochs"].astype(int),
        "runs": [runs_text(r) for _, r in summary.iterrows()],
        "mean_err": summary["mean_err"], "std_err": summary["std_err"], "search_err": summary["search_err"],
        "flops": summary["flops"], "params": summary["params"],
        "promote": [promote_text(r) for _, r in summary.iterrows()]})
    return out.reset_index(drop=True)


def render(v: View) -> None:
    summary = data.finalized(v.url, v.campaign, v.ver)
    if summary.empty:
        return
    st.header("Finalized networks")
    done, planned = int(summary["done"].sum()), int(summary["planned"].sum())
    running = int(summary["running"].sum())
    st.caption(f"`netspace finalize`: {done} of {planned} planned runs finished"
               f"{f', {running} running' if running else ''} · each network retrained from scratch per epoch count "
               "and seed · mean ± sample std of the top-1 error over its finished runs · search error: the low-epoch "
               "error it was chosen with")
    tables.show(table(summary), key="finalized_table", widths={"promote": "medium"}, column_config_extra={
        "network": st.column_config.TextColumn("network"),
        "runs": st.column_config.TextColumn("runs done / planned"),
        "mean_err": st.column_config.NumberColumn("mean top-1 error (%)", format="%.2f"),
        "std_err": st.column_config.NumberColumn("± std (%)", format="%.2f"),
        "search_err": st.column_config.NumberColumn("search error (%)", format="%.2f"),
        "promote": st.column_config.TextColumn("promote ranks by")})
    pick = promote_pick(summary)
    if pick is None:
        st.caption("promote: no final run has finished yet, so it still ranks networks by their search error")
        return
    n = int(pick["done"])
    st.caption(f"promote ranks a finalized network by its mean error at the longest epoch count with a finished run "
               f"(✓), and chooses among the finalized networks only · its pick now: **{pick['source']}**, "
               f"{pick['mean_err']:.2f} ± {pick['std_err']:.2f} % (mean of {n} seed{'s' if n != 1 else ''} at "
               f"{int(pick['epochs'])} epochs)")
