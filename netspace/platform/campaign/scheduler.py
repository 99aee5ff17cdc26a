"""Ray Tune runs the trials; the driver's :class:`TrialSource` decides what runs and records what happened.

No OptunaSearch and no ``Tuner.restore``: Tune snapshots its experiment state only every ``TUNE_GLOBAL_CHECKPOINT_S``
(≥ 10 s), so a restored Tuner re-ran trials already finished in Optuna (``UpdateFinishedTrialError``) and left
trials asked after the last snapshot RUNNING for ever (ray-project/ray#58179 is a related report). Each ``run``/``resume``
invocation starts a fresh Tuner whose :class:`BridgeSearcher` asks the driver for the next trial (a new sample,
or an abandoned one to re-run under its Optuna number) and hands every result back, so the Optuna storage is the
only durable state. The trainable calls :func:`netspace.workers.run_trial` with a checkpoint dir derived from the
Optuna trial number; a retry (Tune ``FailureConfig``) or a re-run after a driver crash re-enters ``run_trial`` on
the same dir and resumes from its ``checkpoint.pt`` (or returns its ``result.json``). That directory is the trial's
checkpoint: reporting it to Tune as well would copy the weights every epoch for nothing.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ray.tune.schedulers import ASHAScheduler, FIFOScheduler
from ray.tune.search import Searcher
from ray.tune.stopper import Stopper

FINISHED = Searcher.FINISHED
#: a Tuner keeps every trial it ran (config, results) in memory: a long campaign runs through successive Tuners of
#: at most this many trials each, so the driver's memory stays bounded (ASHA's rungs restart with each Tuner)
TRIALS_PER_TUNER = int(os.environ.get("NETSPACE_TRIALS_PER_TUNER") or 500)
METRIC = "top1_err"
OUTCOME = "outcome."  # prefix of the TrialResult fields in a trial's final report


def outcome_of(result: dict[str, Any]) -> dict[str, Any]:
    """The TrialResult fields of a final report (nested or flattened)."""
    if isinstance(result.get("outcome"), dict):
        return dict(result["outcome"])
    n = len(OUTCOME)
    return {k[n:]: v for k, v in result.items() if k.startswith(OUTCOME)}


class TrialSource(Protocol):
    def next_trial(self) -> dict[str, Any] | None | str: ...

    def on_result(self, key: tuple[str, int], result: dict[str, Any]) -> None: ...

    def on_complete(self, key: tuple[str, int], result: dict[str, Any] | None, error: bool,
                    early_stopped: bool) -> None: ...


#: live driver objects by key: Tune pickles (tuner.pkl) and may copy its searcher and scheduler, so they hold
#: only a key into this process-local table, never the driver with its database connections
_BRIDGES: dict[str, dict[str, Any]] = {}


class BridgeSearcher(Searcher):
    """A Tune searcher that forwards to the driver's :class:`TrialSource` (the single writer to storage).
    ``nest``: the key a trainable wants its config under (``train_loop_config`` for a Ray Train trainer)."""

    def __init__(self, bridge: str, nest: str | None = None):
        super().__init__(metric=METRIC, mode="min")
        self.bridge, self.nest = bridge, nest
        self.keys: dict[str, tuple[str, int]] = {}
        self.last: dict[str, dict] = {}
        self.suggested = 0

    @property
    def source(self) -> TrialSource:
        return _BRIDGES[self.bridge]["source"]

    @property
    def stopped(self) -> set[str]:  # trial ids the scheduler stopped early
        return _BRIDGES[self.bridge]["stopped"]

    def set_search_properties(self, metric, mode, config, **spec) -> bool:
        return True

    def suggest(self, trial_id: str):
        if self.suggested >= TRIALS_PER_TUNER:  # this Tuner is full: let it drain, run_trials starts another
            _BRIDGES[self.bridge]["full"] = True
            return FINISHED
        cfg = self.source.next_trial()
        if cfg is None or isinstance(cfg, str):  # nothing to start yet, or FINISHED (the source's only string)
            return cfg
        self.keys[trial_id] = (cfg.get("label") or cfg["space"], cfg["number"])
        self.suggested += 1
        return {self.nest: cfg} if self.nest else cfg

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        self.last[trial_id] = result
        key = self.keys.get(trial_id)
        if key is not None:
            self.source.on_result(key, result)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        key = self.keys.pop(trial_id, None)
        last = self.last.pop(trial_id, None)
        if key is not None:
            self.source.on_complete(key, result if result is not None else last, error,
                                    trial_id in self.stopped)

    # all state lives in the Optuna storage: nothing for Tune to snapshot or restore
    def save_to_dir(self, *args, **kwargs) -> None:
        return None

    def save(self, checkpoint_path: str) -> None:
        return None

    def get_state(self) -> dict:
        return {}

    def set_state(self, state: dict) -> None:
        return None


# -- the trainables (run in Ray workers) --------------------------------------------------------------
def train_trial(cfg: dict[str, Any]) -> None:
    """Train one sampled network (a Tune function trainable); report each epoch to Tune (so ASHA can stop it) and
    the outcome last."""
    from ray import tune

    _train(cfg, tune.report)


def train_trial_parallel(cfg: dict[str, Any]) -> None:
    """One Ray Train worker of a data-parallel trial (Ray Train set up the torch.distributed group): every rank
    trains its shard of each batch and reports alike; Ray Train keeps rank 0's reports."""
    import ray.train
    import ray.train.torch

    _train(cfg, ray.train.report, workers=ray.train.get_context().get_world_size(),
           device=ray.train.torch.get_device())  # the GPU Ray Train gave this worker, else the CPU


