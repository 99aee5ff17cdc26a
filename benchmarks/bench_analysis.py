"""Analysis and dashboard timings.

1. Analysis of 100,000 synthetic trials (3 spaces): EDFs, normalized EDFs, KS summary, parameter and
   complexity trends (and, separately, bootstrap bands).
2. Pairwise verdicts of a 10,000-trial, 5-space campaign (10 pairs): plain (what `netspace status` and
   `--json` compute) and normalized by FLOPs (the report's second table; 1,000 within-bin permutations and
   1,000 stratified bootstrap rounds per pair).
3. Dashboard first render: a real SQLite Optuna storage holding ~10,000 trials (populated through Optuna, then
   grown by SQL row copies), the Streamlit script run once under AppTest in a fresh process (empty caches,
   only streamlit.testing imported and the server's start-up component scan done before the clock starts); plus
   the reader's load time. Measured twice in the
   same run, each in its own fresh process: the old code path (NETSPACE_DASHBOARD_EAGER=1: every section of
   every tab computed on first paint, as the page did before it had tabs) and the new one (only the open
   tab, Overview, is computed; then each other tab is opened once and timed). Wall and CPU seconds are
   printed: on a shared machine the CPU seconds are the steadier figure.

    python benchmarks/bench_analysis.py [--trials 100000] [--storage-trials 10000] [--only-comparisons]
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from netspace.platform import analysis as an


def population(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    spaces = np.array(["anynetx_a", "anynetx_e", "regnetx"])[rng.integers(0, 3, n)]
    flops = np.exp(rng.uniform(np.log(2e8), np.log(4e8), n))
    offset = np.select([spaces == "anynetx_a", spaces == "anynetx_e"], [3.0, 1.5], 0.0)
    err = 40 - 5 * np.log10(flops / 1e8) + offset + rng.gamma(2, 2, n)
    return pd.DataFrame({"space": spaces, "error": err, "flops": flops, "params": flops / 50,
                         "param_d": rng.integers(1, 64, n), "param_w0": rng.integers(1, 32, n) * 8,
                         "param_wa": np.exp(rng.uniform(0, np.log(256), n)), "param_wm": rng.uniform(1.5, 3, n),
                         "param_b": rng.choice([1, 2, 4], n), "param_g": rng.choice([1, 2, 4, 8, 16, 32], n)})


def campaign(n: int, seed: int = 1) -> pd.DataFrame:
    """A finished 5-space campaign of ``n`` trials: error falls with FLOPs, two spaces are worse."""
    rng = np.random.default_rng(seed)
    spaces = np.array(["anynetx_a", "anynetx_b", "anynetx_e", "regnetx", "regnety"])[rng.integers(0, 5, n)]
    flops = np.exp(rng.uniform(np.log(2e8), np.log(4e8), n))
    offset = np.select([spaces == "anynetx_a", spaces == "anynetx_b"], [1.0, 0.5], 0.0)
    err = 40 - 5 * np.log10(flops / 1e8) + offset + rng.gamma(2, 2, n)
    return pd.DataFrame({"space": spaces, "error": err, "flops": flops, "state": "COMPLETE"})


def analyse(df: pd.DataFrame) -> None:
    an.edf_curves(df)
    an.edf_curves(df, normalize="flops")
    an.summary_table(df, complexity="flops")
    for s in an.space_order(df):
        an.param_trends(df, s)
    an.binned_trend(df["flops"], df["error"])


def best_of(fn, repeat: int = 5) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), float(np.median(times))


FIRST_RENDER = r"""
import json, os, sys, time
from streamlit.testing.v1 import AppTest
os.environ["NETSPACE_STORAGE"] = sys.argv[1]
at = AppTest.from_file(sys.argv[2], default_timeout=300)
# a Streamlit server scans the installed packages for components once, when it starts (Runtime.__init__), not per
# page; AppTest does it inside its first run. Do it here, before the clock, and report it apart.
from streamlit.components.v2.component_manager import BidiComponentManager
t0 = time.perf_counter()
components = BidiComponentManager()
components.discover_and_register_components(start_file_watching=False)
at._bidi_component_manager = components
server_start = time.perf_counter() - t0
def timed():
    t, c = time.perf_counter(), time.process_time()
    at.run()
    return time.perf_counter() - t, time.process_time() - c
first, first_cpu = timed()
sections = [h.value for h in at.header]
exceptions = len(at.exception)
messages = [e.message for e in at.exception]
m = {x.label: x.value for x in at.metric}
tabs = {}
if os.environ.get("NETSPACE_DASHBOARD_EAGER") != "1":
    for name in ("Compare", "Parameters", "Trials", "Refine"):
        at.session_state["tab"] = name
        tabs[name] = timed()
        sections += [h.value for h in at.header]
        exceptions += len(at.exception)
        messages += [f"{name}: {e.message}" for e in at.exception]
    at.session_state["tab"] = "Overview"
