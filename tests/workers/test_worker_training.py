"""Training on the embedded digits: sampled networks of four design spaces learn, trials resume bit-identically,
divergence is reported, finished trials are not redone."""

from __future__ import annotations

import json
import math

import pytest
import torch

from netspace.errors import NetspaceError
from netspace.search_spaces import (
    Geometry,
    Regime,
    get_space,
    list_spaces,
    sample_configs,
)
from netspace.workers import (
    DatasetSpec,
    EpochReport,
    TrainRecipe,
    TrialResult,
    evaluate_model,
    run_trial,
)
from netspace.workers.checkpoint import load_torch

DIGITS = DatasetSpec("digits")
CHANCE = 90.0


def small_sample(space: str, regime: str = "1M:3M", candidates: int = 12):
    """A sampled config from a small FLOP regime at 32 px: of a few draws, the one with the fewest conv layers
    (per-layer overhead dominates CPU time at this size), then the fewest activations."""
    ds = get_space(space)
    samples = sample_configs(ds, candidates, seed=0, regime=Regime.parse(regime), geometry=Geometry(32, 1, 10))

    def cost(sample):
        convs = sum(isinstance(m, torch.nn.Conv2d) for m in ds.build(sample.config, Geometry(32, 1, 10)).modules())
        return convs, sample.complexity.acts

    return min(samples, key=cost).config.to_dict()


@pytest.mark.slow
@pytest.mark.parametrize("space", ["anynetx_a", "regnetx", "vgg", "inception"])
def test_sampled_network_learns_digits(space):
    if space not in list_spaces():
        pytest.skip(f"design space {space!r} is not registered yet")
    reports: list[EpochReport] = []
    result = run_trial(space, small_sample(space), DIGITS, TrainRecipe(epochs=2, batch_size=32, lr=0.1, warmup_epochs=0.2),
                       device="cpu", report=reports.append)
    assert result.status == "completed" and result.epochs_run == 2
    assert [r.epoch for r in reports] == [1, 2] and reports[-1].top1_err == result.top1_err
    assert result.top1_err < 60.0, f"{space}: {result.top1_err:.1f} % top-1 error after 2 epochs (chance {CHANCE} %)"
    assert result.best_top1_err <= result.top1_err
    assert 1e6 <= result.flops <= 3e6 and result.params > 0 and result.images_per_s > 0


TINY = {"depths": [1, 1, 1, 1], "widths": [8, 16, 16, 32], "bottleneck_ratios": [1, 1, 1, 1],
        "group_widths": [8, 8, 8, 8]}
FAST = TrainRecipe(epochs=3, batch_size=32, lr=0.2, warmup_epochs=0.5, max_train_images=160)


@pytest.mark.slow
def test_interrupted_trial_resumes_to_identical_error(tmp_path):
    straight = run_trial("anynetx_a", TINY, DIGITS, FAST, seed=3, device="cpu", checkpoint_dir=tmp_path / "straight")

    class Interrupt(Exception):
        pass

    def stop_after_first(rep: EpochReport):
        if rep.epoch == 1:
            raise Interrupt

    ck = tmp_path / "interrupted"
    with pytest.raises(Interrupt):
        run_trial("anynetx_a", TINY, DIGITS, FAST, seed=3, device="cpu", checkpoint_dir=ck, report=stop_after_first)
    state = load_torch(ck / "checkpoint.pt")
    assert state["epoch"] == 1 and not (ck / "result.json").exists()
    torch.manual_seed(12345)  # a resumed process starts from another global RNG state
    seen: list[EpochReport] = []
    resumed = run_trial("anynetx_a", TINY, DIGITS, FAST, seed=3, device="cpu", checkpoint_dir=ck, report=seen.append)
    assert [r.epoch for r in seen] == [2, 3]
    assert resumed.top1_err == straight.top1_err and resumed.best_top1_err == straight.best_top1_err
    w1, w2 = load_torch(tmp_path / "straight" / "weights.pt"), load_torch(ck / "weights.pt")
    assert all(torch.equal(w1[k], w2[k]) for k in w1)
    other_seed = run_trial("anynetx_a", TINY, DIGITS, FAST, seed=4, device="cpu")
    assert other_seed.top1_err != straight.top1_err or other_seed.train_time_s != straight.train_time_s