def _train(cfg: dict[str, Any], send: Callable[[dict[str, Any]], None], *, workers: int = 0,
           device: Any = None) -> None:
    """The trial :class:`TrialTask` ``cfg`` through :func:`netspace.workers.run_trial`, its epochs and outcome
    sent with ``send``; ``workers`` > 0: as one rank of that many data-parallel workers."""
    import dataclasses

    import torch

    from netspace.platform.campaign import faults
    from netspace.platform.campaign.task import TrialTask
    from netspace.workers import DatasetSpec, TrainRecipe, run_trial

    task = TrialTask.from_config(cfg)
    torch.set_num_threads(max(1, task.threads))
    fault = task.fault or {}
    held: dict[str, dict] = {}
    parallel = {"workers": workers} if workers else {}

    def report(ep) -> None:
        metrics: dict[str, Any] = {"epoch": int(ep.epoch), "epochs": int(ep.epochs), "train_loss": float(ep.train_loss),
                   METRIC: float(ep.top1_err), "images_per_s": float(ep.images_per_s),
                   "elapsed_s": float(ep.elapsed_s), "data_wait": float(ep.data_wait), "final": False, **parallel}
        faults.kill_worker_if_due(fault, int(ep.epoch), f"{task.space} {task.number}")
        from netspace.workers.trial import NOTICES

        if NOTICES:  # e.g. "checkpoint moved aside": the driver prints it on the terminal
            metrics["notice"] = " | ".join(NOTICES)
            NOTICES.clear()
        if ep.epoch >= ep.epochs:  # the last epoch goes out with the outcome (ASHA stops trials at max_t)
            held["last"] = metrics
            return
        send(metrics)

    recipe = TrainRecipe(**task.recipe)
    from netspace.workers.memory import release_memory

    try:
        result = run_trial(task.space, task.config, DatasetSpec(**task.dataset), recipe, seed=task.seed,
                           checkpoint_dir=task.checkpoint_dir, report=report, device=device,
                           data_parallel=bool(workers))
    except Exception as exc:
        from netspace.workers.diskspace import INFRA_KEY, describe, is_disk_full

        if not is_disk_full(exc):
            raise
        # a full disk is not this model's failure: tell the driver (it stops and records no FAIL), do not retry
        send({"epoch": 0, "epochs": recipe.epochs, METRIC: 100.0, "final": False,
              INFRA_KEY: str(exc) if "disk full" in str(exc) else describe(str(task.checkpoint_dir))})
        return
    final = held.get("last") or {"epoch": int(result.epochs_run), "epochs": recipe.epochs,
                                  METRIC: float(result.top1_err), "final": False, **parallel}
    final = dict(final)
    final["final"] = True
    # flat keys: Tune flattens nested dicts in the result it hands to the searcher at completion
    outcome = dataclasses.asdict(result)
    final["history"] = json.dumps(outcome.pop("history", ()))  # every epoch, for the driver to log what it missed
    final.update({f"{OUTCOME}{k}": v for k, v in json_safe(outcome).items()})
    final.update({f"{OUTCOME}{k}": v for k, v in trial_location().items()})
    final[METRIC] = float(result.top1_err)
    del result, outcome
    release_memory()  # this worker is reused for the next trial: keep its RSS flat
    send(final)


