"""The dashboard script under Streamlit's AppTest on a real populated SQLite storage."""

import json
import re
import time
from pathlib import Path

import optuna
import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

import netspace.dashboard
from netspace.dashboard import data
from netspace.platform.storage.urls import mask_secrets

APP = str(Path(netspace.dashboard.__file__).with_name("app.py"))
OVERVIEW = ["Progress", "Error EDFs", "Error vs complexity", "History", "Best networks"]
TABS = {"Compare": ["Pairwise comparisons"], "Parameters": ["Parameters"], "Trials": ["All trials"],
        "Refine": ["Refine a space"]}


def _run(url, monkeypatch, promote: bool = False, query: dict | None = None) -> AppTest:
    monkeypatch.setenv("NETSPACE_STORAGE", url)
    monkeypatch.delenv("NETSPACE_DASHBOARD_EAGER", raising=False)
    if promote:
        monkeypatch.setenv("NETSPACE_DASHBOARD_PROMOTE", "1")
    else:
        monkeypatch.delenv("NETSPACE_DASHBOARD_PROMOTE", raising=False)
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def _tab(at: AppTest, name: str) -> AppTest:
    at.session_state["tab"] = name
    return at.run()


def _metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def _table(at, *columns):
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def _chart_titles(at) -> list[str]:
    out = []
    for c in at.get("vega_lite_chart"):
        spec = json.loads(c.proto.spec)
        for layer in [spec, *spec.get("layer", []), *spec.get("concat", [])]:
            t = layer.get("title")
            out.append(t.get("text") if isinstance(t, dict) else t)
    return [t for t in out if t]


def _texts(at) -> str:
    return " ".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [c.value for c in at.code])


def test_every_section_renders_with_storage_numbers(demo_storage, monkeypatch):
    url, summary = demo_storage
    at = _run(url, monkeypatch)
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Overview", *TABS]
    assert [h.value for h in at.header] == OVERVIEW  # only the open tab is computed
    m = _metrics(at)
    assert m["trials"] == str(sum(s["complete"] + s["running"] + s["failed"] for s in summary.values()))
    assert m["complete"] == str(sum(s["complete"] for s in summary.values()))
    assert m["running"] == str(sum(s["running"] for s in summary.values()))
    assert m["failed"] == str(sum(s["failed"] for s in summary.values()))
    best = min(s["best"] for s in summary.values())
    assert m["best error"] == f"{best:.2f} %"
    assert any(c.value.startswith("live: every section refreshes") for c in at.caption)

    counts = at.dataframe[0].value
    for space, s in summary.items():
        assert counts.loc[space, "COMPLETE"] == s["complete"] and counts.loc[space, "RUNNING"] == s["running"]
        assert counts.loc[space, "FAIL"] == s["failed"] and counts.loc[space, "REJECTED"] == s["rejected"]
    running = _table(at, "epoch", "top1_err")
    assert len(running) == 6 and set(running["epoch"]) <= {"1 / 3", "2 / 3"} and running["top1_err"].notna().all()
    ks = _table(at, "ks_vs_first")
    assert ks["n"].tolist() == [20, 20, 20] and ks["ks_vs_first"].iloc[0] == 0
    top = _table(at, "error", "flops", "stages")
    assert top["error"].iloc[0] == pytest.approx(best) and len(top) == 10
    # complexity in MF / M params, each network as blocks × width per stage
    assert top["flops"].max() < 1e5 and top["stages"].str.match(r"^\d+×\d+( · \d+×\d+)+$").all()
    titles = " | ".join(_chart_titles(at))
    for title in ("error EDF", "normalized EDF", "error vs FLOPs", "history"):
        assert title in titles
    text = _texts(at)
    assert "learning curve: validation top-1 error" in text and "per-block widths" in text
    assert re.search(r"\d [MG]F · [\d.]+ [kMG] params", text) and "e_fit" in text
    for tab, headers in TABS.items():
        _tab(at, tab)
        assert not at.exception and [h.value for h in at.header] == headers, tab
        if tab == "Parameters":
            assert "parallel coordinates" in " ".join(_chart_titles(at))
            imp = _table(at, "param", "importance")
            assert len(imp) >= 5 and imp["importance"].sum() == pytest.approx(1.0)
            glossary = _table(at, "parameter", "meaning")
            assert glossary["meaning"].str.len().gt(0).all()


