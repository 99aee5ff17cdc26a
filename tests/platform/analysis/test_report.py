"""`netspace report` on a real populated SQLite storage."""

import csv
import json

import pytest

from netspace.cli import main
from netspace.dashboard.demo import populate


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'campaigns.db'}"
    summary = populate(url, "cmp", ("regnetx", "anynetx_e"), n=15, running=1, failed=2, rejected=1, seed=5)
    return url, summary


def test_report_writes_figures_page_and_csv(storage, tmp_path, capsys):
    url, summary = storage
    out = tmp_path / "rep"
    assert main(["report", "cmp", "--storage", url, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "regnetx" in printed and "KS vs first" in printed
    pngs = {p.name for p in out.glob("*.png")}
    assert {"edf.png", "normalized_edf.png", "error_vs_flops.png", "efficiency.png",
            "trends_regnetx.png", "trends_anynetx_e.png"} <= pngs
    for p in out.glob("*.png"):
        data = p.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    # CSV rows = finished trials (COMPLETE + FAIL here; RUNNING ones are not finished, rejections never trained)
    rows = list(csv.DictReader((out / "trials.csv").open()))
    assert len(rows) == sum(s["complete"] + s["failed"] for s in summary.values()) == 34
    assert {r["state"] for r in rows} == {"COMPLETE", "FAIL"}
    json.loads(rows[0]["config"])
    page = (out / "index.html").read_text()
    for name in pngs:
        assert f'src="{name}"' in page
    best = min(s["best"] for s in summary.values())
    assert f"{best:.3f}" in page and "KS vs first" in page and "trials.csv" in page


def test_report_unknown_campaign_is_one_line(storage, tmp_path, capsys, monkeypatch):
    url, _ = storage
    monkeypatch.setenv("NETSPACE_STORAGE", url)
    assert main(["report", "nope", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no campaign 'nope'" in err and "campaigns there: cmp" in err
