"""A demo campaign storage: real Optuna studies laid out exactly as the campaign engine writes them
(docs/contracts.md), with sampled configs, exact complexity and synthetic errors (no training).

Used by the tests, the benchmark and ``python -m netspace.dashboard.demo sqlite:///demo.db`` (through
:mod:`netspace.dashboard.demo`).
"""

from __future__ import annotations

import json
import math
import sys
import warnings

import numpy as np

SPACE_OFFSET = {"anynetx_a": 6.0, "anynetx_b": 5.0, "anynetx_c": 4.0, "anynetx_d": 2.0, "anynetx_e": 1.0,
                "regnetx": 0.0, "regnety": -1.0}


def synthetic_error(space: str, flops: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Top-1 error (%) that falls with log FLOPs, offset per space, with noise; in [1, 99]."""
    base = 45.0 - 6.0 * np.log10(np.maximum(flops, 1.0) / 1e6) + SPACE_OFFSET.get(space, 3.0)
    return np.clip(base + rng.gamma(2.0, 2.5, size=flops.shape), 1.0, 99.0)


def populate(url: str, campaign: str = "demo", spaces=("regnetx", "anynetx_a"), n: int = 40, *, seed: int = 0,
             running: int = 2, failed: int = 1, rejected: int = 0, epochs: int = 3, resolution: int = 32, num_classes: int = 10) -> dict:
    """Create one study per space holding ``n`` COMPLETE, ``running`` RUNNING and ``failed`` FAIL trials, and
    ``rejected`` FAIL trials with a ``rejected`` attr (the engine's constraint/regime rejections).

    Returns ``{space: {"complete": n, "running": r, "failed": f, "rejected": x, "best": min error}}``.
    """
    import optuna
    from optuna.trial import TrialState, create_trial

    from netspace.platform.storage.distributions import to_optuna
    from netspace.search_spaces import Geometry, get_space, sample_configs

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = _storage(url)
    rng = np.random.default_rng(seed)
    dataset = {"name": "digits", "root": None}
    summary = {}
    for si, name in enumerate(spaces):
        space = get_space(name)
        study = optuna.create_study(storage=storage, study_name=f"{campaign}::{name}", direction="minimize",
                                    load_if_exists=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.set_metric_names(["top1_err"])  # as the engine does
        spec = {"name": campaign, "spaces": {s: {"samples": n} for s in spaces}, "dataset": dataset,
                "storage": "sqlite:///netspace.db", "recipe": {"epochs": epochs}}
        for key, value in (("campaign", campaign), ("space", name), ("target", n + running + failed),
                           ("spec", json.dumps(spec)), ("mlflow_experiment_id", "1"),
                           ("mlflow_parent_run_id", f"parent{si:04d}")):
            study.set_user_attr(key, value)
        samples = sample_configs(space, n + running + failed, seed=seed + si,
                                 geometry=Geometry(resolution, num_classes=num_classes))
        flops = np.array([s.complexity.flops for s in samples], dtype=float)
        errs = synthetic_error(name, flops, rng)
        trials = []
        for i, (s, err) in enumerate(zip(samples, errs)):
            cx, dists = s.complexity, to_optuna(s.specs)
            attrs = {"config": s.config.to_dict(), "flops": int(cx.flops), "params": int(cx.params),
                     "acts": int(cx.acts), "dataset": dataset, "mlflow_run_id": f"run{si:02d}{i:06d}"}
            curve = [float(err + 30.0 * math.exp(-e)) for e in range(1, epochs + 1)]
            curve[-1] = float(err)
            if i < n:
                attrs.update(status="completed", train_time_s=float(1 + cx.flops / 1e8), epochs_run=epochs,
                             weights_path=f"/runs/{campaign}/{name}/{i}/weights.pt",
                             progress=_progress(epochs, epochs, curve[-1]))
                trials.append(create_trial(state=TrialState.COMPLETE, value=float(err), params=s.params,
                                           distributions=dists, user_attrs=attrs,
                                           intermediate_values=dict(enumerate(curve, 1))))
            elif i < n + running:
                done = 1 + (i % max(epochs - 1, 1))
                attrs.update(progress=_progress(done, epochs, curve[done - 1]))
                trials.append(create_trial(state=TrialState.RUNNING, params=s.params, distributions=dists,
                                           user_attrs=attrs, intermediate_values=dict(enumerate(curve[:done], 1))))
            else:
                attrs.update(status="failed")
                trials.append(create_trial(state=TrialState.FAIL, params=s.params, distributions=dists,
                                           user_attrs=attrs))
        for _ in range(rejected):
            trials.append(create_trial(state=TrialState.FAIL, user_attrs={"rejected": "outside the FLOP regime"}))
        _stagger(trials, si, len(spaces))
        study.add_trials(trials)
        summary[name] = {"complete": n, "running": running, "failed": failed, "rejected": rejected, "best": float(errs[:n].min()) if n else math.nan}
    return summary


def add_completed(url: str, campaign: str, space: str, error: float) -> int:
    """Finish one more trial of ``space`` as the engine would (a copy of its first completed trial with top-1
    error ``error``): how the live browser test grows a campaign while the page is open. Returns its number."""
    import optuna
    from optuna.trial import TrialState, create_trial

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=f"{campaign}::{space}", storage=url)
    src = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))[0]
    curve = {step: max(float(v), error) for step, v in src.intermediate_values.items()}
    curve[max(curve, default=1)] = float(error)
    study.add_trial(create_trial(state=TrialState.COMPLETE, value=float(error), params=src.params,
                                 distributions=src.distributions, user_attrs=dict(src.user_attrs),
                                 intermediate_values=curve))
    return len(study.get_trials(deepcopy=False)) - 1


def replicate(url: str, campaign: str, copies: int, *, seed: int = 0, noise: float = 0.5) -> int:
    """Grow a populated SQLite demo storage ``copies``-fold by copying its trials row by row in SQL (each copy
    gets new trial numbers and errors jittered by ``noise``), for benchmarks with many thousands of trials —
    Optuna's ``add_trial`` costs tens of milliseconds a trial. Returns the number of trials added."""
    import sqlite3

    from sqlalchemy.engine import make_url

    path = make_url(url).database
    rng = np.random.default_rng(seed)
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA synchronous=OFF")
        studies = [sid for sid, name in con.execute("SELECT study_id, study_name FROM studies")
                   if name.startswith(f"{campaign}::")]
        added = 0
        for sid in studies:
            base = con.execute("SELECT trial_id, number, state, datetime_start, datetime_complete FROM trials "
                               "WHERE study_id = ? ORDER BY number", (sid,)).fetchall()
            ids = ",".join(str(r[0]) for r in base) or "NULL"
            child = {t: con.execute(f"SELECT * FROM {t} WHERE trial_id IN ({ids})").fetchall()
                     for t in ("trial_values", "trial_params", "trial_user_attributes", "trial_intermediate_values",
                               "trial_system_attributes")}
            cols = {t: [d[1] for d in con.execute(f"PRAGMA table_info({t})")] for t in child}
            nbase = len(base)
            for c in range(1, copies):
                new_id = {}
                for tid, number, state, t0, t1 in base:
                    cur = con.execute("INSERT INTO trials (number, study_id, state, datetime_start, datetime_complete) "
                                      "VALUES (?, ?, ?, ?, ?)", (number + c * nbase, sid, state, t0, t1))
                    new_id[tid] = cur.lastrowid
                    added += 1
                for t, rows in child.items():
                    if not rows:
                        continue
                    names = cols[t][1:]  # drop the surrogate primary key
                    tid_pos = names.index("trial_id")
                    out = []
                    for row in rows:
                        vals = list(row[1:])
                        vals[tid_pos] = new_id[vals[tid_pos]]
                        if t == "trial_values":
                            vals[names.index("value")] = float(np.clip(vals[names.index("value")] + rng.normal(0, noise), 0.0, 100.0))
                        out.append(vals)
                    con.executemany(f"INSERT INTO {t} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", out)
        con.commit()
    finally:
        con.close()
    return added


def _stagger(trials, slot: int, slots: int, every_s: float = 20.0) -> None:
    """Start times as a campaign running the spaces side by side would leave them (for the history chart)."""
    from datetime import datetime, timedelta

    t0 = datetime.now() - timedelta(seconds=every_s * slots * len(trials))
    for i, t in enumerate(trials):
        start = t0 + timedelta(seconds=every_s * (i * slots + slot))
        t.datetime_start = start
        if t.datetime_complete is not None:
            t.datetime_complete = start + timedelta(seconds=every_s * slots)


def _storage(url: str):
    """An Optuna RDBStorage; SQLite files are written without fsync (a throwaway demo, much faster)."""
    import optuna
    from sqlalchemy import event

    storage = optuna.storages.RDBStorage(url)
    if url.startswith("sqlite"):
        @event.listens_for(storage.engine, "connect")
        def _pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("PRAGMA journal_mode=MEMORY")
            cur.close()

        storage.engine.dispose()
    return storage


def _progress(epoch: int, epochs: int, err: float) -> dict:
    return {"epoch": epoch, "epochs": epochs, "train_loss": round(2.3 * math.exp(-epoch / 2), 4),
            "top1_err": float(err), "images_per_s": 1500.0, "elapsed_s": 2.0 * epoch}


if __name__ == "__main__":  # pragma: no cover
    url = sys.argv[1] if len(sys.argv) > 1 else "sqlite:///demo.db"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    print(populate(url, "demo", ("anynetx_a", "anynetx_e", "regnetx"), n))
