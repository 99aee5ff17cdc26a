"""netspace dashboard — ``streamlit run netspace/dashboard/app.py -- --storage URL`` (or ``netspace dashboard``).

Sections: live progress (auto-refreshing fragment), error EDFs with bootstrap bands and KS, error vs
complexity, parameter trends, best networks with their architecture and a Promote button.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from netspace.dashboard import charts, data
from netspace.dashboard.architecture import architecture
from netspace.dashboard.util import fmt_count, promote_fn
from netspace.errors import NetspaceError
from netspace.platform import analysis as an
from netspace.platform.storage.urls import mask_secrets

REFRESH_S = 3


st.set_page_config(page_title="netspace", layout="wide")
url = data.storage_url()

# ------------------------------------------------------------------------------------------------ sidebar
st.sidebar.title("netspace")
st.sidebar.caption(f"storage: `{mask_secrets(url)}`")
try:
    names = data.campaigns(url)
except NetspaceError as exc:
    st.error(mask_secrets(exc))
    st.stop()
if not names:
    st.info(f"No campaigns in {mask_secrets(url)} yet — start one with `netspace run campaign.yaml`.")
    st.stop()
campaign = st.sidebar.selectbox("campaign", names, key="campaign")
if st.sidebar.button("reload data"):
    data.clear()
done_all = data.completed(url, campaign)
all_spaces = list(dict.fromkeys(data.trials(url, campaign)["space"]))
spaces = st.sidebar.multiselect("design spaces", all_spaces, default=all_spaces, key="spaces")
spaces = spaces or all_spaces
metric = st.sidebar.selectbox("complexity", ["flops", "params", "acts"], key="metric",
                              format_func=lambda m: charts.COMPLEXITY_LABELS[m])
bands = st.sidebar.checkbox("bootstrap bands (95%)", value=True, key="bands")
done = done_all[done_all["space"].isin(spaces)]

st.title(f"Campaign {campaign}")


# ------------------------------------------------------------------------------------------------ progress
@st.fragment(run_every=REFRESH_S)
def progress_section(url: str, campaign: str) -> None:
    st.header("Progress")
    counts, running = data.status(url, campaign)
    total = counts.drop(columns=["REJECTED"], errors="ignore").to_numpy().sum()
    best = data.best(url, campaign)
    cols = st.columns(5)
    cols[0].metric("trials", int(total))
    cols[1].metric("complete", int(counts["COMPLETE"].sum()))
    cols[2].metric("running", int(counts["RUNNING"].sum()))
    cols[3].metric("failed", int(counts["FAIL"].sum()))
    cols[4].metric("best error (%)", "–" if np.isnan(best) else f"{best:.2f}")
    left, right = st.columns([2, 3])
    with left:
        st.caption("trials per space and state (REJECTED: constraint/regime rejections, never trained)"
                   if "REJECTED" in counts.columns else "trials per space and state")
        st.dataframe(counts, width="stretch")
    with right:
        st.caption(f"running trials (latest epoch report; refreshes every {REFRESH_S} s)")
        if running.empty:
            st.write("no trial is running")
        else:
            st.dataframe(running, width="stretch", hide_index=True)


progress_section(url, campaign)

if done.empty:
    st.info("No completed trials yet.")
    st.stop()

# ------------------------------------------------------------------------------------------------ EDFs
st.header("Error EDFs")
sp = tuple(s for s in spaces if s in set(done["space"]))
if not sp:
    st.info("None of the chosen design spaces has completed trials yet.")
    st.stop()
c1, c2 = st.columns(2)
with c1:
    st.altair_chart(charts.edf_chart(data.curves(url, campaign, sp, None, bands), "error EDF"), width="stretch")
with c2:
    st.altair_chart(charts.edf_chart(data.curves(url, campaign, sp, metric, bands),
                                     f"normalized EDF ({charts.COMPLEXITY_LABELS[metric]})"), width="stretch")
summ = data.summary(url, campaign, sp, metric)
st.caption(f"KS statistic D = sup|F − F_{sp[0]}| against the first space ({sp[0]}); normalized: weighted by "
           f"{charts.COMPLEXITY_LABELS[metric]} bins")
st.dataframe(summ.rename(columns={"min_error": "min error (%)", "median_error": "median error (%)",
                                  "ks_vs_first": "KS vs first", "ks_normalized_vs_first": "KS normalized"}),
             hide_index=True, width="stretch")

# ------------------------------------------------------------------------------------------------ complexity
st.header("Error vs complexity")
st.altair_chart(charts.complexity_chart(done, metric), width="stretch")

# ------------------------------------------------------------------------------------------------ trends
st.header("Parameter trends")
trend_space = st.selectbox("design space", sp, key="trend_space")
sub = done[done["space"] == trend_space]
params = an.param_columns(sub)
if params:
    st.altair_chart(charts.trends_chart(sub, params), width="content")
else:
    st.write("no numeric parameters")

# ------------------------------------------------------------------------------------------------ best networks
st.header("Best networks")
k = st.slider("top k", 1, 50, 10, key="top_k")
top = done.nsmallest(k, "error").copy()
cfgs = data.configs(url, tuple(int(t) for t in top["trial_id"]))
top["config"] = [cfgs.get(int(t)) for t in top["trial_id"]]
table = top[["space", "number", "error", "flops", "params", "acts"]].copy()
table["config"] = top["config"].map(lambda c: ", ".join(f"{a}={b}" for a, b in c.items()) if isinstance(c, dict) else "")
st.dataframe(table, hide_index=True, width="stretch")

labels = [f"{r.space}:{r.number}  ({r.error:.2f}%)" for r in top.itertuples()]
choice = st.selectbox("network", range(len(labels)), format_func=lambda i: labels[i], key="network")
row = top.iloc[choice]
a, b = st.columns([2, 3])
with a:
    st.subheader(f"{row['space']} trial {int(row['number'])}")
    st.write(f"top-1 error **{row['error']:.2f}%** · {fmt_count(row['flops'])} FLOPs · "
             f"{fmt_count(row['params'])} params · {fmt_count(row['acts'])} acts")
    arch = architecture(row["space"], row["config"])
    if arch is not None:
        st.dataframe(arch.stages, hide_index=True, width="stretch")
        if arch.fit is not None:
            f = arch.fit
            st.caption(f"quantized linear fit: w0={f.w0:.0f}, wa={f.wa:.2f}, wm={f.wm:.3f} · e_fit = {f.e_fit:.4f}")
    st.json(row["config"] if isinstance(row["config"], dict) else {}, expanded=False)
with b:
    if arch is not None:
        st.altair_chart(charts.width_chart(arch.block_widths, list(arch.fit.widths) if arch.fit else None),
                        width="stretch")
    else:
        st.write("no per-stage description for this design space")

promote = promote_fn()
if promote is None:
    st.button("Promote", disabled=True, key="promote")
    st.caption("Promotion needs `netspace.platform.tracking.promote` (not installed in this build).")
elif st.button(f"Promote {row['space']}:{int(row['number'])} to the model registry", key="promote"):
    try:
        with st.spinner("registering…"):
            result = promote(url, campaign, trial_number=f"{row['space']}:{int(row['number'])}")
        for m in result if isinstance(result, (list, tuple)) else [result]:
            name, version = getattr(m, "name", "model"), getattr(m, "version", "?")
            st.success(f"registered {name} version {version}" + (f" (alias {m.alias})" if getattr(m, "alias", None) else ""))
    except Exception as exc:  # shown, never raised: one line, credentials masked
        st.error(mask_secrets(" ".join(str(exc).split())) or type(exc).__name__)
