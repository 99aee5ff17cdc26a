"""The dashboard's Finalized networks section (issue 17) and its input-bound flags (issue 20), under Streamlit's
AppTest on real SQLite Optuna storages: one holding a finalized campaign (study NAME::final laid out as `netspace
finalize` writes it), one whose trials carry the data-wait fraction the driver records."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import netspace.dashboard
from netspace.platform.analysis.telemetry import INPUT_BOUND
from netspace.platform.campaign.finalize import best_finalized, load_final
from netspace.platform.storage import demo

APP = str(Path(netspace.dashboard.__file__).with_name("app.py"))


@pytest.fixture(scope="module")
def storages(tmp_path_factory):
    root = tmp_path_factory.mktemp("final_inputs")
    fin = f"sqlite:///{root / 'fin.db'}"
    demo.populate(fin, "fin", ("regnetx",), n=10, running=0, failed=0, seed=7)
    made = demo.populate_final(fin, "fin", "regnetx", top=2, epochs=(2, 4), seeds=3, running=1, seed=2)
    tele = f"sqlite:///{root / 'tele.db'}"
    demo.populate(tele, "slow", ("regnetx",), n=10, running=2, failed=0, seed=8, input_bound=2)
    demo.populate(tele, "fed", ("regnetx",), n=6, running=1, failed=0, seed=9, input_bound=0)
    return fin, made, tele


def _run(url: str, monkeypatch, query: dict | None = None) -> AppTest:
    monkeypatch.setenv("NETSPACE_STORAGE", url)
    for var in ("NETSPACE_DASHBOARD_EAGER", "NETSPACE_DASHBOARD_PROMOTE"):
        monkeypatch.delenv(var, raising=False)
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def _table(at: AppTest, *columns):
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def _texts(at: AppTest) -> str:
    return " ".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [w.value for w in at.warning])


def test_finalized_section_shows_runs_mean_std_and_promotes_figure(storages, monkeypatch):
    url, made, _ = storages
    at = _run(url, monkeypatch)
    assert not at.exception
    headers = [h.value for h in at.header]
    assert headers.index("History") < headers.index("Finalized networks") < headers.index("Best networks")
    t = _table(at, "network", "runs", "mean_err", "promote")
    rows = load_final(url, "fin")  # what `netspace status` and the report show
    assert len(t) == 4 and sorted(t["runs"]) == ["2 / 3 · 1 running", "3 / 3", "3 / 3", "3 / 3"]
    for r in rows:
        got = t[(t["network"] == r["source"]) & (t["epochs"] == r["epochs"])].iloc[0]
        assert got["mean_err"] == pytest.approx(r["mean_err"]) and got["std_err"] == pytest.approx(r["std_err"])
        assert got["search_err"] == pytest.approx(r["search_err"])
        assert got["runs"].startswith(f"{r['runs']} / 3")
    for (source, epochs), errs in made["runs"].items():  # the errors the storage was written with
        got = t[(t["network"] == source) & (t["epochs"] == epochs)].iloc[0]
        assert got["mean_err"] == pytest.approx(sum(errs) / len(errs))
    # the figure promote ranks each network by: its mean at the longest epoch count with a finished run
    best = best_finalized(rows)
    marked = t[t["promote"] != ""]
    assert {(n, e) for n, e in zip(marked["network"], marked["epochs"])} == {(k, r["epochs"]) for k, r in best.items()}
    assert all(p.startswith("✓ mean of ") and p.endswith(" at 4 epochs") for p in marked["promote"])
    pick = min(best.values(), key=lambda r: r["mean_err"])
    text = _texts(at)
    assert "11 of 12 planned runs finished, 1 running" in text
    assert (f"its pick now: **{pick['source']}**, {pick['mean_err']:.2f} ± {pick['std_err']:.2f} % (mean of "
            f"{pick['runs']} seeds at 4 epochs)") in text


def test_input_bound_trials_are_flagged_in_the_live_view_and_the_trials_table(storages, monkeypatch):
    _, _, url = storages
    at = _run(url, monkeypatch, query={"campaign": "slow"})
    assert not at.exception
    [warning] = [w.value for w in at.warning]
    pct = f"{INPUT_BOUND:.0%}"
    assert warning.startswith(f"input-bound: 1 of 2 running and 2 of 10 finished trials wait more than {pct} of "
                              "their step time for data (regnetx#10 (62%), regnetx#0 (62%), regnetx#1 (62%))")
    assert "cpus_per_trial" in warning
    running = _table(at, "epoch", "data_wait")  # the live table shows each running trial's latest data wait
    assert sorted(running["data_wait"]) == [0.04, 0.62]

    at.session_state["tab"] = "Trials"
    at.run()
    assert not at.exception
    t = _table(at, "trial", "data_wait", "input_bound")
    flagged = t[t["input_bound"]]
    assert sorted(flagged["trial"]) == ["regnetx#0", "regnetx#1", "regnetx#10"]
    assert set(flagged["data_wait"]) == {0.62} and set(t.loc[~t["input_bound"], "data_wait"]) == {0.04}
    assert dict(zip(flagged["trial"], flagged["outcome"]))["regnetx#10"] == "running"

    at = _run(url, monkeypatch, query={"campaign": "fed"})
    assert not at.exception and not at.warning
    assert f"input pipeline: no trial is input-bound (each waits at most {pct} of its step time for data)" in _texts(at)
