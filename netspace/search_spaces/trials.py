"""Trials without an optimiser library: the ``suggest_*`` calls a design space makes, answered at random or from a
dict, with what each call asked for recorded as a neutral :class:`ParamSpec`.

* :class:`RandomTrial` draws each parameter independently (uniform / log-uniform: the law of Optuna's
  ``RandomSampler``) without a study or storage, so EDF populations are drawn by the thousand per second;
* :class:`FixedTrial` answers from given values: a trial's stored params (``DesignSpace.config_from_params``) or one
  vectorised draw (batched sampling). A parameter the values lack is one :class:`InvalidConfigError` line.

``trial.params`` and ``trial.specs`` are what an optimiser's trial would record; the study adapter
(:mod:`netspace.platform.campaign.study`, through :func:`netspace.platform.storage.distributions.to_optuna`) turns
the specs into Optuna distributions. This module sits at the bottom of the package with the other value types.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from netspace.errors import InvalidConfigError


@dataclass(frozen=True)
class ParamSpec:
    """The distribution one ``suggest_*`` call asked for: ``kind`` ``"int"`` or ``"float"`` (``low``, ``high``,
    ``step``, ``log``) or ``"categorical"`` (``choices``)."""

    kind: str
    low: Any = None
    high: Any = None
    step: Any = None
    log: bool = False
    choices: tuple = ()


def _spec(raw: tuple) -> ParamSpec:
    if raw[0] == "categorical":
        return ParamSpec("categorical", choices=raw[1])
    kind, low, high, step, log = raw
    return ParamSpec(kind, low, high, step, log)


class RandomTrial:
    """A stand-in for ``optuna.Trial`` that draws each parameter independently at random.

    ``params`` and :attr:`specs` are what an Optuna trial would record, so a sample can be added to a study.
    """

    __slots__ = ("_rng", "params", "_specs")

    def __init__(self, rng: random.Random):
        self._rng = rng
        self.params: dict[str, Any] = {}
        self._specs: dict[str, tuple] = {}  # kept as tuples on the hot path; ParamSpec only when asked for

    @property
    def specs(self) -> dict[str, ParamSpec]:
        """What each drawn parameter's ``suggest_*`` call asked for, by parameter name."""
        return {name: _spec(raw) for name, raw in self._specs.items()}

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        if log:
            v = int(round(math.exp(self._rng.uniform(math.log(low - 0.5), math.log(high + 0.5)))))
            v = min(max(v, low), high)
        else:
            v = low + step * self._rng.randrange((high - low) // step + 1)
        self.params[name] = v
        self._specs[name] = ("int", low, high, step, log)
        return v

    def suggest_float(self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False) -> float:
        if log:
            v = math.exp(self._rng.uniform(math.log(low), math.log(high)))
            v = min(max(v, low), high)
        elif step:
            v = low + step * self._rng.randrange(int(round((high - low) / step)) + 1)
        else:
            v = self._rng.uniform(low, high)
        self.params[name] = v
        self._specs[name] = ("float", low, high, step, log)
        return v

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        v = choices[self._rng.randrange(len(choices))]
        self.params[name] = v
        self._specs[name] = ("categorical", tuple(choices))
        return v


class FixedTrial(RandomTrial):
    """Answers ``suggest_*`` with given values (stored params, or one vectorised draw), recording specs like
    :class:`RandomTrial`. Values are taken as they are (an int parameter as ``int(value)``, a float one as
    ``float(value)``, a numpy scalar as its Python value); one the space asks for and ``values`` lacks raises
    :class:`InvalidConfigError`."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]):
        super().__init__(None)  # type: ignore[arg-type]  # draws nothing
        self._values = values

    def _value(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            given = ", ".join(sorted(map(str, self._values))) or "none"
            raise InvalidConfigError(f"parameter {name!r} has no value (given: {given})") from None

    def suggest_int(self, name, low, high, *, step=1, log=False):
        self.params[name] = v = int(self._value(name))
        self._specs[name] = ("int", low, high, step, log)
        return v

    def suggest_float(self, name, low, high, *, step=None, log=False):
        self.params[name] = v = float(self._value(name))
        self._specs[name] = ("float", low, high, step, log)
        return v

    def suggest_categorical(self, name, choices):
        v = self._value(name)
        v = v.item() if hasattr(v, "item") else v
        self.params[name] = v
        self._specs[name] = ("categorical", tuple(choices))
        return v


#: the name batched sampling uses (one vectorised draw replayed through the space's scalar code)
ReplayTrial = FixedTrial
