"""Built-in derived spaces: the papers' refinements of RegNetX (registered by :mod:`~netspace.search_spaces.wiring`).

* ``regnetx_c`` — RegNetX_C of *Designing Network Design Spaces* (Sec. 5): b = 1, d ≤ 40, wm ≥ 2. The paper
  also limits parameters and activations; give those as a multi-metric ``regime`` in the campaign file.
* ``regnetx_pycls`` — the space of the authors' pycls sweeps: d ∈ [12, 28], wm ∈ [2, 3] (log-uniform), b = 1 and
  group widths g ∈ [8, 128] log-uniform over the multiples of 8. RegNetX itself draws g from {1, 2, 4, 8, 16, 32},
  so this is not a restriction of it but a RegNetX space with its own ranges (:class:`RegNetXPycls`).

``regnetx_c`` is a :class:`~netspace.search_spaces.restrict.DerivedSpace` (conditioning of RegNetX); both are usable
everywhere a space is (campaigns, ``netspace spaces sample|describe``, ``restrict`` on top of them).
"""

from __future__ import annotations

from typing import ClassVar

from netspace.search_spaces.params import Choice, Float, Int, Param
from netspace.search_spaces.registry import get_space
from netspace.search_spaces.regnet import QUANTUM, RegNetX
from netspace.search_spaces.restrict import DerivedSpace

DERIVED_SPACES = {
    "regnetx_c": ("regnetx", {"b": 1, "d": {"high": 40}, "wm": {"low": 2}},
                  "RegNetX_C (paper Sec. 5): RegNetX with b = 1, d <= 40, wm >= 2"),
}


class RegNetXPycls(RegNetX):
    """RegNetX with the ranges of the pycls sweeps (g up to 128 in multiples of 8, which RegNetX never draws)."""

    name = "regnetx_pycls"
    summary = "pycls sweep defaults: RegNetX with d 12-28, wm 2-3 (log), b = 1, g 8-128 (log, multiples of 8)"
    PARAMS: ClassVar[dict[str, Param]] = {
        **RegNetX.PARAMS,
        "d": Int(12, 28, doc="total number of blocks"),
        "wm": Float(2, 3, log=True, doc="width multiplier between stages (quantization log-step)"),
        "b": Choice((1,), doc="bottleneck ratio"),
        "g": Float(8, 128, log=True, quantum=QUANTUM, doc="group width, a multiple of 8"),
    }


def derived_space_factory(name: str):
    """A zero-argument factory of the derived space ``name`` of :data:`DERIVED_SPACES` (its base from the registry)."""
    base, spec, summary = DERIVED_SPACES[name]
    return lambda: DerivedSpace(get_space(base), spec, name=name, summary=summary)
