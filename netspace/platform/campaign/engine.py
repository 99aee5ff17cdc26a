"""Run and resume campaigns: the driver that owns the Optuna studies, MLflow runs and the live display, and
feeds Ray Tune one trial at a time.

Durability, as implemented:
* a finished trial (COMPLETE/PRUNED in Optuna) is never re-run: the driver only draws new samples while
  ``finished + in flight < target`` per space, counted from the storage at start;
* a lease row (:mod:`netspace.platform.campaign.lease`) guarantees one live driver per campaign, so RUNNING trials found
  by a driver that holds the lease were abandoned by a dead one: they are re-run under the same trial number
  from their checkpoint dir (``run_trial`` resumes from ``checkpoint.pt`` or returns ``result.json``);
* a worker killed mid-trial is retried by Tune (``max_failures``) from the same dir; if it keeps failing it is
  told FAIL (``status=failed``) and a replacement sample is drawn;
* fencing: every write (drawing a trial, recording an epoch or an outcome) is preceded by
  :meth:`Lease.ensure_held`; a driver that lost its lease (frozen past it, another driver took over) records
  nothing more and stops at once (``abort``: Tune stops every trial);
* storage outages: storage calls retry with backoff (:mod:`netspace.platform.storage.database`); when the budget
  is spent the driver stops with one :class:`StorageError` line, leaving RUNNING trials for ``resume``;
* MLflow per-epoch metrics are logged idempotently: at a trial's end, epochs its child run misses (reported while
  no driver was listening) are filled in from the trial's history.
"""

from __future__ import annotations

import functools
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optuna.trial import TrialState

from netspace.errors import CampaignError, StorageError
from netspace.platform.campaign import scheduler as sched
from netspace.platform.campaign.lease import Lease, LeaseLost
from netspace.platform.campaign.progress import Progress
from netspace.platform.campaign.recipe_space import max_epochs, recipe_for
from netspace.platform.campaign.spec import CampaignSpec, load_campaign
from netspace.platform.campaign.study import Draw, Geometry, SpaceStudy, count_trials, space_seed
from netspace.platform.campaign.task import TrialTask
from netspace.platform.storage.database import campaign_studies, create_engine, open_storage, with_retry
from netspace.platform.storage.urls import mask_secrets, resolve_url
from netspace.platform.tracking.tracker import Tracker, check_tracking

PROGRESS_KEYS = ("epoch", "epochs", "train_loss", "top1_err", "images_per_s", "elapsed_s")


def _fenced(method):
    """A recording callback, run only while this driver holds the lease. A lost lease or any failure while
    recording stops the driver (``abort``) instead of raising inside Tune; the error is raised after Tune returns."""

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        if self.abort:
            return None
        try:
            self.ensure_held()
            return method(self, *args, **kwargs)
        except Exception as exc:
            self.error = self.error or exc
            self.abort = True
            return None

    return call


@dataclass
class _SpaceState:
    study: SpaceStudy
    target: int
    finished: int
    failed: int
    best: float | None
    queue: list[Draw] = field(default_factory=list)  # abandoned trials to re-run first
    gave_up: bool = False


