"""Screenshot `netspace dashboard` for a campaign storage (how the README's dashboard images are made).

    python scripts/screenshot_dashboard.py --storage sqlite:///netspace.db --out docs/img

Starts the real dashboard server, loads it in headless Debian Chromium (driven over the DevTools protocol by the
same helper the browser test uses), waits for every chart to paint and writes dashboard.png (top of the page) and
dashboard_best_networks.png (the best networks and their architecture).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.dashboard.cdp import Browser

READY = ("document.body.innerText.includes('Best networks') && "
         "document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] canvas, "
         "[data-testid=\"stVegaLiteChart\"] svg').length >= 4")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--storage", default="sqlite:///netspace.db")
    ap.add_argument("--out", default="docs/img")
    args = ap.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "netspace", "dashboard", "--storage", args.storage,
                             "--port", str(port), "--address", "127.0.0.1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(200):
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.3)
        with Browser(width=1400, height=4600) as b:
            b.navigate(f"http://127.0.0.1:{port}/")
            if not b.wait_for(READY, timeout=120):
                sys.exit("the dashboard did not finish rendering")
            time.sleep(2.0)
            full = b.screenshot(Path(args.out) / "dashboard_full.png")
            best_y = int(b.evaluate("[...document.querySelectorAll('h2, h3')].find(e => e.innerText.includes('Best networks'))"
                                    ".getBoundingClientRect().top + window.scrollY"))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
    from PIL import Image

    img = Image.open(full)
    img.crop((0, 0, img.width, min(img.height, 1850))).save(Path(args.out) / "dashboard.png")
    img.crop((0, max(0, best_y - 40), img.width, min(img.height, best_y + 1400))).save(Path(args.out) / "dashboard_best_networks.png")
    full.unlink()
    print(f"wrote {args.out}/dashboard.png and {args.out}/dashboard_best_networks.png")


if __name__ == "__main__":
    main()
