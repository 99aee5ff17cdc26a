"""A preset as a design space of one network: what a campaign trains as a fixed reference point.

``get_space("preset:resnet50")`` is a :class:`FixedSpace`: it declares no parameters, so every draw (through any
Optuna sampler, ``config_from_params({})`` included) is the preset's config, and ``build``/``complexity`` are the
preset's space's. Everything that handles a space (campaign studies, workers, promote) handles it unchanged.
"""

from __future__ import annotations

from typing import Any

from netspace.search_spaces.params import Param, TrialLike
from netspace.search_spaces.presets import get_preset
from netspace.search_spaces.wrapped import WrappedSpace

PREFIX = "preset:"


class FixedSpace(WrappedSpace):
    """The one-network space of a preset (checks, networks and configs are its space's: ``base``)."""

    def __init__(self, preset_name: str):
        self.preset = get_preset(preset_name)
        super().__init__(self.preset.design_space(), name=PREFIX + self.preset.name,
                         summary=f"the preset {self.preset.name} ({self.preset.summary or self.preset.space}) "
                                 "as a fixed network")

    def parameters(self) -> dict[str, Param]:
        return {}

    def size(self) -> float:
        return 1

    def sample(self, trial: TrialLike):
        return self.preset.build_config()

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "preset": self.preset.name, "config": dict(self.preset.config)}


def fixed_space(name: str) -> FixedSpace:
    """``"preset:NAME"`` -> the preset's one-network space (unknown presets raise one line)."""
    return FixedSpace(name[len(PREFIX):])
