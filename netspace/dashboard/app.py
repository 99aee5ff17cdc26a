"""netspace dashboard — ``streamlit run netspace/dashboard/app.py -- --storage URL`` (or ``netspace dashboard``).

The page outline: sidebar (campaign, spaces, complexity measure: FLOPs, params, acts or measured runtime, with the device
when trials ran on several); the title with the summary strip (winning
space and its verdict, best network, done / target and ETA); then five tabs — Overview (progress, error EDFs,
error vs complexity, history, best networks, the chosen trial, promote), Compare (pairwise comparisons; the best models across regimes when the campaign samples a space in several),
Parameters (trends, importance, parallel coordinates), Trials (every trial: filter, sort, overlay learning
curves, compare configs side by side) and Refine. Only the open tab is computed (``NETSPACE_DASHBOARD_EAGER=1``
computes all of them on every run, as the page did before it had tabs). All of it lives in one fragment that
re-reads the storage every few seconds while the campaign runs — or until a campaign exists at all.

Links: ``?campaign=NAME&tab=Trials&trial=space:number`` open a campaign, a tab and a trial.
"""

from __future__ import annotations

import os

import streamlit as st

from netspace.dashboard import charts, data, links, util, view
from netspace.dashboard.panels import (
    best,
    compare,
    finalized,
    history,
    inputs,
    parameters,
    populations,
    progress,
    promote,
    refine,
    strip,
    trial,
    trials,
    zoo,
)
from netspace.errors import NetspaceError
from netspace.platform.storage.urls import mask_secrets

REFRESH_S = 3
TABS = ["Overview", "Compare", "Parameters", "Trials", "Refine"]
EAGER = os.environ.get("NETSPACE_DASHBOARD_EAGER") == "1"

st.set_page_config(page_title="netspace", layout="wide")
url = data.storage_url()

# ------------------------------------------------------------------------------------------------ sidebar
st.sidebar.title("netspace")
st.sidebar.caption(f"storage: `{mask_secrets(url)}`")


@st.fragment(run_every=REFRESH_S)
def wait_for_campaigns(problem: str) -> None:
    """Nothing to show yet (no storage, no campaign, or the storage unreachable): ask again every few seconds and
    open the page as soon as a campaign exists."""
    data.campaigns.clear()
    try:
        found = data.campaigns(url)
    except NetspaceError:
        found = []
    if found:
        st.rerun()
    st.info(problem)
    st.caption(f"checking again every {REFRESH_S} s")


try:
    names = data.campaigns(url)
except NetspaceError as exc:
    st.error(mask_secrets(exc))
    wait_for_campaigns("The storage cannot be read yet — this page keeps trying.")
    st.stop()
if not names:
    wait_for_campaigns(f"No campaigns in {mask_secrets(url)} yet — start one with `netspace run campaign.yaml`; "
                       "it appears here by itself.")
    st.stop()
links.seed(names)
campaign = util.selectbox(st.sidebar, "campaign", names, key="campaign", on_change=links.forget_trial)
if st.sidebar.button("reload data"):
    data.clear()
counts, _ = data.status(url, campaign)
attrs = data.study_attrs(url, campaign, data.version(counts))
all_spaces = sorted(set(counts.index) | set(attrs))
chosen = st.sidebar.multiselect("design spaces", all_spaces, default=all_spaces, key="spaces")
measured_on = data.devices(data.completed(url, campaign, data.version(counts)))  # runtime: a column like FLOPs
metric = util.selectbox(st.sidebar, "complexity", ["flops", "params", "acts"] + (["inference_ms"] if measured_on else []),
                        key="metric", format_func=charts.complexity_title)
device = (util.selectbox(st.sidebar, "runtime measured on", measured_on, key="device")
          if metric == "inference_ms" and len(measured_on) > 1 else None)
bands = st.sidebar.checkbox("bootstrap bands (95%)", value=True, key="bands")
live = view.is_live(counts, attrs) and not st.sidebar.checkbox("pause live refresh", key="pause")
refresh = REFRESH_S if live else None

st.title(f"Campaign {campaign}")


def overview(v: view.View) -> None:
    populations.edfs(v)
    scatter_click = populations.complexity(v)
    history_click = history.render(v)
    finalized.render(v)  # netspace finalize's runs, when the campaign was finalized
    top, row_click = best.render(v)
    row = trial.choose(v, top, {"scatter": scatter_click, "history": history_click, "table": row_click})
    if row is not None:
        trial.render(v, row)
        promote.render(v, trial.key_of(row), float(row["error"]))


def comparisons(v: view.View) -> None:
    compare.render(v.done, v.campaign, v.attrs)
    zoo.render(v)  # only when the campaign samples a space in several regimes


SECTIONS = {
    "Overview": overview,
    "Compare": comparisons,
    "Parameters": parameters.render,
    "Trials": trials.render,
    "Refine": lambda v: refine.render(v.done, v.campaign, v.attrs),
}


@st.fragment(run_every=refresh)
def page() -> None:
    v = view.load(url, campaign, chosen, metric, bands, device)
    if live and not v.live:  # the campaign just finished: one full rerun turns the refresh off
        st.rerun()
    strip_box = st.container()  # filled last: the open tab's first charts reach the browser before the verdict
    tabs = st.tabs(TABS, key="tab") if EAGER else st.tabs(TABS, key="tab", bind="query-params", on_change="rerun")
    for name, tab in zip(TABS, tabs):
        if tab.open is False:  # lazy: only the open tab is computed
            continue
        with tab:
            if name == "Overview":
                progress.render(v, refresh)
                inputs.render(v)  # input-bound trials, in one line
            if v.done.empty or not v.spaces:
                st.info("No completed trials yet." if v.done.empty
                        else "None of the chosen design spaces has completed trials yet.")
                continue
            SECTIONS[name](v)
    with strip_box:
        strip.render(v)
    links.publish(campaign)


page()
parameters.preload()
