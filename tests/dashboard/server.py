"""`netspace dashboard` as a real Streamlit server process (the browser test and scripts/screenshot_dashboard.py)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHARTS = ("document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] canvas, "
          "[data-testid=\"stVegaLiteChart\"] svg').length")
# the Overview tab complete: summary strip, EDFs, error vs complexity, history, best networks and the chosen trial
READY = ("document.body.innerText.includes('winning space') && document.body.innerText.includes('Best networks') && "
         f"{CHARTS} >= 6 && document.querySelectorAll('[data-testid=\"stDataFrame\"]').length >= 3")
FIRST_CHART = f"document.body.innerText.includes('Error EDFs') && {CHARTS} >= 1"


class Page(str):
    """The page URL; ``pid``: the server process."""

    pid: int = 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def dashboard(storage: str, log: Path, env: dict | None = None):
    """Start ``netspace dashboard --storage URL`` on a free port; yields the page URL; stops it on exit."""
    port = free_port()
    out = log.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "netspace", "dashboard", "--storage", storage, "--port", str(port),
         "--address", "127.0.0.1"],
        stdout=out, stderr=subprocess.STDOUT, cwd=log.parent, start_new_session=True, env={**os.environ, **(env or {})})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("dashboard did not start: " + log.read_text()[-2000:])
            time.sleep(0.3)
        page = Page(f"http://127.0.0.1:{port}/")
        page.pid = proc.pid
        yield page
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        out.close()
