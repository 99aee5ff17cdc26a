"""MLflow, driver side only: an experiment and a parent run per campaign, a child run per trial.

Uses ``MlflowClient`` (no global active-run state). Child runs carry ``mlflow.parentRunId``, the sampled config
and Optuna params as params, the per-epoch :data:`EPOCH_METRICS` (``train_loss``, ``top1_err``, ``images_per_s`` and
``data_wait``, the fraction of the epoch's step time spent waiting for data), complexity and final error as
metrics, and ``netspace.status``; ``weights.pt`` is logged as an artifact when ``log_weights`` and small.
A trial re-run after a driver crash keeps its child run (its id is in the Optuna trial's user attrs).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from netspace.errors import StorageError
from netspace.platform.campaign.spec import MlflowSpec
from netspace.platform.storage.urls import mask_secrets

MAX_ARTIFACT_BYTES = 50 * 2**20
#: the per-epoch metrics of a child run (step = epoch), from each ``EpochReport``
EPOCH_METRICS = ("train_loss", "top1_err", "images_per_s", "data_wait")


def configure_env(tracking_uri: str) -> None:
    """Environment MLflow 3 needs for local stores (the file store is refused unless allowed)."""
    if not tracking_uri.startswith(("http://", "https://", "databricks")):
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")  # netspace prints its own one line


_DB_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mssql")


def check_tracking(tracking_uri: str) -> None:
    """One :class:`StorageError` line (password masked) unless a database-backed MLflow store can be connected to;
    MLflow itself would retry for minutes and print every attempt. HTTP servers and file stores pass."""
    from netspace.platform.storage.database import check_reachable
    from netspace.platform.storage.urls import normalize_url

    scheme = tracking_uri.split(":", 1)[0].split("+", 1)[0].lower()
    if "://" not in tracking_uri or scheme not in _DB_SCHEMES:
        return
    try:
        check_reachable(normalize_url(tracking_uri))
    except StorageError as exc:
        raise StorageError(f"MLflow tracking store: {exc}") from None


class Tracker:
    def __init__(self, spec: MlflowSpec, campaign: str, *, project: Path | None = None):
        """``spec``: resolved (absolute paths); ``project``: the project directory, against which stored relative
        paths (a trial's ``weights_path``) are read, and whose own MLflow store follows a move of the project."""
        configure_env(spec.tracking_uri)
        self.project = project
        import logging

        from mlflow.tracking import MlflowClient

        for name in ("mlflow", "alembic", "mlflow.store.db.utils"):  # after import: mlflow sets its own level
            logging.getLogger(name).setLevel(logging.WARNING)

        self.spec, self.campaign = spec, campaign
        from netspace.platform.storage.urls import normalize_url

        self.client = MlflowClient(tracking_uri=normalize_url(spec.tracking_uri))
        self.experiment_id: str | None = None
        self.parent_run_id: str | None = None

    # -- campaign level ------------------------------------------------------------------------------
    def open(self, experiment_id: str | None = None, parent_run_id: str | None = None) -> tuple[str, str]:
        """Find or create the experiment and the parent run (reused across run/resume invocations)."""
        try:
            self.experiment_id = self._experiment(experiment_id)
            from netspace.platform.tracking.relocate import follow_moved_project

            follow_moved_project(self.spec.tracking_uri, self.experiment_id, self.spec.artifact_location, self.project)
            self.parent_run_id = self._parent(parent_run_id, self.experiment_id)
        except StorageError:
            raise
        except Exception as exc:
            from netspace.platform.redact import one_line, redact

            uri = self.spec.tracking_uri
            raise StorageError(f"cannot use MLflow tracking URI {mask_secrets(uri)}: "
                               f"{one_line(redact(exc, uri), 300)}") from None
        return self.experiment_id, self.parent_run_id

    def _experiment(self, known: str | None) -> str:
        if known:
            try:
                if self.client.get_experiment(known).lifecycle_stage == "deleted":
                    self.client.restore_experiment(known)
                return known
            except Exception:
                pass
        exp = self.client.get_experiment_by_name(self.campaign)
        if exp is not None:
            if exp.lifecycle_stage == "deleted":
                self.client.restore_experiment(exp.experiment_id)
            return exp.experiment_id
        tags = {"netspace.campaign": self.campaign}
        if self.spec.tracking_uri.startswith(("http://", "https://")):
            # a tracking server chooses (and serves) the artifact store; a local path would be the driver's disk
            return self.client.create_experiment(self.campaign, tags=tags)
        art = self.spec.artifact_location
        if "://" not in art:
            os.makedirs(art, exist_ok=True)
            art = os.path.abspath(art)
        return self.client.create_experiment(self.campaign, artifact_location=art, tags=tags)

    def _parent(self, known: str | None, experiment_id: str) -> str:
        if known:
            try:
                run = self.client.get_run(known)
                if run.info.status != "RUNNING":
                    self.client.update_run(known, status="RUNNING")
                return known
            except Exception:
                pass
        run = self.client.create_run(experiment_id, run_name=self.campaign,
                                     tags={"netspace.campaign": self.campaign, "netspace.role": "campaign"})
        return run.info.run_id

    def log_campaign(self, spec_json: str) -> None:
        if self.parent_run_id is None:  # not opened: no parent run to tag
            return
        try:
            self.client.set_tag(self.parent_run_id, "netspace.spec", spec_json[:5000])
        except Exception:
            pass

    def close(self, status: str = "FINISHED") -> None:
        if self.parent_run_id:
            self.client.set_terminated(self.parent_run_id, status=status)

    @classmethod
    def opened(cls, spec: MlflowSpec, campaign: str, *, project: Path | None, experiment_id: str | None,
               parent_run_id: str | None, spec_json: str) -> Tracker:
        """A tracker with its experiment and parent run open and the campaign spec logged."""
        tracker = cls(spec, campaign, project=project)
        tracker.open(experiment_id, parent_run_id)
        tracker.log_campaign(spec_json)
        return tracker

    def _opened(self) -> tuple[str, str]:
        """The experiment and parent run ids, which :meth:`open` sets before any trial is tracked."""
        if self.experiment_id is None or self.parent_run_id is None:
            raise RuntimeError("Tracker.open() must be called before trials are tracked")
        return self.experiment_id, self.parent_run_id

    # -- trial level -----------------------------------------------------------------------------------
    def start_trial(self, space: str, number: int, params: dict[str, Any], config: dict[str, Any],
                    complexity: dict[str, int], *, start_time: float | None = None) -> str:
        """A child run for trial ``number``; ``start_time`` (seconds since the epoch): when the trial was launched,
        if that was before this call."""
        from mlflow.entities import Metric, Param

        experiment_id, parent_run_id = self._opened()
        started_ms = int(start_time * 1000) if start_time is not None else None
        run = self.client.create_run(experiment_id, start_time=started_ms, run_name=f"{space}-{number}", tags={
            "mlflow.parentRunId": parent_run_id, "netspace.campaign": self.campaign,
            "netspace.space": space, "netspace.trial_number": str(number), "netspace.status": "running"})
        rid = run.info.run_id
        ps = [Param("space", space), Param("trial_number", str(number))]
        ps += [Param(f"config.{k}", _param_value(v)) for k, v in config.items()]
        ps += [Param(f"optuna.{k}", _param_value(v)) for k, v in params.items()]
        now = int(time.time() * 1000)
        ms = [Metric(k, float(v), now, 0) for k, v in complexity.items()]
        for i in range(0, len(ps), 100):
            self.client.log_batch(rid, params=ps[i:i + 100], metrics=ms if i == 0 else [])
        return rid

    def log_epoch(self, run_id: str, epoch: int, metrics: Mapping[str, float | None]) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self.client.log_batch(run_id, metrics=[Metric(k, float(v), now, int(epoch)) for k, v in metrics.items()
                                               if v is not None])

    def log_missing_epochs(self, run_id: str | None, history: list[dict[str, Any]]) -> int:
        """Log the values of ``history`` (``EpochReport`` dicts) that the run lacks, metric by metric: after a
        driver crash the worker may have trained (and checkpointed) epochs no driver recorded, and a metric the
        live reports did not carry is filled in from the history. Idempotent; returns the epochs written to."""
        if not run_id or not history:
            return 0
        logged = {k: {m.step for m in self.client.get_metric_history(run_id, k)} for k in EPOCH_METRICS}
        n = 0
        for h in history:
            if not isinstance(h, dict) or h.get("epoch") is None:
                continue
            epoch = int(h["epoch"])
            missing = {k: h.get(k) for k in EPOCH_METRICS if epoch not in logged[k] and h.get(k) is not None}
            if missing:
                self.log_epoch(run_id, epoch, missing)
                n += 1
        return n

    def finish_trial(self, run_id: str, *, status: str, metrics: Mapping[str, float | None],
                     weights_path: str | None) -> None:
        from mlflow.entities import Metric, RunTag

        now = int(time.time() * 1000)
        self.client.log_batch(run_id, metrics=[Metric(k, float(v), now, 0) for k, v in metrics.items()
                                               if v is not None],
                              tags=[RunTag("netspace.status", status)])
        from netspace.platform.storage.project import load_path

        weights_path = load_path(weights_path, self.project)  # stored relative to the project directory
        if (self.spec.log_weights and weights_path and os.path.isfile(weights_path)
                and os.path.getsize(weights_path) <= MAX_ARTIFACT_BYTES):
            try:
                self.client.log_artifact(run_id, weights_path)
            except Exception:  # an artifact store problem must not lose the trial
                pass
        self.client.set_terminated(run_id, status="FINISHED" if status in ("completed", "diverged", "pruned")
                                   else "FAILED")


    def reconcile(self, finished: dict[str, dict[str, Any]], referenced: set[str]) -> int:
        """Close child runs left RUNNING by a killed driver: finished in Optuna (the source of truth) but not
        yet in MLflow -> finished with the trial's status; referenced by no trial at all (the driver died between
        creating the run and storing its id) -> KILLED. ``finished``: run id -> {status, metrics, weights_path};
        ``referenced``: every run id stored on a trial."""
        experiment_id, parent_run_id = self._opened()
        runs = self.client.search_runs(
            [experiment_id], max_results=10000,
            filter_string=f"tags.mlflow.parentRunId = '{parent_run_id}' and attributes.status = 'RUNNING'")
        n = 0
        for run in runs:
            rec = finished.get(run.info.run_id)
            if rec is not None:
                self.finish_trial(run.info.run_id, **rec)
                n += 1
            elif run.info.run_id not in referenced:
                self.client.set_tag(run.info.run_id, "netspace.status", "orphaned")
                self.client.set_terminated(run.info.run_id, status="KILLED")
                n += 1
        return n


def _param_value(v: Any) -> str:
    s = v if isinstance(v, str) else json.dumps(v)
    return s[:6000]


def open_in_background(spec: MlflowSpec, campaign: str, *, project: Path | None, experiment_id: str | None,
                       parent_run_id: str | None, spec_json: str) -> Future[Tracker]:
    """:meth:`Tracker.opened` in a thread. Creating a new MLflow store runs its schema migrations (about 2 s on a
    small machine); the campaign driver starts this once it has launched its first trial, so they overlap the first
    Ray worker's start, and waits for the tracker only when it first records to MLflow."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netspace-mlflow")
    future = pool.submit(Tracker.opened, spec, campaign, project=project, experiment_id=experiment_id,
                         parent_run_id=parent_run_id, spec_json=spec_json)
    pool.shutdown(wait=False)
    return future
