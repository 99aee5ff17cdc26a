import pytest

from netspace.search_spaces import get_space
from netspace.search_spaces.regnet import (
    RegNetConfig,
    block_widths,
    stages_from_blocks,
    zoo_config,
)

# Published model-zoo complexity at 224x224, 1000 classes (shared/reference/regnet_zoo.md).
ZOO = {
    ("regnetx", "200MF"): (199_040_872, 2_684_792, 2_164_056),
    ("regnetx", "400MF"): (397_678_568, 5_157_512, 3_143_272),
    ("regnetx", "600MF"): (600_891_112, 6_196_040, 3_975_096),
    ("regnetx", "800MF"): (799_700_712, 7_259_656, 5_148_744),
    ("regnetx", "1.6GF"): (1_602_850_792, 9_190_136, 7_933_512),
    ("regnetx", "3.2GF"): (3_176_622_952, 15_296_552, 11_367_432),
    ("regnetx", "4.0GF"): (3_964_499_816, 22_118_248, 12_201_608),
    ("regnety", "200MF"): (199_519_076, 3_162_996, 2_168_052),
    ("regnety", "400MF"): (401_849_056, 4_344_144, 3_892_496),
    ("regnety", "600MF"): (601_227_608, 6_055_160, 4_334_296),
    ("regnety", "800MF"): (797_183_328, 6_263_168, 5_249_888),
    ("regnety", "1.6GF"): (1_612_087_326, 11_202_430, 8_044_814),
    ("regnety", "3.2GF"): (3_176_496_162, 19_436_338, 11_263_418),
    ("regnety", "4.0GF"): (3_973_301_344, 20_646_656, 12_287_200),
}


@pytest.mark.parametrize("family,size", sorted(ZOO))
def test_zoo_complexity_matches_published(family, size):
    cx = get_space(family).complexity(zoo_config(family, size))
    flops, params, acts = ZOO[(family, size)]
    # exact, which is well inside the 1 % the issue allows
    assert (cx.flops, cx.params, cx.acts) == (flops, params, acts)


@pytest.mark.parametrize(
    "family,size,widths,depths",
    [
        ("regnetx", "200MF", [24, 56, 152, 368], [1, 1, 4, 7]),
        ("regnetx", "400MF", [32, 64, 160, 384], [1, 2, 7, 12]),  # raw [24, 64, 152, 392] rounded to g=16
        ("regnety", "400MF", [48, 104, 208, 440], [1, 3, 6, 6]),
        ("regnetx", "1.6GF", [72, 168, 408, 912], [2, 4, 10, 2]),
    ],
)
def test_published_stage_widths_and_depths(family, size, widths, depths):
    a = zoo_config(family, size).to_anynet()
    assert list(a.widths) == widths and list(a.depths) == depths


def test_raw_widths_before_group_adjustment():
    widths, depths, total = zoo_config("regnetx", "400MF").stages()
    assert widths == [24, 64, 152, 392] and depths == [1, 2, 7, 12] and total == 4


def test_block_widths_formula_by_hand():
    # u_j = 24 + 36.44 j, s_j = round(log(u_j/24)/log(2.49)), w_j = 24 * 2.49^s_j -> multiple of 8
    ws, total = block_widths(24, 36.44, 2.49, 13)
    assert ws == [24, 56, 152, 152, 152, 152, 368, 368, 368, 368, 368, 368, 368]
    assert total == 4
    assert stages_from_blocks(ws) == ([24, 56, 152, 368], [1, 1, 4, 7])


def test_group_width_larger_than_stage_width_is_clamped():
    # RegNetX-8.0GF: first stage narrower than its group width 120
    a = zoo_config("regnetx", "8.0GF").to_anynet()
    assert a.group_widths[0] == a.widths[0] < 120
    assert all(w % g == 0 for w, g in zip(a.widths, a.group_widths))


def test_regnet_rejects_wrong_stage_count():
    space = get_space("regnetx")
    few = RegNetConfig(depth=3, w0=24, wa=36.44, wm=2.49, group_width=8)
    assert any("stages" in p for p in space.check(few))
    assert space.check(zoo_config("regnetx", "200MF")) == []


def test_regnety_adds_squeeze_excitation():
    x = get_space("regnetx").complexity(zoo_config("regnetx", "200MF"))
    y = get_space("regnety").complexity(zoo_config("regnety", "200MF"))
    assert y.params > x.params and y.flops > x.flops
