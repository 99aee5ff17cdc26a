"""Built-in derived spaces: the papers' refinements of RegNetX (registered by :mod:`~netspace.search_spaces.wiring`).

* ``regnetx_c`` — RegNetX_C of *Designing Network Design Spaces* (Sec. 5): b = 1, d ≤ 40, wm ≥ 2. The paper
  also limits parameters and activations by the FLOPs: ``regime: {flops: …, rule: regnetx_c}``
  (:mod:`netspace.search_spaces.rules`).
* ``regnetx_pycls`` — the space of the authors' pycls sweep sampler (``regnet_sampler``, default ranges): d ∈
  [12, 28], w0 ∈ [8, 256], wa ∈ [8, 256], wm ∈ [2, 3], g ∈ [8, 128], b = 1, each log-uniform draw rounded *up* to
  its quantum as pycls does (:class:`PyclsLogUniform`). RegNetX itself draws g from {1, 2, 4, 8, 16, 32}, so this
  is not a restriction of it but a RegNetX space with its own ranges (:class:`RegNetXPycls`).

``regnetx_c`` is a :class:`~netspace.search_spaces.restrict.DerivedSpace` (conditioning of RegNetX); both are usable
everywhere a space is (campaigns, ``netspace spaces sample|describe``, ``restrict`` on top of them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from netspace.search_spaces.params import Choice, Float, Int, Param
from netspace.search_spaces.registry import get_space
from netspace.search_spaces.regnet import QUANTUM, RegNetX
from netspace.search_spaces.restrict import DerivedSpace

DERIVED_SPACES = {
    "regnetx_c": ("regnetx", {"b": 1, "d": {"high": 40}, "wm": {"low": 2}},
                  "RegNetX_C (paper Sec. 5): RegNetX with b = 1, d <= 40, wm >= 2"),
}


@dataclass(frozen=True)
class PyclsLogUniform(Float):
    """pycls's ``log_uniform(low, high, q)`` (``pycls/sweep/random.py``): a raw value f drawn log-uniformly on
    (low − min(q, low/2), high], then rounded *up* to a multiple of q, so the values are low, low + q, …, high and
    P(low) = log(low / (low − min(q, low/2))) / log(high / (low − min(q, low/2))).

    ``quantum`` may be fractional (0.1 for wa, 0.001 for wm). A ``restrict`` of this parameter narrows it as a
    plain rounded :class:`Float` (nearest rounding), which is close to but not exactly pycls's law there."""

    def raw_low(self) -> float:
        return self.low - min(self.quantum, self.low / 2)

    def suggest(self, trial, name: str):
        return self._round_up(trial.suggest_float(name, self.raw_low(), self.high, log=True))

    def _round_up(self, v: float):
        q = self.quantum
        k = math.ceil(v / q - 1e-9)
        if float(q).is_integer():
            return int(k * q)
        return round(k * q, max(0, -math.floor(math.log10(q))))

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.exp(rng.uniform(math.log(self.raw_low()), math.log(self.high), n))

    def value(self, raw: np.ndarray) -> np.ndarray:
        q = self.quantum
        k = np.ceil(np.asarray(raw, dtype=float) / q - 1e-9)
        if float(q).is_integer():
            return (k * q).astype(np.int64)
        return np.round(k * q, max(0, -math.floor(math.log10(q))))

    def cardinality(self) -> int:
        return int(round((self.high - self.low) / self.quantum)) + 1

    def describe(self) -> str:
        return f"real [{self.low:g}, {self.high:g}] log-uniform, rounded up to a multiple of {self.quantum:g} (pycls)"


class RegNetXPycls(RegNetX):
    """RegNetX with the ranges and rounding of pycls's RegNet sweep sampler (``regnet_sampler`` with its default
    ranges, ``pycls/sweep/config.py``): d uniform on 12..28; w0 log-uniform on [8, 256] (multiples of 8);
    wa log-uniform on [8, 256] (multiples of 0.1); wm log-uniform on [2, 3] (multiples of 0.001); g from
    ``power2_or_log_uniform(8, 128, 8)``, which for these bounds is ``log_uniform(8, 128, 8)``
    (P(g = 8) = log 2 / log 32 = 0.2); b = 1 (BOT_MUL [1, 1]). Every log-uniform draw is rounded up as
    :class:`PyclsLogUniform` does. Accepted samples have exactly 4 stages, as many as the formula allows (pycls's
    NUM_STAGES [4, 4] and num_s == max_s)."""

    name = "regnetx_pycls"
    summary = "pycls sweep sampler: RegNetX with d 12-28, w0 8-256, wa 8-256, wm 2-3, g 8-128 (log, rounded up), b = 1"
    PARAMS: ClassVar[dict[str, Param]] = {
        **RegNetX.PARAMS,
        "d": Int(12, 28, doc="total number of blocks"),
        "w0": PyclsLogUniform(8, 256, log=True, quantum=QUANTUM, doc="initial width, a multiple of 8"),
        "wa": PyclsLogUniform(8.0, 256.0, log=True, quantum=0.1, doc="slope of the linear width function"),  # type: ignore[arg-type]  # a fractional quantum
        "wm": PyclsLogUniform(2.0, 3.0, log=True, quantum=0.001,  # type: ignore[arg-type]  # a fractional quantum
                              doc="width multiplier between stages (quantization log-step)"),
        "b": Choice((1,), doc="bottleneck ratio"),
        "g": PyclsLogUniform(8, 128, log=True, quantum=QUANTUM, doc="group width, a multiple of 8"),
    }


def derived_space_factory(name: str):
    """A zero-argument factory of the derived space ``name`` of :data:`DERIVED_SPACES` (its base from the registry)."""
    base, spec, summary = DERIVED_SPACES[name]
    return lambda: DerivedSpace(get_space(base), spec, name=name, summary=summary)
