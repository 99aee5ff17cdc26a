"""The vectorised screen next to the exact scalar checks, on the same parameter draws."""

from __future__ import annotations

import numpy as np

from netspace.search_spaces import Geometry, Regime
from netspace.search_spaces.sampling import ReplayTrial


def screen_vs_scalar(space, n: int, seed: int, cases: list[tuple[Geometry, Regime]]) -> list[tuple[list, list]]:
    """For each (geometry, regime): the screen's mask over ``n`` draws and what the scalar code accepts of them."""
    params = space.parameters()
    rng = np.random.default_rng(seed)
    raw = {k: p.draw(rng, n) for k, p in params.items()}
    values = {k: params[k].value(r) for k, r in raw.items()}
    configs = [space.sample(ReplayTrial({k: r[i] for k, r in raw.items()})) for i in range(n)]
    out = []
    for geometry, regime in cases:
        mask, _ = space.screen_batch(values, regime, geometry)
        scalar = [not space.check(c) and regime.contains(space.complexity(c, geometry)) for c in configs]
        out.append((mask.tolist(), scalar))
    return out
