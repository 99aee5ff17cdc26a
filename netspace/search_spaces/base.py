"""The design-space plugin API.

A design space is a :class:`DesignSpace` subclass: it declares its parameters, samples a config through an
Optuna-style trial (so any Optuna sampler drives it), checks constraints, builds a ``torch.nn.Module`` and counts
complexity analytically (no weights allocated). Register one with
:func:`netspace.search_spaces.registry.register`, or from another package through the entry-point group
``netspace.search_spaces``. Derive a restricted space with :func:`netspace.search_spaces.restrict.restrict`.

This module is the bottom of the package: it imports no other space module but its value types (and the
library-free trials of :mod:`netspace.search_spaces.trials`).
"""

from __future__ import annotations

import dataclasses
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from netspace.errors import InvalidConfigError
from netspace.search_spaces.complexity import Complexity
from netspace.search_spaces.geometry import IMAGENET, Geometry
from netspace.search_spaces.params import Param, TrialLike
from netspace.search_spaces.trials import FixedTrial

if TYPE_CHECKING:  # torch is only needed to build networks
    import torch.nn as nn


def _tuples(value: Any) -> Any:
    """JSON lists back to (nested) tuples, as the frozen configs hold them."""
    return tuple(_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value


class SpaceConfig:
    """Mixin for frozen dataclass configs: JSON round-trip with tuples restored."""

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(dataclasses.asdict(self)))  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]):
        fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = set(data) - set(fields)
        if unknown:
            raise InvalidConfigError(f"{cls.__name__}: unknown field(s) {sorted(unknown)}; expected {sorted(fields)}")
        kwargs = {k: _tuples(v) for k, v in data.items()}
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise InvalidConfigError(f"{cls.__name__}: {exc}") from None


class DesignSpace(ABC):
    """A parameterised family of networks."""

    #: registry name, e.g. ``"anynetx_a"``
    name: ClassVar[str]
    #: one line for ``netspace spaces list``
    summary: ClassVar[str] = ""
    #: the config dataclass this space samples
    config_cls: ClassVar[type[SpaceConfig]]

    # -- declaration ---------------------------------------------------------------------------------
    @abstractmethod
    def parameters(self) -> dict[str, Param]:
        """Every sampled parameter by the name it has in the trial (and in Optuna storage)."""

    def options(self) -> dict[str, Any]:
        """The structural options this instance fixes for every config it samples (its constructor's keyword
        arguments: ``type(space)(**space.options())`` is the same space); empty for spaces without options."""
        return {}

    def constraints(self) -> list[str]:
        """Human-readable constraints that :meth:`check` enforces (rejections are redrawn)."""
        return []

    def size(self) -> float:
        """Number of distinct configs before constraints that are not ordering constraints
        (``math.inf`` when a parameter is continuous)."""
        total: float = 1
        for p in self.parameters().values():
            total *= p.cardinality()
        return total

    # -- sampling ------------------------------------------------------------------------------------
    @abstractmethod
    def sample(self, trial: TrialLike):
        """Draw one config through ``trial.suggest_*``; a deterministic function of the trial's params."""

    def check(self, config) -> list[str]:
        """Constraint violations of ``config`` (empty when valid)."""
        return []

    def screen_batch(self, values: dict[str, Any], regime, geometry: Geometry):
        """Optional vectorised pre-screen for fast rejection sampling.

        ``values`` maps every declared parameter to a numpy array of what ``Param.suggest`` would return
        (one entry per candidate). Return ``(mask, metric)``: a boolean mask of candidates that satisfy the
        constraints and the regime, and the regime metric of the constraint-valid candidates (or ``None``).
        Spaces without a vectorised path do not override this method. Only valid for spaces whose ``sample``
        suggests each declared parameter exactly once, unconditionally. Accepted candidates are re-checked
        with the exact scalar code, so the screen only has to be exact in what it rejects.
        """
        raise NotImplementedError

    def has_batch_path(self) -> bool:
        """Whether sampling may draw in vectorised batches: the space implements :meth:`screen_batch`."""
        return type(self).screen_batch is not DesignSpace.screen_batch

    def validate(self, config) -> None:
        problems = self.check(config)
        if problems:
            raise InvalidConfigError(f"{self.name}: invalid config: {'; '.join(problems)}")

    # -- networks ------------------------------------------------------------------------------------
    @abstractmethod
    def build(self, config, geometry: Geometry = IMAGENET) -> nn.Module:
        """The network for ``config`` at ``geometry`` (its stem adapts to the resolution: stride 1 at CIFAR sizes)."""

    @abstractmethod
    def complexity(self, config, geometry: Geometry = IMAGENET) -> Complexity:
        """FLOPs, parameters and activations of the network ``build(config, geometry)`` would return, analytically."""

    # -- configs -------------------------------------------------------------------------------------
    def config_from_dict(self, data: Mapping[str, Any]):
        return self.config_cls.from_dict(data)

    def config_from_params(self, params: Mapping[str, Any]):
        """Rebuild the config from a trial's stored params (e.g. from Optuna storage); a parameter the space asks
        for and ``params`` lacks raises :class:`InvalidConfigError`."""
        return self.sample(FixedTrial(dict(params)))

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "summary": self.summary,
            "options": self.options(),
            "parameters": {k: p.describe() + (f" — {p.doc}" if p.doc else "") for k, p in self.parameters().items()},
            "constraints": self.constraints(),
            "size": self.size(),
        }

    def __repr__(self) -> str:
        return f"<DesignSpace {self.name}>"