def trial_location() -> dict[str, str]:
    """The Ray node and host a trial ran on (recorded with the trial, e.g. to check a multi-node run)."""
    import socket

    import ray

    ctx = ray.get_runtime_context()
    return {"node_id": ctx.get_node_id(), "node_ip": ray.util.get_node_ip_address(), "hostname": socket.gethostname()}


def json_safe(d: dict) -> dict:
    import math

    out = {}
    for k, v in d.items():
        if isinstance(v, float) and not math.isfinite(v):
            v = None
        elif not isinstance(v, (int, float, str, bool, type(None))):
            v = str(v)
        out[k] = v
    return out


# -- running ------------------------------------------------------------------------------------------
def ray_env() -> None:
    """Environment for a quiet, low-overhead local Tune run (set before Ray starts)."""
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
    os.environ.setdefault("TUNE_GLOBAL_CHECKPOINT_S", "600")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "1000")
    os.environ.setdefault("RAY_DEDUP_LOGS", "1")
    os.environ.setdefault("RAY_TRAIN_V2_ENABLED", "0")
    os.environ.setdefault("RAY_TRAIN_ENABLE_V2_MIGRATION_WARNINGS", "0")  # V1 on purpose (a Trainer as Tune trainable)
    os.environ.setdefault("TUNE_DISABLE_SIGINT_HANDLER", "1")  # the driver's InterruptGuard handles Ctrl-C


def check_address(address: str | None) -> None:
    if address and address.startswith("ray://"):
        from netspace.errors import CampaignError

        raise CampaignError(
            f"--address {address}: Ray Client (ray://) runs Tune remotely, away from the campaign driver; run "
            "netspace on a cluster node with --address HOST:6379 (or `ray job submit -- netspace run FILE`)")


def ensure_ray(address: str | None, num_cpus: int | None = None) -> bool:
    """Start a local Ray (or join ``address``) unless already connected; True when this call started it."""
    import ray

    ray_env()
    check_address(address)
    _raylet_errors_to_stderr()
    if ray.is_initialized():
        return False
    kwargs: dict[str, Any] = dict(include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False,
                                  configure_logging=True)
    if address:
        ray.init(address=address, **kwargs)
    else:
        ray.init(num_cpus=num_cpus or os.cpu_count() or 1, **kwargs)
    return True


def _raylet_errors_to_stderr() -> None:
    """Ray prints the raylet's error messages on the driver's stdout ("(raylet) A worker died or was killed ...",
    e.g. when Ray Train force-kills a worker that was already exiting after a data-parallel trial); a command's
    stdout is its output (``--json``), so they go to stderr. A Ray without this hook is left as it is."""
    from ray._private import worker

    original = getattr(worker, "print_to_stdstream", None)
    if original is None or getattr(original, "_netspace", False):
        return

    def print_to_stdstream(data, ignore_prefix):
        original({**data, "is_err": True} if data.get("pid") == "raylet" else data, ignore_prefix)

    print_to_stdstream._netspace = True  # type: ignore[attr-defined]
    worker.print_to_stdstream = print_to_stdstream


