"""Promote a trial to the MLflow model registry from the page — only when the server was started with
``netspace dashboard --enable-promote`` (which sets NETSPACE_DASHBOARD_PROMOTE=1). Every promotion is confirmed
first; a promotion that would move the alias to a worse model is refused by ``promote()`` and needs a second,
explicit confirmation (``force``)."""

from __future__ import annotations

import inspect
import os
from typing import Any

import streamlit as st

from netspace.dashboard.util import promote_fn
from netspace.dashboard.view import View
from netspace.platform.reporting import style
from netspace.platform.storage.urls import mask_secrets

ENV = "NETSPACE_DASHBOARD_PROMOTE"


def enabled() -> bool:
    return os.environ.get(ENV) == "1"


def call(fn, url: str, campaign: str, trial: str, force: bool):
    """``promote(campaign, storage_url=..., trial=..., force=...)``, by keyword whatever the parameter order."""
    params = inspect.signature(fn).parameters
    kwargs: dict[str, Any] = {"storage_url": url, "campaign": campaign}
    kwargs["trial" if "trial" in params else "trial_number"] = trial
    if "force" in params:
        kwargs["force"] = force
    elif force:
        raise RuntimeError("this build's promote() cannot force a promotion")
    return fn(**kwargs)


def describe(model) -> str:
    for attr in ("description", "describe", "line"):
        d = getattr(model, attr, None)
        d = d() if callable(d) else d
        if isinstance(d, str) and d:
            return d
    alias = f", alias {model.alias}" if getattr(model, "alias", None) else ""
    return (f"{getattr(model, 'name', 'model')} version {getattr(model, 'version', '?')}{alias} ← "
            f"{getattr(model, 'space', '?')}#{getattr(model, 'trial_number', '?')} "
            f"({style.fmt_pct(getattr(model, 'top1_err', None))})")


def render(v: View, key: str, error: float) -> None:
    st.subheader("Promote")
    if not enabled():
        st.caption("Promotion to the MLflow model registry is off in this dashboard: start it with "
                   "`netspace dashboard --enable-promote` to promote from here, or run "
                   f"`netspace promote {v.campaign} --trial {key}`.")
        return
    fn = promote_fn()
    if fn is None:
        st.caption("Promotion needs `netspace.platform.tracking.promote` (not installed in this build).")
        return
    state = st.session_state.setdefault("_promote_state", {})
    if state.get("trial") != key:
        state.clear()
        state["trial"] = key
    # callbacks run before the page re-renders, so each click shows its outcome at once
    st.button(f"Promote {key} to the model registry…", key="promote", on_click=_stage, args=(state, "confirm"))
    if state.get("stage") == "confirm":
        st.warning(f"Register {key} ({style.fmt_pct(error)}) in the model registry of campaign {v.campaign} and "
                   "point its alias at it?")
        c1, c2 = st.columns([1, 5])
        c1.button("Confirm", key="promote_confirm", type="primary", on_click=_run, args=(v, key, state, False))
        c2.button("Cancel", key="promote_cancel", on_click=_stage, args=(state, None))
    if state.get("stage") == "refused":
        st.error(state["message"])
        sure = st.checkbox("I understand: move the alias to this model although it is worse", key="promote_sure")
        st.button("Promote anyway", key="promote_force", disabled=not sure, on_click=_run, args=(v, key, state, True))
    for line in state.get("done", []):
        st.success(line)
    if state.get("stage") == "failed":
        st.error(state["message"])


def _stage(state: dict, stage: str | None) -> None:
    state["stage"] = stage


def _run(v: View, key: str, state: dict, force: bool) -> None:
    from netspace.platform.tracking.promote import PromotionError

    try:
        models = call(promote_fn(), v.url, v.campaign, key, force)
        state["done"] = [describe(m) for m in (models if isinstance(models, (list, tuple)) else [models])]
        state["stage"] = "done"
    except PromotionError as exc:  # e.g. the alias would move to a worse model: a second confirmation
        state["message"] = mask_secrets(" ".join(str(exc).split()))
        refusal = "force" in state["message"].lower() or "worse" in state["message"].lower()
        state["stage"] = "refused" if refusal and not force else "failed"
    except Exception as exc:  # shown, never raised: one line, credentials masked
        state["message"] = mask_secrets(" ".join(str(exc).split())) or type(exc).__name__
        state["stage"] = "failed"
