"""Resolution as a trial parameter: sampled per trial, complexity and the regime counted at the trial's own
resolution, the stored config round-trips, and the data is resized for training."""

from __future__ import annotations

import optuna
import pytest
import torch

from netspace.errors import CampaignError
from netspace.platform.campaign.spec import parse_campaign
from netspace.search_spaces import Geometry, Regime, get_space, restrict, sample_configs, space_of_study
from netspace.search_spaces.resolution import ResolutionSpace, with_resolution
from netspace.workers.resize import resize_images

from .forward_count import measure
from .screening import screen_vs_scalar

DIGITS = Geometry(32, 1, 10)


def test_sampling_honours_the_regime_at_each_trials_resolution():
    space = with_resolution(get_space("regnetx"), [16, 24, 32])
    regime = Regime.parse("2M:4M")
    samples = sample_configs(space, 40, seed=0, regime=regime, geometry=DIGITS)
    seen = {s.config.resolution for s in samples}
    assert seen == {16, 24, 32}
    outside_at_32 = 0
    for s in samples:
        r = s.config.resolution
        assert s.params["resolution"] == r and s.config.to_dict()["resolution"] == r
        own = get_space("regnetx").complexity(s.config.config, Geometry(r, 1, 10))
        assert own == s.complexity and regime.contains(own)
        outside_at_32 += not regime.contains(get_space("regnetx").complexity(s.config.config, DIGITS))
    assert outside_at_32 > 0  # counted at 32 px, the low-resolution trials would have been judged wrongly


def test_screen_agrees_with_scalar_checks_across_resolutions():
    space = with_resolution(restrict(get_space("regnetx"), b=1), [16, 24, 32])
    [(mask, scalar)] = screen_vs_scalar(space, 400, 3, [(DIGITS, Regime.parse("1M:6M"))])
    assert mask == scalar and sum(scalar) > 0


def test_complexity_at_the_trials_resolution_equals_the_counted_forward_pass():
    space = with_resolution(get_space("anynetx_a"), [20, 28])
    for s in sample_configs(space, 4, seed=1, regime=Regime.parse(":50M"), geometry=DIGITS):
        cx = s.complexity
        assert measure(space.base, s.config.config, s.config.resolution, 1, 10) == ((1, 10), cx.flops, cx.params, cx.acts)


def test_stored_config_and_params_round_trip():
    space = with_resolution(get_space("regnetx"), [24, 32])
    [s] = sample_configs(space, 1, seed=2, geometry=DIGITS)
    assert space.config_from_dict(s.config.to_dict()) == s.config
    assert space.config_from_params(s.params) == s.config
    assert "resolution" in space.describe()["parameters"] and space.size() == 2 * get_space("regnetx").size()
    attrs = {"space": "regnetx", "label": "rx", "restrict": "{}", "resolution": [24, 32]}
    again = space_of_study(attrs)
    assert isinstance(again, ResolutionSpace) and again.values == (24, 32)
    assert again.config_from_params(s.params) == s.config


def test_campaign_entry_samples_the_resolution_and_rejects_bad_values():
    spec = parse_campaign({"name": "c", "spaces": [{"space": "regnetx", "samples": 2, "resolution": {"values": [32, 24]}}]})
    space = spec.spaces[0].design_space()
    assert isinstance(space, ResolutionSpace) and space.values == (24, 32)
    assert spec.fingerprint_without_samples()["regimes"]["regnetx"]["resolution"] == [24, 32]
    with pytest.raises(CampaignError, match=r"spaces\[0\]\.resolution\.values"):
        parse_campaign({"name": "c", "spaces": [{"space": "regnetx", "samples": 2, "resolution": {"values": [4]}}]})


def test_optuna_sampler_draws_the_resolution_as_a_parameter():
    space = with_resolution(get_space("regnetx"), [24, 32])
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    trial = study.ask()
    cfg = space.sample(trial)
    assert trial.params["resolution"] == cfg.resolution in (24, 32)


def test_images_are_resized_on_their_device_keeping_values():
    x = torch.full((3, 1, 32, 32), 200, dtype=torch.uint8)
    x[1] = 0
    y = resize_images(x, 24)
    assert y.shape == (3, 1, 24, 24) and y.dtype == torch.uint8
    assert (y[0] == 200).all() and (y[1] == 0).all()
    assert resize_images(x, 32) is x
