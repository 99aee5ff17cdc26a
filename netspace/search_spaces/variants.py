"""Registered variants of the built-in spaces with the paper's alternate design choices (Sec. 5 / appendix):

* ``regnetx_ib``, ``regnety_ib``, ``anynetx_a_ib`` — b drawn from {1/4, 1/2, 1, 2, 4}: the inverted bottleneck
  (b < 1) next to the usual ratios; compare ``restrict: {b: 0.25}`` with ``restrict: {b: 1}`` (paper: with g = 1).
* ``regnetx_silu``, ``regnety_silu`` — every ReLU replaced by SiLU (Swish), as in the paper's Swish vs ReLU test.

Each is an instance of its family built with options (``RegNetX(activation="silu")``), under its own registered name,
so campaign files, workers and ``netspace spaces describe`` use it like any space. Other combinations are one line
of :func:`register_variant` (or a plugin factory).
"""

from __future__ import annotations

from typing import Any

from netspace.search_spaces.anynet import AnyNetXA
from netspace.search_spaces.base import DesignSpace
from netspace.search_spaces.registry import register
from netspace.search_spaces.regnet import RegNetX, RegNetY

INVERTED_RATIOS = (0.25, 0.5, 1, 2, 4)


def variant(cls: type[DesignSpace], name: str, summary: str, **options: Any) -> DesignSpace:
    """An instance of ``cls`` with ``options``, named ``name`` (its registry name and its studies' space name)."""
    space = cls(**options)
    space.name = name  # type: ignore[misc]  # the instance's name shadows the class's
    space.summary = summary  # type: ignore[misc]
    return space


def register_variant(cls: type[DesignSpace], name: str, summary: str, **options: Any) -> None:
    register(lambda: variant(cls, name, summary, **options), name=name)


VARIANTS: dict[str, tuple[type[DesignSpace], str, dict[str, Any]]] = {
    "regnetx_ib": (RegNetX, "RegNetX with b in {1/4, 1/2, 1, 2, 4} (b < 1: inverted bottleneck)",
                   {"bottleneck_ratios": INVERTED_RATIOS}),
    "regnety_ib": (RegNetY, "RegNetY with b in {1/4, 1/2, 1, 2, 4} (b < 1: inverted bottleneck)",
                   {"bottleneck_ratios": INVERTED_RATIOS}),
    "anynetx_a_ib": (AnyNetXA, "AnyNetX-A with per-stage b in {1/4, 1/2, 1, 2, 4} (b < 1: inverted bottleneck)",
                     {"bottleneck_ratios": INVERTED_RATIOS}),
    "regnetx_silu": (RegNetX, "RegNetX with SiLU (Swish) in place of every ReLU", {"activation": "silu"}),
    "regnety_silu": (RegNetY, "RegNetY with SiLU (Swish) in place of every ReLU", {"activation": "silu"}),
}

for _name, (_cls, _summary, _options) in VARIANTS.items():
    register_variant(_cls, _name, _summary, **_options)
