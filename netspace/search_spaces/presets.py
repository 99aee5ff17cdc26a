"""Named seed networks as configs of their design spaces, each with the reference figures it reproduces.

>>> from netspace.search_spaces.presets import get_preset
>>> p = get_preset("resnet50")
>>> p.space, p.complexity().params   # doctest: +SKIP
('resnext', 25557032)

A preset is a config of a registered space (``space``) that is a member of the space instance built with
``space_options`` (e.g. ``{"stem": "resnet"}``), at the geometry its reference figures are counted at. Other packages
add theirs with :func:`register_preset`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netspace.errors import NetspaceError
from netspace.search_spaces.base import DesignSpace
from netspace.search_spaces.complexity import Complexity
from netspace.search_spaces.geometry import IMAGENET, Geometry
from netspace.search_spaces.registry import get_space, unknown_name

if TYPE_CHECKING:
    import torch.nn as nn


@dataclass(frozen=True)
class Reference:
    """What a preset reproduces: figures from ``source`` (``None`` where the source gives none).

    ``flops`` follow the papers' convention (multiply-adds of convs and linear layers plus one add per biased output);
    ``macs`` are what ``torch.utils.flop_counter.FlopCounterMode`` counts (FLOPs / 2, no bias adds), for references
    that are torch models; ``torchvision`` names the ``torchvision.models`` builder (with ``torchvision_kwargs``)
    that is the reference.
    """

    source: str
    params: int | None = None
    flops: int | None = None
    macs: int | None = None
    acts: int | None = None
    torchvision: str | None = None
    torchvision_kwargs: Mapping[str, Any] = field(default_factory=dict)
    #: a ``torchvision.models`` builder that is exactly this network too (same params and MACs), when the
    #: reference is another source (RegNets: torchvision rounds some widths differently, see ``seeds``)
    same_as_torchvision: str | None = None


@dataclass(frozen=True)
class Preset:
    """A named config of a design space and the reference it reproduces."""

    name: str
    space: str
    config: Mapping[str, Any]
    reference: Reference
    geometry: Geometry = IMAGENET
    space_options: Mapping[str, Any] = field(default_factory=dict)
    summary: str = ""

    def design_space(self) -> DesignSpace:
        """The space instance the config belongs to (the registered one unless ``space_options`` fix options)."""
        registered = get_space(self.space)
        return type(registered)(**self.space_options) if self.space_options else registered

    def build_config(self):
        space = self.design_space()
        config = space.config_from_dict(self.config)
        space.validate(config)
        return config

    def build(self, geometry: Geometry | None = None) -> nn.Module:
        return self.design_space().build(self.build_config(), geometry or self.geometry)

    def complexity(self, geometry: Geometry | None = None) -> Complexity:
        """Analytic complexity at ``geometry`` (default: the geometry of the reference figures)."""
        return self.design_space().complexity(self.build_config(), geometry or self.geometry)

    def describe(self, geometry: Geometry | None = None) -> dict[str, Any]:
        cx = self.complexity(geometry)
        ref = self.reference
        return {
            "name": self.name, "space": self.space, "space_options": dict(self.space_options), "summary": self.summary,
            "geometry": (geometry or self.geometry).as_dict(), "config": dict(self.config), **cx.as_dict(),
            "reference": {"source": ref.source, "params": ref.params, "flops": ref.flops, "macs": ref.macs,
                          "acts": ref.acts, "torchvision": ref.torchvision,
                          "same_as_torchvision": ref.same_as_torchvision},
        }


_PRESETS: dict[str, Preset] = {}
_builtins_loaded = False


def register_preset(preset: Preset, *, replace: bool = False) -> Preset:
    """Add ``preset`` to the registry (a name already taken needs ``replace=True``)."""
    _load_builtins()
    if preset.name in _PRESETS and not replace:
        raise NetspaceError(f"preset {preset.name!r} is already registered")
    _PRESETS[preset.name] = preset
    return preset


def _load_builtins() -> None:
    global _builtins_loaded
    if not _builtins_loaded:
        _builtins_loaded = True
        from netspace.search_spaces.seeds import BUILTIN_PRESETS

        for p in BUILTIN_PRESETS:
            _PRESETS.setdefault(p.name, p)
        from netspace.search_spaces.preset_files import load_env_presets

        load_env_presets()  # a user's zoo files ($NETSPACE_PRESETS)


def list_presets() -> list[str]:
    _load_builtins()
    return sorted(_PRESETS)


def get_preset(name: str) -> Preset:
    """The preset called ``name``; an unknown name raises a one-line error with suggestions."""
    _load_builtins()
    if name not in _PRESETS:
        raise unknown_name("preset", name, _PRESETS, "see `netspace spaces presets`")
    return _PRESETS[name]
