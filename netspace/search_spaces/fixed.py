"""A preset as a design space of one network: what a campaign trains as a fixed reference point.

``get_space("preset:resnet50")`` is a :class:`FixedSpace`: it declares no parameters, so every draw (through any
Optuna sampler, ``config_from_params({})`` included) is the preset's config, and ``build``/``complexity`` are the
preset's space's. Everything that handles a space (campaign studies, workers, promote) handles it unchanged.
"""

from __future__ import annotations

from typing import Any

from netspace.search_spaces.base import DesignSpace
from netspace.search_spaces.params import Param, TrialLike
from netspace.search_spaces.presets import get_preset

PREFIX = "preset:"


class FixedSpace(DesignSpace):
    """The one-network space of a preset."""

    def __init__(self, preset_name: str):
        self.preset = get_preset(preset_name)
        self.inner = self.preset.design_space()
        self.name = PREFIX + self.preset.name  # type: ignore[misc]  # per instance
        self.summary = f"the preset {self.preset.name} ({self.preset.summary or self.preset.space}) as a fixed network"  # type: ignore[misc]
        self.config_cls = self.inner.config_cls  # type: ignore[misc]

    def parameters(self) -> dict[str, Param]:
        return {}

    def size(self) -> float:
        return 1

    def sample(self, trial: TrialLike):
        return self.preset.build_config()

    def check(self, config) -> list[str]:
        return self.inner.check(config)

    def build(self, config, *args: Any, **kwargs: Any):
        return self.inner.build(config, *args, **kwargs)

    def complexity(self, config, *args: Any, **kwargs: Any):
        return self.inner.complexity(config, *args, **kwargs)

    def config_from_dict(self, data):
        return self.inner.config_from_dict(data)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "preset": self.preset.name, "config": dict(self.preset.config)}


def fixed_space(name: str) -> FixedSpace:
    """``"preset:NAME"`` -> the preset's one-network space (unknown presets raise one line)."""
    return FixedSpace(name[len(PREFIX):])
