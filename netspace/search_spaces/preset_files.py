"""Presets from YAML files: a user's own zoo (e.g. written by ``netspace zoo export``), usable by name wherever a
built-in preset is (``references:`` in a campaign file, ``netspace train --preset``).

Files listed in ``$NETSPACE_PRESETS`` (separated by ``os.pathsep``) are registered with the built-ins. Format::

    presets:
      - name: myzoo-regnetx-2M-4M
        space: regnetx              # a registered space (its options are the registered instance's)
        config: {depth: 13, w0: 24, ...}
        geometry: {resolution: 32, in_channels: 1, num_classes: 10}
        summary: best of regime 2M-4M
        reference: {source: "campaign zoo, trial 3", flops: 2514154, params: 123456, acts: 45678}
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from netspace.errors import NetspaceError
from netspace.search_spaces.geometry import Geometry
from netspace.search_spaces.presets import Preset, Reference

ENV_PRESETS = "NETSPACE_PRESETS"
_KEYS = {"name", "space", "config", "geometry", "summary", "reference", "space_options"}
_REF_KEYS = {"source", "params", "flops", "macs", "acts"}


def preset_to_dict(p: Preset) -> dict[str, Any]:
    ref = {k: getattr(p.reference, k) for k in ("source", "flops", "params", "acts") if getattr(p.reference, k) is not None}
    out: dict[str, Any] = {"name": p.name, "space": p.space, "config": dict(p.config), "geometry": p.geometry.as_dict()}
    if p.space_options:
        out["space_options"] = dict(p.space_options)
    if p.summary:
        out["summary"] = p.summary
    out["reference"] = ref
    return out


def presets_yaml(presets: list[Preset]) -> str:
    import yaml

    return yaml.safe_dump({"presets": [preset_to_dict(p) for p in presets]}, sort_keys=False)


def parse_presets(data: Any, label: str = "presets") -> list[Preset]:
    """Presets of a decoded file, each validated (its config is a member of its space); one-line errors."""
    if not isinstance(data, dict) or not isinstance(data.get("presets"), list):
        raise NetspaceError(f"{label}: expected a mapping with a list under 'presets'")
    out = []
    for i, item in enumerate(data["presets"]):
        where = f"{label}: presets[{i}]"
        if not isinstance(item, dict):
            raise NetspaceError(f"{where}: expected a mapping")
        unknown = set(item) - _KEYS
        missing = {"name", "space", "config"} - set(item)
        if unknown or missing:
            raise NetspaceError(f"{where}: " + (f"unknown key(s) {sorted(unknown)}" if unknown else
                                                f"missing key(s) {sorted(missing)}"))
        ref = dict(item.get("reference") or {})
        if set(ref) - _REF_KEYS:
            raise NetspaceError(f"{where}.reference: unknown key(s) {sorted(set(ref) - _REF_KEYS)}")
        ref.setdefault("source", label)
        try:
            geometry = Geometry(**item["geometry"]) if item.get("geometry") else Geometry()
            p = Preset(str(item["name"]), str(item["space"]), dict(item["config"]), Reference(**ref), geometry,
                       dict(item.get("space_options") or {}), str(item.get("summary") or ""))
            p.build_config()  # the config must be a member of its space
        except NetspaceError as exc:
            raise NetspaceError(f"{where} ({item.get('name')}): {exc}") from None
        except (TypeError, ValueError) as exc:
            raise NetspaceError(f"{where} ({item.get('name')}): {exc}") from None
        out.append(p)
    return out


def load_presets_file(path: str | os.PathLike) -> list[Preset]:
    import yaml

    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text())
    except OSError as exc:
        raise NetspaceError(f"{path}: cannot read presets file: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise NetspaceError(f"{path}: malformed YAML: {' '.join(str(exc).split())[:160]}") from None
    return parse_presets(data, str(path))


def register_presets_file(path: str | os.PathLike, *, replace: bool = True) -> list[Preset]:
    """Register every preset of ``path`` (replacing same-named ones from an earlier load of a file)."""
    from netspace.search_spaces.presets import register_preset

    presets = load_presets_file(path)
    for p in presets:
        register_preset(p, replace=replace)
    return presets


def load_env_presets() -> None:
    """Register the files of ``$NETSPACE_PRESETS``; relative paths are made absolute in the environment, so
    processes started later (Ray workers, whose working directory differs) find the same files."""
    raw = os.environ.get(ENV_PRESETS, "")
    paths = [str(Path(x).expanduser().resolve()) for x in raw.split(os.pathsep) if x.strip()]
    if not paths:
        return
    os.environ[ENV_PRESETS] = os.pathsep.join(paths)
    for path in paths:
        register_presets_file(path)
