"""Registry of design spaces. It imports only the space API (:mod:`~netspace.search_spaces.base`, and
:mod:`~netspace.search_spaces.restrict` for the derived spaces of studies), never a space: the package's one wiring
module (:mod:`netspace.search_spaces.wiring`) registers netspace's spaces, derived spaces and presets on first use,
and other packages use the entry-point group ``netspace.search_spaces`` (``name = "module:SpaceClass"``)."""

from __future__ import annotations

import difflib
import json
import threading
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any

from netspace.errors import NetspaceError, UnknownSpaceError
from netspace.search_spaces.base import DesignSpace
from netspace.search_spaces.restrict import DerivedSpace

ENTRY_POINT_GROUP = "netspace.search_spaces"

_FACTORIES: dict[str, Callable[[], DesignSpace]] = {}
_INSTANCES: dict[str, DesignSpace] = {}
_PREFIXES: dict[str, Callable[[str], DesignSpace]] = {}
_BUILTIN_LOADERS: list[Callable[[], None]] = []
_builtins_loaded = False
_builtins_loading = False
_plugins_loaded = False
_LOAD_LOCK = threading.RLock()


def register(cls_or_factory: Callable[[], DesignSpace], name: str | None = None):
    """Register a space class (or a zero-argument factory). Usable as a class decorator."""
    key = name or getattr(cls_or_factory, "name", None)
    if not key:
        raise NetspaceError(f"cannot register {cls_or_factory!r}: it has no name")
    _FACTORIES[key] = cls_or_factory
    _INSTANCES.pop(key, None)
    return cls_or_factory


def register_prefix(prefix: str, resolver: Callable[[str], DesignSpace]) -> None:
    """Names starting with ``prefix`` (e.g. ``"preset:"``) are resolved by ``resolver(name)``."""
    _PREFIXES[prefix] = resolver


def add_builtin_loader(loader: Callable[[], None]) -> None:
    """``loader()`` registers built-in spaces and presets; it runs once, on first use of the registry (the package
    ``__init__`` adds the one that imports the wiring module)."""
    _BUILTIN_LOADERS.append(loader)
    if _builtins_loaded:
        loader()


def load_builtins() -> None:
    """Run the built-in loaders, once. Thread-safe: a caller in another thread (the dashboard warms the registry in
    the background) waits until the loaders have finished instead of seeing a half-filled registry; a loader's own
    registrations, which call back here, return at once. A load that fails is retried on the next use."""
    global _builtins_loaded, _builtins_loading
    if _builtins_loaded:
        return
    with _LOAD_LOCK:
        if _builtins_loaded or _builtins_loading:
            return
        _builtins_loading = True
        try:
            for loader in _BUILTIN_LOADERS:
                loader()
            _builtins_loaded = True
        finally:
            _builtins_loading = False


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    with _LOAD_LOCK:
        if _plugins_loaded:
            return
        load_builtins()
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in _FACTORIES:
                continue  # built-ins win; a plugin cannot silently replace one
            try:
                register(ep.load(), name=ep.name)
            except Exception as exc:  # a broken plugin must not take the platform down
                import warnings

                warnings.warn(f"netspace: design-space plugin {ep.name!r} ({ep.value}) failed to load: {exc}",
                              stacklevel=2)
        _plugins_loaded = True


def unknown_name(kind: str, name: str, known, fallback: str) -> UnknownSpaceError:
    """One-line error for an unknown ``kind`` name, suggesting the closest known names (else ``fallback``)."""
    close = difflib.get_close_matches(name, known, n=3)
    return UnknownSpaceError(f"unknown {kind} {name!r}; " + (f"did you mean {', '.join(close)}?" if close else fallback))


def in_registry_order(names) -> list[str]:
    """``names`` (distinct) in the order :func:`list_spaces` lists spaces: by name. Loads no space (cheap enough for
    colour palettes)."""
    return sorted(dict.fromkeys(names))


def list_spaces() -> list[str]:
    _load_plugins()
    return in_registry_order(_FACTORIES)


def get_space(name: str) -> DesignSpace:
    """The registered space called ``name``; an unknown name raises a one-line error with suggestions."""
    _load_plugins()
    if name not in _INSTANCES:
        prefix = next((p for p in _PREFIXES if name.startswith(p)), None)
        if prefix is not None:  # e.g. a preset as a one-network space (netspace.search_spaces.fixed)
            _INSTANCES[name] = _PREFIXES[prefix](name)
            return _INSTANCES[name]
        if name not in _FACTORIES:
            raise unknown_name("design space", name, _FACTORIES, f"known: {', '.join(sorted(_FACTORIES))}")
        space = _FACTORIES[name]()
        if not isinstance(space, DesignSpace):
            raise NetspaceError(f"design space {name!r} is not a netspace DesignSpace")
        _INSTANCES[name] = space
    return _INSTANCES[name]


def space_of_study(attrs: Mapping[str, Any]) -> DesignSpace:
    """The design space of a campaign study from its user attrs: the registered ``space``, restricted by the
    ``restrict`` attr (JSON) when present, named by its ``label``."""
    from netspace.search_spaces.resolution import with_resolution

    base = get_space(attrs["space"])
    raw = attrs.get("restrict")
    spec = json.loads(raw) if isinstance(raw, str) else (raw or {})
    space = DerivedSpace(base, spec, name=attrs.get("label") or None) if spec else base
    return with_resolution(space, attrs.get("resolution"))  # studies that sample the resolution
