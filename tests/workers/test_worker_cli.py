"""`netspace train` end to end through netspace.cli.main."""

from __future__ import annotations

import json
import re

import pytest

from netspace.cli import main

TINY = {"depths": [1, 1, 1, 1], "widths": [8, 16, 16, 32], "bottleneck_ratios": [1, 1, 1, 1],
        "group_widths": [8, 8, 8, 8]}
FAST = ["--dataset", "digits", "--epochs", "2", "--batch-size", "32", "--lr", "0.1", "--max-train-images", "96",
        "--device", "cpu"]


@pytest.mark.slow
def test_train_with_inline_config_prints_table_and_result(tmp_path, capsys):
    ck = tmp_path / "ck"
    assert main(["train", "anynetx_a", "--config", json.dumps(TINY), *FAST, "--checkpoint-dir", str(ck)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if "top-1 err" in line)
    rows = [line.split() for line in lines[header + 1: header + 3]]
    assert [r[0] for r in rows] == ["1/2", "2/2"]
    assert all(0 <= float(r[2]) <= 100 and float(r[3]) > 0 for r in rows)
    result = json.loads((ck / "result.json").read_text())
    assert f"top-1 error {result['top1_err']:.2f} %" in out
    assert re.search(r"\d [kMGT]?F, ", out) and "params" in out and (ck / "weights.pt").is_file()  # FLOPs as 4.1 MF


def test_train_with_config_file_and_sample_seed(tmp_path, capsys):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(TINY))
    assert main(["train", "anynetx_a", "--config", str(path), *FAST, "--epochs", "1"]) == 0
    assert "completed: top-1 error" in capsys.readouterr().out
    assert main(["train", "regnetx", "--sample-seed", "3", "--regime", "1M:4M", *FAST, "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("regnetx {") and "completed: top-1 error" in out


def test_train_takes_a_line_of_spaces_sample_json(tmp_path, capsys):
    assert main(["spaces", "sample", "regnetx", "-n", "1", "--flops", "1M:4M", "--resolution", "32", "--json"]) == 0
    line = capsys.readouterr().out.strip()
    (tmp_path / "sample.json").write_text(line)
    assert main(["train", "regnetx", "--config", str(tmp_path / "sample.json"), *FAST, "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("regnetx " + json.dumps(json.loads(line)["config"])) and "completed: top-1 error" in out


@pytest.mark.parametrize("args,message", [
    (["nosuchspace", "--sample-seed", "0"], "error: unknown design space 'nosuchspace'"),
    (["anynetx_a", "--config", "{\"depths\": [1,"], "error: --config: not valid JSON"),
    (["anynetx_a", "--config", "missing.json"], "error: --config: 'missing.json' is neither a JSON object nor an existing file"),
    (["anynetx_a"], "error: give exactly one of --config"),
    (["anynetx_a", "--sample-seed", "0", "--dataset", "cifar10", "--data", "/no/such/dir"], "error: cifar10: /no/such/dir not found"),
    (["anynetx_a", "--config", json.dumps({"depths": [1]}), "--epochs", "1"], "error: "),
    (["--preset", "nosuchnet"], "error: unknown preset 'nosuchnet'"),
    (["regnetx", "--preset", "resnet50"], "error: preset 'resnet50' belongs to space 'resnext', not 'regnetx'"),
    (["--preset", "resnet50", "--sample-seed", "0"], "error: give exactly one of --config"),
    (["--sample-seed", "0"], "error: give SPACE (or --preset NAME)"),
])
def test_errors_are_one_line(args, message, capsys):
    assert main(["train", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_train_a_preset(capsys):
    """d2l's RegNetX32 (2 stages, biased convs: a member of anynetx_e only with 2 stages) trains on digits."""
    assert main(["train", "--preset", "d2l_regnetx32", *FAST, "--epochs", "1", "--max-train-images", "64"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("d2l_regnetx32: anynetx_e {") and '"conv_bias": true' in out
    assert "179 k params" in out and "completed: top-1 error" in out
