"""The typed message from the driver to a Ray worker: everything one trial needs, and nothing else."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TrialTask:
    """One trial to train: sent by the driver through Ray Tune (as a plain dict) and rebuilt in the worker."""

    space: str                      # registered design space that builds the network
    number: int                     # Optuna trial number within the space's study
    config: dict[str, Any]          # ``config.to_dict()`` of the sampled network
    checkpoint_dir: str | None      # checkpoint.pt / weights.pt / result.json live here (None: no files)
    dataset: dict[str, Any]         # ``DatasetSpec`` fields
    recipe: dict[str, Any]          # ``TrainRecipe`` fields
    seed: int = 0
    threads: int = 1                # torch intra-op threads (the trial's CPU share)
    fault: dict[str, Any] | None = None  # test-only: :func:`netspace.platform.campaign.faults.worker_fault`
    label: str = ""                 # study label within the campaign (defaults to ``space``)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, int]:
        return (self.label or self.space, self.number)

    def to_config(self) -> dict[str, Any]:
        """What Ray Tune carries (a dict of plain values)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> TrialTask:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in cfg.items() if k in names})
