"""A design space that wraps another and delegates to it: the base class of the derived spaces.

A :class:`WrappedSpace` holds the wrapped space as ``base`` and, unless a subclass says otherwise, takes its name,
summary and config class and hands every config and network to it: ``check`` (hence ``validate``), ``build``,
``complexity`` and ``config_from_dict`` are the base's. It samples through the base only where a subclass adapts
the draw, so ``parameters`` and ``sample`` stay each wrapper's own, and it has a vectorised batch path exactly when
the subclass adapts ``screen_batch`` and the base has one. What a wrapper shows of itself (``options``,
``constraints``, ``size``, ``describe``) is the plain :class:`DesignSpace`'s unless the wrapper overrides it.

The wrappers: :class:`~netspace.search_spaces.restrict.DerivedSpace` (restricted parameters),
:class:`~netspace.search_spaces.resolution.ResolutionSpace` (a sampled input resolution),
:class:`~netspace.search_spaces.fixed.FixedSpace` (a preset as one network) and the campaign's
``RecipeSpace`` (training-recipe parameters drawn in the same trial).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netspace.search_spaces.base import DesignSpace
from netspace.search_spaces.complexity import Complexity
from netspace.search_spaces.geometry import IMAGENET, Geometry

if TYPE_CHECKING:  # torch is only needed to build networks
    import torch.nn as nn


class WrappedSpace(DesignSpace):
    """A :class:`DesignSpace` over ``base``: named (and summarised) as ``base`` unless told otherwise, with its
    config class, checks, networks and complexity."""

    def __init__(self, base: DesignSpace, *, name: str | None = None, summary: str | None = None):
        self.base = base
        self.name = base.name if name is None else name  # type: ignore[misc]  # per instance
        self.summary = base.summary if summary is None else summary  # type: ignore[misc]  # per instance
        self.config_cls = base.config_cls  # type: ignore[misc]  # per instance

    def check(self, config) -> list[str]:
        return self.base.check(config)

    def has_batch_path(self) -> bool:
        """The subclass adapts :meth:`screen_batch` to the base, and the base has a batch path."""
        return super().has_batch_path() and self.base.has_batch_path()

    def build(self, config, geometry: Geometry = IMAGENET) -> nn.Module:
        return self.base.build(config, geometry)

    def complexity(self, config, geometry: Geometry = IMAGENET) -> Complexity:
        return self.base.complexity(config, geometry)

    def config_from_dict(self, data):
        return self.base.config_from_dict(data)
