"""Design-space plugins: sample configs, check constraints, build networks, count complexity.

>>> from netspace.search_spaces import get_space, sample_configs, Regime
>>> space = get_space("regnetx")
>>> [s.complexity.flops for s in sample_configs(space, 2, seed=0, regime=Regime.parse("360M:400M"))]  # doctest: +SKIP

Layers, bottom to top: value types (``geometry``, ``complexity``, ``params``, ``trials``) → the space API (``base``) →
``restrict`` (derived spaces), ``sampling`` → ``registry`` → the spaces and ``presets`` → ``wiring`` (registers them,
loaded on first use of the registry). No module imports one above it (tests/test_import_graph.py checks this).
"""

from netspace.search_spaces.base import DesignSpace, SpaceConfig
from netspace.search_spaces.complexity import Complexity
from netspace.search_spaces.geometry import IMAGENET, Geometry
from netspace.search_spaces.presets import (
    Preset,
    Reference,
    get_preset,
    list_presets,
    register_preset,
)
from netspace.search_spaces.registry import (
    ENTRY_POINT_GROUP,
    add_builtin_loader,
    get_space,
    list_spaces,
    register,
    space_of_study,
)
from netspace.search_spaces.restrict import DerivedSpace, restrict
from netspace.search_spaces.sampling import (
    Regime,
    Sample,
    iter_samples,
    sample_configs,
)
from netspace.search_spaces.trials import FixedTrial, ParamSpec, RandomTrial


def _wire_builtins() -> None:
    """Register netspace's own spaces and presets (imports torch, hence only on first use of the registry)."""
    import netspace.search_spaces.wiring  # noqa: F401


add_builtin_loader(_wire_builtins)

__all__ = [
    "Complexity", "DerivedSpace", "DesignSpace", "ENTRY_POINT_GROUP", "FixedTrial", "Geometry", "IMAGENET", "ParamSpec",
    "Preset", "RandomTrial",
    "Reference", "Regime", "Sample", "SpaceConfig", "get_preset", "get_space", "iter_samples", "list_presets",
    "list_spaces", "register", "register_preset", "restrict", "sample_configs", "space_of_study",
]
