"""Worker memory benchmark: one process trains many tiny trials in a row, as a reused Ray worker does
(``reuse_actors=True``), and its resident set size is printed as it goes, with and without
:func:`netspace.workers.memory.release_memory` after each trial (what ``train_trial`` does).

    python benchmarks/bench_worker_memory.py                 # 200 trials of AnyNetX-A at 1-4 MFLOPs on digits
    python benchmarks/bench_worker_memory.py --trials 60 --no-release

The stated bound: after the first 10 trials (warm-up: dataset cache, torch kernels, allocator pools) RSS grows by
at most ``--bound-mb`` (default 150 MB) over the rest of the run. Exit status 1 when it does not hold. Not a test:
numbers depend on the machine; run it on an idle one.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time

import torch

from netspace.search_spaces import Geometry, Regime, get_space
from netspace.search_spaces.sampling import iter_samples
from netspace.workers import DatasetSpec, TrainRecipe, dataset_info, run_trial
from netspace.workers.memory import release_memory, rss_bytes

MB = 1 << 20


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--space", default="anynetx_a")
    ap.add_argument("--regime", default="1M:4M")
    ap.add_argument("--images", type=int, default=128)
    ap.add_argument("--bound-mb", type=float, default=150.0)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--no-release", action="store_true", help="skip release_memory (the old behaviour)")
    args = ap.parse_args()

    torch.set_num_threads(1)
    spec = DatasetSpec(name="digits")
    info = dataset_info(spec)
    geometry = Geometry(int(info.resolution), int(info.in_channels), int(info.num_classes))
    recipe = TrainRecipe(epochs=1, batch_size=64, max_train_images=args.images, augment=False, device="cpu")
    samples = iter_samples(get_space(args.space), 0, Regime.parse(args.regime), geometry=geometry)
    rss: list[float] = []
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.trials):
            s = next(samples)
            run_trial(args.space, s.config.to_dict(), spec, recipe, seed=i, checkpoint_dir=f"{tmp}/trial-{i}")
            if not args.no_release:
                release_memory()
            else:
                gc.collect(0)
            rss.append(rss_bytes() / MB)
            if i % 20 == 0 or i == args.trials - 1:
                print(f"trial {i + 1:4d}: RSS {rss[-1]:7.1f} MB  ({time.time() - t0:5.1f} s)", flush=True)
    base = rss[min(args.warmup, len(rss)) - 1]
    growth = max(rss[args.warmup - 1:]) - base if len(rss) >= args.warmup else 0.0
    ok = growth <= args.bound_mb
    print(f"release_memory: {'off' if args.no_release else 'on'}; RSS after {args.warmup} trials {base:.1f} MB, "
          f"peak after that {max(rss):.1f} MB, growth {growth:.1f} MB over {len(rss) - args.warmup} trials; "
          f"bound {args.bound_mb:.0f} MB: {'holds' if ok else 'EXCEEDED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