def shutdown_ray() -> None:
    import ray

    ray.shutdown()


def max_concurrent(cpus_per_trial: float, gpus_per_trial: float, cap: int | None) -> int:
    """Trials that fit the cluster at once (CPUs, and GPUs when trials use them), at most ``cap``."""
    import ray

    res = ray.cluster_resources()
    n = int(res.get("CPU", 1) // cpus_per_trial) or 1
    if gpus_per_trial:
        n = min(n, int(res.get("GPU", 0) // gpus_per_trial) or 1)
    if cap:
        n = min(n, cap)
    return max(1, n)


@dataclass(frozen=True)
class DataParallel:
    """Each trial trains on ``workers`` Ray Train workers (``TorchTrainer``, DDP: gloo on CPU, NCCL on GPUs) of
    ``cpus_per_worker`` CPUs and ``gpus_per_worker`` GPUs each."""

    workers: int
    cpus_per_worker: float = 1.0
    gpus_per_worker: float = 0.0

    def check(self) -> None:
        """One :class:`CampaignError` line for settings no cluster can run (checked before anything starts)."""
        from netspace.errors import CampaignError

        if int(self.workers) != self.workers or self.workers < 1:
            raise CampaignError(f"workers must be a whole number >= 1 (got {self.workers})")
        if self.cpus_per_worker <= 0:
            raise CampaignError(f"cpus per worker must be > 0 (got {self.cpus_per_worker:g})")
        if self.gpus_per_worker < 0:
            raise CampaignError(f"gpus per worker must be >= 0 (got {self.gpus_per_worker:g})")
        if self.workers > 1 and 0 < self.gpus_per_worker < 1:
            raise CampaignError(f"gpus per worker {self.gpus_per_worker:g}: data-parallel workers (NCCL) need a "
                                "GPU each; give 0 (CPU, gloo) or at least 1")

    def fits(self) -> None:
        """Raise one :class:`CampaignError` line unless the connected cluster holds one trial's workers."""
        import ray

        from netspace.errors import CampaignError

        res = ray.cluster_resources()
        cpus, gpus = self.workers * self.cpus_per_worker, self.workers * self.gpus_per_worker
        if cpus > res.get("CPU", 0) or gpus > res.get("GPU", 0):
            raise CampaignError(f"{self.workers} data-parallel workers need {cpus:g} CPU"
                                f"{f' and {gpus:g} GPU' if gpus else ''}; the Ray cluster has "
                                f"{res.get('CPU', 0):g} CPU and {res.get('GPU', 0):g} GPU")

    def max_concurrent(self, cap: int | None) -> int:
        """Trials whose workers fit the cluster at once, at most ``cap``."""
        return max_concurrent(self.workers * self.cpus_per_worker, self.workers * self.gpus_per_worker, cap)

    def trainer(self, **kwargs: Any):
        """A Ray Train ``TorchTrainer`` of :func:`train_trial_parallel` on these workers (``kwargs``: the trainer's
        ``train_loop_config``, ``run_config``)."""
        from ray.train.torch import TorchTrainer

        extra: dict[str, Any] = {}
        if TorchTrainer.__module__.startswith("ray.train.v2"):  # the config classes of the trainer's own API version
            from ray.train.v2.api.config import ScalingConfig as V2ScalingConfig

            scaling_config: type[V2ScalingConfig | AirScalingConfig] = V2ScalingConfig
        else:
            from ray.air.config import ScalingConfig as AirScalingConfig

            scaling_config = AirScalingConfig
            extra["trainer_resources"] = {"CPU": 0}  # the coordinating actor only waits: all CPUs go to the workers
        use_gpu = self.gpus_per_worker > 0
        resources = {"CPU": float(self.cpus_per_worker), **({"GPU": float(self.gpus_per_worker)} if use_gpu else {})}
        return TorchTrainer(train_trial_parallel, scaling_config=scaling_config(
            num_workers=int(self.workers), use_gpu=use_gpu, resources_per_worker=resources, **extra), **kwargs)


def train_data_parallel(space: str, config: Mapping[str, Any], dataset: Mapping[str, Any],
                        recipe: Mapping[str, Any], *, workers: int = 2, gpus_per_worker: float = 0.0,
                        cpus_per_worker: float = 1.0, seed: int = 0, checkpoint_dir: str | None = None,
                        storage_path: str | None = None, name: str | None = None) -> dict[str, Any]:
    """Train ``config`` of ``space`` on ``workers`` Ray Train workers, outside any campaign: rank 0's outcome
    (the :class:`~netspace.workers.TrialResult` fields) with its last epoch's report (``train_loss``, ``workers``)."""
    import tempfile

    from netspace.errors import NetspaceError
    from netspace.platform.campaign.task import TrialTask

    parallel = DataParallel(int(workers), float(cpus_per_worker), float(gpus_per_worker))
    parallel.check()
    task = TrialTask(space=space, number=0, config=dict(config), checkpoint_dir=checkpoint_dir,
                     dataset=dict(dataset), recipe=dict(recipe), seed=int(seed),
                     threads=max(1, int(cpus_per_worker)))
    from ray.train.torch import TorchTrainer

    if TorchTrainer.__module__.startswith("ray.train.v2"):  # the run config class of the trainer's API version
        from ray.train.v2.api.config import RunConfig as V2RunConfig

        run_config: type[V2RunConfig | AirRunConfig] = V2RunConfig
    else:
        from ray.air.config import RunConfig as AirRunConfig

        run_config = AirRunConfig
    result = parallel.trainer(train_loop_config=task.to_config(), run_config=run_config(
        storage_path=storage_path or tempfile.mkdtemp(prefix="netspace-ddp-"), name=name or f"ddp-{int(time.time())}")
    ).fit()
    if getattr(result, "error", None) is not None:
        raise NetspaceError(f"data-parallel training failed: {' '.join(str(result.error).split())[:300]}")
    return {**result.metrics, **outcome_of(result.metrics)}


def run_trials(source: TrialSource, *, cpus_per_trial: float, gpus_per_trial: float, max_failures: int,
               asha: dict[str, Any] | None, epochs: int, storage_path: str, name: str,
               parallel: DataParallel | None = None) -> None:
    """Run until the source says FINISHED and every started trial has ended; ``parallel``: each trial on several
    data-parallel workers (then ``cpus_per_trial`` and ``gpus_per_trial`` are not used)."""
    from ray import tune
    from ray.tune.schedulers import TrialScheduler

    from netspace.platform.campaign.raylogs import route_ray_logs

    route_ray_logs(os.path.dirname(storage_path))  # tracebacks to a file, one line each on the terminal
    resources = {"cpu": cpus_per_trial}
    if gpus_per_trial:
        resources["gpu"] = gpus_per_trial
    trainable = parallel.trainer() if parallel else tune.with_resources(train_trial, resources)
    bridge = f"{os.getpid()}-{time.time_ns()}"
    _BRIDGES[bridge] = {"source": source, "stopped": set()}
    os.makedirs(storage_path, exist_ok=True)
    try:
        for chunk in itertools.count():
            _BRIDGES[bridge]["full"] = False
            scheduler: TrialScheduler
            if asha:
                scheduler = RecordingASHA(bridge, time_attr="epoch", max_t=epochs,
                                          grace_period=int(asha["grace_period"]),
                                          reduction_factor=float(asha["reduction_factor"]))
            else:
                scheduler = WatchingFIFO(bridge)
            tuner = tune.Tuner(
                trainable,
                tune_config=tune.TuneConfig(metric=METRIC, mode="min",
                                            search_alg=BridgeSearcher(bridge, "train_loop_config" if parallel else None),
                                            scheduler=scheduler, num_samples=-1,
                                            # a reused Ray Train trainable keeps its first trial's config (it
                                            # merges the config in setup only): one actor per data-parallel trial
                                            reuse_actors=parallel is None,
                                            trial_name_creator=trial_name, trial_dirname_creator=trial_name),
                run_config=tune.RunConfig(name=name if chunk == 0 else f"{name}-{chunk}", storage_path=storage_path,
                                          # no Tune callbacks: with any, Tune's usage tagging imports its MLflow
                                          # integration (and mlflow, ~0.7 s) before the first trial starts; the
                                          # placement watch runs in the trial schedulers instead
                                          verbose=0, stop=AbortStopper(bridge),
                                          failure_config=tune.FailureConfig(max_failures=max_failures),
                                          checkpoint_config=tune.CheckpointConfig(num_to_keep=1)),
            )
            tuner.fit()
            if not _BRIDGES[bridge]["full"] or getattr(source, "abort", False):
                return
    finally:
        _BRIDGES.pop(bridge, None)


#: seconds with trials waiting and none running before the driver is told nothing can be placed
STALL_S = float(os.environ.get("NETSPACE_STALL_S") or 60)


class PlacementWatch:
    """When trials wait (PENDING) and none runs for :data:`STALL_S`, tell the driver (``source.on_stalled(seconds)``;
    0 once something runs again). Observed on every step of Tune's loop by the trial schedulers below
    (``choose_trial_to_run``). Holds only a bridge key."""

    def __init__(self, bridge: str):
        self.bridge = bridge
        self.since: float | None = None

    def observe(self, trials) -> None:
        now = time.monotonic()
        stalled = any(t.status == "PENDING" for t in trials) and not any(t.status == "RUNNING" for t in trials)
        entry = _BRIDGES.get(self.bridge)
        source = entry["source"] if entry else None
        if source is None or not hasattr(source, "on_stalled"):
            return
        if not stalled:
            if self.since is not None:
                source.on_stalled(0.0)
            self.since = None
            return
        self.since = self.since or now
        if now - self.since >= STALL_S:
            source.on_stalled(now - self.since)


class AbortStopper(Stopper):
    """Stops every trial at once when the driver sets ``abort`` (lost lease, storage gone). Holds only a bridge key."""

    def __init__(self, bridge: str):
        self.bridge = bridge

    def __call__(self, trial_id, result) -> bool:
        return False

    def stop_all(self) -> bool:
        entry = _BRIDGES.get(self.bridge)
        return bool(entry and getattr(entry["source"], "abort", False))


def trial_name(trial) -> str:
    """``regnetx-12``: the Optuna study's space and trial number."""
    cfg = trial.config or {}
    cfg = cfg.get("train_loop_config") or cfg  # a data-parallel trial's task
    return f"{cfg.get('label') or cfg.get('space', 'trial')}-{cfg.get('number', trial.trial_id)}-{trial.trial_id}"


class _Watching:
    """Mixin for a Tune trial scheduler: the :class:`PlacementWatch` looks at the trials on every step of Tune's loop
    (Tune asks the scheduler which trial to run next on each step). Holds only a bridge key, so Tune pickles the
    scheduler by reference."""

    def __init__(self, bridge: str, **kwargs):
        super().__init__(**kwargs)
        self.bridge, self.watch = bridge, PlacementWatch(bridge)

    def choose_trial_to_run(self, tune_controller):
        self.watch.observe(tune_controller.get_trials())
        return super().choose_trial_to_run(tune_controller)


class WatchingFIFO(_Watching, FIFOScheduler):
    """Tune's FIFO trial scheduler, with the placement watch."""


class RecordingASHA(_Watching, ASHAScheduler):
    """ASHA that remembers which trials it stopped (told PRUNED, unlike trials cut off by Ctrl-C), with the placement
    watch."""

    def on_trial_result(self, tune_controller, trial, result):
        decision = super().on_trial_result(tune_controller, trial, result)
        if decision == self.STOP and not result.get("final"):
            _BRIDGES[self.bridge]["stopped"].add(trial.trial_id)
        return decision


def run_name() -> str:
    return time.strftime("run-%Y%m%d-%H%M%S") + f"-{os.getpid()}"
