"""Campaign spaces with labels and restrictions: the spec, and a real run where `netspace refine`'s YAML entry,
pasted into the same campaign file, runs as a new space (local Ray, SQLite, MLflow)."""

from __future__ import annotations

import json

import optuna
import pytest
import yaml
from optuna.trial import TrialState

from netspace.cli import main
from netspace.errors import CampaignError
from netspace.platform.campaign.run import run_campaign
from netspace.platform.campaign.spec import CampaignSpec, parse_campaign
from netspace.search_spaces import space_of_study
from tests.support.campaigns import campaign_dict


def _spaces(*entries) -> dict:
    return {"name": "c", "spaces": list(entries)}


@pytest.mark.parametrize("entries, message", [
    ([{"space": "regnetx", "samples": 2}, {"space": "regnetx", "samples": 2}],
     "c: spaces: design space 'regnetx' is listed twice; give each entry of the same space its own label"),
    ([{"space": "regnetx", "samples": 2, "label": "x"}, {"space": "regnetx_c", "samples": 2, "label": "x"}],
     "c: spaces: label 'x' is listed twice"),
    ([{"space": "regnetx", "samples": 2}, {"space": "regnetx", "samples": 2, "label": "r", "restrict": {"wm": {"low": 3.5}}}],
     "c: spaces[1].restrict.wm.low: 3.5 is above the base range [1.5, 3]"),
    ([{"space": "regnetx", "samples": 2, "label": "r", "restrict": {"depth": 3}}],
     "c: spaces[0].restrict.depth: unknown parameter of regnetx; known: d, w0, wa, wm, b, g"),
    ([{"space": "regnetx", "samples": 2, "label": "a::b"}], "c: spaces[0].label: must start with a letter or digit"),
    ([{"space": "regnetx", "samples": 2, "regime": {"flops": "2M:6M", "flop": "1"}}], "c: spaces[0].regime.flop: unknown key"),
    ([{"space": "regnetx", "samples": 2, "regime": {"flops": "2M:6M", "low": 1}}],
     "c: spaces[0].regime: give either metric/low/high or per-metric ranges"),
])
def test_spec_errors_name_the_key_path(entries, message):
    with pytest.raises(CampaignError) as exc:
        parse_campaign(_spaces(*entries), "c")
    assert str(exc.value).startswith(message), str(exc.value)


def test_spec_labels_restrictions_and_multi_metric_regimes_round_trip():
    spec = parse_campaign(_spaces(
        {"space": "regnetx", "samples": 2, "regime": {"metric": "flops", "low": "2M", "high": "6M"}},
        {"space": "regnetx", "samples": 2, "label": "regnetx_b1", "restrict": {"b": 1},
         "regime": {"flops": {"low": "2M", "high": "6M"}, "params": ":1M", "acts": {"high": "200k"}}}), "c")
    assert [s.key for s in spec.spaces] == ["regnetx", "regnetx_b1"]
    reg = spec.spaces[1].regime.to_regime()
    assert reg.ranges == [("flops", 2e6, 6e6), ("params", 0.0, 1e6), ("acts", 0.0, 2e5)]
    assert spec.spaces[0].regime.to_regime().ranges == [("flops", 2e6, 6e6)]
    assert spec.spaces[1].design_space().parameters()["b"].choices == (1,)
    again = CampaignSpec.model_validate(json.loads(spec.to_json()))  # what resume reads back
    assert again.fingerprint_without_samples() == spec.fingerprint_without_samples()
    assert again.spaces[1].regime.to_regime() == reg


@pytest.mark.slow
def test_labelled_restricted_spaces_run_refine_and_extend(ray_cluster, workdir, capsys):
    data = campaign_dict("lab", spaces=(), samples=3)
    regime = {"flops": {"low": "1M", "high": "4M"}, "params": {"high": "400k"}}
    data["spaces"] = [
        {"space": "regnetx", "samples": 3, "regime": regime},
        {"space": "regnetx", "label": "regnetx_b1", "samples": 3, "regime": regime,
         "restrict": {"b": 1, "wm": {"low": 2}, "wa": {"low": 8, "high": 248}, "w0": {"same_as": "wa"}}},
    ]
    from netspace.platform.analysis.refine import entry_yaml

    rest = {k: v for k, v in data.items() if k not in ("name", "spaces")}
    head = "name: lab\nspaces:\n" + "".join(entry_yaml(e) for e in data["spaces"])  # indented list, as in examples/
    path = workdir / "c.yaml"
    path.write_text(head + yaml.safe_dump(rest, sort_keys=False))
    summary = run_campaign(path, show_progress=False)
    assert summary.complete and set(summary.counts) == {"regnetx", "regnetx_b1"}
    storage = f"sqlite:///{workdir}/netspace.db"
    st = optuna.storages.RDBStorage(storage)
    study = optuna.load_study(study_name="lab::regnetx_b1", storage=st)
    attrs = study.user_attrs
    assert attrs["label"] == "regnetx_b1" and attrs["space"] == "regnetx" and json.loads(attrs["restrict"])["b"] == 1
    space = space_of_study(attrs)
    for t in study.get_trials(states=(TrialState.COMPLETE,)):
        cfg = t.user_attrs["config"]
        assert cfg["bottleneck_ratio"] == 1 and cfg["wm"] >= 2 and "w0" not in t.params
        assert space.config_from_params(t.params).to_dict() == cfg
        assert t.user_attrs["params"] <= 4e5 and 1e6 <= t.user_attrs["flops"] <= 4e6
        assert (workdir / t.user_attrs["weights_path"]).parent == workdir / "netspace_runs" / "lab" / "regnetx_b1" / f"trial-{t.number}"

    # refine's YAML, pasted into the same file, runs as a new space; the finished ones are not re-run
    capsys.readouterr()
    assert main(["refine", "lab", "--space", "regnetx_b1", "--storage", storage, "--n-boot", "200", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    entry = yaml.safe_load("spaces:\n" + out["yaml"])["spaces"][0]
    assert entry["label"] == "regnetx_b1-r1" and entry["space"] == "regnetx" and entry["restrict"]["w0"] == {"same_as": "wa"}
    assert entry["samples"] == 3  # copied from the refined entry, as is its regime
    path.write_text(head + out["yaml"].replace("samples: 3", "samples: 2") + yaml.safe_dump(rest, sort_keys=False))
    before = {t.number: t.datetime_complete for t in study.get_trials()}
    summary = run_campaign(path, show_progress=False)
    assert summary.complete and summary.counts["regnetx_b1-r1"]["finished"] == 2
    assert {t.number: t.datetime_complete for t in study.get_trials()} == before
    capsys.readouterr()
    assert main(["status", "lab", "--storage", storage, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    pairs = {(r["a"], r["b"]) for r in status["comparisons"]}
    assert pairs == {("regnetx", "regnetx_b1"), ("regnetx", "regnetx_b1-r1"), ("regnetx_b1", "regnetx_b1-r1")}
    assert all(r["verdict"] for r in status["comparisons"])
    # resume reads the stored spec with labels and restrictions back: nothing left to do
    from netspace.platform.campaign.run import resume_campaign

    assert resume_campaign("lab", storage=storage, show_progress=False).complete
