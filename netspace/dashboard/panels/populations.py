"""Error EDFs (plain and normalized, bootstrap bands, KS) and error vs complexity."""

from __future__ import annotations

import streamlit as st

from netspace.dashboard import charts, data, tables
from netspace.dashboard.view import View


def edfs(v: View) -> None:
    st.header("Error EDFs")
    sp = tuple(v.spaces)
    label = charts.COMPLEXITY_LABELS[v.metric]
    c1, c2 = st.columns(2)
    with c1:
        st.altair_chart(charts.edf_chart(data.curves(v.url, v.campaign, sp, None, v.bands, v.ver),
                                         "error EDF", v.colors, v.refs), width="stretch")
    with c2:
        st.altair_chart(charts.edf_chart(data.curves(v.url, v.campaign, sp, v.metric, v.bands, v.ver, v.device),
                                         f"normalized EDF (same {label} distribution per space)", v.colors, v.refs),
                        width="stretch")
    summ = data.summary(v.url, v.campaign, sp, v.metric, v.ver, v.device)
    per_space = ", ".join(f"{s} {n}" for s, n in zip(summ["space"], summ["n"]))
    st.caption(f"EDFs of {int(summ['n'].sum())} completed models ({per_space}) · KS: D = sup|F − F_{sp[0]}| against the first space ({sp[0]}); normalized: "
               f"models weighted so every space has the same {label} distribution"
               + (" · shaded: 95 % bootstrap bands" if v.bands else "")
               + (f" · runtime measured on {v.device} (table and normalized EDF: its trials only)" if v.device else ""))
    tables.show(summ)


def complexity(v: View) -> str | None:
    """The scatter; returns 'space:number' of a clicked point (the drill-down), else None."""
    st.header("Error vs complexity")
    event = st.altair_chart(charts.complexity_chart(v.by_metric, v.metric, v.colors, v.refs), width="stretch",
                            on_select="rerun", selection_mode=charts.PICK, key="scatter_chart")
    return picked(event)


def picked(event) -> str | None:
    try:
        points = event.selection.get(charts.PICK) or []
    except AttributeError:
        return None
    if not points or "space" not in points[0] or "number" not in points[0]:
        return None
    return f"{points[0]['space']}#{int(points[0]['number'])}"
