"""``run_trial``: one sampled network, trained and evaluated, with per-epoch checkpoints and reports.

A ``checkpoint_dir`` makes the trial restartable: ``checkpoint.pt`` (latest epoch) is resumed from,
``result.json`` short-circuits a finished trial, ``weights.pt`` holds the final ``state_dict``. Once
``result.json`` is written ``checkpoint.pt`` is deleted (it is never needed again). An unreadable
``checkpoint.pt`` (truncated, corrupt) is moved aside to ``checkpoint.pt.unreadable-<time>`` and the same trial
restarts from epoch 0, with one warning line on stderr.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

from netspace.errors import NetspaceError
from netspace.search_spaces import DesignSpace, Geometry, get_space
from netspace.search_spaces.resolution import ResolutionSpace, at_resolution, split_resolution
from netspace.workers.checkpoint import CHECKPOINT, RESULT, WEIGHTS, load_json, load_torch, save_json, save_torch
from netspace.workers.datasets import DatasetSpec, dataset_info
from netspace.workers.device import plan_device
from netspace.workers.recipe import STATUS_COMPLETED, STATUS_DIVERGED, EpochReport, TrainRecipe, TrialResult
from netspace.workers.resize import data_at_resolution
from netspace.workers.runtime import measure_inference
from netspace.workers.train import Trainer, training_data

DIVERGED_ERROR = 100.0


def _config_dict(config: Any) -> dict[str, Any]:
    return config.to_dict() if hasattr(config, "to_dict") else dict(config)


def run_trial(
    space: str | DesignSpace,
    config: Mapping[str, Any],
    dataset: DatasetSpec,
    recipe: TrainRecipe,
    *,
    seed: int = 0,
    checkpoint_dir: str | Path | None = None,
    report: Callable[[EpochReport], None] | None = None,
    device: str | torch.device | None = None,
    data_parallel: bool = False,
) -> TrialResult:
    """Train ``config`` of design space ``space`` on ``dataset`` with ``recipe``; see docs/contracts.md.

    ``data_parallel``: this process is one rank of an initialised ``torch.distributed`` group training the one
    network together (:mod:`netspace.workers.data_parallel`); every rank calls ``run_trial`` alike (same arguments,
    ``checkpoint_dir`` on a filesystem they share) and reports, only rank 0 writes the files."""
    ckdir = Path(checkpoint_dir) if checkpoint_dir is not None else None
    if ckdir is not None and (ckdir / RESULT).is_file():
        with contextlib.suppress(OSError):  # left by a crash between writing result.json and deleting it
            (ckdir / CHECKPOINT).unlink(missing_ok=True)
        return TrialResult.from_dict(load_json(ckdir / RESULT))

    ds = space if isinstance(space, DesignSpace) else get_space(space)  # an instance: a space with fixed options
    # a trial that sampled its input resolution (netspace.search_spaces.resolution) carries it in its config
    raw, resolution = split_resolution(_config_dict(config))
    if isinstance(ds, ResolutionSpace):
        ds = ds.base
    cfg = ds.config_from_dict(raw)
    ds.validate(cfg)
    if isinstance(dataset, str):
        dataset = DatasetSpec(dataset)
    info = dataset_info(dataset)
    geometry = at_resolution(Geometry.of(info), resolution)
    cx = ds.complexity(cfg, geometry)
    plan = plan_device(device if device is not None else recipe.device)

    torch.manual_seed(seed)
    model = ds.build(cfg, geometry)
    data = training_data(dataset, plan, recipe, seed)
    data = data_at_resolution(data, geometry.resolution)  # a sampled resolution, for in-memory and streamed data
    if data_parallel:
        from netspace.workers.data_parallel import parallel_trainer

        sharded = parallel_trainer(model, data, recipe, plan, seed)
        trainer: Trainer = sharded
        writer = ckdir if sharded.rank == 0 else None  # the other ranks read checkpoints only
    else:
        trainer = Trainer(model, data, recipe, plan, seed)
        writer = ckdir

    identity = {
        "space": ds.name, "config": cfg.to_dict() | ({"resolution": resolution} if resolution else {}), "dataset": dataset.to_dict(), "seed": int(seed),
        "recipe": {k: v for k, v in recipe.to_dict().items() if k != "device"},
    }
    state = read_checkpoint(ckdir / CHECKPOINT) if ckdir is not None else None
    if ckdir is not None and state is not None:
        if state.get("identity") != identity:
            raise NetspaceError(f"{ckdir / CHECKPOINT} belongs to a different trial (space, config, dataset, recipe "
                                f"or seed differ); use another checkpoint directory")
        trainer.load_state_dict(state)

    status = STATUS_COMPLETED
    while trainer.epoch < recipe.epochs:
        rep = trainer.run_epoch()
        if rep is None:
            status = STATUS_DIVERGED
            break
        if writer is not None and trainer.epoch < recipe.epochs:  # after the last epoch: weights.pt + result.json
            save_torch({"identity": identity, **trainer.state_dict()}, writer / CHECKPOINT)
        if report is not None:
            report(rep)

    measuring = time.perf_counter()
    rt = measure_inference(trainer.network, plan, info.in_channels, geometry.resolution)
    measure_time_s = time.perf_counter() - measuring
    errs = [r.top1_err for r in trainer.history]
    weights_path = None
    if status == STATUS_COMPLETED and ckdir is not None:
        weights_path = str((ckdir / WEIGHTS).resolve())
        if writer is not None:
            save_torch({k: v.detach().cpu() for k, v in trainer.network.state_dict().items()}, writer / WEIGHTS)
    result = TrialResult(
        status=status,
        top1_err=errs[-1] if status == STATUS_COMPLETED else DIVERGED_ERROR,
        best_top1_err=min(errs, default=DIVERGED_ERROR),
        epochs_run=trainer.epoch,
        train_time_s=trainer.elapsed_s,
        images_per_s=trainer.images_per_s,
        flops=cx.flops, params=cx.params, acts=cx.acts,
        weights_path=weights_path,
        inference_ms=rt.inference_ms, inference_batch=rt.batch, inference_dtype=rt.dtype, device_name=rt.device_name,
        measure_time_s=measure_time_s,
        history=tuple(r.to_dict() for r in trainer.history),
    )
    if writer is not None:
        save_json(result.to_dict(), writer / RESULT)
        (writer / CHECKPOINT).unlink(missing_ok=True)  # weights.pt and result.json keep all that matters
    return result


#: warnings for the campaign driver's terminal (a worker's own stderr goes to Ray's logs only)
NOTICES: list[str] = []


def read_checkpoint(path: Path) -> dict[str, Any] | None:
    """The state in ``path``; None when there is none, or when it cannot be read (truncated or corrupt): then it
    is moved aside (kept for inspection) and a warning says the trial restarts from epoch 0."""
    if not path.is_file():
        return None
    try:
        state = load_torch(path)
        if not isinstance(state, dict):
            raise ValueError(f"holds a {type(state).__name__}, not a checkpoint")
        return state
    except Exception as exc:  # torch raises many kinds of errors on a torn or garbage file
        aside = path.with_name(f"{path.name}.unreadable-{int(time.time())}")
        path.replace(aside)
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        notice = (f"checkpoint {path} is unreadable ({reason}); moved it to {aside.name} and restarting this "
                  "trial from epoch 0")
        NOTICES.append(notice)  # sent with the trial's next report, printed by the driver
        print(f"netspace: warning: {notice}", file=sys.stderr, flush=True)
        return None
