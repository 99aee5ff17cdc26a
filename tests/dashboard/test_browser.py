"""`netspace dashboard` as a real Streamlit server, loaded in headless Debian Chromium."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import optuna
import pytest

from .cdp import CHROMIUM, Browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(demo_storage, tmp_path):
    src, summary = demo_storage
    db = tmp_path / "campaigns.db"  # a copy: this test adds a trial while the page is open
    shutil.copy(src[len("sqlite:///"):], db)
    url = f"sqlite:///{db}"
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "netspace", "dashboard", "--storage", url, "--port", str(port), "--address", "127.0.0.1"],
        stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("dashboard did not start: " + (tmp_path / "server.log").read_text()[-2000:])
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/", url, summary
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        log.close()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not installed (apt-get install -y chromium)")
def test_dashboard_in_headless_chromium(server):
    page_url, url, summary = server
    total = sum(s["complete"] + s["running"] + s["failed"] for s in summary.values())
    with Browser() as b:
        b.navigate(page_url)
        ready = b.wait_for(
            "document.body.innerText.includes('Best networks') && "
            "document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] canvas, "
            "[data-testid=\"stVegaLiteChart\"] svg').length >= 4 && "
            "document.querySelectorAll('[data-testid=\"stDataFrame\"]').length >= 3", timeout=90)
        time.sleep(1.0)  # let the last charts paint
        shot = b.screenshot(ARTIFACTS / "dashboard.png")
        if os.environ.get("NETSPACE_UPDATE_DOCS_IMG"):
            shutil.copy(shot, ROOT / "docs" / "img" / "dashboard.png")
        text = b.evaluate("document.body.innerText")
        charts = b.evaluate("document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]').length")
        tables = b.evaluate("document.querySelectorAll('[data-testid=\"stDataFrame\"]').length")
        errors = b.evaluate("document.querySelectorAll('[data-testid=\"stException\"]').length")
        # live progress: a trial that starts now shows up without reloading the page
        study = optuna.load_study(study_name="demo::regnetx", storage=url)
        study.add_trial(optuna.trial.create_trial(state=optuna.trial.TrialState.RUNNING,
                                                  user_attrs={"progress": {"epoch": 1, "epochs": 3, "top1_err": 77.5}}))
        metrics = "[...document.querySelectorAll('[data-testid=\"stMetricValue\"]')].map(e => e.innerText)"
        refreshed = b.wait_for(f"{metrics}.includes('{total + 1}') && {metrics}.includes('7')", timeout=30)
    assert ready, f"page incomplete; text starts: {text[:500]!r}"
    assert errors == 0
    assert charts >= 5 and tables >= 4
    for section in ("Progress", "Error EDFs", "Error vs complexity", "Parameter trends", "Best networks",
                    "running trials"):
        assert section in text
    assert refreshed, "the progress section did not pick up the new running trial"
    best = min(s["best"] for s in summary.values())
    assert str(total) in text and f"{best:.2f}" in text
    assert shot.stat().st_size > 20_000
