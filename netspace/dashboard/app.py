"""netspace dashboard — ``streamlit run netspace/dashboard/app.py -- --storage URL`` (or ``netspace dashboard``).

The page outline: sidebar (campaign, spaces, complexity measure), then — all inside one fragment that re-reads
the storage every few seconds while the campaign runs — progress, error EDFs, comparisons, error vs complexity,
parameters (trends, importance, parallel coordinates), history, best networks, the chosen trial, promote, refine.
"""

from __future__ import annotations

import streamlit as st

from netspace.dashboard import charts, data, view
from netspace.dashboard.panels import (
    best,
    compare,
    history,
    parameters,
    populations,
    progress,
    promote,
    refine,
    trial,
)
from netspace.errors import NetspaceError
from netspace.platform.storage.urls import mask_secrets

REFRESH_S = 3

st.set_page_config(page_title="netspace", layout="wide")
url = data.storage_url()

# ------------------------------------------------------------------------------------------------ sidebar
st.sidebar.title("netspace")
st.sidebar.caption(f"storage: `{mask_secrets(url)}`")
try:
    names = data.campaigns(url)
except NetspaceError as exc:
    st.error(mask_secrets(exc))
    st.stop()
if not names:
    st.info(f"No campaigns in {mask_secrets(url)} yet — start one with `netspace run campaign.yaml`.")
    st.stop()
campaign = st.sidebar.selectbox("campaign", names, key="campaign")
if st.sidebar.button("reload data"):
    data.clear()
counts, _ = data.status(url, campaign)
attrs = data.study_attrs(url, campaign, data.version(counts))
all_spaces = sorted(set(counts.index) | set(attrs))
chosen = st.sidebar.multiselect("design spaces", all_spaces, default=all_spaces, key="spaces")
metric = st.sidebar.selectbox("complexity", ["flops", "params", "acts"], key="metric",
                              format_func=charts.complexity_title)
bands = st.sidebar.checkbox("bootstrap bands (95%)", value=True, key="bands")
live = view.is_live(counts, attrs) and not st.sidebar.checkbox("pause live refresh", key="pause")
refresh = REFRESH_S if live else None

st.title(f"Campaign {campaign}")


@st.fragment(run_every=refresh)
def page() -> None:
    v = view.load(url, campaign, chosen, metric, bands)
    if live and not v.live:  # the campaign just finished: one full rerun turns the refresh off
        st.rerun()
    progress.render(v, refresh)
    if v.done.empty or not v.spaces:
        st.info("No completed trials yet." if v.done.empty else "None of the chosen design spaces has completed trials yet.")
        return
    populations.edfs(v)

    compare.render(v.done, v.campaign, v.attrs)

    scatter_click = populations.complexity(v)
    parameters.render(v)
    history_click = history.render(v)
    top, row_click = best.render(v)
    row = trial.choose(v, top, {"scatter": scatter_click, "history": history_click, "table": row_click})
    if row is not None:
        trial.render(v, row)
        promote.render(v, trial.key_of(row), float(row["error"]))

    refine.render(v.done, v.campaign, v.attrs)


page()
