"""Final training: the chosen networks of a finished campaign at full schedules, each epoch count × seed.

``netspace finalize NAME --top K --epochs 50,100 --seeds 3`` is a tracked stage of the same campaign: one Optuna
study ``NAME::final`` (one trial per run; user attrs ``source`` = ``LABEL#N``, ``epochs``, ``seed``), MLflow child
runs under the campaign's parent run, the campaign's lease, and the campaign driver and scheduler unchanged, so it
is resumable after SIGKILL exactly like a campaign: a finished run is never re-run, a RUNNING one continues from
its checkpoint, and the plan (study attr ``plan``) is kept, so ``netspace finalize NAME`` alone resumes it.

A run trains the source trial's recipe (its drawn recipe params included) with ``epochs`` replaced, at seed
``seed``. :func:`final_table` gives mean ± std of the error per network and epoch count.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from netspace.errors import CampaignError
from netspace.platform.campaign.study import Counts, Draw, SpaceStudy, count_trials, epoch_errors
from netspace.platform.storage.urls import study_name

FINAL = "final"  # the label of the final study: NAME::final


@dataclass(frozen=True)
class PlannedRun:
    source: str   # "LABEL#N": the campaign trial whose network (and recipe) is trained
    epochs: int
    seed: int

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.source, int(self.epochs), int(self.seed))


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


def finished_sources(studies: dict[str, Any]) -> dict[str, FrozenTrialLike]:
    """``LABEL#N`` -> the finished (completed) trial, over the campaign's population studies."""
    out = {}
    for label, study in studies.items():
        if label == FINAL or study.user_attrs.get("reference"):
            continue
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
            if t.values and t.user_attrs.get("status", "completed") == "completed" and "config" in t.user_attrs:
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


class FinalStudy(SpaceStudy):
    """The study ``NAME::final``: one trial per planned run; it quacks like a :class:`SpaceStudy` for the driver."""

    def __init__(self, storage, spec, plan: list[PlannedRun], sources: dict[str, Any], source_attrs: dict[str, Any]):
        self.storage, self.spec, self.sspec = storage, spec, None
        self.label = FINAL
        self.name = study_name(spec.name, FINAL)
        self.study = optuna.create_study(storage=storage, study_name=self.name, direction="minimize",
                                         load_if_exists=True)
        self.study_id = self.study._study_id
        stored = [PlannedRun(**p) for p in self.attrs.get("plan", [])]
        keys = {p.key for p in stored}
        self.plan = stored + [p for p in plan if p.key not in keys]
        self.target = len(self.plan)
        self.sources, self.source_attrs = sources, source_attrs
        self.strategy, self.seed = "final", 0
        self._stream = None
        self._rejected = []

    # -- the driver's interface ------------------------------------------------------------------------
    def counts(self) -> Counts:
        return count_trials(self.trials(), self.target)

    def _run_key(self, t) -> tuple[str, int, int] | None:
        ua = t.user_attrs
        return (ua["source"], int(ua["epochs"]), int(ua["seed"])) if "source" in ua else None

    def abandoned(self) -> list[Draw]:
        out = []
        for t in self.trials():
            if t.state != TrialState.RUNNING:
                continue
            if "config" not in t.user_attrs:
                self.storage.set_trial_user_attr(t._trial_id, "rejected", "abandoned before it was planned")
                self.study.tell(t.number, state=TrialState.FAIL, skip_if_finished=True)
                continue
            ua = t.user_attrs
            out.append(Draw(ua["space"], t.number, t._trial_id, dict(ua.get("source_params") or {}), ua["config"],
                            {k: ua.get(k) for k in ("flops", "params", "acts")}, ua.get("mlflow_run_id"), True, FINAL))
        return out

    def draw(self, extra_attrs: dict[str, Any]) -> Draw:
        taken = {self._run_key(t) for t in self.trials()
                 if t.state in (TrialState.COMPLETE, TrialState.RUNNING, TrialState.PRUNED)}
        run = next((p for p in self.plan if p.key not in taken), None)
        if run is None:
            raise CampaignError(f"{self.name}: every planned run is finished or running")
        src = self.sources[run.source]
        label = run.source.rpartition("#")[0]
        ua = src.user_attrs
        cx = {k: int(ua[k]) for k in ("flops", "params", "acts") if ua.get(k) is not None}
        space = self.source_attrs.get(label, {}).get("space") or label
        attrs = {**extra_attrs, "config": ua["config"], **cx, "source": run.source, "epochs": int(run.epochs), "seed": int(run.seed),
                 "space": space, "source_label": label, "source_number": src.number,
                 "source_params": dict(src.params), "source_top1_err": float(src.values[0])}
        template = optuna.trial.create_trial(state=TrialState.RUNNING, user_attrs=attrs)
        trial_id = self.storage.create_new_trial(self.study_id, template_trial=template)
        number = self.storage.get_trial_number_from_id(trial_id)
        return Draw(space, number, trial_id, dict(src.params), ua["config"], cx, label=FINAL)

    def record_epoch(self, draw: Draw, epoch: int, top1_err: float, progress: dict[str, Any]) -> None:
        if top1_err is not None:
            self.storage.set_trial_intermediate_value(draw.trial_id, int(epoch), float(top1_err))
        self.storage.set_trial_user_attr(draw.trial_id, "progress", progress)

    def finish(self, draw: Draw, *, top1_err: float, state: str, attrs: dict[str, Any],
               history: list[dict[str, Any]] | None = None) -> None:
        state_ = TrialState[state] if isinstance(state, str) else state
        self.set_trial_attrs(draw.trial_id, **attrs)
        for step, value in sorted(epoch_errors(history).items()):  # epochs no driver recorded
            self.storage.set_trial_intermediate_value(draw.trial_id, step, value)
        if state_ == TrialState.COMPLETE:
            self.study.tell(draw.number, values=[float(top1_err) if top1_err is not None else 100.0],
                            skip_if_finished=True)
        else:
            self.study.tell(draw.number, state=state_, skip_if_finished=True)

    def run_of(self, number: int) -> PlannedRun:
        ua = self.study._storage.get_trial(self.study._storage.get_trial_id_from_study_id_trial_number(
            self.study_id, number)).user_attrs
        return PlannedRun(ua["source"], int(ua["epochs"]), int(ua["seed"]))


