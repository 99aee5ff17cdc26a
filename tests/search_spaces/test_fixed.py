"""A preset as a one-network design space ("preset:NAME"): every draw is the preset's config."""

import pytest
import torch

from netspace.errors import UnknownSpaceError
from netspace.search_spaces import Geometry, get_preset, get_space, sample_configs

DIGITS = Geometry(resolution=32, in_channels=1, num_classes=10)


def test_every_draw_is_the_preset():
    space = get_space("preset:d2l_regnetx32")
    preset = get_preset("d2l_regnetx32")
    samples = sample_configs(space, 3, seed=0, geometry=DIGITS)
    assert space.parameters() == {} and space.size() == 1
    assert all(s.params == {} and s.config == preset.build_config() for s in samples)
    assert space.config_from_params({}) == samples[0].config
    assert samples[0].complexity == preset.complexity(DIGITS)


def test_builds_at_the_campaign_geometry():
    space = get_space("preset:d2l_regnetx32")
    config = space.config_from_params({})
    model = space.build(config, DIGITS)
    with torch.no_grad():
        assert model(torch.randn(2, 1, 32, 32)).shape == (2, 10)
    assert sum(p.numel() for p in model.parameters()) == space.complexity(config, DIGITS).params


def test_unknown_preset_is_one_line():
    with pytest.raises(UnknownSpaceError, match="unknown preset 'nope'"):
        get_space("preset:nope")
