import math
import random

import optuna
import pytest

from netspace.errors import InvalidConfigError, RegimeError, UnknownSpaceError
from netspace.platform.storage.distributions import to_optuna
from netspace.search_spaces import RandomTrial, Regime, get_space, sample_configs


def test_regime_is_respected():
    regime = Regime.parse("360M:400M")
    for s in sample_configs(get_space("regnetx"), 50, seed=1, regime=regime):
        assert 360e6 <= s.complexity.flops <= 400e6
    regime = Regime.parse("1M:2M", metric="params")
    for s in sample_configs(get_space("anynetx_b"), 20, seed=1, regime=regime):
        assert 1e6 <= s.complexity.params <= 2e6




def test_impossible_regime_fails_fast_with_one_line():
    with pytest.raises(RegimeError) as exc:
        sample_configs(get_space("regnetx"), 1, seed=0, regime=Regime.parse("1k:2k"), max_consecutive_rejections=20_000)
    msg = str(exc.value)
    assert "\n" not in msg and "regnetx" in msg and "flops in [1k, 2k]" in msg and "widen" in msg


@pytest.mark.parametrize("text", ["400:360", "abc:1", "12", "1M:2M:3M", "-5:1"])
def test_malformed_ranges_are_rejected(text):
    with pytest.raises(RegimeError) as exc:
        Regime.parse(text)
    assert "\n" not in str(exc.value)


def test_range_parsing_units():
    assert Regime.parse("360M:400M") == Regime("flops", 360e6, 400e6)
    assert Regime.parse("1.5k:2G") == Regime("flops", 1500.0, 2e9)
    assert Regime.parse(":1e6").low == 0 and math.isinf(Regime.parse("5:").high)


def test_unknown_space_is_one_line_with_suggestion():
    with pytest.raises(UnknownSpaceError) as exc:
        get_space("regnetz")
    assert "\n" not in str(exc.value) and "regnetx" in str(exc.value)


def test_random_trial_records_optuna_distributions_and_feeds_a_study():
    space = get_space("regnetx")
    trial = RandomTrial(random.Random(0))
    config = space.sample(trial)
    study = optuna.create_study()
    study.add_trial(optuna.trial.create_trial(params=trial.params, distributions=to_optuna(trial.specs), value=1.0))
    assert space.config_from_params(study.trials[0].params) == config


def test_config_from_params_names_a_missing_parameter_in_one_line():
    space = get_space("regnetx")
    [s] = sample_configs(space, 1, seed=0)
    params = dict(s.params)
    params.pop("wa")
    with pytest.raises(InvalidConfigError) as exc:
        space.config_from_params(params)
    assert "'wa'" in str(exc.value) and "\n" not in str(exc.value) and isinstance(exc.value, ValueError)


def test_any_optuna_sampler_drives_a_space():
    space = get_space("anynetx_c")
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=3))
    for _ in range(6):
        t = study.ask()
        cfg = space.sample(t)
        study.tell(t, float(sum(cfg.widths)))
    assert len(study.trials) == 6 and set(study.trials[0].params) >= {"b", "g", "d1", "w4"}
