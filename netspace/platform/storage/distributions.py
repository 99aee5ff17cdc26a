"""Optuna distributions of the neutral parameter specs a design space's trials record
(:class:`netspace.search_spaces.trials.ParamSpec`): what the study adapter and the demo storage store with a
sampled trial's params."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution


def to_optuna(specs: Mapping[str, Any]) -> dict[str, BaseDistribution]:
    """``{name: ParamSpec}`` -> ``{name: Optuna distribution}`` (a log-uniform integer has step 1, as Optuna wants)."""
    out: dict[str, BaseDistribution] = {}
    for name, s in specs.items():
        if s.kind == "int":
            out[name] = IntDistribution(s.low, s.high, log=s.log, step=1 if s.log else s.step)
        elif s.kind == "float":
            out[name] = FloatDistribution(s.low, s.high, log=s.log, step=s.step)
        else:
            out[name] = CategoricalDistribution(s.choices)
    return out
