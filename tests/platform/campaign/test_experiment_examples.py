"""The experiment campaign files in examples/ are valid, and every entry's regime can be sampled (no training)."""

from __future__ import annotations

from pathlib import Path

import pytest

from netspace.platform.campaign.spec import load_campaign
from netspace.search_spaces import Geometry, sample_configs

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
FILES = ["inverted_bottleneck.yaml", "swish_vs_relu.yaml", "resolution.yaml", "zoo.yaml", "runtime_fits.yaml"]


@pytest.mark.parametrize("name", FILES)
def test_example_loads_and_every_entry_samples(name):
    spec = load_campaign(EXAMPLES / name)
    assert spec.dataset.name == "digits"
    for entry in spec.populations:
        regime = entry.regime.to_regime() if entry.regime else None
        samples = sample_configs(entry.design_space(), 2, seed=0, regime=regime, geometry=Geometry(32, 1, 10))
        assert all(regime is None or regime.contains(s.complexity) for s in samples)


def test_zoo_example_has_four_regimes():
    assert len(load_campaign(EXAMPLES / "zoo.yaml").populations) == 4
