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
    pdfs = {p.name for p in out.glob("*.pdf")}
    assert {"edf.pdf", "normalized_edf.pdf", "error_vs_complexity.pdf", "efficiency.pdf",
            "trends_regnetx.pdf", "trends_anynetx_e.pdf"} <= pdfs
    for p in out.glob("*.pdf"):
        data = p.read_bytes()
        assert data[:5] == b"%PDF-" and len(data) > 5000
    assert not list(out.glob("*.png"))  # the page needs no loose images
    # CSV rows = finished trials (COMPLETE + FAIL here; RUNNING ones are not finished, rejections never trained)
    rows = list(csv.DictReader((out / "trials.csv").open()))
    assert len(rows) == sum(s["complete"] + s["failed"] for s in summary.values()) == 34
    assert {r["state"] for r in rows} == {"COMPLETE", "FAIL"}
    json.loads(rows[0]["config"])
    page = (out / "index.html").read_text()
    for name in pdfs:
        assert f'href="{name}"' in page
    best = min(s["best"] for s in summary.values())
    assert f"{best:.3f}" in page and "KS vs first" in page and "trials.csv" in page
    assert f"<code>netspace report cmp --storage {url} --out {out}</code>" in page  # provenance: the command


def test_report_unknown_campaign_is_one_line(storage, tmp_path, capsys, monkeypatch):
    url, _ = storage
    monkeypatch.setenv("NETSPACE_STORAGE", url)
    assert main(["report", "nope", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no campaign 'nope'" in err and "campaigns there: cmp" in err


# -- one self-contained page (issue 19) and the paper's experiments (issue 21) ---------------------------------------
@pytest.fixture(scope="module")
def experiments_storage(tmp_path_factory):
    """Runtime measured on two devices, and regnetx sampled in three FLOP regimes with a real campaign spec."""
    import optuna

    url = f"sqlite:///{tmp_path_factory.mktemp('report_exp') / 'campaigns.db'}"
    populate(url, "zoo", ("regnetx",), n=8, running=0, failed=0, seed=7, regimes=["1M:2M", "2M:4M", "4M:8M"],
             devices=("cpu: alpha", "gpu: beta"))
    spec = {"name": "zoo", "dataset": {"name": "digits"}, "training": {"epochs": 3},
            "spaces": [{"space": "regnetx", "label": f"regnetx.{r}", "samples": 8,
                        "regime": {"metric": "flops", "low": lo, "high": hi}, "regime_of": "regnetx"}
                       for r, lo, hi in (("1M-2M", 1e6, 2e6), ("2M-4M", 2e6, 4e6), ("4M-8M", 4e6, 8e6))]}
    for r in ("1M-2M", "2M-4M", "4M-8M"):
        optuna.load_study(study_name=f"zoo::regnetx.{r}", storage=url).set_user_attr("spec", json.dumps(spec))
    return url


def test_report_is_one_self_contained_page_with_provenance_and_pdfs(experiments_storage, tmp_path):
    import re

    import netspace
    from netspace.platform.reporting.report import build_report

    out = tmp_path / "rep"
    rep = build_report(experiments_storage, "zoo", out,
                       command="netspace report zoo --storage postgresql://ana:s3cretpw@db:5432/runs")
    page = rep.index.read_text(encoding="utf-8")
    # every figure inline: as many <svg> elements as PDFs, no images to fetch, no XML prolog inside the page
    assert page.count("<svg") == len(rep.figures) >= 9
    assert "<img" not in page and ".png" not in page and "<?xml" not in page
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "ids of different figures collide"
    for pdf in rep.figures:
        assert pdf.parent == out and pdf.read_bytes()[:5] == b"%PDF-" and f'href="{pdf.name}"' in page
    # provenance: date, version, commit (or why not), the command and storage with the password masked
    block = page[page.index("<h2>Provenance</h2>"):page.index("<h2>In short</h2>")]
    assert re.search(r"<th>date</th><td><code>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ</code>", block)
    assert f"<th>netspace</th><td><code>{netspace.__version__}</code>" in block
    assert re.search(r"<th>commit</th><td><code>([0-9a-f]{7,}(-dirty)?|not a git checkout)</code>", block)
    assert "netspace report zoo --storage postgresql://ana:***@db:5432/runs" in block and "s3cretpw" not in page
    assert f"<th>storage</th><td><code>{experiments_storage}</code>" in block
    # the regime as people write it, not JSON
    assert "FLOPs 1M–2M" in page and "FLOPs 4M–8M" in page and '{"metric"' not in page


def test_report_complexity_fits_runtime_and_best_models_across_regimes(experiments_storage, tmp_path):
    from netspace.platform.reporting.report import build_report

    rep = build_report(experiments_storage, "zoo", tmp_path / "rep")
    page = rep.index.read_text(encoding="utf-8")
    names = {p.name for p in rep.figures}
    assert {"complexity_fits.pdf", "best_across_regimes.pdf", "normalized_edf_runtime.pdf"} <= names
    fits = page[page.index("<h2>Complexity: activations and runtime</h2>"):]
    for device in ("cpu: alpha", "gpu: beta"):  # runtime fitted per device; acts vs FLOPs over all ("any")
        assert f"<td>{device}</td><td>runtime ∝ FLOPs<sup>" in fits and f"<td>{device}</td><td>runtime ∝ acts<sup>" in fits
    assert "<td>any</td><td>acts ∝ FLOPs<sup>" in fits
    assert "On normalized EDFs (runtime measured on cpu: alpha)" in page  # runtime as a normalization axis
    zoo = page[page.index("<h2>Best models across regimes</h2>"):]
    for label in ("regnetx.1M-2M", "regnetx.2M-4M", "regnetx.4M-8M"):
        assert zoo.count(f"<td>{label}</td>") == 3  # the best 3 of each regime
    for col in ("d", "w0", "wa", "wm", "g", "b", "e_fit", "runtime"):
        assert f"<th>{col}</th>" in zoo
    best = page[page.index("<h2>Best networks</h2>"):]
    assert "<th>runtime</th>" in best and " ms (cpu: alpha)" in best


def test_log_ticks_are_few_readable_and_do_not_overlap():
    import numpy as np

    from netspace.platform.reporting import style
    from netspace.platform.reporting.figures import log_axis, log_ticks, pyplot

    assert log_ticks(2e6, 6e6) == [2e6, 5e6]
    assert log_ticks(1e6, 1e9) == [1e6, 1e7, 1e8, 1e9]
    assert log_ticks(5e4, 3e6) == [5e4, 1e5, 2e5, 5e5, 1e6, 2e6]
    assert 2 <= len(log_ticks(2.1e6, 2.9e6)) <= 6  # within one decade: round values
    assert [style.fmt_tick(v) for v in (2e6, 4e8, 1.5e9, 2e4, 7)] == ["2M", "400M", "1.5G", "20k", "7"]
    plt = pyplot()
    for lo, hi in ((1.2e6, 5.8e6), (3e5, 2e9), (40, 900), (1e3, 1e12)):
        fig, ax = plt.subplots(figsize=(3.2, 2.6))
        ax.scatter(np.geomspace(lo, hi, 20), np.arange(20))
        log_axis(ax, "x")
        fig.canvas.draw()
        labels = [t for t in ax.get_xticklabels() if t.get_text() and t.get_visible()]
        lo_x, hi_x = ax.get_xlim()
        labels = [t for t in labels if lo_x <= t.get_position()[0] <= hi_x]
        assert 2 <= len(labels) <= 6, (lo, hi, [t.get_text() for t in labels])
        assert all("e" not in t.get_text() and "^" not in t.get_text() and "$" not in t.get_text() for t in labels)
        boxes = sorted((t.get_window_extent() for t in labels), key=lambda b: b.x0)
        assert all(a.x1 < b.x0 for a, b in zip(boxes, boxes[1:])), [t.get_text() for t in labels]
        plt.close(fig)
