"""The project directory, against which the paths netspace stores are relative.

A project is the folder that holds the SQLite campaign storage (``netspace.db``). What netspace stores about a
campaign (the spec's ``output_dir``, MLflow store and artifact folder and dataset root, every trial's
``weights_path`` and ``dataset``) is written relative to that folder unless the user gave the path absolute, and read
back against it: a copied or moved project keeps working, and nothing it does reaches back into the original.
A server storage (PostgreSQL) has no project directory: there, paths are stored absolute.

Pure path arithmetic, no I/O (``Path.resolve`` is only used through :func:`os.path.abspath`, which touches nothing).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path

from netspace.platform.storage.urls import sqlite_path

SQLITE = "sqlite:///"


def project_dir(storage_url: str | None) -> Path | None:
    """The folder of the SQLite storage file ``storage_url`` names (absolute), or ``None`` for a server storage,
    an in-memory database or no URL."""
    path = sqlite_path(storage_url) if storage_url else None
    if path is None:
        return None
    return Path(os.path.abspath(path)).parent


def is_local_path(path: str) -> bool:
    """A filesystem path (not a URL such as ``s3://…`` or ``file://…``)."""
    return "://" not in path


def given_absolute(path: str | None) -> bool:
    """Whether the user wrote ``path`` absolute (``~`` counts: it names one fixed place)."""
    return bool(path) and os.path.isabs(os.path.expanduser(str(path)))


def store_path(path: str | None, project: Path | None, *, absolute: bool = False) -> str | None:
    """``path`` (absolute, as netspace uses it) in the form to store: relative to ``project`` (POSIX separators),
    unless ``absolute`` (the user gave it absolute), there is no project or it is not a local path."""
    if not path or project is None or absolute or not is_local_path(path) or not os.path.isabs(path):
        return path
    return Path(os.path.relpath(os.path.abspath(path), project)).as_posix()


def load_path(stored: str | None, project: Path | None) -> str | None:
    """A stored path made usable: a relative one is taken against ``project`` (the working directory when there is
    none); absolute paths and URLs are returned unchanged."""
    if not stored or not is_local_path(stored) or os.path.isabs(os.path.expanduser(stored)):
        return os.path.expanduser(stored) if stored and is_local_path(stored) else stored
    return os.path.normpath(os.path.join(project or os.getcwd(), stored))


def is_relative_sqlite(url: str | None) -> bool:
    return bool(url and url.startswith(SQLITE) and sqlite_path(url) is not None and not url.startswith(SQLITE + "/"))


def store_sqlite_url(url: str, project: Path | None, *, absolute: bool = False) -> str:
    """A ``sqlite:///`` URL as stored: its file relative to ``project`` unless ``absolute``; other URLs unchanged."""
    path = sqlite_path(url)
    if path is None or project is None or absolute or not path.is_absolute():
        return url
    query = url.split("?", 1)[1] if "?" in url else ""
    rel = store_path(str(path), project)
    return SQLITE + str(rel) + (f"?{query}" if query else "")


def load_sqlite_url(url: str, project: Path | None) -> str:
    """A stored ``sqlite:///`` URL with a relative file taken against ``project``; other URLs unchanged."""
    if not is_relative_sqlite(url):
        return url
    path = sqlite_path(url)
    assert path is not None
    query = url.split("?", 1)[1] if "?" in url else ""
    return SQLITE + str(load_path(str(path), project)) + (f"?{query}" if query else "")


def load_dataset(dataset: dict | None, project: Path | None) -> dict | None:
    """A stored dataset mapping (``{"name", "root", ...}``) with a relative ``root`` taken against ``project``."""
    if not isinstance(dataset, dict) or not dataset.get("root"):
        return dataset
    return {**dataset, "root": load_path(str(dataset["root"]), project)}


def stored_paths(output_dir: str | None, project: Path | None) -> Callable[[str | None], str | None]:
    """How the paths a campaign writes under its ``output_dir`` (a trial's weights) are stored: relative to the
    project directory when ``output_dir`` itself is stored relative (``output_dir``: its stored form)."""
    return functools.partial(store_path, project=project, absolute=not output_dir or os.path.isabs(output_dir))
