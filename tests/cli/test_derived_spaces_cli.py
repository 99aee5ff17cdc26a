"""`netspace spaces describe` on presets and restricted spaces."""

import json

from netspace.cli import main


def test_describe_preset_and_restriction(capsys):
    assert main(["spaces", "describe", "regnetx_c", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["base"] == "regnetx" and info["restrict"] == {"b": 1, "d": {"high": 40}, "wm": {"low": 2}}
    assert info["parameters"]["b"].startswith("one of {1}")
    assert main(["spaces", "describe", "regnetx_c", "--restrict", "{wa: {low: 8, high: 248}, w0: {same_as: wa}}"]) == 0
    out = capsys.readouterr().out
    assert "derived from regnetx_c" in out and "same as wa" in out and "restricted: b=1, d≤40, wm≥2" in out
    assert main(["spaces", "describe", "regnetx", "--restrict", "{wm: {low: 3.5}}"]) == 2
    assert capsys.readouterr().err.strip() == "error: restrict.wm.low: 3.5 is above the base range [1.5, 3]"


def test_sample_with_two_metrics(capsys):
    assert main(["spaces", "sample", "regnetx_c", "-n", "5", "--flops", "2M:6M", "--params", ":300k",
                 "--resolution", "32", "--num-classes", "10", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 5
    for r in rows:
        assert 2e6 <= r["complexity"]["flops"] <= 6e6 and r["complexity"]["params"] <= 3e5
        assert r["config"]["bottleneck_ratio"] == 1 and r["config"]["depth"] <= 40