def _final_driver_cls():
    from netspace.platform.campaign.driver import CampaignDriver
    from netspace.platform.campaign.recipe_space import apply_params, study_recipe
    from netspace.platform.campaign.task import TrialTask

    class FinalDriver(CampaignDriver):
        """The campaign driver with the final runs' tasks: the source's recipe at the run's epochs and seed."""

        def _launch(self, d: Draw) -> dict[str, Any]:
            st: FinalStudy = self.spaces[d.label].study
            run = st.run_of(d.number)
            ckdir = Path(self.checkpoint_dir(d.label, d.number))
            if not d.resumed and ckdir.exists():
                ckdir.rename(ckdir.with_name(f"{ckdir.name}.stale-{int(time.time())}"))
            if not d.mlflow_run_id:
                d.mlflow_run_id = self.tracker.start_trial(
                    d.label, d.number, {"source": run.source, "epochs": run.epochs, "seed": run.seed, **d.params},
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


class _Trials:
    """A campaign study seen only through its trials (for MLflow reconciliation)."""

    def __init__(self, study):
        self.study = study

    def trials(self):
        return self.study.get_trials(deepcopy=False)

    def mlflow_outcomes(self):
        from netspace.platform.campaign.study import SpaceStudy

        return SpaceStudy.mlflow_outcomes(self)  # needs only .trials()


def finalize_campaign(name: str, *, storage: str | None = None, top: int | None = None,
                      trials: list[str] | None = None, epochs: str | None = None, seeds: int = 1,
                      address: str | None = None, show_progress: bool = True, console=None) -> FinalSummary:
    """``netspace finalize``: plan (or extend, or resume) the final runs of campaign ``name`` and run them."""
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
    studies = {label: optuna.load_study(study_name=s.study_name, storage=st) for label, s in frozen.items()
               if label != FINAL}
    sources = finished_sources(studies)
    source_attrs = {label: dict(s.user_attrs) for label, s in frozen.items()}
    has_plan = FINAL in frozen and frozen[FINAL].user_attrs.get("plan")
    plan: list[PlannedRun] = []
    if top is not None or trials or not has_plan:
        chosen = choose_sources(sources, top, trials)
        plan = make_plan(chosen, parse_epochs(epochs, spec.training.epochs), seeds)
    db = create_engine(url)
    check_tracking(spec.mlflow.tracking_uri)
    lease = Lease(db, spec.name).acquire()
    tracker = None
    try:
        final = FinalStudy(st, spec, plan, sources, source_attrs)
        missing = sorted({p.source for p in final.plan} - set(sources))
        if missing:
            raise CampaignError(f"planned source trial(s) {', '.join(missing)} are no longer finished in {name!r}")
        first = next((a for a in source_attrs.values() if a.get("mlflow_parent_run_id")), {})
        tracker = Tracker(spec.mlflow, spec.name, project=project)
        exp_id, parent_id = tracker.open(first.get("mlflow_experiment_id"), first.get("mlflow_parent_run_id"))
        # reference=True keeps the final runs out of the population analyses (EDFs, comparisons, refine)
        final.set_attrs(campaign=spec.name, label=FINAL, final=True, reference=True, target=final.target,
                        plan=[p.__dict__ for p in final.plan], mlflow_experiment_id=exp_id,
                        mlflow_parent_run_id=parent_id, output_dir=stored.output_dir)
        progress = Progress(f"{spec.name} (final)", enabled=show_progress, **({"console": console} if console else {}))
        started_ray = False
        with progress:
            driver = _final_driver_cls()(spec, {FINAL: final}, tracker, progress, max_concurrent=1,
                                         fault=faults.worker_fault())
            driver.lease = lease
            driver.stored_path = stored_paths(stored.output_dir, project)
            driver.max_failures_per_space = {FINAL: max(3, final.target)}
            n_abandoned = driver.collect_abandoned()
            engine._reconcile_mlflow({FINAL: final, **{k: _Trials(v) for k, v in studies.items()}}, tracker)
            if n_abandoned:
                progress.message(f"resuming {n_abandoned} interrupted final run(s) from their checkpoints")
            if driver.remaining() > 0:
                started_ray = sched.ensure_ray(address)
                driver.max_concurrent = sched.max_concurrent(spec.resources.cpus_per_trial,
                                                             spec.resources.gpus_per_trial,
                                                             spec.resources.max_concurrent)
                try:
                    sched.run_trials(driver, cpus_per_trial=spec.resources.cpus_per_trial,
                                     gpus_per_trial=spec.resources.gpus_per_trial,
                                     max_failures=spec.resources.max_failures, asha=None,
                                     epochs=max(p.epochs for p in final.plan),
                                     storage_path=str(Path(spec.output_dir) / "_tune"), name=sched.run_name())
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
        if t.state == TrialState.COMPLETE and t.values:
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
    try:
        from netspace.platform.storage.urls import normalize_url

        study = optuna.load_study(study_name=study_name(name, FINAL), storage=normalize_url(url))
    except KeyError:
        return []
    return final_table(study.get_trials(deepcopy=False))


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
