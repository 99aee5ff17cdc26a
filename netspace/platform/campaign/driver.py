"""The campaign driver: the :class:`~netspace.platform.campaign.scheduler.TrialSource` that owns the space
studies, the MLflow runs and the live display, and feeds the scheduler one trial at a time
(:mod:`netspace.platform.campaign.run` wires it up for ``run`` / ``resume``).

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
* MLflow per-epoch metrics (:data:`~netspace.platform.tracking.tracker.EPOCH_METRICS`, the data-wait fraction
  included) are logged idempotently: at a trial's end, the epochs and metrics its child run misses (reported while
  no driver was listening) are filled in from the trial's history.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netspace.errors import StorageError
from netspace.platform.analysis.telemetry import mean_data_wait
from netspace.platform.campaign import faults
from netspace.platform.campaign import scheduler as sched
from netspace.platform.campaign.lease import Lease, LeaseLost
from netspace.platform.campaign.progress import Progress
from netspace.platform.campaign.recipe_space import recipe_for
from netspace.platform.campaign.spec import CampaignSpec
from netspace.platform.campaign.study import Draw, SpaceStudy, space_seed
from netspace.platform.campaign.task import TrialTask
from netspace.platform.storage.database import with_retry
from netspace.platform.tracking.tracker import EPOCH_METRICS, Tracker
from netspace.workers.diskspace import INFRA_KEY, DiskFull

if TYPE_CHECKING:
    from netspace.platform.campaign.final_study import FinalStudy

#: the latest epoch report kept in a running trial's ``progress`` attr (``data_wait``: the fraction of the epoch's step
#: time spent waiting for data, read by the dashboard to flag input-bound trials)
PROGRESS_KEYS = ("epoch", "epochs", "train_loss", "top1_err", "images_per_s", "elapsed_s", "data_wait")


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
    study: SpaceStudy | FinalStudy  # FinalStudy: the final runs of `netspace finalize` (its FinalDriver)
    target: int
    finished: int
    failed: int
    best: float | None
    queue: list[Draw] = field(default_factory=list)  # abandoned trials to re-run first
    gave_up: bool = False


class CampaignDriver:
    """The :class:`~netspace.platform.campaign.scheduler.TrialSource`: decides what runs next and records outcomes."""

    def __init__(self, spec: CampaignSpec, studies: Mapping[str, SpaceStudy | FinalStudy],
                 tracker: Tracker | Future[Tracker] | Callable[[], Future[Tracker]],
                 progress: Progress, *, max_concurrent: int, fault: dict[str, Any] | None = None,
                 dataset_attr: dict | None = None):
        """``tracker``: the MLflow tracker; or its future while it opens in the background
        (:func:`~netspace.platform.tracking.tracker.open_in_background`); or a callable that starts that opening,
        which the driver calls once it has launched its first trial (:meth:`start_tracker`), so that the opening
        (importing mlflow, a new store's migrations) overlaps the first worker's start instead of the driver's
        own set-up and Tune's start."""
        self.spec, self.progress = spec, progress
        self._tracker = tracker
        #: called once, in the driver's thread, when a tracker given as a future is ready
        self.on_tracker: Callable[[Tracker], None] | None = None
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
        #: how a path under the output dir is stored (relative to the project: storage.project.stored_paths)
        self.stored_path: Callable[[str | None], str | None] = lambda path: path

    def start_tracker(self) -> None:
        """Start opening the tracker if it was given as an opening not started yet."""
        if callable(self._tracker):
            self._tracker = self._tracker()

    def started_tracker(self) -> Tracker | Future[Tracker] | None:
        """The tracker or its opening future; None if its opening never started."""
        return None if callable(self._tracker) else self._tracker

    @property
    def tracker(self) -> Tracker:
        """The MLflow tracker; starts its opening if needed, and waits for it (and raises its error) while it is
        still opening in the background."""
        self.start_tracker()
        if isinstance(self._tracker, Future):
            tracker = self._tracker.result()
            self._tracker = tracker
            if self.on_tracker is not None:
                self.on_tracker(tracker)
        assert not callable(self._tracker) and not isinstance(self._tracker, Future)
        return self._tracker

    @property
    def tracker_ready(self) -> bool:
        if callable(self._tracker):
            return False
        return not isinstance(self._tracker, Future) or self._tracker.done()

    def _run_id(self, d: Draw, launched: float | None = None) -> str:
        """The trial's MLflow child run. It is created at launch once the tracker is ready; the first trials,
        launched while MLflow was still opening, get theirs at their first report, dated from their launch."""
        if not d.mlflow_run_id:
            d.mlflow_run_id = self.tracker.start_trial(d.label, d.number, d.params, d.config, d.complexity,
                                                       start_time=launched if launched is not None
                                                       else self.started.get(d.key))
            self.spaces[d.label].study.set_trial_attrs(d.trial_id, mlflow_run_id=d.mlflow_run_id)
        return d.mlflow_run_id

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
            if self.tracker_ready:
                _ = self.tracker  # a tracker opened in the background: adopt it here, between trials
            draw = self._pick()
            if draw is not None:
                launched = self._launch(draw)
                self.start_tracker()  # after the first launch: MLflow opens while Ray starts the first worker
                return launched
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
        if not isinstance(st, SpaceStudy):  # the final study's runs are launched by finalize's FinalDriver
            raise TypeError(f"{d.label}: a campaign trial needs a SpaceStudy, not {type(st).__name__}")
        ckdir = Path(self.checkpoint_dir(d.label, d.number))
        if not d.resumed and ckdir.exists():
            # a new trial number cannot own files yet: these are left from an older storage of the same name
            # (run_trial would return their result.json for a different config), so move them aside
            ckdir.rename(ckdir.with_name(f"{ckdir.name}.stale-{int(time.time())}"))
        key = d.key
        self.active[key] = d
        self.started[key] = time.time()
        if self.tracker_ready:
            self._run_id(d)
        self._publish()
        return TrialTask(
            space=d.space, label=d.label, number=d.number, config=d.config,
            checkpoint_dir=self.checkpoint_dir(d.label, d.number),
            dataset=self.spec.dataset.model_dump(), recipe=recipe_for(self.spec, st.sspec, d.params),
            seed=(space_seed(self.spec.strategy.seed, d.label) + d.number) % (2**31),
            threads=max(1, int(self.spec.resources.cpus_per_trial)),
            fault=self.fault,
        ).to_config()

    def on_stalled(self, seconds: float) -> None:
        """Trials wait and none runs (Ray cannot place them): say so in the live table, or once on a line when there
        is no live table (``--quiet``, output to a pipe or a file)."""
        if seconds <= 0:
            self.progress.set_note(None)
            return
        res = self.spec.resources
        self.progress.set_note(
            f"waiting {seconds:.0f} s: Ray cannot place a trial ({res.cpus_per_trial:g} CPU"
            f"{f', {res.gpus_per_trial:g} GPU' if res.gpus_per_trial else ''} each); are the cluster's nodes busy "
            "or gone?")

    def checkpoint_dir(self, space: str, number: int) -> str:
        return str(Path(self.spec.resolved_output_dir) / space / f"trial-{number}")

    @_fenced
    def on_result(self, key, result: dict[str, Any]) -> None:
        if result.get("notice"):  # a worker's warning that matters (checkpoint moved aside)
            self.progress.warn(f"{key[0]} #{key[1]}: {result['notice']}")
        if result.get(INFRA_KEY):  # a full disk: stop everything, record no FAIL (the trial stays RUNNING)
            raise DiskFull(f"{result[INFRA_KEY]}; stopped, no trial was marked failed: free space, then "
                           f"`netspace resume {self.spec.name}`")
        d = self.active.get(key)
        if d is None or result.get("final") or "epoch" not in result:
            return
        faults.kill_driver_if_due(int(result["epoch"]))
        st = self.spaces[d.label].study
        progress = {k: result.get(k) for k in PROGRESS_KEYS}
        st.record_epoch(d, int(result["epoch"]), result.get("top1_err"), progress)
        self.tracker.log_epoch(self._run_id(d), int(result["epoch"]), {k: result.get(k) for k in EPOCH_METRICS})

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
        self._run_id(d, launched=started)
        if not error and result.get("final"):
            out = sched.outcome_of(result)
            # the held-back last epoch arrives with the outcome
            if "epoch" in result:
                self.on_result_final(d, result)
            history = _history(result)
            self.tracker.log_missing_epochs(self._run_id(d), history)
            status = out.get("status", "completed")
            attrs = {
                "status": status, "train_time_s": out.get("train_time_s"), "epochs_run": out.get("epochs_run"),
                "best_top1_err": out.get("best_top1_err"), "images_per_s": out.get("images_per_s"),
                "data_wait": mean_data_wait(history),  # mean over epochs: the dashboard flags input-bound trials
            }
            for k in ("flops", "params", "acts"):
                if out.get(k) is not None:
                    attrs[k] = int(out[k])
            for k in ("weights_path", "node_id", "node_ip", "hostname", "inference_ms", "inference_batch",
                      "inference_dtype", "device_name", "measure_time_s"):  # measured runtime: netspace.workers.runtime
                if out.get(k):
                    attrs[k] = self.stored_path(out[k]) if k == "weights_path" else out[k]
            st.finish(d, top1_err=out.get("top1_err"), state="COMPLETE", attrs=attrs, history=history)
            self.tracker.finish_trial(self._run_id(d), status=status, weights_path=out.get("weights_path"), metrics={
                "final_top1_err": out.get("top1_err"), "best_top1_err": out.get("best_top1_err"),
                "train_time_s": out.get("train_time_s"), "epochs_run": out.get("epochs_run")})
            sp.finished += 1
            err = out.get("top1_err")
            if err is not None and (sp.best is None or err < sp.best):
                sp.best = err
            text = f"{label}: {status}, top-1 err {_pct(err)} in {time.time() - started:.1f} s"
        elif not error and early_stopped:
            st.finish(d, top1_err=result.get("top1_err"), state="PRUNED",
                      attrs={"status": "pruned", "epochs_run": result.get("epoch")})
            self.tracker.finish_trial(self._run_id(d), status="pruned", weights_path=None,
                                      metrics={"epochs_run": result.get("epoch")})
            sp.finished += 1
            text = f"{label}: stopped early by ASHA at epoch {result.get('epoch')}"
        elif not error:
            # neither finished nor stopped by the scheduler: the run was interrupted. Leave it RUNNING, so the
            # next `netspace resume` re-runs it from its checkpoint.
            self._publish()
            return
        else:
            st.finish(d, top1_err=None, state="FAIL",
                      attrs={"status": "failed", "error": "worker failed (retries exhausted); see the Ray logs",
                             "epochs_run": result.get("epoch", 0)})
            self.tracker.finish_trial(self._run_id(d), status="failed", weights_path=None, metrics={})
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
            self.tracker.log_epoch(self._run_id(d), int(result["epoch"]), {k: result.get(k) for k in EPOCH_METRICS})

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


