"""The dashboard on the paper's remaining experiments (issue 21), under Streamlit's AppTest on real populated SQLite
storages: inverted bottlenecks (b < 1) with a sampled resolution, measured runtime on two devices, and a space
sampled across several FLOP regimes."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest
from streamlit.testing.v1 import AppTest

import netspace.dashboard
from netspace.dashboard.architecture import architecture
from netspace.dashboard.demo import populate
from netspace.search_spaces import get_space
from netspace.search_spaces.resolution import split_resolution

APP = str(Path(netspace.dashboard.__file__).with_name("app.py"))


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('experiments') / 'campaigns.db'}"
    # b drawn from {1/4, 1/2, 1, 2, 4} and the resolution from {24, 32}, runtime measured on two devices
    populate(url, "ib", ("regnetx_ib", "anynetx_a_ib"), n=14, running=0, failed=0, seed=3, resolutions=[24, 32],
             devices=("cpu: alpha", "gpu: beta"))
    populate(url, "zoo", ("regnetx",), n=6, running=0, failed=0, seed=4, regimes=["1M:2M", "2M:4M", "4M:8M"])
    return url


def _run(url, monkeypatch, campaign: str, **query) -> AppTest:
    monkeypatch.setenv("NETSPACE_STORAGE", url)
    monkeypatch.delenv("NETSPACE_DASHBOARD_EAGER", raising=False)
    monkeypatch.delenv("NETSPACE_DASHBOARD_PROMOTE", raising=False)
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in {"campaign": campaign, **query}.items():
        at.query_params[k] = v
    return at.run()


def _table(at, *columns):
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def _trials(url: str, campaign: str, space: str) -> list:
    return optuna.load_study(study_name=f"{campaign}::{space}", storage=url).get_trials(deepcopy=False)


def test_architecture_reads_inverted_bottlenecks_and_a_sampled_resolution(storage):
    for space in ("regnetx_ib", "anynetx_a_ib"):
        inverted = 0
        for t in _trials(storage, "ib", space):
            config = t.user_attrs["config"]
            assert "resolution" in config
            arch = architecture(space, config)
            assert arch is not None, config
            expect = get_space(space).config_from_dict(split_resolution(config)[0])
            expect = expect.to_anynet() if hasattr(expect, "to_anynet") else expect
            assert arch.stages["width"].tolist() == list(expect.widths)
            assert arch.stages["group_width"].tolist() == list(expect.group_widths)
            assert arch.stages["bottleneck_ratio"].tolist() == pytest.approx(list(expect.bottleneck_ratios))
            inverted += any(b < 1 for b in expect.bottleneck_ratios)
        assert inverted, f"{space}: no trial drew b < 1"


def test_trial_panel_shows_b_below_one_and_the_resolution(storage, monkeypatch):
    # a regnetx_ib trial with b = 1/4 (opened by its link): its stages table says 0.25, not 0
    pick = next(t for t in _trials(storage, "ib", "regnetx_ib")
                if t.user_attrs["config"]["bottleneck_ratio"] == 0.25)
    key = f"regnetx_ib#{pick.number}"
    at = _run(storage, monkeypatch, "ib", trial=key)
    assert not at.exception and at.selectbox(key="trial").value == key
    stages = _table(at, "stage", "depth", "width", "bottleneck_ratio")
    assert stages["bottleneck_ratio"].tolist() == [0.25] * len(stages)
    assert f"resolution={pick.user_attrs['config']['resolution']}" in at.code[0].value
    best = _table(at, "error", "flops", "stages")
    assert best["stages"].str.match(r"^\d+×\d+( · \d+×\d+)+$").all()  # every network has stages, none is raw config


def test_runtime_is_a_complexity_column_grouped_by_device(storage, monkeypatch):
    at = _run(storage, monkeypatch, "ib")
    metric = at.sidebar.selectbox(key="metric")
    assert "runtime (ms)" in metric.options  # formatted: FLOPs (MF), ..., runtime (ms)
    metric.set_value("inference_ms").run()
    assert not at.exception
    device = at.sidebar.selectbox(key="device")
    assert device.options == ["cpu: alpha", "gpu: beta"]
    titles = json.dumps([json.loads(c.proto.spec) for c in at.get("vega_lite_chart")])
    assert "error vs runtime" in titles and "runtime (ms)" in titles
    summary = _table(at, "ks_normalized_vs_first")
    n_alpha = sum(t.user_attrs["device_name"] == "cpu: alpha" for s in ("regnetx_ib", "anynetx_a_ib")
                  for t in _trials(storage, "ib", s))
    assert int(summary["n"].sum()) == n_alpha  # only the trials measured on the chosen device
    device.set_value("gpu: beta").run()
    assert int(_table(at, "ks_normalized_vs_first")["n"].sum()) == 28 - n_alpha

    at = _run(storage, monkeypatch, "ib", tab="Compare")
    assert "Best models across regimes" not in [h.value for h in at.header]  # one regime per space: no section
    at.selectbox(key="cmp_normalize").set_value("normalized by runtime").run()
    assert not at.exception
    assert at.selectbox(key="cmp_device").options == ["cpu: alpha", "gpu: beta"]
    pairs = _table(at, "a", "b", "p-value")
    assert len(pairs) == 1 and pairs["n_a"].iloc[0] + pairs["n_b"].iloc[0] == n_alpha
    assert "runtime bins" in " ".join(c.value for c in at.caption)

    at = _run(storage, monkeypatch, "ib", tab="Trials")
    table = _table(at, "trial", "inference_ms", "device_name")
    assert table["inference_ms"].notna().all() and set(table["device_name"]) == {"cpu: alpha", "gpu: beta"}


def test_best_models_across_regimes_section(storage, monkeypatch):
    at = _run(storage, monkeypatch, "zoo", tab="Compare")
    assert not at.exception
    assert [h.value for h in at.header] == ["Pairwise comparisons", "Best models across regimes"]
    table = _table(at, "regime", "rank", "d", "w0", "wa", "wm", "g", "b", "e_fit")
    assert set(table["regime"]) == {"regnetx.1M-2M", "regnetx.2M-4M", "regnetx.4M-8M"}
    assert len(table) == 9 and (table.groupby("regime")["rank"].max() == 3).all()
    for label, rows in table.groupby("regime"):  # the best 3 of each regime, best first
        errors = sorted(t.value for t in _trials(storage, "zoo", label))[:3]
        assert rows.sort_values("rank")["error"].tolist() == pytest.approx(errors)
    spec = next(json.loads(c.proto.spec) for c in at.get("vega_lite_chart")
                if "best models across regimes" in json.dumps(json.loads(c.proto.spec)))
    assert spec["facet"]["field"] == "param"
    at.slider(key="zoo_k").set_value(1).run()
    assert len(_table(at, "regime", "rank", "d")) == 3
