"""The shared look of the dashboard and the report: colours per space, numbers with units."""

import math

import pytest

from netspace.platform.reporting import style


def test_space_colours_are_stable_under_order_and_filtering():
    spaces = ["regnetx", "anynetx_a", "anynetx_e"]
    a = style.space_colors(spaces)
    assert a == style.space_colors(list(reversed(spaces)))  # same colour whatever order the caller lists them in
    assert a["anynetx_a"] == style.PALETTE[0] and len(set(a.values())) == 3  # registry order: anynetx_a first
    assert style.space_colors(["unknown", "regnetx"])["regnetx"] == style.PALETTE[0]


@pytest.mark.parametrize(("x", "flops", "params"), [
    (4.0e8, "400 MF", "400 M"), (4.13e7, "41.3 MF", "41.3 M"), (4.0e9, "4.0 GF", "4.0 G"),
    (5.2e6, "5.2 MF", "5.2 M"), (1.2e5, "120 kF", "120 k"), (math.nan, "–", "–"), (None, "–", "–")])
def test_units(x, flops, params):
    assert style.fmt_flops(x) == flops
    assert style.fmt_params(x) == params


def test_percent_config_and_column_names():
    assert style.fmt_pct(12.3456) == "12.35 %" and style.fmt_pct(float("inf")) == "–"
    cfg = {"depth": 13, "w0": 48, "wa": 27.891234, "wm": 2.2051, "depths": [1, 2], "drop": 0.000123456}
    assert style.fmt_config(cfg) == "depth=13, w0=48, wa=27.9, wm=2.21, depths=[1, 2], drop=0.000123"
    assert style.fmt_config(None) == ""
    assert [style.column_label(c) for c in ("param_w0", "min_error", "ks_vs_first", "images_per_s")] == [
        "w0", "min error (%)", "KS vs first", "images/s"]


def test_space_colours_follow_the_registry_order():
    from netspace.search_spaces.registry import list_spaces

    spaces = list_spaces()
    assert len(spaces) >= 10
    assert list(style.space_colors(reversed(spaces))) == spaces
