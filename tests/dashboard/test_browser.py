"""`netspace dashboard` as a real Streamlit server, loaded in headless Debian Chromium: a finished campaign, and a
live one whose trials finish while the page is open (every section must follow without a reload)."""

import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest

from netspace.dashboard.demo import add_completed, populate

from .cdp import CHROMIUM, Browser
from .server import READY, dashboard

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not installed (apt-get install -y chromium)")]

TEXT = "document.body.innerText"
ERRORS = "document.querySelectorAll('[data-testid=\"stException\"]').length"
METRICS = "[...document.querySelectorAll('[data-testid=\"stMetricValue\"]')].map(e => e.innerText)"


def _completed(text: str) -> tuple[int, int]:
    """(models in the EDF caption, networks in the best-networks caption) as the page shows them."""
    edf = re.search(r"EDFs of (\d+) completed models", text)
    best = re.search(r"lowest-error of (\d+) completed networks", text)
    return (int(edf.group(1)) if edf else -1, int(best.group(1)) if best else -1)


def test_finished_campaign(tmp_path):
    url = f"sqlite:///{tmp_path / 'done.db'}"
    summary = populate(url, "done", ("regnetx", "anynetx_a", "anynetx_e"), n=30, running=0, failed=1, seed=4)
    with dashboard(url, tmp_path / "server.log") as page, Browser() as b:
        b.navigate(page)
        ready = b.wait_for(READY, timeout=120)
        time.sleep(1.0)  # let the last charts paint
        b.screenshot(ARTIFACTS / "dashboard_finished.png")
        text, errors = b.evaluate(TEXT), b.evaluate(ERRORS)
    assert ready, f"page incomplete; text starts: {text[:500]!r}"
    assert errors == 0
    for section in ("Progress", "Error EDFs", "Error vs complexity", "Parameters", "Importance",
                    "Parallel coordinates", "History", "Best networks", "Trial ", "learning curve"):
        assert section in text
    assert "finished: nothing re-read" in text and _completed(text) == (90, 90)
    best = min(s["best"] for s in summary.values())
    assert f"{best:.2f} %" in text and re.search(r"\d [MG]F", text)


def test_live_campaign_refreshes_every_section_without_reload(demo_storage, tmp_path):
    src, summary = demo_storage
    db = tmp_path / "campaigns.db"  # a copy: trials finish in it while the page is open
    shutil.copy(src[len("sqlite:///"):], db)
    url = f"sqlite:///{db}"
    n0 = sum(s["complete"] for s in summary.values())
    new_errors = [0.9, 0.8, 0.7]
    with dashboard(url, tmp_path / "server.log") as page, Browser() as b:
        b.navigate(page)
        ready = b.wait_for(READY, timeout=120)
        first = b.evaluate(TEXT)
        b.evaluate("window.__not_reloaded = true")  # a page reload would drop it

        def finish_trials():  # the campaign goes on: trials finish while the page stays open
            for err in new_errors:
                time.sleep(1.5)
                add_completed(url, "demo", "regnetx", err)

        writer = threading.Thread(target=finish_trials)
        writer.start()
        writer.join()
        n1 = n0 + len(new_errors)
        refreshed = b.wait_for(f"{TEXT}.includes('EDFs of {n1} completed models') && "
                               f"{TEXT}.includes('lowest-error of {n1} completed networks') && "
                               f"{METRICS}.includes('0.70 %')", timeout=45)
        time.sleep(1.0)
        shot = b.screenshot(ARTIFACTS / "dashboard_live.png")
        after, kept, errors = b.evaluate(TEXT), b.evaluate("window.__not_reloaded === true"), b.evaluate(ERRORS)
    assert ready, f"page incomplete; text starts: {first[:500]!r}"
    assert "live: every section refreshes" in first and _completed(first) == (n0, n0)
    assert refreshed, f"sections did not follow the campaign: {_completed(after)} instead of {(n1, n1)}"
    assert kept, "the page was reloaded"
    assert errors == 0 and _completed(after) == (n1, n1)
    assert shot.stat().st_size > 20_000
    if os.environ.get("NETSPACE_UPDATE_DOCS_IMG"):
        shutil.copy(shot, ROOT / "docs" / "img" / "dashboard_live_test.png")
