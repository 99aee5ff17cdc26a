"""Campaign files and storage URLs: every mistake is one line naming the file and key (fast, no Ray)."""

from __future__ import annotations

import pytest

from netspace.cli import main
from netspace.errors import CampaignError, StorageError
from netspace.platform.campaign.spec import load_campaign
from netspace.platform.storage.database import check_reachable
from netspace.platform.storage.urls import mask_secrets
from tests.support.campaigns import campaign_dict, write_campaign


def _error_line(capsys, argv) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


def test_valid_campaign_file_defaults(tmp_path):
    spec = load_campaign(write_campaign(tmp_path / "c.yaml", campaign_dict("ok")))
    assert [s.space for s in spec.spaces] == ["anynetx_a", "regnetx"]
    assert spec.spaces[0].regime.low == 1e6 and spec.spaces[0].regime.high == 4e6
    assert spec.early_stopping.kind == "none" and spec.strategy.kind == "random"
    resolved = spec.resolved(tmp_path)
    assert resolved.output_dir == str(tmp_path / "netspace_runs" / "ok")
    assert resolved.mlflow.tracking_uri == f"sqlite:///{tmp_path}/mlflow.db"


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d.update(colour="red"), "c.yaml: colour: unknown key"),
    (lambda d: d["spaces"][1].update(samples=0), "c.yaml: spaces[1].samples: must be >= 1"),
    (lambda d: d["spaces"][0].update(samples="many"), "c.yaml: spaces[0].samples: expected an integer"),
    (lambda d: d["spaces"][0].update(space="regnetz"), "c.yaml: spaces[0].space: unknown design space 'regnetz'"),
    (lambda d: d["spaces"][0]["regime"].update(low="9M"), "c.yaml: spaces[0].regime: malformed flops range"),
    (lambda d: d["resources"].update(gpus_per_trial=2), "c.yaml: resources.gpus_per_trial: must be <= 1"),
    (lambda d: d["training"].update(epochs=1.5), "c.yaml: training.epochs: expected an integer"),
    (lambda d: d["strategy"].update(kind="grid"), "c.yaml: strategy.kind: got 'grid'"),
    (lambda d: d.pop("name"), "c.yaml: name: required key is missing"),
])
def test_bad_campaign_files_give_one_line(tmp_path, capsys, mutate, expected):
    data = campaign_dict("bad")
    mutate(data)
    path = write_campaign(tmp_path / "c.yaml", data)
    with pytest.raises(CampaignError) as exc:
        load_campaign(path)
    assert str(exc.value).startswith(str(tmp_path / "c.yaml") + ": " + expected.split(": ", 1)[1]) or \
        expected.split(": ", 1)[1] in str(exc.value)
    assert "\n" not in str(exc.value)
    line = _error_line(capsys, ["run", str(path)])
    assert expected.split(": ", 1)[1] in line


def test_malformed_yaml_names_file_and_line(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text("name: x\nspaces:\n  - space: regnetx\n    samples: [3\n")
    line = _error_line(capsys, ["run", str(path)])
    assert f"{path}:" in line and "malformed YAML" in line
    assert ":5:" in line or ":4:" in line


def test_missing_campaign_file(tmp_path, capsys):
    line = _error_line(capsys, ["run", str(tmp_path / "nope.yaml")])
    assert "cannot read campaign file" in line


def test_mask_url():
    assert mask_secrets("postgresql://bob:s3cret@db:5432/ns") == "postgresql://bob:***@db:5432/ns"
    assert mask_secrets("postgresql+psycopg2://bob:p@ss@db/ns") == "postgresql+psycopg2://bob:***@db/ns"
    assert mask_secrets("sqlite:///netspace.db") == "sqlite:///netspace.db"
    assert mask_secrets("postgresql://bob@db/ns") == "postgresql://bob@db/ns"


def test_unreachable_storage_is_one_masked_line(capsys, tmp_path):
    url = "postgresql://alice:hunter2@127.0.0.1:1/netspace"
    with pytest.raises(StorageError) as exc:
        check_reachable(url)
    assert "hunter2" not in str(exc.value) and "alice:***@127.0.0.1:1" in str(exc.value)
    for argv in (["status", "x", "--storage", url], ["list", "--storage", url], ["resume", "x", "--storage", url]):
        line = _error_line(capsys, argv)
        assert "cannot reach storage postgresql" in line and "alice:***@127.0.0.1:1/netspace" in line
        assert "hunter2" not in line
    path = write_campaign(tmp_path / "c.yaml", campaign_dict("pg", storage=url))
    line = _error_line(capsys, ["run", str(path)])
    assert "alice:***@" in line and "hunter2" not in line


def test_status_of_unknown_campaign(capsys, tmp_path):
    line = _error_line(capsys, ["status", "ghost", "--storage", f"sqlite:///{tmp_path}/none.db"])
    assert "does not exist" in line


def test_ray_client_address_is_refused_in_one_line(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_campaign(tmp_path / "c.yaml", campaign_dict("client"))
    line = _error_line(capsys, ["run", str(path), "--address", "ray://head:10001"])
    assert "Ray Client (ray://)" in line


def test_impossible_regime_fails_before_anything_is_stored(tmp_path, capsys):
    from netspace.cli import main

    path = tmp_path / "c.yaml"
    path.write_text("name: nope\nspaces:\n  - {space: regnetx, samples: 2, regime: {metric: flops, low: 1k, high: 2k}}\n")
    url = f"sqlite:///{tmp_path / 'ns.db'}"
    assert main(["run", str(path), "--storage", url, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no valid regnetx config with flops in [1k, 2k]") and err.count("\n") == 1
    assert main(["list", "--storage", url, "--json"]) == 0
    assert capsys.readouterr().out.strip() == "[]"


def test_references_become_one_sample_entries_once():
    from netspace.platform.campaign.spec import CampaignSpec

    spec = CampaignSpec.model_validate({"name": "r", "spaces": [{"space": "regnetx", "samples": 2}],
                                        "references": ["d2l_regnetx32", "regnetx_200mf"]})
    refs = [s for s in spec.spaces if s.reference]
    assert [(s.key, s.space, s.samples) for s in refs] == [("d2l_regnetx32", "preset:d2l_regnetx32", 1),
                                                           ("regnetx_200mf", "preset:regnetx_200mf", 1)]
    assert [s.key for s in spec.populations] == ["regnetx"]
    again = CampaignSpec.model_validate_json(spec.to_json())  # a stored spec already holds them: no duplicates
    assert [s.key for s in again.spaces] == [s.key for s in spec.spaces]


def test_unknown_reference_is_one_line(tmp_path):
    from netspace.platform.campaign.spec import load_campaign

    path = tmp_path / "c.yaml"
    path.write_text("name: r\nspaces: [{space: regnetx, samples: 2}]\nreferences: [resnet51]\n")
    with pytest.raises(CampaignError) as info:
        load_campaign(path)
    assert "references" in str(info.value) and "resnet51" in str(info.value) and "\n" not in str(info.value)
