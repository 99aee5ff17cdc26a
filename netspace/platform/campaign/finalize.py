"""Final training: the chosen networks of a finished campaign at full schedules, each epoch count × seed.

``netspace finalize NAME --top K --epochs 50,100 --seeds 3`` is a tracked stage of the same campaign: one Optuna
study ``NAME::final`` (one trial per run; user attrs ``source`` = ``LABEL#N``, ``epochs``, ``seed``), MLflow child
runs under the campaign's parent run, the campaign's lease, and the campaign driver and scheduler unchanged, so it
is resumable after SIGKILL exactly like a campaign: a finished run is never re-run, a RUNNING one continues from
its checkpoint, and the plan (study attr ``plan``) is kept, so ``netspace finalize NAME`` alone resumes it.

A run trains the source trial's recipe (its drawn recipe params included) with ``epochs`` replaced, at seed
``seed``; with ``workers: N`` (``netspace finalize --workers N [--gpus-per-worker G]``) on N data-parallel Ray Train
workers. :func:`final_table` gives mean ± std of the error per network and epoch count. The Optuna side (the study,
its trials) is :mod:`netspace.platform.campaign.final_study`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netspace.errors import CampaignError
from netspace.platform.campaign.final_study import FINAL, FinalStudy, PlannedRun, population_studies
from netspace.platform.campaign.study import Draw, StudyRecords
from netspace.platform.storage.urls import study_name

__all__ = ["FINAL", "FinalStudy", "FinalSummary", "PlannedRun", "best_finalized", "choose_sources", "final_table",
           "finalize_campaign", "finished_sources", "format_table", "load_final", "make_plan", "parse_epochs",
           "parse_source", "plan_json"]


def parse_source(text: str) -> tuple[str, int]:
    """``"regnetx#12"`` (or ``"regnetx:12"``) -> ``("regnetx", 12)``; anything else raises one line."""
    label, sep, num = str(text).strip().rpartition("#")
    if not sep:
        label, sep, num = str(text).strip().rpartition(":")
    try:
        if not label:
            raise ValueError
        return label, int(num)
    except ValueError:
        raise CampaignError(f"--trial {text!r}: expected LABEL#N, e.g. regnetx#12") from None


def parse_epochs(text: str | None, default: int) -> list[int]:
    if not text:
        return [int(default)]
    try:
        out = sorted({int(x) for x in str(text).split(",") if x.strip()})
    except ValueError:
        raise CampaignError(f"--epochs {text!r}: expected comma-separated whole numbers, e.g. 50,100") from None
    if not out or min(out) < 1:
        raise CampaignError(f"--epochs {text!r}: every epoch count must be >= 1")
    return out


def finished_sources(studies: dict[str, StudyRecords]) -> dict[str, FrozenTrialLike]:
    """``LABEL#N`` -> the finished (completed) trial, over the campaign's population studies."""
    out = {}
    for label, study in studies.items():
        if label == FINAL or study.attrs.get("reference"):
            continue
        for t in study.trials():
            if (t.state.name == "COMPLETE" and t.values and t.user_attrs.get("status", "completed") == "completed"
                    and "config" in t.user_attrs):
                out[f"{label}#{t.number}"] = t
    return out


FrozenTrialLike = Any


def choose_sources(candidates: dict[str, Any], top: int | None, trials: list[str] | None) -> list[str]:
    """The ``top`` best finished trials, or the named ones (each checked to exist and be finished)."""
    if trials:
        out = []
        for text in trials:
            label, number = parse_source(text)
            key = f"{label}#{number}"
            if key not in candidates:
                raise CampaignError(f"--trial {text}: no finished trial {key} in the campaign")
            out.append(key)
        return list(dict.fromkeys(out))
    ranked = sorted(candidates, key=lambda k: (candidates[k].values[0], k))
    if not ranked:
        raise CampaignError("the campaign has no finished trial to finalize yet")
    return ranked[: max(1, int(top or 1))]


