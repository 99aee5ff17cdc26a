"""A copied or moved project's own MLflow store follows it.

MLflow keeps artifact locations absolute in its store (an experiment's ``artifact_location``, each run's
``artifact_uri``, each logged model's and model version's location), so a SQLite MLflow store copied with its
project still points into the original folder: a trial's weights or a promoted model would be written there. When
the store is the project's own (its file lies inside the project directory) and the campaign's artifact folder is
inside the project too, the locations under the old artifact folder are rewritten to the new one, once, before
anything is logged. Stores elsewhere (a shared file, a tracking server) are never touched.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from netspace.platform.storage.urls import sqlite_path

#: (table, column) pairs of the MLflow schema that hold artifact locations
LOCATION_COLUMNS = (("experiments", "artifact_location"), ("runs", "artifact_uri"),
                    ("logged_models", "artifact_location"), ("model_versions", "source"),
                    ("model_versions", "storage_location"))


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def _local(location: str) -> str:
    return location[len("file://"):] if location.startswith("file://") else location


def _moved(value: str, old: str, new: str) -> str | None:
    """``value`` with the folder ``old`` replaced by ``new`` (keeping a ``file://`` prefix), or None if not under it."""
    prefix = "file://" if value.startswith("file://") else ""
    path = _local(value)
    if path == old or path.startswith(old.rstrip("/") + "/"):
        return prefix + new + path[len(old):]
    return None


def follow_moved_project(tracking_uri: str, experiment_id: str | None, artifact_location: str,
                         project: Path | None) -> str | None:
    """Rewrite the artifact locations of the project's own SQLite MLflow store when the project was copied or moved.

    ``experiment_id``: the campaign's experiment; ``artifact_location``: where its artifacts belong now (absolute,
    inside ``project``). Returns the old artifact folder when locations were rewritten, else None (nothing to do,
    or not the project's own store)."""
    db = sqlite_path(tracking_uri)
    if db is None or project is None or not experiment_id or "://" in artifact_location or not db.is_file():
        return None
    project = Path(os.path.abspath(project))
    new = os.path.abspath(artifact_location)
    if not _inside(Path(os.path.abspath(db)), project) or not _inside(Path(new), project):
        return None
    con = sqlite3.connect(str(db), timeout=60)
    try:
        row = con.execute("SELECT artifact_location FROM experiments WHERE experiment_id = ?",
                          (int(experiment_id),)).fetchone()
        if row is None or not row[0] or "://" in _local(row[0]):
            return None
        old = os.path.normpath(_local(row[0]))
        if old == new or _inside(Path(old), project):
            return None  # not moved, or pointing somewhere inside the project already: leave it
        with con:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            for table, column in LOCATION_COLUMNS:
                if table not in tables:
                    continue
                rows = con.execute(f"SELECT rowid, {column} FROM {table} WHERE {column} IS NOT NULL").fetchall()
                for rowid, value in rows:
                    moved = _moved(str(value), old, new)
                    if moved is not None:
                        con.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (moved, rowid))
        return old
    finally:
        con.close()
