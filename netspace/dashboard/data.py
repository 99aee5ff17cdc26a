"""Cached storage queries of the dashboard (keyed by storage URL, campaign and a data ``version``).

``status`` is the cheap poll (two small queries, a few seconds' TTL); its per-space/state counts are the
``version`` of the heavier reads, so those are re-read exactly when a trial changed state and are otherwise
served from the cache — a finished campaign is read once.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pandas as pd
import streamlit as st

from netspace.platform import analysis as an
from netspace.platform.reporting.style import DEVICE, RUNTIME
from netspace.platform.storage import results
from netspace.platform.storage.urls import default_storage, mask_secrets

STATUS_TTL_S = 2
DATA_TTL_S = 3600
DASHBOARD_ATTRS = ["flops", "params", "acts", "status", "rejected", "data_wait", "inference_ms",
                   "device_name"]  # the rest: per trial (trial_attrs)
TRIAL_ATTRS = ("config", "mlflow_run_id", "train_time_s")


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
    return [row["campaign"] for row in results.list_campaigns(url)]


@st.cache_data(ttl=STATUS_TTL_S, show_spinner=False)
def status(url: str, campaign: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    return results.live_status(url, campaign)


def version(counts: pd.DataFrame) -> str:
    """A key that changes whenever a trial is added or changes state."""
    return counts.sort_index().sort_index(axis=1).to_json()


@st.cache_data(ttl=STATUS_TTL_S, show_spinner=False)
def best(url: str, campaign: str) -> float:
    return results.best_error(url, campaign)


# trials tables are cached as shared objects (cache_resource: no pickling of 10k rows on every rerun); callers
# treat them as read-only.
@st.cache_resource(ttl=DATA_TTL_S, max_entries=4, show_spinner="reading trials…")
def trials(url: str, campaign: str, ver: str = "") -> pd.DataFrame:
    """Every trial with its params, error and complexity (configs are read per network: :func:`configs`)."""
    return results.load_trials(url, campaign, attrs=DASHBOARD_ATTRS, intermediate=False)


@st.cache_resource(ttl=DATA_TTL_S, max_entries=4, show_spinner=False)
def completed(url: str, campaign: str, ver: str = "") -> pd.DataFrame:
    return an.finished(trials(url, campaign, ver)).reset_index(drop=True)


@st.cache_data(ttl=DATA_TTL_S, show_spinner=False)
def study_attrs(url: str, campaign: str, ver: str = "") -> dict[str, dict]:
    return results.study_attrs(url, campaign)


@st.cache_data(ttl=DATA_TTL_S, max_entries=64, show_spinner=False)
def configs(url: str, trial_ids: tuple[int, ...]) -> dict[int, object]:
    return results.trial_user_attr(url, trial_ids, "config")


@st.cache_data(ttl=DATA_TTL_S, max_entries=64, show_spinner=False)
def trial_attrs(url: str, trial_id: int) -> dict[str, Any]:
    """The drill-down's user attrs of one trial (config, MLflow run id, training time; any JSON value, None when
    unset)."""
    return {k: results.trial_user_attr(url, (trial_id,), k).get(int(trial_id)) for k in TRIAL_ATTRS}


@st.cache_data(ttl=DATA_TTL_S, max_entries=64, show_spinner=False)
def learning_curve(url: str, campaign: str, space: str, number: int, ver: str = "") -> pd.DataFrame:
    return results.trial_intermediate_values(url, campaign, space, number)


def devices(done: pd.DataFrame) -> list[str]:
    """The devices that measured the runtime of ``done``'s trials (``device_name`` of trials with ``inference_ms``)."""
    if RUNTIME not in done.columns or DEVICE not in done.columns:
        return []
    measured = done[pd.to_numeric(done[RUNTIME], errors="coerce").notna()]
    return sorted(measured[DEVICE].fillna("unknown").astype(str).unique())


def on_device(done: pd.DataFrame, device: str | None) -> pd.DataFrame:
    """``done``'s trials whose runtime was measured on ``device`` (all of them when None): runtimes of different
    hardware are never mixed in one EDF or comparison."""
    if device is None or DEVICE not in done.columns:
        return done
    return done[done[DEVICE].fillna("unknown").astype(str) == device]


@st.cache_data(ttl=DATA_TTL_S, max_entries=16, show_spinner=False)
def curves(url: str, campaign: str, spaces: tuple[str, ...], normalize: str | None, bands: bool,
           ver: str = "", device: str | None = None) -> pd.DataFrame:
    return an.edf_curves(on_device(completed(url, campaign, ver), device), list(spaces), normalize=normalize,
                         bands=bands, n_boot=200)


@st.cache_data(ttl=DATA_TTL_S, max_entries=16, show_spinner=False)
def summary(url: str, campaign: str, spaces: tuple[str, ...], complexity: str, ver: str = "",
            device: str | None = None) -> pd.DataFrame:
    return an.summary_table(on_device(completed(url, campaign, ver), device), list(spaces), complexity=complexity)


@st.cache_data(ttl=DATA_TTL_S, max_entries=32, show_spinner="computing parameter importance…")
def importance(url: str, campaign: str, space: str, ver: str = "") -> pd.DataFrame | str:
    """Optuna's PED-ANOVA importances of ``space``'s params for the top-1 error (a table), or a one-line reason."""
    from netspace.dashboard.importance import param_importances

    return param_importances(url, f"{campaign}::{space}")


@st.cache_data(ttl=DATA_TTL_S, max_entries=16, show_spinner=False)
def finalized(url: str, campaign: str, ver: str = "") -> pd.DataFrame:
    """The runs of ``netspace finalize`` per network and epoch count (:func:`netspace.platform.analysis.finalized.
    final_summary`); empty when the campaign was never finalized."""
    from netspace.platform.analysis.finalized import final_summary

    runs, plan = results.final_runs(url, campaign)
    return final_summary(runs, list(plan))


def tracking(attrs: dict[str, dict]) -> tuple[str | None, str | None]:
    """(masked MLflow tracking URI from the campaign spec, experiment id) of the campaign's studies."""
    for a in attrs.values():
        spec = a.get("spec")
        try:
            spec = json.loads(spec) if isinstance(spec, str) else spec
            uri = (spec or {}).get("mlflow", {}).get("tracking_uri")
        except (ValueError, AttributeError):
            uri = None
        exp = a.get("mlflow_experiment_id")
        if uri or exp:
            return (mask_secrets(uri) if uri else None), (str(exp) if exp is not None else None)
    return None, None


def clear() -> None:
    for fn in (campaigns, trials, completed, status, best, curves, summary, configs, study_attrs, learning_curve,
               importance, trial_attrs, finalized):
        fn.clear()
