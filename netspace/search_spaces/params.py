"""Declared parameters of a design space: one declaration drives sampling, `describe` and size counting.

Sampling goes through an Optuna-style trial (``suggest_int`` / ``suggest_float`` / ``suggest_categorical``), so
any Optuna sampler — or the fast :class:`~netspace.search_spaces.trials.RandomTrial` — drives a space.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np


class TrialLike(Protocol):
    """The part of ``optuna.Trial`` that design spaces use."""

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int: ...

    def suggest_float(self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False) -> float: ...

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any: ...


@dataclass(frozen=True)
class Int:
    """Integer in [low, high] (multiples of ``step`` from low); log-uniform when ``log``."""

    low: int
    high: int
    step: int = 1
    log: bool = False
    doc: str = ""

    def suggest(self, trial: TrialLike, name: str) -> int:
        if self.log:
            return int(trial.suggest_int(name, self.low, self.high, log=True))
        return int(trial.suggest_int(name, self.low, self.high, step=self.step))

    def cardinality(self) -> int:
        return (self.high - self.low) // self.step + 1

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` raw draws with the distribution of ``RandomTrial.suggest_int`` (vectorised sampling)."""
        if self.log:
            v = np.rint(np.exp(rng.uniform(math.log(self.low - 0.5), math.log(self.high + 0.5), n)))
            return np.clip(v, self.low, self.high).astype(np.int64)
        return self.low + self.step * rng.integers(0, self.cardinality(), n)

    def value(self, raw: np.ndarray) -> np.ndarray:
        """What :meth:`suggest` would return for each raw draw."""
        return raw

    def describe(self) -> str:
        step = f" step {self.step}" if self.step != 1 else ""
        return f"int [{self.low}, {self.high}]{step}{' log-uniform' if self.log else ' uniform'}"


@dataclass(frozen=True)
class Float:
    """Real number in [low, high]; log-uniform when ``log``. ``quantum`` > 0 rounds to multiples of it
    after sampling (pycls's log-uniform-then-quantize widths); the rounded value is what configs hold."""

    low: float
    high: float
    log: bool = False
    quantum: int = 0
    doc: str = ""

    def suggest(self, trial: TrialLike, name: str) -> float | int:
        v = trial.suggest_float(name, self.low, self.high, log=self.log)
        if self.quantum:
            return max(self.quantum, int(round(v / self.quantum)) * self.quantum)
        return float(v)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.log:
            return np.clip(np.exp(rng.uniform(math.log(self.low), math.log(self.high), n)), self.low, self.high)
        return rng.uniform(self.low, self.high, n)

    def value(self, raw: np.ndarray) -> np.ndarray:
        if self.quantum:
            return np.maximum(self.quantum, np.rint(raw / self.quantum).astype(np.int64) * self.quantum)
        return raw

    def cardinality(self) -> float:
        if self.quantum:
            lo = max(self.quantum, int(round(self.low / self.quantum)) * self.quantum)
            hi = int(round(self.high / self.quantum)) * self.quantum
            return (hi - lo) // self.quantum + 1
        return math.inf

    def describe(self) -> str:
        q = f", rounded to a multiple of {self.quantum}" if self.quantum else ""
        return f"real [{self.low:g}, {self.high:g}]{' log-uniform' if self.log else ' uniform'}{q}"


@dataclass(frozen=True)
class Choice:
    """One of a fixed set of values."""

    choices: tuple
    doc: str = ""

    def suggest(self, trial: TrialLike, name: str) -> Any:
        return trial.suggest_categorical(name, list(self.choices))

    def cardinality(self) -> int:
        return len(self.choices)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.asarray(self.choices)[rng.integers(0, len(self.choices), n)]

    def value(self, raw: np.ndarray) -> np.ndarray:
        return raw

    def describe(self) -> str:
        return "one of {" + ", ".join(str(c) for c in self.choices) + "}"


Param = Int | Float | Choice


def monotone_count(n_values: float, k: int) -> float:
    """Number of non-decreasing k-tuples over n ordered values: C(n + k - 1, k)."""
    if math.isinf(n_values):
        return math.inf
    return math.comb(int(n_values) + k - 1, k)