def test_summary_strip_answers_first(demo_storage, monkeypatch):
    url, summary = demo_storage
    at = _run(url, monkeypatch)
    m = _metrics(at)
    done = sum(s["complete"] + s["failed"] for s in summary.values())
    target = sum(s["complete"] + s["running"] + s["failed"] for s in summary.values())
    assert m["done / target"] == f"{done} / {target}"
    best_space = min(summary, key=lambda s: summary[s]["best"])
    assert m["best network"] == f"{summary[best_space]['best']:.2f} %"
    df = data.completed(url, "demo", data.version(data.status(url, "demo")[0]))
    assert m["winning space"] == df.groupby("space")["error"].median().idxmin()
    captions = [c.value for c in at.caption]
    assert any(re.search(r"p [=<] [\d.]+[^·]* · median error [\d.]+ pp (below|above) \w+'s \(difference [+-][\d.]+ pp, 95 % CI \[", c) for c in captions)
    assert any(c.startswith(f"{best_space}#") and " · stages " in c and "×" in c for c in captions)
    assert any(re.match(r"ETA (\d+ (s|min|h)|unknown)", c) for c in captions)


def test_links_open_a_campaign_tab_and_trial(demo_storage, monkeypatch):
    url, _ = demo_storage
    at = _run(url, monkeypatch, query={"campaign": "second", "trial": "regnety#3", "tab": "Trials"})
    assert not at.exception and at.title[0].value == "Campaign second"
    assert [h.value for h in at.header] == ["All trials"]
    # the linked trial is selected in the table: its curve and config are shown beside the table
    assert "Side by side" in [s.value for s in at.subheader]
    assert list(_table(at, "regnety#3").columns) == ["regnety#3"]
    assert at.query_params["campaign"] == "second" and at.query_params["trial"] == "regnety#3"
    at = _run(url, monkeypatch, query={"trial": "regnetx:4"})  # the old form still opens it
    assert at.selectbox(key="trial").value == "regnetx#4"
    assert at.query_params["campaign"] == "demo" and at.query_params["trial"] == "regnetx#4"


def test_drill_down_shows_config_learning_curve_and_mlflow_run(demo_storage, monkeypatch):
    url, _ = demo_storage
    at = _run(url, monkeypatch)
    options = at.selectbox(key="trial").options
    assert len(options) == 10
    pick = at.selectbox(key="trial").options[3].split()[0]
    at.selectbox(key="trial").set_value(pick).run()
    assert not at.exception
    assert at.subheader[[s.value for s in at.subheader].index(f"Trial {pick}")]
    config = at.code[0].value
    assert "\n" in config and "=" in config
    space, _, number = pick.rpartition("#")
    study = optuna.load_study(study_name=f"demo::{space}", storage=url)
    t = study.trials[int(number)]
    assert all(f"{k}=" in config for k in t.user_attrs["config"])
    chart = next(c for c in at.get("vega_lite_chart")
                 if json.loads(c.proto.spec).get("encoding", {}).get("x", {}).get("title") == "epoch")
    curve = convert_arrow_bytes_to_pandas_df(chart.proto.datasets[0].data.data)
    assert curve["step"].tolist() == [1.0, 2.0, 3.0]
    assert curve["value"].iloc[-1] == pytest.approx(t.value)
    assert f"MLflow run `{t.user_attrs['mlflow_run_id']}`" in _texts(at)


def test_interactions_rerender(demo_storage, monkeypatch):
    url, summary = demo_storage
    at = _run(url, monkeypatch)
    at.sidebar.multiselect(key="spaces").set_value(["regnetx", "anynetx_a"]).run()
    at.sidebar.selectbox(key="metric").set_value("params").run()
    at.sidebar.checkbox(key="bands").uncheck().run()
    at.slider(key="top_k").set_value(3).run()
    _tab(at, "Parameters").selectbox(key="trend_space").set_value("anynetx_a").run()
    _tab(at, "Overview")
    assert not at.exception
    assert _table(at, "ks_vs_first")["space"].tolist() == ["regnetx", "anynetx_a"]  # the chosen order: KS vs regnetx
    assert len(_table(at, "error", "flops", "stages")) == 3
    assert "error vs parameters" in " ".join(_chart_titles(at))
    # a RegNet winner: its fitted quantized linear function is exact
    at.sidebar.multiselect(key="spaces").set_value(["regnetx"]).run()
    assert any("e_fit = 0.0000" in c.value for c in at.caption)
    at.sidebar.checkbox(key="pause").check().run()
    assert any(c.value.startswith("finished: nothing re-read") for c in at.caption)
    at.sidebar.selectbox(key="campaign").set_value("second").run()
    assert not at.exception and _metrics(at)["trials"] == "5" and at.title[0].value == "Campaign second"


