import pytest

from netspace.errors import InvalidConfigError
from netspace.search_spaces import Geometry, get_space, sample_configs
from netspace.search_spaces.anynet import AnyNetConfig, adjust_compatibility

ANYNETX = ["anynetx_a", "anynetx_b", "anynetx_c", "anynetx_d", "anynetx_e"]
SPACES = ANYNETX + ["regnetx", "regnety"]


@pytest.mark.parametrize("name", ANYNETX)
def test_constraint_chain_holds_on_1000_samples(name):
    space = get_space(name)
    samples = sample_configs(space, 1000, seed=0, geometry=Geometry(resolution=32))
    cfgs = [s.config for s in samples]
    assert all(space.check(c) == [] for c in cfgs)
    assert all(len(c.depths) == 4 for c in cfgs)
    assert all(1 <= d <= 16 for c in cfgs for d in c.depths)
    assert all(w <= 1024 and w % 8 == 0 for c in cfgs for w in c.widths)
    assert all((w // b) % g == 0 for c in cfgs for w, b, g in zip(c.widths, c.bottleneck_ratios, c.group_widths))
    shared_b = sum(len(set(c.bottleneck_ratios)) == 1 for c in cfgs)
    inc_w = sum(list(c.widths) == sorted(c.widths) for c in cfgs)
    inc_d = sum(list(c.depths) == sorted(c.depths) for c in cfgs)
    if name >= "anynetx_b":
        assert shared_b == 1000
    else:
        assert shared_b < 100  # A really varies b per stage
    if name >= "anynetx_c":
        # g is shared, except where a narrow stage clamps it (g = min(g, w/b))
        assert all(len({g for g, w, b in zip(c.group_widths, c.widths, c.bottleneck_ratios) if g < w // b}) <= 1 for c in cfgs)
    if name >= "anynetx_d":
        assert inc_w == 1000
    else:
        assert inc_w < 200
    if name == "anynetx_e":
        assert inc_d == 1000
    else:
        assert inc_d < 500


def test_space_sizes_follow_the_paper():
    # AnyNetX-A: (16 * 128 * 3 * 6)^4 ~ 1.8e18 configs; each refinement shrinks it
    sizes = [get_space(n).size() for n in ANYNETX]
    assert sizes[0] == (16 * 128 * 3 * 6) ** 4
    assert all(a > b for a, b in zip(sizes, sizes[1:]))




def test_adjust_compatibility_like_pycls():
    # g = min(g, w/b); w/b rounded to a multiple of g (ties to even, like numpy/pycls)
    assert adjust_compatibility([24, 152, 392], [1, 1, 1], [16, 16, 16]) == ((32, 160, 384), (16, 16, 16))
    assert adjust_compatibility([8], [4], [8]) == ((8,), (2,))
    assert adjust_compatibility([40], [4], [4]) == ((32,), (4,))


def test_check_names_the_violation():
    space = get_space("anynetx_d")
    bad = AnyNetConfig((1, 1, 1, 1), (64, 32, 64, 128), (1, 1, 1, 1), (8, 8, 8, 8))
    assert any("decrease" in p for p in space.check(bad))
    with pytest.raises(InvalidConfigError, match="widths"):
        space.validate(bad)




def test_config_from_dict_rejects_unknown_fields():
    with pytest.raises(InvalidConfigError, match="unknown field"):
        get_space("regnetx").config_from_dict({"depth": 3, "nope": 1})
