"""Sampling configs from a design space: regime-constrained rejection sampling over fast random trials.

:func:`sample_configs` draws through :class:`~netspace.search_spaces.trials.RandomTrial` (independent uniform /
log-uniform draws, the distribution of Optuna's ``RandomSampler``, without a study or storage, so EDF populations
are drawn by the thousand per second), redraws configs that violate a space's constraints or fall outside a
complexity regime (the papers' "360–400 MF" populations) and gives up with a clear error after a bounded number
of consecutive rejections. The trial classes (:mod:`netspace.search_spaces.trials`) are re-exported here.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from netspace.errors import RegimeError
from netspace.search_spaces.base import DesignSpace
from netspace.search_spaces.complexity import Complexity
from netspace.search_spaces.geometry import IMAGENET, Geometry
from netspace.search_spaces.trials import FixedTrial, ParamSpec, RandomTrial, ReplayTrial

__all__ = ["METRICS", "FixedTrial", "ParamSpec", "RandomTrial", "Regime", "ReplayTrial", "Sample", "SamplingStats",
           "format_count", "iter_samples", "sample_configs"]

METRICS = ("flops", "params", "acts")
_SUFFIX = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}
_NUMBER = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmgt]?)(?:f|flops|p)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Regime:
    """Complexity ranges, all of which a config must satisfy: [low, high] on ``metric`` (flops, params or acts),
    counted at a geometry, plus optional further ``(metric, low, high)`` ranges in ``more``.

    ``metric``/``low``/``high`` is the primary range (the one vectorised screens test); :meth:`contains` checks
    every range. ``Regime.of(flops="2M:6M", params=(0, 1e6))`` builds a multi-metric regime.
    """

    metric: str = "flops"
    low: float = 0.0
    high: float = math.inf
    more: tuple = ()

    def __post_init__(self):
        seen = set()
        for metric, low, high in self.ranges:
            if metric not in METRICS:
                raise RegimeError(f"unknown complexity metric {metric!r}; expected one of {', '.join(METRICS)}")
            if metric in seen:
                raise RegimeError(f"complexity metric {metric!r} is given twice")
            seen.add(metric)
            if not (low >= 0 and high >= low):
                raise RegimeError(f"malformed {metric} range [{low:g}, {high:g}]: need 0 <= low <= high")

    @property
    def ranges(self) -> list[tuple[str, float, float]]:
        """Every ``(metric, low, high)`` range, the primary first."""
        return [(self.metric, self.low, self.high), *[tuple(r) for r in self.more]]

    @classmethod
    def parse(cls, text: str, metric: str = "flops") -> Regime:
        """Parse ``LO:HI`` with optional k/M/G suffixes, e.g. ``360M:400M``; either side may be empty."""
        parts = str(text).split(":")
        if len(parts) != 2:
            raise RegimeError(f"malformed {metric} range {text!r}: expected LO:HI, e.g. 360M:400M")
        lo = _parse_number(parts[0], text, metric) if parts[0].strip() else 0.0
        hi = _parse_number(parts[1], text, metric) if parts[1].strip() else math.inf
        if hi < lo:
            raise RegimeError(f"malformed {metric} range {text!r}: low {lo:g} is above high {hi:g}")
        return cls(metric, lo, hi)

    @classmethod
    def of(cls, **ranges: Any) -> Regime:
        """Several metrics at once: each keyword (flops, params, acts) is ``"LO:HI"`` or ``(low, high)``."""
        if not ranges:
            raise RegimeError("a regime needs at least one of flops, params, acts")
        parsed = []
        for metric, r in ranges.items():
            if isinstance(r, Regime):
                parsed.extend(r.ranges)
                continue
            one = cls.parse(r, metric) if isinstance(r, str) else cls(metric, float(r[0] or 0.0),
                                                                       math.inf if r[1] is None else float(r[1]))
            parsed.append((metric, one.low, one.high))
        return cls(*parsed[0], more=tuple(parsed[1:]))

    def combine(self, other: Regime | None) -> Regime:
        """Both regimes at once."""
        if other is None:
            return self
        return Regime(self.metric, self.low, self.high, more=tuple(self.more) + tuple(other.ranges))

    def contains(self, cx: Complexity) -> bool:
        return all(low <= getattr(cx, metric) <= high for metric, low, high in self.ranges)

    def violations(self, cx: Complexity) -> list[str]:
        """One line per range ``cx`` falls outside."""
        return [f"{metric} {format_count(getattr(cx, metric))} outside [{format_count(low)}, {format_count(high)}]"
                for metric, low, high in self.ranges if not low <= getattr(cx, metric) <= high]

    def __str__(self) -> str:
        return " and ".join(f"{metric} in [{format_count(low)}, {format_count(high)}]" for metric, low, high in self.ranges)


def _parse_number(part: str, text: str, metric: str) -> float:
    m = _NUMBER.match(part)
    if not m:
        raise RegimeError(f"malformed {metric} range {text!r}: {part.strip()!r} is not a number (suffixes k, M, G allowed)")
    return float(m.group(1)) * _SUFFIX[m.group(2).lower()]


def format_count(x: float) -> str:
    """1234567 -> '1.23M'."""
    if math.isinf(x):
        return "inf"
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:.3g}{unit}"
    return f"{x:.3g}"


@dataclass
class Sample:
    """One accepted config with the trial params that produced it and its complexity."""

    space: str
    params: dict[str, Any]
    config: Any
    complexity: Complexity
    trial: RandomTrial | None = field(default=None, repr=False)

    @property
    def specs(self) -> dict[str, ParamSpec]:
        """What each of ``params`` was drawn from (``to_optuna(sample.specs)`` adds this sample to a study)."""
        return self.trial.specs if self.trial is not None else {}

    def to_dict(self) -> dict[str, Any]:
        return {"space": self.space, "params": self.params, "config": self.config.to_dict(), "complexity": self.complexity.as_dict()}


@dataclass
class SamplingStats:
    """Counts of a sampling run: draws made, samples accepted, and the range of the regime metric seen."""

    draws: int = 0
    accepted: int = 0
    observed_low: float = math.inf
    observed_high: float = 0.0


def iter_samples(
    space: DesignSpace,
    seed: int | None = None,
    regime: Regime | None = None,
    *,
    geometry: Geometry = IMAGENET,
    max_consecutive_rejections: int = 100_000,
    stats: SamplingStats | None = None,
) -> Iterator[Sample]:
    """Endless stream of accepted samples (constraint-valid and inside ``regime`` at ``geometry``), reproducible by
    ``seed``.

    Raises :class:`RegimeError` after ``max_consecutive_rejections`` draws in a row are rejected.
    """
    stats = stats if stats is not None else SamplingStats()
    if space.has_batch_path():
        yield from _iter_batched(space, seed, regime, geometry, max_consecutive_rejections, stats)
        return
    rng = random.Random(seed)
    streak = 0
    while True:
        stats.draws += 1
        sample = _accept(space, RandomTrial(rng), regime, geometry, stats)
        if sample is not None:
            streak = 0
            yield sample
            continue
        streak += 1
        if streak >= max_consecutive_rejections:
            raise _exhausted(space, regime, geometry, streak, stats)


def _accept(space, trial, regime, geometry: Geometry, stats) -> Sample | None:
    """The config ``trial`` yields, as a :class:`Sample` if it is valid and inside ``regime`` (exact scalar code)."""
    config = space.sample(trial)
    if space.check(config):
        return None
    cx = space.complexity(config, geometry)
    if regime is not None:
        v = getattr(cx, regime.metric)
        stats.observed_low = min(stats.observed_low, v)
        stats.observed_high = max(stats.observed_high, v)
        if not regime.contains(cx):
            return None
    stats.accepted += 1
    return Sample(space.name, dict(trial.params), config, cx, trial)


def _exhausted(space: DesignSpace, regime: Regime | None, geometry: Geometry, streak: int, stats: SamplingStats) -> RegimeError:
    seen = (
        f"; sampled {regime.metric} ranged {format_count(stats.observed_low)}–{format_count(stats.observed_high)}"
        if regime is not None and stats.observed_high > 0
        else ""
    )
    what = f" with {regime} at {geometry.resolution}px" if regime is not None else ""
    return RegimeError(f"no valid {space.name} config{what} in {streak} consecutive draws{seen}; widen the range")


_BATCH = 4096


def _iter_batched(space, seed, regime, geometry: Geometry, max_rejections, stats) -> Iterator[Sample]:
    """Vectorised rejection sampling: draw a batch of parameter vectors, screen them with numpy, then build
    and re-check the survivors with the exact scalar code. Same distribution as the scalar path."""
    import numpy as np

    rng = np.random.default_rng(seed)
    params = space.parameters()
    streak = 0
    while True:
        raw = {name: p.draw(rng, _BATCH) for name, p in params.items()}
        values = {name: params[name].value(r) for name, r in raw.items()}
        mask, metric = space.screen_batch(values, regime, geometry)
        if regime is not None and metric is not None and metric.size:
            stats.observed_low = min(stats.observed_low, float(metric.min()))
            stats.observed_high = max(stats.observed_high, float(metric.max()))
        pos = 0  # next candidate of this batch not yet counted
        for i in np.flatnonzero(mask).tolist() + [_BATCH]:
            gap = i - pos  # screened-out candidates before candidate i
            if streak + gap >= max_rejections:
                stats.draws += max_rejections - streak
                raise _exhausted(space, regime, geometry, max_rejections, stats)
            streak += gap
            stats.draws += gap
            if i == _BATCH:
                break
            pos = i + 1
            stats.draws += 1
            trial = ReplayTrial({name: r[i] for name, r in raw.items()})
            sample = _accept(space, trial, regime, geometry, stats)
            if sample is not None:
                streak = 0
                yield sample
                continue
            streak += 1
            if streak >= max_rejections:
                raise _exhausted(space, regime, geometry, streak, stats)


def sample_configs(space: DesignSpace, n: int, seed: int | None = None, regime: Regime | None = None, **kwargs) -> list[Sample]:
    """``n`` accepted samples (see :func:`iter_samples`)."""
    it = iter_samples(space, seed, regime, **kwargs)
    return [next(it) for _ in range(n)]
