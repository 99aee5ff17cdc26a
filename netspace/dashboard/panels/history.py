"""History: every finished trial's error by start time with each space's best-so-far line (clickable)."""

from __future__ import annotations

import streamlit as st

from netspace.dashboard import charts
from netspace.dashboard.panels.populations import picked
from netspace.dashboard.view import View


def render(v: View) -> str | None:
    st.header("History")
    event = st.altair_chart(charts.history_chart(v.done, v.colors), width="stretch", on_select="rerun",
                            selection_mode=charts.PICK, key="history_chart")
    return picked(event)