def make_plan(sources: list[str], epochs: list[int], seeds: int) -> list[PlannedRun]:
    return [PlannedRun(s, e, k) for s in sources for e in epochs for k in range(int(seeds))]


def _final_driver_cls():
    from netspace.platform.campaign.driver import CampaignDriver
    from netspace.platform.campaign.recipe_space import apply_params, study_recipe
    from netspace.platform.campaign.task import TrialTask

    class FinalDriver(CampaignDriver):
        """The campaign driver with the final runs' tasks: the source's recipe at the run's epochs and seed."""

        def _launch(self, d: Draw) -> dict[str, Any]:
            st = self.spaces[d.label].study
            if not isinstance(st, FinalStudy):
                raise TypeError(f"{d.label}: a final run needs the FinalStudy, not {type(st).__name__}")
            run = st.run_of(d.number)
            ckdir = Path(self.checkpoint_dir(d.label, d.number))
            if not d.resumed and ckdir.exists():
                ckdir.rename(ckdir.with_name(f"{ckdir.name}.stale-{int(time.time())}"))
            if not d.mlflow_run_id:
                d.mlflow_run_id = self.tracker.start_trial(
                    d.label, d.number, {"source": run.source, "epochs": run.epochs, "seed": run.seed, **st.run_attrs,
                                        **d.params},
                    d.config, d.complexity)
                st.set_trial_attrs(d.trial_id, mlflow_run_id=d.mlflow_run_id)
            label = run.source.rpartition("#")[0]
            fixed, dists = study_recipe(st.source_attrs.get(label, {}), label)
            if not fixed:
                fixed = {k: v for k, v in self.spec.training.model_dump().items() if k != "search"}
            recipe = {**apply_params(fixed, dists, d.params), "epochs": int(run.epochs)}
            self.active[d.key] = d
            self.started[d.key] = time.time()
            self._publish()
            return TrialTask(space=d.space, label=d.label, number=d.number, config=d.config,
                             checkpoint_dir=str(ckdir), dataset=self.spec.dataset.model_dump(), recipe=recipe,
                             seed=int(run.seed), threads=max(1, int(self.spec.resources.cpus_per_trial)),
                             fault=self.fault).to_config()

    return FinalDriver


@dataclass
class FinalSummary:
    campaign: str
    target: int
    finished: int
    failed: int
    table: list[dict[str, Any]]
    wall_s: float

    @property
    def complete(self) -> bool:
        return self.finished >= self.target


def data_parallel_of(spec, stored: dict[str, Any] | None, workers: int | None, gpus_per_worker: float | None):
    """The data-parallel settings of the final runs (:class:`~netspace.platform.campaign.scheduler.DataParallel`),
    or None to train each run in one process: ``workers`` / ``gpus_per_worker`` when given, else the ones stored
    with the final study (study attr ``data_parallel``); ``workers`` 1 and no GPUs is one process. Each worker
    gets the campaign's ``cpus_per_trial``. Checked (one line) before anything runs."""
    from netspace.platform.campaign.scheduler import DataParallel

    stored = stored or {}
    n = workers if workers is not None else stored.get("workers")
    if n is None:
        if gpus_per_worker is not None:
            raise CampaignError("--gpus-per-worker needs --workers N (data-parallel final runs)")
        return None
    gpus = gpus_per_worker if gpus_per_worker is not None else stored.get("gpus_per_worker", 0.0)
    dp = DataParallel(n, float(spec.resources.cpus_per_trial), float(gpus))
    dp.check()
    return dp if (dp.workers > 1 or dp.gpus_per_worker > 0) else None


