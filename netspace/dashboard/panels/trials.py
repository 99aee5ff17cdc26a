"""Trials: every trial of the chosen spaces in one table (sort by any column, filter by outcome, error and
complexity; the measured runtime is a column, with the device when trials ran on several); select rows to overlay
their learning curves and to compare up to three configs side by side."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from netspace.dashboard import charts, data, links, tables
from netspace.dashboard.panels import inputs
from netspace.dashboard.panels.best import stages_text
from netspace.dashboard.view import View
from netspace.platform.reporting import style
from netspace.platform.reporting.style import DEVICE, RUNTIME

MAX_CURVES = 10
MAX_SIDE_BY_SIDE = 3
OUTCOMES = ["finished", "running", "failed", "rejected", "waiting"]


def table(v: View) -> pd.DataFrame:
    """The trials of the chosen spaces (every state), one row each, in the columns the table shows."""
    df = data.trials(v.url, v.campaign, v.ver)
    df = df[df["space"].isin(v.spaces or v.all_spaces)]
    params = [c for c in df.columns if c.startswith("param_")]
    runtime = [RUNTIME] + ([DEVICE] if len(data.devices(df)) > 1 else [])  # the device only when it varies
    out = df[["space", "number", "outcome", "error", "flops", "params", "acts", *runtime, *params]].copy()
    start = pd.to_datetime(df["datetime_start"], errors="coerce")
    out["started"] = start
    out["minutes"] = (pd.to_datetime(df["datetime_complete"], errors="coerce") - start).dt.total_seconds() / 60
    out.insert(0, "trial", [f"{s}#{int(n)}" for s, n in zip(out["space"], out["number"])])
    out = inputs.with_data_wait(v, df, out)  # data-wait fraction and the input-bound flag, when reported
    return out.rename(columns={p: p[len("param_"):] for p in params}).reset_index(drop=True)


def filtered(rows: pd.DataFrame, outcomes: list[str], max_error: float | None,
             flops: tuple[float, float] | None) -> pd.DataFrame:
    keep = rows["outcome"].isin(outcomes)
    if max_error is not None:
        keep &= ~(rows["error"] > max_error)  # trials without an error (running, failed) stay
    if flops is not None:
        mf = rows["flops"] / 1e6
        keep &= mf.isna() | mf.between(*flops)
    return rows[keep].reset_index(drop=True)


def render(v: View) -> None:
    st.header("All trials")
    rows = table(v)
    present = [o for o in OUTCOMES if o in set(rows["outcome"])]
    c1, c2, c3 = st.columns([2, 2, 2])
    outcomes = c1.multiselect("outcome", present, default=[o for o in present if o != "rejected"],
                              key="trials_outcome", persist_state="page")
    err = rows["error"].dropna()
    max_error = None
    if len(err) > 1 and err.max() > err.min():
        max_error = c2.slider("error at most (%)", float(err.min()), float(err.max()), float(err.max()),
                              key="trials_error", persist_state="page")
    mf = (rows["flops"] / 1e6).dropna()
    flops = None
    if len(mf) > 1 and mf.max() > mf.min():
        flops = c3.slider("FLOPs (MF)", float(mf.min()), float(mf.max()), (float(mf.min()), float(mf.max())),
                          key="trials_flops", persist_state="page")
    shown = filtered(rows, outcomes, max_error, flops)
    linked = st.session_state.get(links.TRIAL)
    default = [i for i in shown.index[shown["trial"] == linked]] if linked else []
    st.caption(f"{len(shown)} of {len(rows)} trials · click a column header to sort · select rows (left edge) to "
               f"overlay their learning curves and compare up to {MAX_SIDE_BY_SIDE} side by side")
    event = tables.show(shown, on_select="rerun", selection_mode="multi-row", key="trials_table",
                        selection_default={"selection": {"rows": default}} if default else None,
                        column_config_extra={"started": st.column_config.DatetimeColumn("started", format="HH:mm:ss"),
                                             "minutes": st.column_config.NumberColumn("minutes", format="%.1f")})
    picked = [int(i) for i in (getattr(getattr(event, "selection", None), "rows", None) or []) if int(i) < len(shown)]
    if not picked:
        st.info("Select trials in the table to overlay their learning curves and compare their configs.")
        return
    sel = shown.iloc[picked]
    links.show_trial(str(sel["trial"].iloc[0]))
    curves(v, sel.head(MAX_CURVES))
    side_by_side(v, sel.head(MAX_SIDE_BY_SIDE))
    if len(sel) > MAX_CURVES:
        st.caption(f"learning curves of the first {MAX_CURVES} selected trials")


def curves(v: View, sel: pd.DataFrame) -> None:
    st.subheader("Learning curves")
    parts = []
    for s, n in zip(sel["space"], sel["number"]):
        c = data.learning_curve(v.url, v.campaign, s, int(n), v.ver)
        if not c.empty:
            parts.append(c.assign(space=s, trial=f"{s}#{int(n)}"))
    if not parts:
        st.write("no per-epoch reports stored for the selected trials")
        return
    st.altair_chart(charts.curves_chart(pd.concat(parts, ignore_index=True), v.colors), width="stretch")


def side_by_side(v: View, sel: pd.DataFrame) -> None:
    st.subheader("Side by side")
    cfgs = data.configs(v.url, tuple(int(t) for t in _trial_ids(v, sel)))
    cols = {}
    for tid, (_, r) in zip(_trial_ids(v, sel), sel.iterrows()):
        cfg = cfgs.get(int(tid))
        entry = {"outcome": r["outcome"], "top-1 error": style.fmt_pct(r["error"]), "FLOPs": style.fmt_flops(r["flops"]),
                 "params": style.fmt_params(r["params"]), "activations": style.fmt_params(r["acts"]),
                 "stages": stages_text(r["space"], cfg)}
        if isinstance(cfg, dict):
            entry.update({k: style.fmt_value(val) for k, val in cfg.items()})
        cols[str(r["trial"])] = entry
    table = pd.DataFrame(cols).fillna("–")
    st.dataframe(table.rename_axis(""), width="stretch", height=35 * (len(table) + 1) + 3)
    st.caption(f"the first {MAX_SIDE_BY_SIDE} selected trials, one column each")


def _trial_ids(v: View, sel: pd.DataFrame) -> list[int]:
    df = data.trials(v.url, v.campaign, v.ver)
    ids = df.set_index(["space", "number"])["trial_id"]
    return [int(ids.loc[(s, int(n))]) for s, n in zip(sel["space"], sel["number"])]
