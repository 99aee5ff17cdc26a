"""Design spaces from other packages: the toy plugin (tests/plugins/netspace_toy_plugin, installed editable by
``make setup``) is found only through the ``netspace.search_spaces`` entry point."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest
import torch

from netspace.errors import UnknownSpaceError
from netspace.search_spaces import (
    ENTRY_POINT_GROUP,
    DesignSpace,
    Geometry,
    get_space,
    list_spaces,
    sample_configs,
)

BUILTINS = {
    "anynetx_a", "anynetx_b", "anynetx_c", "anynetx_d", "anynetx_e", "regnetx", "regnety", "vgg", "inception", "resnext",
}


def toy_entry_point():
    found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == "toy"]
    if not found:
        pytest.fail("netspace-toy-plugin is not installed: pip install -e tests/plugins/netspace_toy_plugin")
    return found[0]


def test_toy_space_comes_from_the_entry_point():
    ep = toy_entry_point()
    assert ENTRY_POINT_GROUP == "netspace.search_spaces"
    assert ep.value == "netspace_toy_plugin:ToySpace"
    space = get_space("toy")
    assert isinstance(space, DesignSpace)
    assert type(space) is ep.load()
    assert type(space).__module__ == "netspace_toy_plugin"
    assert space.name == "toy"
    import netspace.search_spaces.wiring as wiring

    assert not any("toy" in name.lower() for name in vars(wiring))  # not registered by netspace itself


def test_toy_space_samples_builds_and_forwards():
    toy_entry_point()
    space = get_space("toy")
    samples = sample_configs(space, 6, seed=0, geometry=Geometry(resolution=32, num_classes=10))
    assert [s.params for s in samples] == [s.params for s in sample_configs(space, 6, seed=0, geometry=Geometry(resolution=32, num_classes=10))]
    for s in samples:
        assert space.check(s.config) == []
        assert space.config_from_params(s.params) == s.config
        assert space.config_from_dict(s.config.to_dict()) == s.config
        model = space.build(s.config, geometry=Geometry(in_channels=3, num_classes=10, resolution=32))
        with torch.no_grad():
            assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
        w = s.config.width
        assert s.complexity.params == sum(p.numel() for p in model.parameters()) == 27 * w + 9 * w * w + 4 * w + 10 * w + 10


def test_list_spaces_has_builtins_and_plugin():
    names = list_spaces()
    assert set(names) >= BUILTINS
    assert "toy" in names
    assert names == sorted(names)


def test_unknown_space_is_a_one_line_error():
    with pytest.raises(UnknownSpaceError) as info:
        get_space("resnet\nxt")
    message = str(info.value)
    assert "\n" not in message and message.startswith("unknown design space")
    with pytest.raises(UnknownSpaceError, match="did you mean resnext"):
        get_space("resnxt")
    with pytest.raises(KeyError):  # also a KeyError for dict-style callers
        get_space("no_such_space_at_all")


def test_registry_loaded_from_several_threads_at_once_is_never_seen_half_filled():
    """The dashboard warms the registry in a background thread while the page asks for spaces: every caller, in
    whichever thread, gets the full registry (found as 'unknown design space ...; known:' with an empty list)."""
    import subprocess
    import sys

    code = """
import threading
from netspace.search_spaces import get_space, list_spaces
out, errors = [], []
def use():
    try:
        get_space("anynetx_a"); out.append(len(list_spaces()))
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=use) for _ in range(4)]
for t in threads: t.start()
use()
for t in threads: t.join()
print(len(set(out)), min(out), len(errors), errors[:1])
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "1" and int(out[1]) > 10 and out[2] == "0", out
