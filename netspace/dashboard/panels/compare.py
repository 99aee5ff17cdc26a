"""Dashboard panel: pairwise comparisons of a campaign's spaces with p-values, intervals and plain verdicts.

``render(df, campaign, study_attrs)`` draws with Streamlit; ``df`` is :func:`netspace.platform.storage.results.load_trials`
of the campaign (finished trials are used), ``study_attrs`` the study user attrs per label.
"""

from __future__ import annotations

import warnings

import pandas as pd
import streamlit as st

from netspace.dashboard import data
from netspace.platform.analysis import EmptyBinWarning, finished, pairwise_comparisons
from netspace.platform.analysis.stratified import default_n_bins
from netspace.platform.reporting.style import COMPLEXITY_NAMES, RUNTIME

#: the EDF choices: plain, or normalized by a complexity column (the measured runtime when trials recorded it)
PLAIN = "plain"


@st.cache_data(show_spinner=False, max_entries=16)
def _compare(df: pd.DataFrame, normalize: str | None, n_bins: int | None, log_bins: bool) -> tuple[pd.DataFrame, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EmptyBinWarning)
        table = pairwise_comparisons(df, normalize=normalize, n_bins=n_bins, log_bins=log_bins)
    return table, [str(w.message) for w in caught if issubclass(w.category, EmptyBinWarning)]


def table(done: pd.DataFrame, normalize: str | None = None, n_bins: int | None = None,
          log_bins: bool = False) -> tuple[pd.DataFrame, list[str]]:
    """The comparisons of ``done``'s spaces (cached per content: the summary strip and this panel share them)."""
    cols = ["space", "error", "state", "reference"] + ([normalize] if normalize else [])
    return _compare(done[[c for c in cols if c in done.columns]], normalize, n_bins, log_bins)


def render(df: pd.DataFrame, campaign: str, study_attrs: dict) -> None:
    st.header("Pairwise comparisons")
    done = finished(df) if len(df) else df
    if done.empty or done["space"].nunique() < 2:
        st.info("Comparisons need finished trials in at least two spaces.")
        return
    c1, c2, c3 = st.columns(3)
    devices = data.devices(done)
    columns = ["flops", "params", "acts"] + ([RUNTIME] if devices else [])
    choices: dict[str, str | None] = {PLAIN: None, **{f"normalized by {'runtime' if c == RUNTIME else c}": c for c in columns}}
    choice = c1.selectbox("EDF", list(choices), key="cmp_normalize", persist_state="page")
    normalize = choices.get(str(choice))
    if normalize == RUNTIME:  # runtimes of different hardware are not comparable: one device at a time
        device = c1.selectbox("runtime measured on", devices, key="cmp_device") if len(devices) > 1 else devices[0]
        done = data.on_device(done, device)
        if done["space"].nunique() < 2:
            st.info(f"Fewer than two spaces have trials whose runtime was measured on {device}.")
            return
    n_bins = int(c2.number_input("complexity bins (0 = adapt to n)", min_value=0, max_value=200, value=0,
                                 key="cmp_bins", persist_state="page", disabled=normalize is None)) or None
    log_bins = c3.checkbox("log bins", value=False, key="cmp_log", persist_state="page", disabled=normalize is None)
    pairs, warns = table(done, normalize, n_bins, log_bins)
    for r in pairs.itertuples(index=False):
        st.markdown(f"**{r.a} vs {r.b}**: {r.verdict} — KS {r.ks:.3f}; median error {r.median_a:.2f} % vs "
                    f"{r.median_b:.2f} % (difference {r.median_diff:+.2f} pp, 95 % CI [{r.diff_lo:+.2f}, {r.diff_hi:+.2f}])")
    show = pairs.rename(columns={"p_value": "p-value", "p_adjusted": "adjusted p", "median_diff": "median b − a", "diff_lo": "CI low",
                                 "diff_hi": "CI high"})
    st.dataframe(show, hide_index=True, width="stretch")
    how = ("two-sample KS test (scipy)" if normalize is None else
           f"KS of normalized EDFs ({n_bins or 'about n/5, at most 40'} {'log' if log_bins else 'linear'} "
           f"{COMPLEXITY_NAMES.get(normalize, normalize)} "
           "bins, pooled where a space leaves one empty), permutation p-value with the labels shuffled within bins; "
           "weighted medians")
    st.caption(f"p-value: {how}; adjusted p: Holm across the pairs; median difference: bootstrap 95 % interval "
               "(1000 resamples); a space is called better only when the adjusted p < 0.05 and the interval "
               "excludes 0.")
    for w in warns:
        st.warning(w)
    if normalize:  # bins a space leaves empty are pooled with their neighbours, or the pair gets no verdict
        want = n_bins or default_n_bins(int(done["space"].value_counts().min()))
        for r in pairs.itertuples(index=False):
            if r.verdict.startswith("no verdict"):
                st.warning(f"{r.a} vs {r.b}: {r.verdict}")
            elif r.bins < want:
                st.warning(f"{r.a} vs {r.b}: {want} {COMPLEXITY_NAMES.get(normalize, normalize)} bins pooled into "
                           f"{r.bins}, so that both spaces "
                           "occupy every bin")
