"""Cached storage queries of the dashboard (st.cache_data keyed by storage URL and campaign)."""

from __future__ import annotations

import sys

import pandas as pd
import streamlit as st

from netspace.platform import analysis as an
from netspace.platform.storage.results import best_error, list_campaigns, live_status, load_trials, trial_user_attr
from netspace.platform.storage.urls import default_storage

TRIALS_TTL_S = 30
STATUS_TTL_S = 2
DASHBOARD_ATTRS = ["flops", "params", "acts", "status", "rejected"]


def storage_url(argv: list[str] | None = None) -> str:
    """``--storage URL`` after the script's ``--`` (``streamlit run app.py -- --storage URL``), else
    $NETSPACE_STORAGE, else sqlite:///netspace.db."""
    argv = sys.argv[1:] if argv is None else argv
    for i, a in enumerate(argv):
        if a == "--storage" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--storage="):
            return a.split("=", 1)[1]
    return default_storage()


@st.cache_data(ttl=10, show_spinner=False)
def campaigns(url: str) -> list[str]:
    return list_campaigns(url)


# trials tables are cached as shared objects (cache_resource: no pickling of 10k rows of dicts on every
# rerun); callers treat them as read-only.
@st.cache_resource(ttl=TRIALS_TTL_S, show_spinner="reading trials…")
def trials(url: str, campaign: str) -> pd.DataFrame:
    """Every trial with its params, error and complexity (configs are read per network: :func:`configs`)."""
    return load_trials(url, campaign, attrs=DASHBOARD_ATTRS, intermediate=False)


@st.cache_data(ttl=TRIALS_TTL_S, show_spinner=False)
def configs(url: str, trial_ids: tuple[int, ...]) -> dict[int, object]:
    return trial_user_attr(url, trial_ids, "config")


@st.cache_resource(ttl=TRIALS_TTL_S, show_spinner=False)
def completed(url: str, campaign: str) -> pd.DataFrame:
    return an.finished(trials(url, campaign)).reset_index(drop=True)


@st.cache_data(ttl=STATUS_TTL_S, show_spinner=False)
def status(url: str, campaign: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    return live_status(url, campaign)


@st.cache_data(ttl=STATUS_TTL_S, show_spinner=False)
def best(url: str, campaign: str) -> float:
    return best_error(url, campaign)


@st.cache_data(ttl=TRIALS_TTL_S, show_spinner=False)
def curves(url: str, campaign: str, spaces: tuple[str, ...], normalize: str | None, bands: bool) -> pd.DataFrame:
    return an.edf_curves(completed(url, campaign), list(spaces), normalize=normalize, bands=bands, n_boot=200)


@st.cache_data(ttl=TRIALS_TTL_S, show_spinner=False)
def summary(url: str, campaign: str, spaces: tuple[str, ...], complexity: str) -> pd.DataFrame:
    return an.summary_table(completed(url, campaign), list(spaces), complexity=complexity)


def clear() -> None:
    for fn in (campaigns, trials, completed, status, best, curves, summary, configs):
        fn.clear()