def finalize_campaign(name: str, *, storage: str | None = None, top: int | None = None,
                      trials: list[str] | None = None, epochs: str | None = None, seeds: int = 1,
                      address: str | None = None, show_progress: bool = True, console=None,
                      workers: int | None = None, gpus_per_worker: float | None = None) -> FinalSummary:
    """``netspace finalize``: plan (or extend, or resume) the final runs of campaign ``name`` and run them;
    ``workers`` > 1 (or ``gpus_per_worker``): each run data-parallel on that many Ray Train workers (kept with the
    final study, so a resume without them trains the same way)."""
    from netspace.platform.campaign import faults
    from netspace.platform.campaign import run as engine
    from netspace.platform.campaign import scheduler as sched
    from netspace.platform.campaign.lease import Lease, LeaseLost
    from netspace.platform.campaign.progress import Progress
    from netspace.platform.storage.database import campaign_studies, create_engine, label_of, open_storage
    from netspace.platform.storage.project import project_dir, stored_paths
    from netspace.platform.storage.urls import resolve_url
    from netspace.platform.tracking.tracker import Tracker, check_tracking

    t0 = time.time()
    if seeds < 1:
        raise CampaignError(f"--seeds must be >= 1 (got {seeds})")
    url = resolve_url(storage)
    st = open_storage(url, must_exist=True)
    raw = engine.stored_spec(st, name, url, resolve=False)  # paths relative to the project directory
    project = project_dir(url)
    spec = raw.resolved(project)
    stored = spec.stored(raw, project)
    frozen = {label_of(s): s for s in campaign_studies(st, name, url)}
    studies = population_studies(st, frozen)
    sources = finished_sources(studies)
    source_attrs = {label: dict(s.user_attrs) for label, s in frozen.items()}
    has_plan = FINAL in frozen and frozen[FINAL].user_attrs.get("plan")
    parallel = data_parallel_of(spec, source_attrs.get(FINAL, {}).get("data_parallel"), workers, gpus_per_worker)
    plan: list[PlannedRun] = []
    if top is not None or trials or not has_plan:
        chosen = choose_sources(sources, top, trials)
        plan = make_plan(chosen, parse_epochs(epochs, spec.training.epochs), seeds)
    db = create_engine(url)
    check_tracking(spec.mlflow.tracking_uri)
    lease = Lease(db, spec.name).acquire()
    tracker = None
    try:
        final = FinalStudy(st, spec, plan, sources, source_attrs,
                           run_attrs={"workers": parallel.workers} if parallel else None)
        missing = sorted({p.source for p in final.plan} - set(sources))
        if missing:
            raise CampaignError(f"planned source trial(s) {', '.join(missing)} are no longer finished in {name!r}")
        first = next((a for a in source_attrs.values() if a.get("mlflow_parent_run_id")), {})
        tracker = Tracker(spec.mlflow, spec.name, project=project)
        exp_id, parent_id = tracker.open(first.get("mlflow_experiment_id"), first.get("mlflow_parent_run_id"))
        # reference=True keeps the final runs out of the population analyses (EDFs, comparisons, refine)
        final.set_attrs(campaign=spec.name, label=FINAL, final=True, reference=True, target=final.target,
                        plan=[p.__dict__ for p in final.plan], mlflow_experiment_id=exp_id,
                        mlflow_parent_run_id=parent_id, output_dir=stored.output_dir,
                        data_parallel={"workers": parallel.workers, "gpus_per_worker": parallel.gpus_per_worker}
                        if parallel else None)
        progress = Progress(f"{spec.name} (final)", enabled=show_progress, **({"console": console} if console else {}))
        started_ray = False
        with progress:
            driver = _final_driver_cls()(spec, {FINAL: final}, tracker, progress, max_concurrent=1,
                                         fault=faults.worker_fault())
            driver.lease = lease
            driver.stored_path = stored_paths(stored.output_dir, project)
            driver.max_failures_per_space = {FINAL: max(3, final.target)}
            n_abandoned = driver.collect_abandoned()
            engine._reconcile_mlflow({FINAL: final, **studies}, tracker)
            if n_abandoned:
                progress.message(f"resuming {n_abandoned} interrupted final run(s) from their checkpoints")
            if driver.remaining() > 0:
                started_ray = sched.ensure_ray(address)
                try:
                    if parallel:
                        parallel.fits()
                        driver.max_concurrent = parallel.max_concurrent(spec.resources.max_concurrent)
                    else:
                        driver.max_concurrent = sched.max_concurrent(spec.resources.cpus_per_trial,
                                                                     spec.resources.gpus_per_trial,
                                                                     spec.resources.max_concurrent)
                    sched.run_trials(driver, cpus_per_trial=spec.resources.cpus_per_trial,
                                     gpus_per_trial=spec.resources.gpus_per_trial,
                                     max_failures=spec.resources.max_failures, asha=None,
                                     epochs=max(p.epochs for p in final.plan),
                                     storage_path=str(Path(spec.resolved_output_dir) / "_tune"), name=sched.run_name(),
                                     parallel=parallel)
                finally:
                    if started_ray:
                        sched.shutdown_ray()
            if driver.error is not None:
                if not isinstance(driver.error, LeaseLost):
                    engine._close_quietly(tracker, "FAILED")
                raise driver.error
        c = final.counts()
        tracker.close("FINISHED")
        tracker = None
        return FinalSummary(spec.name, final.target, c.finished, c.failed, final_table(final.trials()),
                            time.time() - t0)
    except BaseException as exc:
        if tracker is not None and not isinstance(exc, LeaseLost):
            engine._close_quietly(tracker, "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
        raise
    finally:
        lease.release()
        db.dispose()


# -- results ---------------------------------------------------------------------------------------------------------
def final_table(trials) -> list[dict[str, Any]]:
    """Per source network and epoch count: runs finished, mean and sample std of the top-1 error (%), the low-epoch
    error it was chosen with; sorted by epochs, then mean error."""
    import statistics

    groups: dict[tuple[str, int], list[float]] = {}
    meta: dict[str, Any] = {}
    for t in trials:
        ua = t.user_attrs
        if "source" not in ua:
            continue
        meta.setdefault(ua["source"], ua)
        if t.state.name == "COMPLETE" and t.values:
            groups.setdefault((ua["source"], int(ua["epochs"])), []).append(float(t.values[0]))
    rows = []
    for (source, ep), errs in groups.items():
        rows.append({"source": source, "epochs": ep, "runs": len(errs), "mean_err": statistics.fmean(errs),
                     "std_err": statistics.stdev(errs) if len(errs) > 1 else 0.0,
                     "search_err": meta[source].get("source_top1_err"), "flops": meta[source].get("flops"),
                     "params": meta[source].get("params")})
    return sorted(rows, key=lambda r: (r["epochs"], r["mean_err"], r["source"]))


def load_final(url: str, name: str) -> list[dict[str, Any]]:
    """:func:`final_table` of campaign ``name`` (empty when it was never finalized)."""
    from netspace.platform.storage.database import named_study_trials

    return final_table(named_study_trials(url, study_name(name, FINAL), ("COMPLETE",)) or [])


def best_finalized(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per source network: its row at the longest epoch count it was finalized at."""
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["source"] not in out or r["epochs"] > out[r["source"]]["epochs"]:
            out[r["source"]] = r
    return out


def format_table(rows: list[dict[str, Any]]) -> list[str]:
    """One line per network and epoch count: ``regnetx#3  100 epochs  12.34 ± 0.56 % (3 runs; search 20.1 %)``."""
    return [f"{r['source']}  {r['epochs']} epochs  {r['mean_err']:.2f} ± {r['std_err']:.2f} % ({r['runs']} run"
            f"{'s' if r['runs'] != 1 else ''}; search {r['search_err']:.2f} %)" for r in rows]


def plan_json(plan: list[PlannedRun]) -> str:
    return json.dumps([p.__dict__ for p in plan])
