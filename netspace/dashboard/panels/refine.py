"""Dashboard panel: one refinement round of a space (bootstrap good regions, error trends) and its YAML entry.

``render(df, campaign, study_attrs)`` draws with Streamlit; the YAML is shown in ``st.code`` (with a copy button),
ready to paste under ``spaces:`` in the campaign file.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from netspace.platform.analysis import finished, with_features
from netspace.platform.analysis.refine import refine_space, study_entry


@st.cache_data(show_spinner=False, max_entries=16)
def _refine(df: pd.DataFrame, label: str, entry_json: str, taken: tuple, subsample: float):
    import json

    entry = json.loads(entry_json)
    res = refine_space(df, label, subsample=subsample, base=entry["base"], restrict=entry["restrict"],
                       samples=entry["samples"], regime=entry["regime"], taken_labels=taken)
    return res.table, res.yaml, res.notes, res.n


def render(df: pd.DataFrame, campaign: str, study_attrs: dict) -> None:
    import json

    st.header("Refine a space")
    done = finished(df) if len(df) else df
    labels = list(dict.fromkeys(done["space"].tolist())) if len(done) else []
    if not labels:
        st.info("Refinement needs finished trials.")
        return
    c1, c2 = st.columns(2)
    label = c1.selectbox("space", labels, key="refine_space", persist_state="page")
    subsample = c2.slider("random share of the models per bootstrap round", 0.05, 1.0, 0.25, 0.05,
                          key="refine_subsample", persist_state="page")
    entry = study_entry(study_attrs.get(label, {}), label)
    sub = done[done["space"] == label]
    if "config" in sub.columns:  # derived features (total depth, width ratios, ...) as plain numeric columns
        sub = with_features(sub)
    cols = ["space", "error", "state"] + [c for c in sub.columns if c.startswith(("param_", "feature_"))]
    table, yaml_text, notes, n = _refine(sub[cols], label, json.dumps(entry, default=str),
                                         tuple(sorted(study_attrs or labels)), float(subsample))
    st.caption(f"{n} finished models of {label}: per parameter and derived feature, the 95 % bootstrap region of "
               "the best model's value (best of a random share per round) and the error trend, each tested against "
               "populations with the errors shuffled (p adjusted across all of them); a restriction is proposed only "
               "beyond that null and when the models inside the region are better than those outside.")
    st.dataframe(table[["parameter", "kind", "current", "good_lo", "good_hi", "region_p", "direction", "trend_p",
                        "proposed", "n", "evidence"]], hide_index=True, width="stretch")
    for note in notes:
        st.caption(f"note: {note}")
    st.markdown(f"Refined space: paste under `spaces:` in the campaign file of **{campaign}** and run it again.")
    st.code(yaml_text, language="yaml")