class CampaignDriver:
    """The :class:`~netspace.platform.campaign.scheduler.TrialSource`: decides what runs next and records outcomes."""

    def __init__(self, spec: CampaignSpec, studies: dict[str, SpaceStudy], tracker: Tracker, progress: Progress,
                 *, max_concurrent: int, fault: dict[str, Any] | None = None, dataset_attr: dict | None = None):
        self.spec, self.tracker, self.progress = spec, tracker, progress
        self.max_concurrent, self.fault = max_concurrent, fault
        self.dataset_attr = dataset_attr or spec.dataset.model_dump()
        self.spaces: dict[str, _SpaceState] = {}
        for name, st in studies.items():
            c = st.counts()
            self.spaces[name] = _SpaceState(st, st.target, c.finished, c.failed, c.best)
        self.active: dict[tuple[str, int], Draw] = {}
        self.started: dict[tuple[str, int], float] = {}
        self.error: BaseException | None = None
        self.abort = False  # stop every trial now (lease lost, storage gone): read by the scheduler's stopper
        self.lease: Lease | None = None
        self.resumed = 0
        self.max_failures_per_space = {n: max(3, s.target) for n, s in self.spaces.items()}

    # -- set-up --------------------------------------------------------------------------------------
    def collect_abandoned(self) -> int:
        n = 0
        for _name, sp in self.spaces.items():
            sp.queue = sp.study.abandoned()
            n += len(sp.queue)
        self.resumed = n
        self._publish()
        return n

    def remaining(self) -> int:
        return sum(max(sp.target - sp.finished, 0) for sp in self.spaces.values())

    # -- TrialSource ---------------------------------------------------------------------------------
    def ensure_held(self) -> None:
        """The fence: raise :class:`LeaseLost` unless this driver still holds the campaign lease."""
        if self.lease is not None:
            with_retry(self.lease.ensure_held, what="campaign storage (lease)")

    def next_trial(self):
        if self.lease is not None and self.lease.lost and self.error is None:
            self.error, self.abort = self.lease.lost_error(), True
        if self.error is not None:
            return None if self.active and not self.abort else sched.FINISHED
        if len(self.active) >= self.max_concurrent:
            return None
        try:
            self.ensure_held()
            draw = self._pick()
            if draw is not None:
                return self._launch(draw)
        except BaseException as exc:  # surfaced after Tune returns
            self.error = exc
            self.abort = isinstance(exc, (LeaseLost, StorageError))
            return None if self.active and not self.abort else sched.FINISHED
        return None if self.active else sched.FINISHED

    def _in_flight(self, name: str) -> int:
        return sum(1 for (s, _) in self.active if s == name) + len(self.spaces[name].queue)

    def _pick(self) -> Draw | None:
        for sp in self.spaces.values():
            if sp.queue:
                return sp.queue.pop(0)
        open_ = [n for n, sp in self.spaces.items()
                 if not sp.gave_up and sp.finished + self._in_flight(n) < sp.target]
        if not open_:
            return None
        name = min(open_, key=lambda n: ((self.spaces[n].finished + self._in_flight(n)) / self.spaces[n].target, n))
        return self.spaces[name].study.draw({"dataset": self.dataset_attr})

    def _launch(self, d: Draw) -> dict[str, Any]:
        st = self.spaces[d.label].study
        ckdir = Path(self.checkpoint_dir(d.label, d.number))
        if not d.resumed and ckdir.exists():
            # a new trial number cannot own files yet: these are left from an older storage of the same name
            # (run_trial would return their result.json for a different config), so move them aside
            ckdir.rename(ckdir.with_name(f"{ckdir.name}.stale-{int(time.time())}"))
        if not d.mlflow_run_id:
            d.mlflow_run_id = self.tracker.start_trial(d.label, d.number, d.params, d.config, d.complexity)
            st.set_trial_attrs(d.trial_id, mlflow_run_id=d.mlflow_run_id)
        key = d.key
        self.active[key] = d
        self.started[key] = time.time()
        self._publish()
        return TrialTask(
            space=d.space, label=d.label, number=d.number, config=d.config,
            checkpoint_dir=self.checkpoint_dir(d.label, d.number),
            dataset=self.spec.dataset.model_dump(), recipe=recipe_for(self.spec, st.sspec, d.params),
            seed=(space_seed(self.spec.strategy.seed, d.label) + d.number) % (2**31),
            threads=max(1, int(self.spec.resources.cpus_per_trial)),
            fault=self.fault,
        ).to_config()

    def checkpoint_dir(self, space: str, number: int) -> str:
        return str(Path(self.spec.output_dir) / space / f"trial-{number}")

    @_fenced
    def on_result(self, key, result: dict[str, Any]) -> None:
        d = self.active.get(key)
        if d is None or result.get("final") or "epoch" not in result:
            return
        _driver_fault(result)
        st = self.spaces[d.label].study
        progress = {k: result.get(k) for k in PROGRESS_KEYS}
        st.record_epoch(d, int(result["epoch"]), result.get("top1_err"), progress)
        self.tracker.log_epoch(d.mlflow_run_id, int(result["epoch"]),
                               {k: result.get(k) for k in ("train_loss", "top1_err", "images_per_s")})

    @_fenced
    def on_complete(self, key, result: dict[str, Any] | None, error: bool, early_stopped: bool) -> None:
        d = self.active.pop(key, None)
        started = self.started.pop(key, time.time())
        if d is None:
            return
        sp = self.spaces[d.label]
        st = sp.study
        result = result or {}
        label = f"{d.label} #{d.number}"
        if not error and result.get("final"):
            out = sched.outcome_of(result)
            # the held-back last epoch arrives with the outcome
            if "epoch" in result:
                self.on_result_final(d, result)
            self.tracker.log_missing_epochs(d.mlflow_run_id, _history(result))
            status = out.get("status", "completed")
            attrs = {
                "status": status, "train_time_s": out.get("train_time_s"), "epochs_run": out.get("epochs_run"),
                "best_top1_err": out.get("best_top1_err"), "images_per_s": out.get("images_per_s"),
            }
            for k in ("flops", "params", "acts"):
                if out.get(k) is not None:
                    attrs[k] = int(out[k])
            for k in ("weights_path", "node_id", "node_ip", "hostname"):
                if out.get(k):
                    attrs[k] = out[k]
            st.finish(d, top1_err=out.get("top1_err"), state=TrialState.COMPLETE, attrs=attrs)
            self.tracker.finish_trial(d.mlflow_run_id, status=status, weights_path=out.get("weights_path"), metrics={
                "final_top1_err": out.get("top1_err"), "best_top1_err": out.get("best_top1_err"),
                "train_time_s": out.get("train_time_s"), "epochs_run": out.get("epochs_run")})
            sp.finished += 1
            err = out.get("top1_err")
            if err is not None and (sp.best is None or err < sp.best):
                sp.best = err
            text = f"{label}: {status}, top-1 err {_pct(err)} in {time.time() - started:.1f} s"
        elif not error and early_stopped:
            st.finish(d, top1_err=result.get("top1_err"), state=TrialState.PRUNED,
                      attrs={"status": "pruned", "epochs_run": result.get("epoch")})
            self.tracker.finish_trial(d.mlflow_run_id, status="pruned", weights_path=None,
                                      metrics={"epochs_run": result.get("epoch")})
            sp.finished += 1
            text = f"{label}: stopped early by ASHA at epoch {result.get('epoch')}"
        elif not error:
            # neither finished nor stopped by the scheduler: the run was interrupted. Leave it RUNNING, so the
            # next `netspace resume` re-runs it from its checkpoint.
            self._publish()
            return
        else:
            st.finish(d, top1_err=None, state=TrialState.FAIL,
                      attrs={"status": "failed", "error": "worker failed (retries exhausted); see the Ray logs",
                             "epochs_run": result.get("epoch", 0)})
            self.tracker.finish_trial(d.mlflow_run_id, status="failed", weights_path=None, metrics={})
            sp.failed += 1
            if sp.failed >= self.max_failures_per_space[d.label]:
                sp.gave_up = True
                self.progress.message(f"{d.label}: {sp.failed} trials failed; no more replacements drawn")
            text = f"{label}: FAILED; a replacement sample will be drawn" if not sp.gave_up else f"{label}: FAILED"
        self.progress.trial_done(d.label, text)
        self._publish()

    def on_result_final(self, d: Draw, result: dict[str, Any]) -> None:
        st = self.spaces[d.label].study
        progress = {k: result.get(k) for k in PROGRESS_KEYS}
        if result.get("train_loss") is not None:  # a real epoch report, not an outcome replayed from result.json
            st.record_epoch(d, int(result["epoch"]), result.get("top1_err"), progress)
            self.tracker.log_epoch(d.mlflow_run_id, int(result["epoch"]),
                                   {k: result.get(k) for k in ("train_loss", "top1_err", "images_per_s")})

    def _publish(self) -> None:
        for name, sp in self.spaces.items():
            running = sum(1 for (s, _) in self.active if s == name)
            self.progress.set_space(name, target=sp.target, done=sp.finished, running=running, failed=sp.failed,
                                    best=sp.best)
        self.progress.refresh()


