"""The summary strip under the title: the answer first — the winning space with its verdict, the best network,
and done / target with an ETA."""

from __future__ import annotations

import streamlit as st

from netspace.dashboard import data, summary
from netspace.dashboard.panels import compare
from netspace.dashboard.panels.best import stages_text
from netspace.dashboard.view import View
from netspace.platform.analysis import finished
from netspace.platform.reporting import style


def render(v: View) -> None:
    done, target = summary.progress(v.counts, v.attrs)
    trials = data.trials(v.url, v.campaign, v.ver)
    eta = summary.eta_s(trials[trials["state"].isin(summary.FINISHED)], done, target) if v.live else None
    c1, c2, c3 = st.columns([4, 4, 2], border=True)
    with c3:
        st.metric("done / target", f"{done} / {target}" if target else f"{done} / ?")
        st.caption("finished" if not v.live else f"ETA {summary.fmt_duration(eta)}" if target else "target unknown")
    if v.done.empty or not v.spaces:
        c1.metric("winning space", "–")
        c1.caption("no completed trials yet")
        c2.metric("best network", "–")
        return
    pairs, _ = compare.table(finished(v.done))
    w = summary.winner(v.done, pairs)
    assert w is not None  # v.done is not empty
    with c1:
        st.metric("winning space", w.space)
        if w.runner_up is None or w.lo != w.lo:
            st.caption(w.verdict)
        else:
            where = "below" if w.diff >= 0 else "above"
            st.caption(f"{w.verdict} · median error {abs(w.diff):.2f} pp {where} {w.runner_up}'s "
                       f"(difference {w.diff:+.2f} pp, 95 % CI [{w.lo:+.2f}, {w.hi:+.2f}])")
    best = v.done.loc[v.done["error"].idxmin()]
    cfg = data.configs(v.url, (int(best["trial_id"]),)).get(int(best["trial_id"]))
    with c2:
        st.metric("best network", style.fmt_pct(best["error"]))
        st.caption(f"{best['space']}#{int(best['number'])} · {style.fmt_flops(best['flops'])} · "
                   f"stages {stages_text(best['space'], cfg)}")
