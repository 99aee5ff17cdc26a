"""Platform overhead per trial of a campaign (not a test).

    python benchmarks/bench_campaign.py [--trials 20] [--concurrent 1]

Runs a campaign of N very short trials (1 epoch on 64 digits images, ~1 MFLOP models) on a local Ray, SQLite
storage and an MLflow SQLite store in a temporary directory, and prints

    overhead per trial = (wall time of the campaign - sum of the trials' train_time_s) / N

with one trial at a time (so the subtraction is meaningful), including and excluding the one-off start-up
(Ray start, MLflow store creation, first worker), and in steady state (between the first and last trial end);
then the platform's overhead, which also leaves out each trial's runtime measurement (timed inference passes
whose result is the trial's ``inference_ms``: trial work, timed by the worker as ``measure_time_s``).
Targets for the platform's overhead: <= 0.2 s per trial in steady state, <= 0.4 s excluding Ray start-up
(``ray.init``).

Profile the driver with ``python -m cProfile -o driver.prof benchmarks/bench_campaign.py`` (the driver runs in this
process; Ray workers do not show up there).
"""

from __future__ import annotations

import argparse
import datetime
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--concurrent", type=int, default=1)
    args = ap.parse_args()

    import optuna
    import yaml

    from netspace.platform.campaign.run import run_campaign
    from netspace.platform.campaign.scheduler import ensure_ray

    with tempfile.TemporaryDirectory(prefix="bench_campaign_") as tmp:
        os.chdir(tmp)
        spec = {
            "name": "bench",
            "spaces": [{"space": "regnetx", "samples": args.trials, "regime": {"low": "0.5M", "high": "2M"}}],
            "training": {"epochs": 1, "batch_size": 64, "max_train_images": 64, "augment": False},
            "resources": {"cpus_per_trial": 1, "max_concurrent": args.concurrent},
            "mlflow": {"log_weights": True},
        }
        Path("bench.yaml").write_text(yaml.safe_dump(spec))
        t0 = time.perf_counter()
        ensure_ray(None, num_cpus=max(2, args.concurrent))
        t_ray = time.perf_counter() - t0
        t1 = time.perf_counter()
        started_at = datetime.datetime.now()
        summary = run_campaign("bench.yaml", show_progress=False)
        wall_run = time.perf_counter() - t1
        wall = time.perf_counter() - t0
        trials = optuna.load_study(study_name="bench::regnetx", storage=f"sqlite:///{tmp}/netspace.db").get_trials()
        done = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
        train = sum(float(t.user_attrs["train_time_s"]) for t in done)
        n = len(done)
        done.sort(key=lambda t: t.datetime_complete)
        first = done[0]
        setup = (first.datetime_start - started_at).total_seconds()  # driver set-up until the first trial is drawn
        first_start = ((first.datetime_complete - first.datetime_start).total_seconds()
                       - float(first.user_attrs["train_time_s"]))  # Ray starts the worker, imports, first-trial warm-up
        span = (done[-1].datetime_complete - done[0].datetime_complete).total_seconds()
        steady = (span - sum(float(t.user_attrs["train_time_s"]) for t in done[1:])) / max(n - 1, 1)
        measure = [float(t.user_attrs["measure_time_s"]) for t in done]  # timed by the worker
        first_measure = measure[0]
        assert summary.complete and n == args.trials, summary.counts
        import ray

        ray.shutdown()
    print(f"trials: {n} (1 epoch, 64 images each), {args.concurrent} at a time")
    print(f"ray.init: {t_ray:.1f} s   campaign (run_campaign): {wall_run:.1f} s   sum of train_time_s: {train:.1f} s")
    print(f"overhead per trial, start-up included:   {(wall - train) / n:.2f} s")
    print(f"overhead per trial, excluding ray.init:  {(wall_run - train) / n:.2f} s")
    print(f"steady state (first to last trial end):   {steady:.2f} s per trial")
    print(f"one-off costs: driver set-up {setup:.1f} s (to the first trial drawn), first trial's worker "
          f"{first_start:.1f} s (Ray starts the trial actor, torch and netspace import, first-call warm-up)")
    m = sum(measure) / max(n, 1)
    m_steady = sum(measure[1:]) / max(n - 1, 1)
    print(f"of which the runtime measurement (each trial's timed inference passes: trial work, part of its result, "
          f"measured in the worker as measure_time_s): {m:.2f} s per trial")
    print(f"platform overhead (wall time minus each trial's training and runtime measurement), excluding ray.init: "
          f"{(wall_run - train) / n - m:.2f} s per trial   (target <= 0.4 s)")
    print(f"platform overhead in steady state: {steady - m_steady:.2f} s per trial   (target <= 0.2 s)")
    print(f"platform overhead excluding ray.init and the first worker's start: "
          f"{(wall_run - train - (first_start - first_measure)) / n - m:.2f} s per trial")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
