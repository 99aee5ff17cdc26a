"""One trial in depth: error and complexity, config, architecture (stages, per-block widths with their
quantized linear fit), learning curve per epoch and its MLflow run."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from netspace.dashboard import charts, data, links, util
from netspace.dashboard.architecture import architecture
from netspace.dashboard.view import View
from netspace.platform.reporting import style


def key_of(row) -> str:
    return f"{row['space']}#{int(row['number'])}"


def choose(v: View, top: pd.DataFrame, clicks: dict[str, str | None]) -> pd.Series | None:
    """The trial to show: a newly clicked point or row (``clicks``: source -> 'space:number'), else the one
    chosen in the selector (default: the best)."""
    keys = [key_of(r) for _, r in top.iterrows()]
    seen = st.session_state.setdefault("_seen_clicks", {})
    for source, clicked in clicks.items():
        if clicked and clicked != seen.get(source):
            st.session_state["trial"] = clicked
        seen[source] = clicked
    errs = {key_of(r): r["error"] for _, r in top.iterrows()}
    current = st.session_state.get("trial")
    if current and current not in keys:
        extra = _row(v, current)
        if extra is not None:
            keys.append(current)
            errs[current] = extra["error"]
    if not keys:
        return None
    if current not in keys:
        st.session_state["trial"] = keys[0]
    choice = util.selectbox(st, "trial (or click a point in the charts above, or a row of the table)", keys,
                            key="trial", persist_state="page", format_func=lambda k: f"{k}  ({style.fmt_pct(errs.get(k))})")
    links.show_trial(choice)
    return _row(v, choice)


def _row(v: View, key: str) -> pd.Series | None:
    space, _, number = key.rpartition("#")
    try:
        hit = v.done[(v.done["space"] == space) & (v.done["number"] == int(number))]
    except ValueError:
        return None
    return None if hit.empty else hit.iloc[0]


def render(v: View, row: pd.Series) -> dict | None:
    """Shows the trial; returns its config."""
    st.subheader(f"Trial {row['space']}#{int(row['number'])}")
    attrs = data.trial_attrs(v.url, int(row["trial_id"]))
    config, took = attrs["config"], attrs["train_time_s"]
    st.write(f"top-1 error **{style.fmt_pct(row['error'])}** · {style.fmt_flops(row['flops'])} · "
             f"{style.fmt_params(row['params'])} params · {style.fmt_params(row['acts'])} activations"
             + (f" · trained in {float(took):.0f} s" if isinstance(took, (int, float)) else ""))
    a, b = st.columns([2, 3])
    arch = architecture(row["space"], config)
    with a:
        st.caption("config")
        st.code(style.fmt_config(config, sep="\n") or "(no config stored)", language=None)
        if arch is not None:
            st.caption("stages")
            st.dataframe(arch.stages, hide_index=True, width="stretch")
            if arch.fit is not None:
                f = arch.fit
                st.caption(f"quantized linear fit: w0 = {f.w0:.0f}, wa = {f.wa:.2f}, wm = {f.wm:.3f} · "
                           f"e_fit = {f.e_fit:.4f}")
    with b:
        curve = data.learning_curve(v.url, v.campaign, row["space"], int(row["number"]), v.ver)
        if curve.empty:
            st.write("no per-epoch reports stored for this trial")
        else:
            st.caption("learning curve: validation top-1 error after each epoch")
            st.altair_chart(charts.learning_curve_chart(curve, v.colors.get(row["space"], charts.NEUTRAL)), width="stretch")
        if arch is not None:
            st.caption("per-block widths w_j (log scale) and their quantized linear fit")
            st.altair_chart(charts.width_chart(arch.block_widths, list(arch.fit.widths) if arch.fit else None,
                                               v.colors.get(row["space"], charts.NEUTRAL)),
                            width="stretch")
        else:
            st.write("no per-stage description for this design space")
    mlflow_link(v, attrs["mlflow_run_id"])
    return config


def mlflow_link(v: View, run: str | None) -> None:
    uri, exp = data.tracking(v.attrs)
    if not run:
        st.caption("no MLflow run recorded for this trial")
        return
    if uri and uri.startswith(("http://", "https://")) and exp:
        st.markdown(f"MLflow run: [{run}]({uri.rstrip('/')}/#/experiments/{exp}/runs/{run})")
    else:
        where = f"`mlflow ui --backend-store-uri {uri}`" if uri else "the campaign's MLflow tracking store"
        st.caption(f"MLflow run `{run}` (experiment {exp or '?'}) — open it with {where}")
