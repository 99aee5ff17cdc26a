"""Power-law fits of the paper's complexity analysis, on synthetic data with known exponents (fixed seeds)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from netspace.platform.analysis.runtime import complexity_fits, power_law_fit


def _population(seed: int, n: int = 300, device: str = "gpu-a"):
    rng = np.random.default_rng(seed)
    flops = np.exp(rng.uniform(np.log(1e6), np.log(1e9), n))
    acts = 3.0 * flops**0.5 * np.exp(rng.normal(0, 0.1, n))
    runtime = 2e-4 * flops**0.3 * acts**0.6 * np.exp(rng.normal(0, 0.05, n))
    return pd.DataFrame({"flops": flops, "acts": acts, "inference_ms": runtime, "device_name": device,
                         "outcome": "finished", "reference": False})


def test_one_variable_fit_recovers_the_exponent_and_coefficient():
    x = np.geomspace(1, 1e6, 50)
    fit = power_law_fit(x, 7 * x**0.5)
    assert fit.exponent == pytest.approx(0.5) and fit.coef == pytest.approx(7) and fit.r2 == pytest.approx(1)
    assert fit.predict([100.0]) == pytest.approx([70.0])
    assert "x^0.50" in fit.formula()


@pytest.mark.parametrize("seed", range(5))
def test_noisy_fits_recover_the_generating_exponents(seed):
    df = _population(seed)
    acts = power_law_fit(df["flops"], df["acts"])
    assert abs(acts.exponent - 0.5) < 0.02
    joint = power_law_fit({"flops": df["flops"], "acts": df["acts"]}, df["inference_ms"])
    assert abs(joint.exponents[0] - 0.3) < 0.05 and abs(joint.exponents[1] - 0.6) < 0.08 and joint.r2 > 0.95


def test_unusable_points_are_left_out_and_too_few_refused():
    fit = power_law_fit([1, 2, 4, 8, 0, np.nan], [2, 4, 8, 16, 5, 1])
    assert fit.n == 4 and fit.exponent == pytest.approx(1)
    with pytest.raises(ValueError, match="at least"):
        power_law_fit([1, 2], [1, 2])


def test_complexity_fits_group_runtime_by_device_and_skip_what_is_not_finished():
    a, b = _population(0, 100, "gpu-a"), _population(1, 100, "cpu-b")
    b["inference_ms"] *= 10  # slower hardware: same exponents, larger coefficient
    extra = _population(2, 20).assign(outcome="failed", acts=1.0)
    out = complexity_fits(pd.concat([a, b, extra], ignore_index=True))
    acts = out[out["y"] == "acts"]
    assert list(acts["device"]) == ["any"] and int(acts["n"].iloc[0]) == 200
    rt = out[(out["y"] == "inference_ms") & (out["x"] == "flops + acts")].set_index("device")
    assert set(rt.index) == {"gpu-a", "cpu-b"}
    assert rt.loc["cpu-b", "coef"] / rt.loc["gpu-a", "coef"] == pytest.approx(10, rel=0.3)
    assert complexity_fits(a.drop(columns=["inference_ms"]))["y"].tolist() == ["acts"]  # no runtime measured


def test_fits_figure_draws_points_and_fitted_lines():
    from netspace.platform.reporting.experiments import plot_complexity_fits

    df = pd.concat([_population(0, 60, "gpu-a"), _population(1, 60, "cpu-b")], ignore_index=True)
    fig = plot_complexity_fits(df)
    assert len(fig.axes) == 3 and all(len(ax.lines) >= 1 for ax in fig.axes)
    assert len(fig.axes[1].lines) == 2  # one runtime fit per device
