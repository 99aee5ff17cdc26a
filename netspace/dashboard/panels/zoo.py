"""Best models across regimes (RegNet paper, Sec. 5): shown when the campaign samples a space in several regimes
(``regimes:`` on an entry, study attr ``regime_of``): d, w0, wa, wm, g, b and e_fit of the best k per regime against
FLOPs, and the table (:func:`netspace.platform.analysis.zoo.best_across_regimes`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from netspace.dashboard import charts, data, tables
from netspace.dashboard.view import View
from netspace.platform.analysis.zoo import ZOO_PARAMS, best_across_regimes


def regime_groups(attrs: dict[str, dict]) -> dict[str, str]:
    """study label -> its group, for the groups sampled in at least two regimes."""
    of = {label: str(a["regime_of"]) for label, a in attrs.items() if a.get("regime_of")}
    sizes = pd.Series(list(of.values()), dtype=object).value_counts()
    return {label: g for label, g in of.items() if sizes.get(g, 0) >= 2}


def table(v: View, k: int) -> pd.DataFrame:
    groups = regime_groups(v.attrs)
    done = v.done[v.done["space"].isin(groups)]
    top = done.sort_values(["error", "number"]).groupby("space", sort=False).head(k)  # configs of these only
    cfgs = data.configs(v.url, tuple(int(t) for t in top["trial_id"]))
    top = top.assign(config=[cfgs.get(int(t)) for t in top["trial_id"]])
    return best_across_regimes(top, k=k, groups=groups)


def render(v: View) -> None:
    if not regime_groups(v.attrs):
        return
    st.header("Best models across regimes")
    k = st.slider("best k per regime", 1, 10, 3, key="zoo_k", persist_state="page")
    t = table(v, k)
    if t.empty:
        st.info("No finished trials in the regimes yet.")
        return
    params = [p for p in ZOO_PARAMS if t[p].notna().any()]
    st.altair_chart(charts.zoo_chart(t, params), width="content")
    st.caption(f"the best {k} finished network(s) of every regime, by group (the space an entry samples across its "
               "`regimes:`); large points and the line: the best of each regime. d, w0, wa, wm, g, b: the RegNet "
               "parameters (from the quantized linear fit of the block widths for other spaces); e_fit: that fit's "
               "error. `netspace zoo export NAME --out zoo.yaml` writes the best of each regime as presets.")
    cols = ["group", "regime", "rank", "number", "error", "flops", "params", "acts", "inference_ms", *ZOO_PARAMS]
    shown = t[[c for c in cols if c in t.columns and (c != "inference_ms" or t[c].notna().any())]]
    tables.show(shown, key="zoo_table")
