"""Benchmark: accepted regime-constrained samples per second (one core).

    python benchmarks/bench_sampling.py [--regime 360M:400M] [--seconds 5] [--spaces regnetx anynetx_a ...]

Target (issue 2): >= 1,000 accepted samples/s for regnetx in the 360-400 MF regime at 224 px.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import time

from netspace.search_spaces import Geometry, Regime, get_space, iter_samples
from netspace.search_spaces.sampling import SamplingStats


def measure(name: str, regime: Regime, seconds: float, resolution: int) -> tuple[float, float, float]:
    space = get_space(name)
    stats = SamplingStats()
    it = iter_samples(space, seed=0, regime=regime, geometry=Geometry(resolution), stats=stats)
    next(it)  # warm-up (imports, first batch)
    stats.draws = stats.accepted = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        next(it)
    dt = time.perf_counter() - start
    return stats.accepted / dt, stats.draws / dt, stats.accepted / max(stats.draws, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--regime", default="360M:400M")
    ap.add_argument("--resolution", type=int, default=224)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--spaces", nargs="+", default=["regnetx", "regnety", "anynetx_a", "anynetx_e"])
    args = ap.parse_args()
    regime = Regime.parse(args.regime)
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    except (AttributeError, OSError):
        pass
    print(f"regime: {regime} at {args.resolution}px, one core, {args.seconds:g} s per space")
    print(f"{'space':<12} {'accepted/s':>12} {'draws/s':>12} {'acceptance':>11}")
    for name in args.spaces:
        acc, draws, rate = measure(name, regime, args.seconds, args.resolution)
        print(f"{name:<12} {acc:>12,.0f} {draws:>12,.0f} {rate:>10.3%}")


if __name__ == "__main__":
    main()
