"""Per design space: what each parameter means, error trends against it, its importance (Optuna PED-ANOVA) and
parallel coordinates of the best models."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from netspace.dashboard import charts, data, util
from netspace.dashboard.view import View
from netspace.platform import analysis as an

AUTO_IMPORTANCE_MAX = 1500  # completed trials up to which importance is computed without asking


_preloading = False


def preload() -> None:
    """Import the design spaces (and torch, which they need for their docs) in a background thread once per
    server, after the first page is out: the Parameters tab then opens without that wait."""
    import sys
    import threading

    global _preloading
    if "netspace.search_spaces.wiring" in sys.modules or _preloading:
        return
    _preloading = True

    def work():
        try:
            from netspace.search_spaces import get_space

            get_space("regnetx")
        except Exception:  # only a head start: glossary() reports nothing worse than before
            pass

    threading.Thread(target=work, name="netspace-preload", daemon=True).start()


@st.cache_data(show_spinner=False)
def glossary(space: str) -> dict[str, str]:
    """param name -> its meaning, from the design space's Param docs."""
    try:
        from netspace.search_spaces import get_space

        return {k: (p.doc or "") for k, p in get_space(space).parameters().items()}
    except Exception:
        return {}


@st.cache_resource(ttl=data.DATA_TTL_S, max_entries=16, show_spinner=False)
def trends(url: str, campaign: str, space: str, ver: str, color: str = charts.NEUTRAL) -> alt.ConcatChart:
    """The trends small multiples of ``space`` (built once per data version: Altair objects are slow to build).
    The spec goes through Altair with the table attached as a DataFrame (a plain ``st.vega_lite_chart`` of
    this concat spec does not paint, and inline values would be schema-validated row by row)."""
    sub = data.completed(url, campaign, ver)
    sub = sub[sub["space"] == space]
    table, spec = charts.trends_chart(sub, an.param_columns(sub), glossary(space), color=color)
    chart = alt.ConcatChart.from_dict(spec, validate=False)
    chart.data = table
    return chart


def render(v: View) -> None:
    st.header("Parameters")
    space = util.selectbox(st, "design space", v.spaces, key="trend_space", persist_state="page")
    sub = v.done[v.done["space"] == space]
    params = an.param_columns(sub)
    docs = glossary(space)
    if not params:
        st.write("no numeric parameters")
        return
    st.subheader("Trends")
    color = v.colors.get(space, charts.NEUTRAL)
    st.caption(f"dots: sampled models of {space} · lines: binned median (solid) and best (dashed) error · numbers: "
               "models per bin · wide-range parameters on log axes (tick labels are real values)")
    st.altair_chart(trends(v.url, v.campaign, space, v.ver, color), width="content")
    derived(v, space, sub)
    left, right = st.columns([2, 3])
    with left:
        st.subheader("Importance")
        importance(v, space, len(sub))
    with right:
        st.subheader("Parallel coordinates")
        st.altair_chart(charts.parallel_chart(sub, params, color=color), width="stretch")
    with st.expander("parameter glossary"):
        names = [c[len("param_"):] for c in params]
        st.dataframe(pd.DataFrame({"parameter": names, "meaning": [docs.get(n, "") for n in names]}),
                     hide_index=True, width="stretch")


def importance(v: View, space: str, n: int) -> None:
    if n > AUTO_IMPORTANCE_MAX and not st.button(f"compute importance ({n} trials)", key="importance_go"):
        st.caption(f"{n} completed trials: computed on request (Optuna reads the whole study)")
        return
    table = data.importance(v.url, v.campaign, space, v.ver)
    if isinstance(table, str):
        st.info(table)
        return
    st.dataframe(table, hide_index=True, width="stretch", key="importance_table", height=35 * (len(table) + 1) + 3,
                 column_config={"param": "parameter",
                                "importance": st.column_config.ProgressColumn("importance", format="%.3f",
                                                                              min_value=0.0, max_value=1.0)})
    st.caption("Optuna's PED-ANOVA evaluator on the completed trials' top-1 error (shares sum to 1)")


def derived(v: View, space: str, sub: pd.DataFrame) -> None:
    """Error trends against the derived quantities of each network (total depth, width ratios, monotone widths /
    depths, spread of b and g: :mod:`netspace.platform.analysis.derived`), from the stored configs."""
    if "trial_id" not in sub.columns or sub.empty:
        return
    if len(sub) > AUTO_IMPORTANCE_MAX and not st.button(f"derived features ({len(sub)} trials)", key="derived_go"):
        return
    ids = [int(t) for t in sub["trial_id"]]
    cfgs = data.configs(v.url, tuple(ids))
    feats = an.derived_frame(pd.Series([cfgs.get(t) for t in ids], index=sub.index))
    cols = an.derived.feature_columns(feats)
    if not cols:
        return
    names = {c: "param_" + c[len(an.derived.PREFIX):] for c in cols}
    frame = pd.concat([sub[["error"]], feats[cols].rename(columns=names)], axis=1)
    st.subheader("Derived features")
    st.caption("per network: total depth, width ratio of consecutive stages, whether widths / depths increase, "
               "spread (max / min) of b and g across stages; `netspace refine` tests the same quantities")
    docs = {n[len("param_"):]: an.derived.feature_doc(n[len("param_"):]) for n in names.values()}
    table, spec = charts.trends_chart(frame, list(names.values()), docs, color=v.colors.get(space, charts.NEUTRAL))
    chart = alt.ConcatChart.from_dict(spec, validate=False)
    chart.data = table
    st.altair_chart(chart, width="content")
