"""Links to a campaign and a trial: ``?campaign=NAME&trial=space%23number`` (``space#number``, the id every
command prints; ``space:number`` works too; the open
tab is ``&tab=Trials``, kept by the tabs themselves). Read once when a session starts, written back as the page
changes, so the address bar always links to what is shown."""

from __future__ import annotations

import streamlit as st

SEEDED = "_links_seeded"
TRIAL = "_link_trial"  # the trial the page shows (the Overview's drill-down or the Trials tab's first selection)


def trial_key(text: str | None) -> str | None:
    """``space#number`` from a link's ``space#number`` or ``space:number``; None when it is not one."""
    if not text:
        return None
    space, sep, number = text.replace(":", "#").rpartition("#")
    return f"{space}#{int(number)}" if sep and space and number.strip().isdigit() else None


def seed(campaigns: list[str]) -> None:
    """At a session's first run: open the linked campaign and trial."""
    if st.session_state.get(SEEDED):
        return
    st.session_state[SEEDED] = True
    q = st.query_params
    if q.get("campaign") in campaigns:
        st.session_state["campaign"] = q["campaign"]
    key = trial_key(q.get("trial"))
    if key:
        st.session_state["trial"] = key
        st.session_state[TRIAL] = key


def show_trial(key: str | None) -> None:
    if key:
        st.session_state[TRIAL] = key


def forget_trial() -> None:
    """Another campaign: its trials are others."""
    for k in ("trial", TRIAL):
        st.session_state.pop(k, None)
    if "trial" in st.query_params:
        del st.query_params["trial"]


def publish(campaign: str) -> None:
    if st.query_params.get("campaign") != campaign:
        st.query_params["campaign"] = campaign
    key = st.session_state.get(TRIAL)
    if key and st.query_params.get("trial") != key:
        st.query_params["trial"] = key