def test_finished_trial_returns_stored_result(tmp_path):
    first = run_trial("anynetx_a", TINY, DIGITS, TrainRecipe(epochs=1, batch_size=64, max_train_images=64),
                      device="cpu", checkpoint_dir=tmp_path)
    stored = json.loads((tmp_path / "result.json").read_text())
    assert TrialResult.from_dict(stored) == first and first.weights_path == str((tmp_path / "weights.pt").resolve())
    called = []
    again = run_trial("anynetx_a", TINY, DIGITS, TrainRecipe(epochs=1, batch_size=64, max_train_images=64),
                      device="cpu", checkpoint_dir=tmp_path, report=called.append)
    assert again == first and called == []
    model = get_space("anynetx_a").build(get_space("anynetx_a").config_from_dict(TINY), Geometry(32, 1, 10))
    model.load_state_dict(load_torch(tmp_path / "weights.pt"))
    assert evaluate_model(model, DIGITS) == pytest.approx(first.top1_err)


def test_checkpoint_of_another_trial_is_refused(tmp_path):
    class Stop(Exception):
        pass

    def stop(rep):
        raise Stop

    recipe = TrainRecipe(epochs=2, batch_size=64, max_train_images=64)
    with pytest.raises(Stop):
        run_trial("anynetx_a", TINY, DIGITS, recipe, device="cpu", checkpoint_dir=tmp_path, report=stop)
    with pytest.raises(NetspaceError, match="different trial"):
        run_trial("anynetx_a", TINY, DIGITS, recipe, seed=1, device="cpu", checkpoint_dir=tmp_path)


def test_huge_learning_rate_diverges_without_crashing(tmp_path):
    result = run_trial("anynetx_a", TINY, DIGITS, TrainRecipe(epochs=2, batch_size=32, lr=1e12, warmup_epochs=0,
                                                              max_train_images=128),
                       device="cpu", checkpoint_dir=tmp_path)
    assert result.status == "diverged" and result.top1_err == 100.0 and result.weights_path is None
    assert math.isfinite(result.best_top1_err)
    assert json.loads((tmp_path / "result.json").read_text())["status"] == "diverged"


def test_max_train_images_subsamples_and_is_deterministic():
    recipe = TrainRecipe(epochs=1, batch_size=16, lr=0.1, max_train_images=48)
    a = run_trial("anynetx_a", TINY, DIGITS, recipe, seed=7, device="cpu")
    b = run_trial("anynetx_a", TINY, DIGITS, recipe, seed=7, device="cpu")
    assert a.top1_err == b.top1_err
    assert a.images_per_s > 0 and a.epochs_run == 1


@pytest.mark.parametrize("kind", ["cifar10", "fashion_mnist", "folder"])
def test_trial_runs_on_on_disk_formats(tmp_path, kind):
    from tests.support.worker_fixtures import write_cifar, write_fashion_mnist, write_folder

    {"cifar10": write_cifar, "fashion_mnist": write_fashion_mnist, "folder": write_folder}[kind](tmp_path)
    spec = DatasetSpec(kind, str(tmp_path))
    result = run_trial("anynetx_a", TINY, spec, TrainRecipe(epochs=1, batch_size=8, lr=0.05), device="cpu",
                       checkpoint_dir=tmp_path / "ck")
    assert result.status == "completed" and 0.0 <= result.top1_err <= 100.0
    in_ch = 1 if kind == "fashion_mnist" else 3
    res = {"cifar10": 32, "fashion_mnist": 28, "folder": 10}[kind]
    expected = get_space("anynetx_a").complexity(get_space("anynetx_a").config_from_dict(TINY), Geometry(
        res, in_ch, {"cifar10": 10, "fashion_mnist": 10, "folder": 3}[kind]))
    assert result.flops == expected.flops and result.params == expected.params
