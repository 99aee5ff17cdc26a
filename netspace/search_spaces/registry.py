"""Registry of design spaces: built-ins register themselves; other packages use the entry-point group
``netspace.search_spaces`` (``name = "module:SpaceClass"``)."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from importlib.metadata import entry_points

from netspace.errors import NetspaceError, UnknownSpaceError
from netspace.search_spaces.base import DesignSpace

ENTRY_POINT_GROUP = "netspace.search_spaces"

_FACTORIES: dict[str, Callable[[], DesignSpace]] = {}
_INSTANCES: dict[str, DesignSpace] = {}
_plugins_loaded = False


def register(cls_or_factory: Callable[[], DesignSpace], name: str | None = None):
    """Register a space class (or a zero-argument factory). Usable as a class decorator."""
    key = name or getattr(cls_or_factory, "name", None)
    if not key:
        raise NetspaceError(f"cannot register {cls_or_factory!r}: it has no name")
    _FACTORIES[key] = cls_or_factory
    _INSTANCES.pop(key, None)
    return cls_or_factory


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    import netspace.search_spaces.builtin  # noqa: F401  (registers the built-in spaces)

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _FACTORIES:
            continue  # built-ins win; a plugin cannot silently replace one
        try:
            register(ep.load(), name=ep.name)
        except Exception as exc:  # a broken plugin must not take the platform down
            import warnings

            warnings.warn(f"netspace: design-space plugin {ep.name!r} ({ep.value}) failed to load: {exc}", stacklevel=2)


def unknown_name(kind: str, name: str, known, fallback: str) -> UnknownSpaceError:
    """One-line error for an unknown ``kind`` name, suggesting the closest known names (else ``fallback``)."""
    close = difflib.get_close_matches(name, known, n=3)
    return UnknownSpaceError(f"unknown {kind} {name!r}; " + (f"did you mean {', '.join(close)}?" if close else fallback))


def list_spaces() -> list[str]:
    _load_plugins()
    return sorted(_FACTORIES)


def get_space(name: str) -> DesignSpace:
    """The registered space called ``name``; an unknown name raises a one-line error with suggestions."""
    _load_plugins()
    if name not in _INSTANCES:
        if name.startswith("preset:"):  # a preset as a one-network space (netspace.search_spaces.fixed)
            from netspace.search_spaces.fixed import fixed_space

            _INSTANCES[name] = fixed_space(name)
            return _INSTANCES[name]
        if name not in _FACTORIES:
            raise unknown_name("design space", name, _FACTORIES, f"known: {', '.join(sorted(_FACTORIES))}")
        space = _FACTORIES[name]()
        if not isinstance(space, DesignSpace):
            raise NetspaceError(f"design space {name!r} is not a netspace DesignSpace")
        _INSTANCES[name] = space
    return _INSTANCES[name]
