"""Built-in derived spaces: the papers' refinements of RegNetX, registered like the other built-ins.

* ``regnetx_c`` — RegNetX_C of *Designing Network Design Spaces* (Sec. 5): b = 1, d ≤ 40, wm ≥ 2. The paper
  also limits parameters and activations; give those as a multi-metric ``regime`` in the campaign file.
* ``regnetx_pycls`` — the defaults of the authors' pycls sweeps: d ∈ [12, 28], wm ∈ [2, 3], b = 1 and group
  widths that are multiples of 8. The base RegNetX samples g ∈ {1, 2, 4, 8, 16, 32}, so the multiples of 8 it
  can draw are {8, 16, 32} (pycls sweeps go up to 128; a restriction cannot add values the base never draws).

Both are :class:`~netspace.search_spaces.restrict.DerivedSpace` objects: conditioning of RegNetX, usable everywhere
a space is (campaigns, ``netspace spaces sample|describe``, ``restrict`` on top of them).
"""

from __future__ import annotations

from netspace.search_spaces.registry import get_space, register
from netspace.search_spaces.restrict import DerivedSpace

PRESETS = {
    "regnetx_c": ("regnetx", {"b": 1, "d": {"high": 40}, "wm": {"low": 2}},
                  "RegNetX_C (paper Sec. 5): RegNetX with b = 1, d <= 40, wm >= 2"),
    "regnetx_pycls": ("regnetx", {"d": {"low": 12, "high": 28}, "wm": {"low": 2, "high": 3}, "b": 1,
                                  "g": {"values": [8, 16, 32]}},
                      "pycls sweep defaults: RegNetX with d 12-28, wm 2-3, b = 1, g a multiple of 8"),
}


def _factory(name: str):
    base, spec, summary = PRESETS[name]
    return lambda: DerivedSpace(get_space(base), spec, name=name, summary=summary)


for _name in PRESETS:
    register(_factory(_name), name=_name)
