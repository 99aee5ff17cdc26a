"""Input-pipeline telemetry: which trials are input-bound (their data-wait fraction of step time above
:data:`~netspace.platform.analysis.telemetry.INPUT_BOUND`), as one short line under the progress and as two columns
of the Trials table. Finished trials carry their mean ``data_wait`` over epochs, running ones their latest epoch's."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from netspace.dashboard import data
from netspace.dashboard.view import View
from netspace.platform.analysis.telemetry import INPUT_BOUND, input_bound

MAX_NAMED = 3
ADVICE = "give trials more `cpus_per_trial` for decoding, or decode on the GPU"


def with_data_wait(v: View, trials: pd.DataFrame, out: pd.DataFrame) -> pd.DataFrame:
    """``out`` (rows of ``trials``, same order) with ``data_wait`` (fraction of step time spent waiting for data;
    a running trial's latest epoch) and ``input_bound`` columns; ``out`` unchanged when no trial carries one."""
    wait = pd.to_numeric(trials.get("data_wait", pd.Series(index=trials.index, dtype=float)), errors="coerce")
    latest = _running_wait(v)
    if len(latest):
        live = pd.Series([latest.get((s, int(n))) for s, n in zip(trials["space"], trials["number"])],
                         index=trials.index, dtype=float)
        wait = live.where(trials["outcome"].eq("running") & live.notna(), wait)
    if wait.notna().sum() == 0:
        return out
    out = out.copy()
    out["data_wait"] = wait.to_numpy()
    out["input_bound"] = input_bound(out).to_numpy()
    return out


def _running_wait(v: View) -> dict[tuple[str, int], float]:
    run = v.running
    if run.empty or "data_wait" not in run.columns:
        return {}
    wait = pd.to_numeric(run["data_wait"], errors="coerce")
    return {(s, int(n)): float(w) for s, n, w in zip(run["space"], run["number"], wait) if pd.notna(w)}


def summary_line(v: View) -> tuple[str, bool] | None:
    """(the line, whether any trial is input-bound); None when no trial of the campaign reported a data wait."""
    trials = data.trials(v.url, v.campaign, v.ver)
    finished = trials[trials["outcome"] == "finished"]
    fin_wait = pd.to_numeric(finished.get("data_wait", pd.Series(dtype=float)), errors="coerce")
    live = _running_wait(v)
    if fin_wait.notna().sum() == 0 and not live:
        return None
    pct = f"{INPUT_BOUND:.0%}"
    bound_live = sorted((k for k, w in live.items() if w > INPUT_BOUND), key=lambda k: -live[k])
    bound_fin = finished[fin_wait.gt(INPUT_BOUND).to_numpy()]
    if not bound_live and bound_fin.empty:
        return f"input pipeline: no trial is input-bound (each waits at most {pct} of its step time for data)", False
    parts = []
    if bound_live:
        parts.append(f"{len(bound_live)} of {len(live)} running")
    if len(bound_fin):
        parts.append(f"{len(bound_fin)} of {int(fin_wait.notna().sum())} finished")
    worst = [f"{s}#{n} ({live[(s, n)]:.0%})" for s, n in bound_live[:MAX_NAMED]]
    slowest = bound_fin.sort_values("data_wait", ascending=False, kind="stable").head(MAX_NAMED - len(worst))
    worst += [f"{r.space}#{int(r.number)} ({float(r.data_wait):.0%})" for r in slowest.itertuples()]
    return (f"input-bound: {' and '.join(parts)} trials wait more than {pct} of their step time for data "
            f"({', '.join(worst)}{', …' if len(bound_live) + len(bound_fin) > len(worst) else ''}) — {ADVICE}"), True


def render(v: View) -> None:
    found = summary_line(v)
    if found is None:
        return
    text, bound = found
    if bound:
        st.warning(text, icon="⚠️")
    else:
        st.caption(text)
