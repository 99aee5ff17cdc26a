"""The paper's remaining experiments in one tiny real campaign (local Ray, SQLite, MLflow): two FLOP regimes of one
entry, a SiLU space sampling its resolution, and an inverted-bottleneck entry. Every finished trial records its
runtime; each trial's FLOPs are counted at its own resolution inside the regime; `netspace zoo export` writes presets
that rebuild networks with the trials' complexity."""

from __future__ import annotations

import json

import pytest

from netspace.cli import main
from netspace.platform.campaign.run import run_campaign
from netspace.platform.storage.results import load_trials
from netspace.search_spaces import Geometry, get_space
from netspace.search_spaces.preset_files import register_presets_file
from tests.support.campaigns import campaign_dict, write_campaign


@pytest.mark.slow
def test_regimes_resolution_runtime_and_zoo_export(ray_cluster, workdir, capsys):
    data = campaign_dict("paper", spaces=(), samples=2, images=64)
    data["spaces"] = [
        {"space": "regnetx", "label": "rx", "samples": 2, "regimes": [{"flops": "1M:2M"}, {"flops": "2M:4M"}]},
        {"space": "regnetx_silu", "samples": 2, "regime": {"flops": "1M:3M"}, "resolution": {"values": [24, 32]}},
        {"space": "regnetx_ib", "label": "ib", "samples": 1, "regime": {"flops": "1M:3M"}, "restrict": {"b": 0.25, "g": 1}},
    ]
    summary = run_campaign(write_campaign(workdir / "paper.yaml", data), show_progress=False)
    assert summary.complete
    url = f"sqlite:///{workdir}/netspace.db"
    df = load_trials(url, "paper", intermediate=False)
    done = df[df["outcome"] == "finished"]
    assert sorted(done["space"].value_counts().items()) == [("ib", 1), ("regnetx_silu", 2), ("rx.1M-2M", 2), ("rx.2M-4M", 2)]

    # runtime recorded for every finished trial, with the device it was measured on
    assert (done["inference_ms"] > 0).all() and (done["images_per_s"] > 0).all()
    assert done["device_name"].str.startswith("cpu").all()

    # resolution: FLOPs counted at the trial's own resolution, inside the regime
    space = get_space("regnetx_silu")
    for _, t in done[done["space"] == "regnetx_silu"].iterrows():
        cfg = dict(t["config"])
        r = cfg.pop("resolution")
        assert r in (24, 32) and t["param_resolution"] == r
        cx = space.complexity(space.config_from_dict(cfg), Geometry(r, 1, 10))
        assert int(t["flops"]) == cx.flops and 1e6 <= cx.flops <= 3e6
    assert all(c["bottleneck_ratio"] == 0.25 for c in done[done["space"] == "ib"]["config"])

    # the zoo of the `rx` regimes, exported and rebuilt
    out = workdir / "zoo.yaml"
    capsys.readouterr()
    assert main(["zoo", "show", "paper", "--storage", url, "--json", "--figure", str(workdir / "zoo.png")]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["regime"] for r in rows} == {"rx.1M-2M", "rx.2M-4M", "regnetx_silu", "ib"} and (workdir / "zoo.png").is_file()
    assert main(["zoo", "export", "paper", "--storage", url, "--group", "rx", "--out", str(out)]) == 0
    presets = register_presets_file(out)
    assert [p.name for p in presets] == ["paper-rx.1M-2M", "paper-rx.2M-4M"]
    for p in presets:
        best = done[done["space"] == p.name.removeprefix("paper-")].sort_values("error").iloc[0]
        cx = p.complexity()
        assert (cx.flops, cx.params, cx.acts) == (best["flops"], best["params"], best["acts"])
