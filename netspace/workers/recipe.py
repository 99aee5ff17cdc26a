"""The records that cross the worker boundary: the training recipe, the per-epoch report and the trial result
(see docs/contracts.md, "Worker")."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from netspace.errors import InvalidConfigError

STATUS_COMPLETED = "completed"
STATUS_DIVERGED = "diverged"


def _from_dict(cls, data: Mapping[str, Any]):
    names = {f.name for f in fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise InvalidConfigError(f"{cls.__name__}: unknown field(s) {sorted(unknown)}; expected {sorted(names)}")
    return cls(**dict(data))


@dataclass(frozen=True)
class TrainRecipe:
    """Low-epoch training: SGD (Nesterov momentum), per-iteration linear warm-up then cosine decay to 0.

    ``weight_decay`` applies to conv and linear weights only, not to BN parameters or biases.
    ``label_smoothing`` smooths the training loss's targets (``F.cross_entropy(..., label_smoothing=)``).
    ``max_train_images`` trains on a fixed random subset of the train split (the same subset for every
    trial and seed, so trials stay comparable). ``lr_ref_batch``: when set, ``lr`` is per that many images (256 in
    the ImageNet papers) and SGD uses ``lr × batch_size / lr_ref_batch``. ``device``: "auto" (CUDA if available), "cpu", "cuda", "cuda:1".
    """

    epochs: int = 5
    batch_size: int = 128
    lr: float = 0.1
    warmup_epochs: float = 1.0
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-5
    augment: bool = True
    label_smoothing: float = 0.0
    device: str = "auto"
    max_train_images: int | None = None
    lr_ref_batch: int | None = None

    @property
    def effective_lr(self) -> float:
        """The learning rate SGD uses (``lr`` scaled linearly with the batch size when ``lr_ref_batch`` is set)."""
        return self.lr * int(self.batch_size) / int(self.lr_ref_batch) if self.lr_ref_batch else self.lr

    def __post_init__(self):
        problems = []
        if int(self.epochs) < 1:
            problems.append(f"epochs must be >= 1 (got {self.epochs})")
        if int(self.batch_size) < 1:
            problems.append(f"batch_size must be >= 1 (got {self.batch_size})")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            problems.append(f"lr must be a positive number (got {self.lr})")
        if self.warmup_epochs < 0:
            problems.append(f"warmup_epochs must be >= 0 (got {self.warmup_epochs})")
        if not 0 <= self.label_smoothing < 1:
            problems.append(f"label_smoothing must be in [0, 1) (got {self.label_smoothing})")
        if self.weight_decay < 0 or not (0 <= self.momentum < 1):
            problems.append("weight_decay must be >= 0 and momentum in [0, 1)")
        if self.max_train_images is not None and int(self.max_train_images) < 2:
            problems.append(f"max_train_images must be >= 2 (got {self.max_train_images})")
        if self.lr_ref_batch is not None and int(self.lr_ref_batch) < 1:
            problems.append(f"lr_ref_batch must be >= 1 (got {self.lr_ref_batch})")
        if problems:
            raise InvalidConfigError("train recipe: " + "; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if d["lr_ref_batch"] is None:  # unset: the same dict (and trial identity) as before the field existed
            del d["lr_ref_batch"]
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainRecipe:
        return _from_dict(cls, data)


@dataclass(frozen=True)
class EpochReport:
    """One finished epoch. ``epoch`` is 1-based; ``top1_err`` in percent on the held-out split; ``images_per_s``
    is training throughput of this epoch; ``elapsed_s`` is the trial's time so far (across resumes); ``data_wait``
    the fraction of the epoch's training time spent waiting for the next batch (near 1: input-bound);
    ``skipped_images`` the corrupt images skipped this epoch (streamed datasets)."""

    epoch: int
    epochs: int
    train_loss: float
    top1_err: float
    images_per_s: float
    elapsed_s: float
    data_wait: float = 0.0
    skipped_images: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EpochReport:
        return _from_dict(cls, data)


@dataclass(frozen=True)
class TrialResult:
    """The outcome of :func:`netspace.workers.run_trial`. Errors are percentages (0–100).

    status "diverged": the loss became NaN/inf; ``top1_err`` is then 100 and ``weights_path`` None.
    """

    status: str
    top1_err: float
    best_top1_err: float
    epochs_run: int
    train_time_s: float
    images_per_s: float
    flops: int
    params: int
    acts: int
    weights_path: str | None = None
    #: measured runtime (netspace.workers.runtime): median ms of one forward pass of ``inference_batch`` images on
    #: ``device_name`` in ``inference_dtype``; None in results written before runtime was measured
    inference_ms: float | None = None
    inference_batch: int | None = None
    inference_dtype: str | None = None
    device_name: str | None = None
    #: seconds the runtime measurement took (its warm-up and timed passes): trial work, not platform overhead
    measure_time_s: float | None = None
    #: every epoch's report (``EpochReport.to_dict()``), so a driver can log epochs it missed (idempotently)
    history: tuple[dict[str, Any], ...] = field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrialResult:
        return _from_dict(cls, data)