rerun, _ = timed()
print(json.dumps({"server_start": server_start, "first": first, "first_cpu": first_cpu, "rerun": rerun, "trials": m.get("trials"),
                  "exception": exceptions, "messages": messages, "sections": sections, "tabs": tabs}))
"""
SECTIONS = {"Progress", "Error EDFs", "Error vs complexity", "History", "Best networks", "Pairwise comparisons",
            "Parameters", "All trials", "Refine a space"}


def first_render(url: str, app: str, eager: bool) -> dict:
    import os

    env = {**os.environ, "NETSPACE_DASHBOARD_EAGER": "1" if eager else "0"}
    out = subprocess.run([sys.executable, "-c", FIRST_RENDER, url, app], capture_output=True, text=True, check=True,
                         env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=100_000)
    ap.add_argument("--storage-trials", type=int, default=10_000)
    ap.add_argument("--keep", default=None, help="keep the storage at this path (sqlite file)")
    ap.add_argument("--only-comparisons", action="store_true", help="only the pairwise-verdict timings")
    args = ap.parse_args()

    camp = campaign(10_000)
    an.pairwise_comparisons(camp.head(500))  # warm-up (imports)
    for what, kw in (("pairwise verdicts, 10,000 trials in 5 spaces (10 pairs, Holm)", {}),
                     ("pairwise verdicts on normalized EDFs, same campaign", {"normalize": "flops"})):
        cpu = time.process_time()
        best, med = best_of(lambda kw=kw: an.pairwise_comparisons(camp, **kw), 3)
        cpu = (time.process_time() - cpu) / 3  # CPU time per run: what a loaded, shared machine does not inflate
        print(f"{what}: best {best:.3f} s, median {med:.3f} s (CPU {cpu:.3f} s per run)")
    if args.only_comparisons:
        return

    df = population(args.trials)
    analyse(df)  # warm-up
    best, med = best_of(lambda: analyse(df))
    print(f"analysis of {args.trials:,} trials (EDF + normalized EDF + KS + trends): best {best:.3f} s, median {med:.3f} s")
    best, med = best_of(lambda: an.edf_curves(df, bands=True, n_boot=200), 3)
    print(f"EDFs with 200-resample bootstrap bands, {args.trials:,} trials: best {best:.3f} s, median {med:.3f} s")

    from netspace.dashboard.demo import populate, replicate
    from netspace.platform.storage.results import load_trials

    tmp = tempfile.TemporaryDirectory()
    path = Path(args.keep) if args.keep else Path(tmp.name) / "bench.db"
    url = f"sqlite:///{path.resolve()}"
    spaces = ("anynetx_a", "anynetx_e", "regnetx")
    base = 100
    per_copy = len(spaces) * (base + 3)
    t = time.perf_counter()
    populate(url, "bench", spaces, base, running=2, failed=1)
    replicate(url, "bench", max(1, math.ceil(args.storage_trials / per_copy)))
    build = time.perf_counter() - t
    t = time.perf_counter()
    n = len(load_trials(url, "bench"))
    load = time.perf_counter() - t
    print(f"storage with {n:,} trials built in {build:.1f} s; load_trials: {load:.3f} s")

    app = str(Path(__file__).resolve().parents[1] / "netspace" / "dashboard" / "app.py")
    old = first_render(url, app, eager=True)
    new = first_render(url, app, eager=False)
    for what, r in (("old: every tab on first paint", old), ("new: the open tab only", new)):
        missing = sorted(SECTIONS - set(r["sections"]))
        print(f"dashboard first render, {what} ({r['trials']} trials, AppTest, fresh process): {r['first']:.2f} s "
              f"({r['first_cpu']:.2f} s CPU); rerun: {r['rerun']:.2f} s; exceptions: {r['exception']}; "
              + (f"missing sections: {', '.join(missing)}" if missing else "every section present"))
        for message in r.get("messages", []):
            print(f"  exception: {' '.join(str(message).split())[:300]}")
        print(f"  (not counted: the server's one-off component scan at start-up, {r['server_start']:.2f} s)")
    print("  then each tab's first opening: " + ", ".join(f"{k} {w:.2f} s ({c:.2f} s CPU)"
                                                            for k, (w, c) in new["tabs"].items()))
    print(f"dashboard first render: {new['first']:.2f} s new vs {old['first']:.2f} s old "
          f"(CPU {new['first_cpu']:.2f} s vs {old['first_cpu']:.2f} s; target < 3 s)")


if __name__ == "__main__":
    main()