def test_a_finished_campaign_is_not_polled_and_new_trials_show_on_rerun(demo_storage, tmp_path, monkeypatch):
    from netspace.dashboard.demo import populate

    url = f"sqlite:///{tmp_path / 'done.db'}"
    populate(url, "done", ("regnetx",), n=12, running=0, failed=0, seed=5)
    at = _run(url, monkeypatch)
    assert not at.exception
    assert any(c.value.startswith("finished: nothing re-read") for c in at.caption)
    assert "12 completed networks" in _texts(at)
    study = optuna.load_study(study_name="done::regnetx", storage=url)
    t = study.trials[0]
    study.add_trial(optuna.trial.create_trial(value=1.5, params=t.params, distributions=t.distributions,
                                              user_attrs={**t.user_attrs, "mlflow_run_id": "new"}))
    time.sleep(data.STATUS_TTL_S + 0.5)  # the state counts (the data version) are cached that long
    at.run()
    assert "13 completed networks" in _texts(at) and _metrics(at)["best error"] == "1.50 %"


def test_a_page_opened_before_the_storage_and_the_campaign_exist_follows_them(tmp_path, monkeypatch):
    from netspace.dashboard.demo import add_completed, populate

    url = f"sqlite:///{tmp_path / 'later.db'}"
    at = _run(url, monkeypatch)
    assert not at.exception and any(c.value.startswith("checking again every") for c in at.caption)
    populate(url, "later", ("regnetx",), n=0, running=1, failed=0)  # the campaign starts: no trial finished yet
    data.campaigns.clear()
    at.run()
    assert not at.exception and at.title[0].value == "Campaign later"
    assert any(c.value.startswith("live: every section refreshes") for c in at.caption)
    assert "No completed trials yet." in [i.value for i in at.info]
    populate(url, "later", ("regnetx",), n=2, running=0, failed=0, seed=3)
    time.sleep(data.STATUS_TTL_S + 0.5)
    at.run()
    assert not at.exception and _metrics(at)["complete"] == "2"
    add_completed(url, "later", "regnetx", 0.5)
    time.sleep(data.STATUS_TTL_S + 0.5)
    at.run()
    assert _metrics(at)["best error"] == "0.50 %"


def test_promote_is_hidden_unless_enabled(demo_storage, monkeypatch):
    url, _ = demo_storage
    at = _run(url, monkeypatch)
    assert not [b for b in at.button if b.key == "promote"]
    assert "--enable-promote" in _texts(at)


def test_promote_confirms_first_and_reports_instead_of_raising(demo_storage, monkeypatch):
    url, _ = demo_storage
    at = _run(url, monkeypatch, promote=True)
    at.button(key="promote").click().run()
    assert not at.exception and "point its alias at it?" in at.warning[0].value
    at.button(key="promote_cancel").click().run()
    assert not at.warning
    at.button(key="promote").click().run()
    at.button(key="promote_confirm").click().run(timeout=120)
    assert not at.exception
    # the demo's weights files do not exist, so promotion fails, as one line in the page
    assert len(at.error) == 1 and "\n" not in at.error[0].value


def test_storage_errors_and_credentials_are_masked(tmp_path, monkeypatch):
    at = _run("postgresql://bob:s3cret@127.0.0.1:1/netspace", monkeypatch)
    assert not at.exception
    shown = " ".join([e.value for e in at.error] + [c.value for c in at.sidebar.caption])
    assert "s3cret" not in shown and "bob:***@" in shown
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    optuna.create_study(storage=empty, study_name="x")  # a storage without campaigns
    at = _run(empty, monkeypatch)
    assert not at.exception and "No campaigns" in at.info[0].value
    assert mask_secrets("see postgresql://u:pw@h/db and mysql://a:b@c") == "see postgresql://u:***@h/db and mysql://a:***@c"