def _history(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-epoch reports a final result carries (a JSON list), [] when absent or unreadable."""
    try:
        out = json.loads(result.get("history") or "[]")
    except (TypeError, ValueError):
        return []
    return out if isinstance(out, list) else []


def _pct(x) -> str:
    return "-" if x is None else f"{float(x):.2f}%"


# -- entry points -------------------------------------------------------------------------------------
@dataclass
class RunSummary:
    campaign: str
    storage: str
    counts: dict[str, dict[str, Any]]
    resumed_trials: int
    wall_s: float

    @property
    def complete(self) -> bool:
        return all(c["finished"] >= c["target"] for c in self.counts.values())


def _check_regimes(spec: CampaignSpec, geometry: Geometry) -> None:
    """Draw one sample per space and regime (a RegimeError names an impossible one) without touching storage."""
    from netspace.search_spaces import iter_samples

    for s in spec.spaces:
        if s.regime is not None or s.restrict:  # a restriction can also leave no valid config
            next(iter_samples(s.design_space(), 0, s.regime.to_regime() if s.regime else None, geometry=geometry))


def run_campaign(spec: CampaignSpec | str | os.PathLike, *, storage: str | None = None, address: str | None = None,
                 show_progress: bool = True, console=None) -> RunSummary:
    """``netspace run``: create (or continue) the campaign described by ``spec`` and run it to its targets."""
    if not isinstance(spec, CampaignSpec):
        spec = load_campaign(spec)
    url = resolve_url(storage, spec.storage)
    spec = spec.resolved()
    return _drive(spec, url, address=address, show_progress=show_progress, console=console, new=True)


def resume_campaign(name: str, *, storage: str | None = None, address: str | None = None,
                    show_progress: bool = True, console=None) -> RunSummary:
    """``netspace resume``: continue a campaign from the spec stored with its studies."""
    url = resolve_url(storage)
    st = open_storage(url, must_exist=True)
    spec = stored_spec(st, name, url)
    return _drive(spec, url, address=address, show_progress=show_progress, console=console, new=False, storage=st)


def stored_spec(st, name: str, url: str) -> CampaignSpec:
    studies = campaign_studies(st, name, url)
    raw = next((s.user_attrs["spec"] for s in studies if "spec" in s.user_attrs), None)
    if raw is None:
        raise CampaignError(f"campaign {name!r} has no stored spec (created by another tool?)")
    data = json.loads(raw)
    spec = CampaignSpec.model_validate(data)
    if "***" in spec.mlflow.tracking_uri:
        env = os.environ.get("MLFLOW_TRACKING_URI")
        if not env:
            raise CampaignError(f"campaign {name!r}: its MLflow URI {spec.mlflow.tracking_uri} has a masked password; "
                                "set MLFLOW_TRACKING_URI to the full URI")
        spec.mlflow.tracking_uri = env
    return spec


def _check_compatible(spec: CampaignSpec, studies: list) -> None:
    for s in studies:
        raw = s.user_attrs.get("spec")
        if not raw:
            continue
        old = CampaignSpec.model_validate(json.loads(raw))
        a, b = old.fingerprint_without_samples(), spec.fingerprint_without_samples()
        common = set(a["regimes"]) & set(b["regimes"])
        a["regimes"] = {k: a["regimes"][k] for k in common}
        b["regimes"] = {k: b["regimes"][k] for k in common}
        if a != b:
            raise CampaignError(
                f"campaign {spec.name!r} already exists in this storage with a different dataset, training, strategy, "
                f"regime or restriction; use `netspace resume {spec.name}`, or give the campaign a new name")
        return


def _drive(spec: CampaignSpec, url: str, *, address: str | None, show_progress: bool, console, new: bool,
           storage=None) -> RunSummary:
    t0 = time.time()
    sched.check_address(address)
    st = storage or open_storage(url)
    if new:
        _check_compatible(spec, campaign_studies(st, spec.name, url, required=False))
    engine = create_engine(url)
    _check_output_dir(spec.output_dir)
    check_tracking(spec.mlflow.tracking_uri)
    lease = Lease(engine, spec.name).acquire()
    tracker = None
    try:
        from netspace.workers import DatasetSpec, dataset_info

        info = dataset_info(DatasetSpec(**spec.dataset.model_dump()))
        geometry = Geometry(int(info.resolution), int(info.in_channels), int(info.num_classes))
        _check_regimes(spec, geometry)  # an impossible regime fails before anything is written
        studies = {s.key: SpaceStudy(st, spec, s, geometry) for s in spec.spaces}
        old_attrs = next(iter(studies.values())).attrs
        tracker = Tracker(spec.mlflow, spec.name)
        exp_id, parent_id = tracker.open(old_attrs.get("mlflow_experiment_id"), old_attrs.get("mlflow_parent_run_id"))
        spec_json = spec.to_json()
        tracker.log_campaign(spec_json)
        for name, s in studies.items():
            s.set_attrs(campaign=spec.name, space=s.sspec.space, label=name, restrict=json.dumps(s.sspec.restrict or {}),
                        reference=s.sspec.reference,
                        target=s.target, spec=spec_json,
                        mlflow_experiment_id=exp_id, mlflow_parent_run_id=parent_id,
                        geometry={"resolution": geometry.resolution, "in_channels": geometry.in_channels,
                                  "num_classes": geometry.num_classes},
                        strategy=spec.strategy.kind, output_dir=spec.output_dir)
        progress = Progress(spec.name, enabled=show_progress, **({"console": console} if console else {}))
        started_ray = False
        with progress:
            driver = CampaignDriver(spec, studies, tracker, progress, max_concurrent=1, fault=_fault_hook())
            driver.lease = lease
            n_abandoned = driver.collect_abandoned()
            _reconcile_mlflow(studies, tracker)
            if n_abandoned:
                progress.message(f"resuming {n_abandoned} interrupted trial(s) from their checkpoints")
            if driver.remaining() > 0:
                started_ray = sched.ensure_ray(address)
                driver.max_concurrent = _max_concurrent(spec)
                try:
                    sched.run_trials(driver, cpus_per_trial=spec.resources.cpus_per_trial,
                                     gpus_per_trial=spec.resources.gpus_per_trial,
                                     max_failures=spec.resources.max_failures,
                                     asha=(spec.early_stopping.model_dump() if spec.early_stopping.kind == "asha"
                                           else None),
                                     epochs=max_epochs(spec), storage_path=str(Path(spec.output_dir) / "_tune"),
                                     name=sched.run_name())
                finally:
                    if started_ray:
                        import ray

                        ray.shutdown()
            if driver.error is not None:
                if not isinstance(driver.error, LeaseLost):  # the run is the new driver's now
                    _close_quietly(tracker, "FAILED")
                raise driver.error
        counts = {n: count_trials(s.trials(), s.target).as_dict() for n, s in studies.items()}
        done = all(c["finished"] >= c["target"] for c in counts.values())
        tracker.close("FINISHED" if done else "FAILED")
        tracker = None
        return RunSummary(spec.name, mask_secrets(url), counts, driver.resumed, time.time() - t0)
    except BaseException as exc:
        if tracker is not None and not isinstance(exc, LeaseLost):  # never leave the parent run RUNNING
            _close_quietly(tracker, "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
        raise
    finally:
        lease.release()
        engine.dispose()


def _close_quietly(tracker: Tracker, status: str) -> None:
    try:
        tracker.close(status)
    except Exception:  # MLflow unreachable too: the next run/resume reopens the parent run anyway
        pass


def _check_output_dir(output_dir: str) -> None:
    """One line, before anything is stored, when ``output_dir`` cannot hold checkpoints."""
    path = Path(output_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".netspace-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise CampaignError(f"output_dir {output_dir} is not writable ({exc.strerror or exc}); choose another "
                            "output_dir in the campaign file") from None


def _reconcile_mlflow(studies: dict[str, SpaceStudy], tracker: Tracker) -> None:
    finished: dict[str, dict[str, Any]] = {}
    referenced: set[str] = set()
    for st in studies.values():
        for t in st.trials():
            rid = t.user_attrs.get("mlflow_run_id")
            if rid:
                referenced.add(rid)
            if not rid or not t.state.is_finished():
                continue
            ua = t.user_attrs
            status = ua.get("status") or ("completed" if t.state == TrialState.COMPLETE else "failed")
            metrics = {"epochs_run": ua.get("epochs_run"), "train_time_s": ua.get("train_time_s"),
                       "best_top1_err": ua.get("best_top1_err")}
            if t.state == TrialState.COMPLETE and t.values:
                metrics["final_top1_err"] = t.values[0]
            finished[rid] = {"status": status, "metrics": metrics, "weights_path": ua.get("weights_path")}
    tracker.reconcile(finished, referenced)


def _max_concurrent(spec: CampaignSpec) -> int:
    import ray

    res = ray.cluster_resources()
    n = int(res.get("CPU", 1) // spec.resources.cpus_per_trial) or 1
    if spec.resources.gpus_per_trial:
        n = min(n, int(res.get("GPU", 0) // spec.resources.gpus_per_trial) or 1)
    if spec.resources.max_concurrent:
        n = min(n, spec.resources.max_concurrent)
    return max(1, n)


def _driver_fault(result: dict[str, Any]) -> None:
    """Test hook: NETSPACE_FAULT_DRIVER_EXIT_AT_EPOCH=N and NETSPACE_FAULT_MARKER=path make the driver SIGKILL
    itself (once) when an epoch-N report arrives, before recording it: the crash that loses an epoch's metrics."""
    epoch, marker = os.environ.get("NETSPACE_FAULT_DRIVER_EXIT_AT_EPOCH"), os.environ.get(sched.FAULT_MARKER_ENV)
    if epoch and marker and int(result["epoch"]) == int(epoch) and not os.path.exists(marker):
        import signal

        Path(marker).write_text(f"driver {os.getpid()} epoch {epoch}\n")
        os.kill(os.getpid(), signal.SIGKILL)


def _fault_hook() -> dict[str, Any] | None:
    """Test hook: NETSPACE_FAULT_KILL_AT_EPOCH=N and NETSPACE_FAULT_MARKER=path make one worker SIGKILL itself
    at epoch N (once: the marker file records that it happened)."""
    epoch = os.environ.get(sched.FAULT_ENV)
    marker = os.environ.get(sched.FAULT_MARKER_ENV)
    if epoch and marker:
        return {"epoch": int(epoch), "marker": marker}
    return None
