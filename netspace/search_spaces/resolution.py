"""Input resolution as a sampled parameter: a space wrapped so every trial also draws its resolution.

``with_resolution(space, [24, 28, 32])`` declares one more parameter, ``resolution`` (a choice), next to the base
space's. A config is the base config plus its resolution; complexity, the regime rejection and the network are all
at the trial's own resolution (in- and out-channels stay the dataset's). The stored config dict is the base's dict
with one more key, ``resolution``, so analysis reads the same fields as for the base space, and the worker
(:func:`netspace.workers.run_trial`) trains at that resolution, resizing the data on the training device.

The paper's "resolution at fixed FLOPs" experiment: sample the resolution inside one FLOP regime; a higher resolution
then leaves fewer FLOPs to width and depth.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from netspace.errors import InvalidConfigError
from netspace.search_spaces.base import DesignSpace
from netspace.search_spaces.complexity import Complexity
from netspace.search_spaces.geometry import IMAGENET, Geometry
from netspace.search_spaces.params import Choice, Param
from netspace.search_spaces.wrapped import WrappedSpace

KEY = "resolution"
MIN_RESOLUTION, MAX_RESOLUTION = 8, 1024


@dataclass(frozen=True)
class ResolutionConfig:
    """A base space's config and the input resolution it is trained and counted at."""

    config: Any
    resolution: int

    def to_dict(self) -> dict[str, Any]:
        return {**self.config.to_dict(), KEY: int(self.resolution)}

    def __getattr__(self, item):  # the base config's fields and helpers (depths, widths, to_anynet, ...)
        if item.startswith("__") or item in ("config", "resolution"):
            raise AttributeError(item)
        return getattr(self.config, item)


def split_resolution(data: Mapping[str, Any]) -> tuple[dict[str, Any], int | None]:
    """A stored config dict without its ``resolution`` key, and that resolution (None when absent)."""
    rest = dict(data)
    r = rest.pop(KEY, None)
    return rest, (None if r is None else int(r))


def at_resolution(geometry: Geometry, resolution: int | None) -> Geometry:
    return geometry if resolution is None else dataclasses.replace(geometry, resolution=int(resolution))


def resolution_values(values: Sequence[Any]) -> tuple[int, ...]:
    """Validated resolutions: a non-empty list of distinct integers in [8, 1024], ascending."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
        raise InvalidConfigError("resolution.values: expected a non-empty list of integers, e.g. [24, 28, 32]")
    out = set()
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or not MIN_RESOLUTION <= v <= MAX_RESOLUTION:
            raise InvalidConfigError(f"resolution.values: {v!r} is not an integer in [{MIN_RESOLUTION}, {MAX_RESOLUTION}]")
        out.add(int(v))
    return tuple(sorted(out))


class ResolutionSpace(WrappedSpace):
    """``base`` with the input resolution drawn from ``values`` in every trial."""

    def __init__(self, base: DesignSpace, values: Sequence[int]):
        self.values = resolution_values(values)
        super().__init__(base, summary=f"{base.summary} (resolution in {{{', '.join(map(str, self.values))}}})")
        self._param = Choice(self.values, doc="input resolution (px) of the trial's data and network")

    def options(self) -> dict[str, Any]:
        return self.base.options()

    def parameters(self) -> dict[str, Param]:
        return {**self.base.parameters(), KEY: self._param}

    def constraints(self) -> list[str]:
        return [*self.base.constraints(), f"complexity counted at the trial's resolution {list(self.values)}"]

    def size(self) -> float:
        return self.base.size() * len(self.values)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "base": self.base.name, KEY: list(self.values)}

    def sample(self, trial) -> ResolutionConfig:
        config = self.base.sample(trial)
        return ResolutionConfig(config, int(self._param.suggest(trial, KEY)))

    def check(self, config: ResolutionConfig) -> list[str]:
        problems = list(self.base.check(config.config))
        if config.resolution not in self.values:
            problems.append(f"resolution {config.resolution} not one of {list(self.values)}")
        return problems

    def screen_batch(self, values, regime, geometry: Geometry):
        """The base's screen, once per distinct resolution on the candidates that drew it."""
        import numpy as np

        res = np.asarray(values[KEY])
        mask = np.zeros(len(res), dtype=bool)
        metrics = []
        for r in np.unique(res):
            idx = res == r
            sub = {k: np.asarray(v)[idx] for k, v in values.items() if k != KEY}
            m, metric = self.base.screen_batch(sub, regime, at_resolution(geometry, int(r)))
            mask[idx] = m
            if metric is not None:
                metrics.append(np.asarray(metric))
        return mask, (np.concatenate(metrics) if metrics else None)

    def build(self, config: ResolutionConfig, geometry: Geometry = IMAGENET):
        return self.base.build(config.config, at_resolution(geometry, config.resolution))

    def complexity(self, config: ResolutionConfig, geometry: Geometry = IMAGENET) -> Complexity:
        return self.base.complexity(config.config, at_resolution(geometry, config.resolution))

    def config_from_dict(self, data: Mapping[str, Any]) -> ResolutionConfig:
        rest, r = split_resolution(data)
        if r is None:
            raise InvalidConfigError(f"{self.name}: config has no {KEY!r}")
        return ResolutionConfig(self.base.config_from_dict(rest), r)

    def __repr__(self) -> str:
        return f"<ResolutionSpace {self.name} at {list(self.values)} px>"


def with_resolution(space: DesignSpace, values: Sequence[int] | None) -> DesignSpace:
    """``space`` sampling its resolution from ``values`` (``space`` itself when ``values`` is None)."""
    return space if values is None else ResolutionSpace(space, values)
