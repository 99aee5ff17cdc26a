"""``netspace run`` / ``netspace resume``: load or recover the spec, check everything that can fail before a
trial is stored (storage, output dir, tracking, regimes), take the campaign lease, open the studies and the
MLflow runs, reconcile MLflow with the storage, and hand the :class:`~netspace.platform.campaign.driver.CampaignDriver`
to the scheduler (Ray) until every space reaches its target.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netspace.errors import CampaignError
from netspace.platform.campaign import faults
from netspace.platform.campaign import scheduler as sched
from netspace.platform.campaign.driver import CampaignDriver
from netspace.platform.campaign.interrupt import Interrupted, InterruptGuard, interrupted_line
from netspace.platform.campaign.lease import Lease, LeaseLost
from netspace.platform.campaign.preflight import preflight
from netspace.platform.campaign.progress import Progress
from netspace.platform.campaign.recipe_space import max_epochs
from netspace.platform.campaign.spec import CampaignSpec, load_campaign
from netspace.platform.campaign.study import Geometry, SpaceStudy, StudyRecords, count_trials
from netspace.platform.storage.database import campaign_studies, create_engine, open_storage
from netspace.platform.storage.project import project_dir, stored_paths
from netspace.platform.storage.urls import mask_secrets, resolve_url
from netspace.platform.tracking.tracker import Tracker, check_tracking, open_in_background
from netspace.workers.diskspace import DiskFull


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
    resolved = spec.resolved()
    return _drive(resolved, url, address=address, show_progress=show_progress, console=console, new=True,
                  stored=resolved.stored(spec, project_dir(url)))


def resume_campaign(name: str, *, storage: str | None = None, address: str | None = None,
                    show_progress: bool = True, console=None) -> RunSummary:
    """``netspace resume``: continue a campaign from the spec stored with its studies."""
    url = resolve_url(storage)
    st = open_storage(url, must_exist=True)
    raw = stored_spec(st, name, url, resolve=False)
    spec = raw.resolved(project_dir(url))
    return _drive(spec, url, address=address, show_progress=show_progress, console=console, new=False, storage=st,
                  stored=spec.stored(raw, project_dir(url)))


def stored_spec(st, name: str, url: str, *, resolve: bool = True) -> CampaignSpec:
    """The spec stored with campaign ``name``; with ``resolve``, its relative paths taken against the project
    directory (where the SQLite storage file lives, :mod:`netspace.platform.storage.project`)."""
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
    return spec.resolved(project_dir(url)) if resolve else spec


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
           storage=None, stored: CampaignSpec | None = None) -> RunSummary:
    """Run ``spec`` (resolved: absolute paths) to its targets; ``stored`` is the form written to the storage and
    MLflow (paths relative to the project directory, :meth:`CampaignSpec.stored`)."""
    t0 = time.time()
    stored = stored or spec
    project = project_dir(url)
    sched.check_address(address)
    preflight(spec, address)  # tracking server and resources: one line in seconds, before anything is created
    st = storage or open_storage(url)
    if new:
        _check_compatible(spec, campaign_studies(st, spec.name, url, required=False))
    engine = create_engine(url)
    _check_output_dir(spec.resolved_output_dir)
    check_tracking(spec.mlflow.tracking_uri)
    lease = _acquire(engine, spec.name, url)
    tracker: Tracker | None = None
    driver: CampaignDriver | None = None
    guard = InterruptGuard().install()  # Ctrl-C at any moment: one line, trials left RUNNING for resume
    try:
        from netspace.workers import DatasetSpec, dataset_info

        info = dataset_info(DatasetSpec(**spec.dataset.model_dump()))
        geometry = Geometry(int(info.resolution), int(info.in_channels), int(info.num_classes))
        _check_regimes(spec, geometry)  # an impossible regime fails before anything is written
        studies = {s.key: SpaceStudy(st, spec, s, geometry) for s in spec.spaces}
        old_attrs = next(iter(studies.values())).attrs
        spec_json = stored.to_json()
        # MLflow opens in a thread (importing mlflow, a new store's migrations: seconds), started once the driver has
        # launched its first trial, so it overlaps Ray starting the first worker and not the driver's own set-up
        # (one interpreter: a thread busy importing slows the main one); the driver adopts the tracker between
        # trials, or waits for it at its first MLflow record
        opening = functools.partial(open_in_background, spec.mlflow, spec.name, project=project,
                                    experiment_id=old_attrs.get("mlflow_experiment_id"),
                                    parent_run_id=old_attrs.get("mlflow_parent_run_id"), spec_json=spec_json)
        for name, s in studies.items():
            s.set_attrs(campaign=spec.name, space=s.sspec.space, label=name, restrict=json.dumps(s.sspec.restrict or {}),
                        reference=s.sspec.reference,
                        resolution=s.sspec.resolution.values if s.sspec.resolution else None,
                        regime_of=s.sspec.regime_of,  # `regimes:` expansion: the zoo group of this study
                        target=s.target, spec=spec_json,
                        geometry={"resolution": geometry.resolution, "in_channels": geometry.in_channels,
                                  "num_classes": geometry.num_classes},
                        strategy=spec.strategy.kind, output_dir=stored.output_dir)
        progress = Progress(spec.name, enabled=show_progress, **({"console": console} if console else {}))
        started_ray = False
        with progress:
            driver = CampaignDriver(spec, studies, opening, progress, max_concurrent=1, fault=faults.worker_fault(),
                                    dataset_attr=stored.dataset.model_dump())
            driver.on_tracker = functools.partial(_tracker_ready, studies)
            driver.stored_path = stored_paths(stored.output_dir, project)
            driver.lease = lease
            n_abandoned = driver.collect_abandoned()
            if n_abandoned:
                progress.message(f"resuming {n_abandoned} interrupted trial(s) from their checkpoints")
            if driver.remaining() > 0:
                started_ray = sched.ensure_ray(address)
                guard.check()  # a Ctrl-C that Ray's start-up swallowed
                driver.max_concurrent = sched.max_concurrent(spec.resources.cpus_per_trial,
                                                             spec.resources.gpus_per_trial,
                                                             spec.resources.max_concurrent)
                guard.soft = driver
                try:
                    sched.run_trials(driver, cpus_per_trial=spec.resources.cpus_per_trial,
                                     gpus_per_trial=spec.resources.gpus_per_trial,
                                     max_failures=spec.resources.max_failures,
                                     asha=(spec.early_stopping.model_dump() if spec.early_stopping.kind == "asha"
                                           else None),
                                     epochs=max_epochs(spec), storage_path=str(Path(spec.resolved_output_dir) / "_tune"),
                                     name=sched.run_name())
                finally:
                    guard.soft = None
                    if started_ray:
                        sched.shutdown_ray()
            if driver.error is not None:
                raise driver.error  # the parent run is closed below (unless the lease was lost: it is the new driver's)
            tracker = driver.tracker  # opened (and reconciled) before the first trial, or now
        counts = {n: count_trials(s.trials(), s.target).as_dict() for n, s in studies.items()}
        done = all(c["finished"] >= c["target"] for c in counts.values())
        tracker.close("FINISHED" if done else "FAILED")
        tracker = None
        return RunSummary(spec.name, mask_secrets(url), counts, driver.resumed, time.time() - t0)
    except BaseException as exc:
        if tracker is None and driver is not None:
            tracker = _opened(driver.started_tracker())
        if tracker is not None and not isinstance(exc, LeaseLost):  # never leave the parent run RUNNING
            _close_quietly(tracker, "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
        if isinstance(exc, KeyboardInterrupt):
            raise Interrupted(interrupted_line(spec.name, _exists(st, spec.name, url))) from None
        raise
    finally:
        guard.uninstall()
        lease.release()
        engine.dispose()


def _acquire(engine, name: str, url: str) -> Lease:
    try:
        return Lease(engine, name).acquire()
    except Exception as exc:  # the lease table is the first write: a full disk shows here
        from netspace.platform.storage.database import disk_full_line
        from netspace.workers.diskspace import is_disk_full

        if is_disk_full(exc):
            raise DiskFull(disk_full_line("campaign storage", url)) from None
        raise


def _exists(st, name: str, url: str) -> bool | None:
    """Whether campaign ``name`` can be resumed (True), is not stored (False) or only half-created (None)."""
    try:
        studies = campaign_studies(st, name, url, required=False)
    except Exception:  # storage gone too: say what we know
        return True
    if not studies:
        return False
    return True if any("spec" in s.user_attrs for s in studies) else None


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


def _tracker_ready(studies: Mapping[str, SpaceStudy], tracker: Tracker) -> None:
    """Once MLflow is open: store its experiment and parent run with every study, and reconcile it with the storage."""
    for s in studies.values():
        s.set_attrs(mlflow_experiment_id=tracker.experiment_id, mlflow_parent_run_id=tracker.parent_run_id)
    _reconcile_mlflow(studies, tracker)


def _opened(opening: Tracker | Future[Tracker] | None) -> Tracker | None:
    """The tracker, once opened in the background; None if its opening never started or failed (the failure is
    reported elsewhere)."""
    if not isinstance(opening, Future):
        return opening
    try:
        return opening.result()
    except Exception:
        return None


def _reconcile_mlflow(studies: Mapping[str, StudyRecords], tracker: Tracker) -> None:
    finished: dict[str, dict[str, Any]] = {}
    referenced: set[str] = set()
    for st in studies.values():
        done, seen = st.mlflow_outcomes()
        finished.update(done)
        referenced |= seen
    tracker.reconcile(finished, referenced)
