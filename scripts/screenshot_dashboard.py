"""Screenshot `netspace dashboard` for a campaign storage (how the README's dashboard images are made).

    python scripts/screenshot_dashboard.py --storage sqlite:///netspace.db --out docs/img            # finished
    python scripts/screenshot_dashboard.py --storage sqlite:///netspace.db --out docs/img --name dashboard_live

Starts the real dashboard server, loads it in headless Debian Chromium (driven over the DevTools protocol by the
same helpers the browser test uses), waits for every chart to paint and writes NAME.png (summary strip, tabs,
progress, EDFs, error vs complexity), NAME_trial.png (history, best networks and the chosen trial: config, learning
curve, stages, per-block widths), NAME_parameters.png (the Parameters tab: trends, importance, parallel
coordinates) and NAME_trials.png (the Trials tab opened by a link to the best trial: table, its learning curve and
config).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.dashboard.cdp import Browser
from tests.dashboard.server import READY, dashboard

TOP = "[...document.querySelectorAll('h1, h2, h3')].find(e => e.innerText.trim() === '{}').getBoundingClientRect().top"
PARTS = {"": ("Campaign", "History"), "_trial": ("History", "Promote")}  # parts of the Overview tab
TAB_READY = {"Parameters": "document.body.innerText.includes('Parallel coordinates') && "
                           "document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] svg, "
                           "[data-testid=\"stVegaLiteChart\"] canvas').length >= 2",
             "Trials": "document.body.innerText.includes('Side by side') && "
                       "document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] svg, "
                       "[data-testid=\"stVegaLiteChart\"] canvas').length >= 1"}


def _tops(b: Browser) -> dict[str, int | None]:
    """Page y of each heading that bounds a part (None when it is not on the page)."""
    tops = {}
    for start, end in PARTS.values():
        for h in (start, end):
            title = h if h != "Campaign" else b.evaluate("[...document.querySelectorAll('h1')].map(e => e.innerText.trim())[0]")
            y = b.evaluate(TOP.format(str(title).replace("'", "\\'")))
            tops[h] = int(y) if y is not None else None
    return tops


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--storage", default="sqlite:///netspace.db")
    ap.add_argument("--out", default="docs/img")
    ap.add_argument("--name", default="dashboard", help="file name prefix (default: dashboard)")
    args = ap.parse_args()
    out = Path(args.out)
    with tempfile.TemporaryDirectory() as tmp, dashboard(args.storage, Path(tmp) / "server.log") as page, \
            Browser(width=1400, height=7600) as b:
        b.navigate(page)
        if not b.wait_for(READY, timeout=180):
            sys.exit("the dashboard did not finish rendering; page text: " + str(b.evaluate("document.body.innerText"))[:600])
        b.wait_for("[...document.querySelectorAll('[data-testid=\"stCode\"]')].every(e => e.innerText.trim().length) && "
                   "document.querySelectorAll('[data-testid=\"stSlider\"] [role=\"slider\"]').length > 0", timeout=30)
        for _ in range(10):  # a live page re-renders every few seconds: retake until every heading is there
            time.sleep(2.5)
            full = b.screenshot(Path(tmp) / "full.png")
            tops = _tops(b)
            stale = b.evaluate("document.querySelectorAll('[data-stale=\"true\"]').length")
            if None not in tops.values() and not stale:
                break
        side = b.evaluate("(document.querySelector('[data-testid=\"stSidebar\"]') || {getBoundingClientRect: () => "
                          "({right: 0})}).getBoundingClientRect().right")
        from PIL import Image

        img = Image.open(full)
        for suffix, (start, end) in PARTS.items():
            y0, y1 = tops[start], tops[end]
            if y0 is None or y1 is None:
                print(f"skipped {args.name}{suffix}.png: no '{start if y0 is None else end}' heading on the page")
                continue
            x0 = 0 if suffix == "" else int(side or 0)  # the sidebar only once, beside the top
            box = (x0, max(0, y0 - 30), img.width, min(img.height, y1 - 10))
            path = out / f"{args.name}{suffix}.png"
            img.crop(box).save(path)
            print(f"wrote {path}")
        best = b.evaluate("(document.body.innerText.match(/\\n([\\w-]+:\\d+) · /) || [])[1]")
        for tab, ready in TAB_READY.items():
            b.navigate(page + f"?tab={tab}" + (f"&trial={best}" if best else ""))
            if not b.wait_for(ready, timeout=120):
                print(f"skipped {args.name}_{tab.lower()}.png: the {tab} tab did not finish rendering")
                continue
            time.sleep(2.5)
            shot = b.screenshot(Path(tmp) / f"{tab}.png")
            bottom = b.evaluate("Math.ceil(Math.max(...[...document.querySelectorAll('[data-testid=\"stMainBlockContainer\"] "
                                "> div > div > *')].map(e => e.getBoundingClientRect().bottom)))")
            img = Image.open(shot)
            box = (int(side or 0), 0, img.width, min(img.height, int(bottom or img.height) + 40))
            path = out / f"{args.name}_{tab.lower()}.png"
            img.crop(box).save(path)
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
