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
from typing import Any

import numpy as np

SPACE_OFFSET = {"anynetx_a": 6.0, "anynetx_b": 5.0, "anynetx_c": 4.0, "anynetx_d": 2.0, "anynetx_e": 1.0,
                "regnetx": 0.0, "regnety": -1.0}


def synthetic_error(space: str, flops: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Top-1 error (%) that falls with log FLOPs, offset per space, with noise; in [1, 99]."""
    base = 45.0 - 6.0 * np.log10(np.maximum(flops, 1.0) / 1e6) + SPACE_OFFSET.get(space, 3.0)
    return np.clip(base + rng.gamma(2.0, 2.5, size=flops.shape), 1.0, 99.0)


INPUT_BOUND_WAIT, FED_WAIT = 0.62, 0.04  # demo data-wait fractions of input-bound and well-fed trials


def populate(url: str, campaign: str = "demo", spaces=("regnetx", "anynetx_a"), n: int = 40, *, seed: int = 0,
             running: int = 2, failed: int = 1, rejected: int = 0, epochs: int = 3, resolution: int = 32,
             num_classes: int = 10, input_bound: int | None = None, resolutions=None, regimes=None,
             devices=("cpu: demo",)) -> dict:
    """Create one study per space holding ``n`` COMPLETE, ``running`` RUNNING and ``failed`` FAIL trials, and
    ``rejected`` FAIL trials with a ``rejected`` attr (the engine's constraint/regime rejections).

    ``input_bound``: when given, trials carry the data-wait fraction the driver records (``data_wait`` attr of a
    finished trial, in the ``progress`` of a running one): the first ``input_bound`` completed trials of each space,
    and its first running one when ``input_bound > 0``, wait :data:`INPUT_BOUND_WAIT` of their step time for data
    (input-bound); every other trial :data:`FED_WAIT`.

    ``resolutions`` (e.g. ``[24, 32]``): every trial also samples its input resolution, as a ``resolution:`` entry
    does (complexity counted at it, the ``resolution`` key in the stored config). ``regimes`` (e.g.
    ``["1M:2M", "2M:4M"]``): each space is sampled in each FLOP regime as its own study labelled
    ``space.1M-2M`` with the study attr ``regime_of``, as ``regimes:`` on a campaign entry expands. Completed trials
    record a synthetic measured runtime (``inference_ms``, growing with FLOPs and activations) on ``devices`` in
    turn (none when empty).

    Returns ``{label: {"complete": n, "running": r, "failed": f, "rejected": x, "best": min error}}``.
    """
    import optuna
    from optuna.trial import TrialState, create_trial

    from netspace.platform.storage.distributions import to_optuna
    from netspace.search_spaces import Geometry, Regime, get_space, sample_configs
    from netspace.search_spaces.resolution import with_resolution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = _storage(url)
    rng = np.random.default_rng(seed)
    dataset = {"name": "digits", "root": None}
    summary = {}
    studies = [(name, None) for name in spaces] if not regimes else \
        [(name, Regime.parse(r)) for name in spaces for r in regimes]
    labels = [name if regime is None else f"{name}.{_regime_tag(regime)}" for name, regime in studies]
    for si, ((name, regime), label) in enumerate(zip(studies, labels)):
        space = with_resolution(get_space(name), resolutions)
        study = optuna.create_study(storage=storage, study_name=f"{campaign}::{label}", direction="minimize",
                                    load_if_exists=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.set_metric_names(["top1_err"])  # as the engine does
        spec = {"name": campaign, "spaces": {s: {"samples": n} for s in labels}, "dataset": dataset,
                "storage": "sqlite:///netspace.db", "recipe": {"epochs": epochs}}
        extra = ([("label", label), ("regime_of", name)] if regime is not None else []) + \
            ([("resolution", list(space.values))] if resolutions else [])  # type: ignore[attr-defined]
        for key, value in (("campaign", campaign), ("space", name), ("target", n + running + failed),
                           ("spec", json.dumps(spec)), ("mlflow_experiment_id", "1"),
                           ("mlflow_parent_run_id", f"parent{si:04d}"), *extra):
            study.set_user_attr(key, value)
        samples = sample_configs(space, n + running + failed, seed=seed + si, regime=regime,
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
            wait = None
            if input_bound is not None:
                wait = INPUT_BOUND_WAIT if (i < min(input_bound, n) or (i == n and input_bound > 0)) else FED_WAIT
            if i < n:
                attrs.update(status="completed", train_time_s=float(1 + cx.flops / 1e8), epochs_run=epochs,
                             weights_path=f"/runs/{campaign}/{label}/{i}/weights.pt",
                             progress=_progress(epochs, epochs, curve[-1], wait))
                if wait is not None:
                    attrs["data_wait"] = wait
                if devices:
                    attrs.update(_runtime(cx, devices[i % len(devices)], i % len(devices), rng))
                trials.append(create_trial(state=TrialState.COMPLETE, value=float(err), params=s.params,
                                           distributions=dists, user_attrs=attrs,
                                           intermediate_values=dict(enumerate(curve, 1))))
            elif i < n + running:
                done = 1 + (i % max(epochs - 1, 1))
                attrs.update(progress=_progress(done, epochs, curve[done - 1], wait))
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
        summary[label] = {"complete": n, "running": running, "failed": failed, "rejected": rejected, "best": float(errs[:n].min()) if n else math.nan}
    return summary


def _regime_tag(regime) -> str:
    from netspace.search_spaces.sampling import format_count

    hi = "" if math.isinf(regime.high) else format_count(regime.high)
    return f"{format_count(regime.low) if regime.low > 0 else '0'}-{hi}"


def _runtime(cx, device: str, slot: int, rng: np.random.Generator) -> dict:
    """A measured runtime as netspace.workers.runtime records it: ms of a 64-image batch that grows like
    FLOPs^0.5 · acts^0.5 (times a per-device factor), with 5 % noise."""
    ms = 2.0 * (1 + slot) * math.sqrt(cx.flops / 1e6) * math.sqrt(cx.acts / 1e5) * float(rng.lognormal(0, 0.05))
    return {"inference_ms": round(ms, 4), "inference_batch": 64, "inference_dtype": "float32", "device_name": device,
            "images_per_s": round(64_000.0 / ms, 1)}


def populate_final(url: str, campaign: str = "demo", space: str = "regnetx", *, top: int = 2,
                   epochs=(6, 12), seeds: int = 3, running: int = 1, seed: int = 0) -> dict:
    """The study ``NAME::final`` of ``netspace finalize NAME --top TOP --epochs E1,E2 --seeds SEEDS``, laid out as
    :mod:`netspace.platform.campaign.finalize` writes it (study attrs ``final``, ``reference``, ``target``, ``plan``;
    one trial per run with user attrs ``source`` = ``SPACE#N``, ``epochs``, ``seed``, the source's config and
    complexity; synthetic errors below the source's, falling with epochs). The last ``running`` planned runs are
    left RUNNING, the others COMPLETE. ``space`` must already hold completed trials (:func:`populate`).

    Returns ``{"plan": [{source, epochs, seed}, ...], "runs": {(source, epochs): [errors of the finished runs]}}``.
    """
    import optuna
    from optuna.trial import TrialState, create_trial

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = _storage(url)
    src_study = optuna.load_study(study_name=f"{campaign}::{space}", storage=storage)
    best = sorted(src_study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)),
                  key=lambda t: (t.values[0], t.number))[:top]
    plan: list[dict[str, Any]] = [{"source": f"{space}#{t.number}", "epochs": int(e), "seed": s}
            for t in best for e in sorted(epochs) for s in range(seeds)]
    study = optuna.create_study(storage=storage, study_name=f"{campaign}::final", direction="minimize",
                                load_if_exists=True)
    parent = src_study.user_attrs
    for key, value in (("campaign", campaign), ("label", "final"), ("final", True), ("reference", True),
                       ("target", len(plan)), ("plan", plan),
                       ("mlflow_experiment_id", parent.get("mlflow_experiment_id")),
                       ("mlflow_parent_run_id", parent.get("mlflow_parent_run_id"))):
        study.set_user_attr(key, value)
    rng = np.random.default_rng(seed)
    by_source = {f"{space}#{t.number}": t for t in best}
    runs: dict[tuple[str, int], list[float]] = {}
    trials = []
    for i, p in enumerate(plan):
        src = by_source[p["source"]]
        ua = src.user_attrs
        attrs: dict[str, Any] = {k: ua[k] for k in ("config", "flops", "params", "acts") if k in ua}
        attrs.update(source=p["source"], epochs=p["epochs"], seed=p["seed"], space=space, source_label=space,
                     source_number=src.number, source_params=dict(src.params),
                     source_top1_err=float(src.values[0]), mlflow_run_id=f"final{i:06d}")
        err = float(np.clip(src.values[0] * (0.9 - 0.02 * p["epochs"]) + rng.normal(0.0, 0.4), 0.5, 99.0))
        curve = {e: float(err + 20.0 * math.exp(-e)) for e in range(1, p["epochs"] + 1)}
        if i >= len(plan) - running:
            attrs["progress"] = _progress(1, p["epochs"], curve[1])
            trials.append(create_trial(state=TrialState.RUNNING, user_attrs=attrs, intermediate_values={1: curve[1]}))
            continue
        curve[p["epochs"]] = err
        attrs.update(status="completed", epochs_run=p["epochs"], train_time_s=float(p["epochs"]),
                     weights_path=f"/runs/{campaign}/final/{i}/weights.pt")
        trials.append(create_trial(state=TrialState.COMPLETE, value=err, user_attrs=attrs, intermediate_values=curve))
        runs.setdefault((p["source"], p["epochs"]), []).append(err)
    _stagger(trials, 0, 1)
    study.add_trials(trials)
    return {"plan": plan, "runs": runs}


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
    if path is None:
        raise ValueError(f"{url}: not a SQLite database file")
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


def _progress(epoch: int, epochs: int, err: float, data_wait: float | None = None) -> dict:
    out = {"epoch": epoch, "epochs": epochs, "train_loss": round(2.3 * math.exp(-epoch / 2), 4),
           "top1_err": float(err), "images_per_s": 1500.0, "elapsed_s": 2.0 * epoch}
    if data_wait is not None:
        out["data_wait"] = data_wait
    return out


if __name__ == "__main__":  # pragma: no cover
    url = sys.argv[1] if len(sys.argv) > 1 else "sqlite:///demo.db"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    print(populate(url, "demo", ("anynetx_a", "anynetx_e", "regnetx"), n))
