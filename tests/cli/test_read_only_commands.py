"""Read-only commands never create stores: pointed at a missing MLflow store they say so in one line."""

from __future__ import annotations

import subprocess
import sys


def test_models_on_a_missing_sqlite_store_creates_nothing(tmp_path):
    missing = tmp_path / "nonexistent" / "x.db"
    proc = subprocess.run([sys.executable, "-m", "netspace", "models", "--tracking-uri", f"sqlite:///{missing}"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "no MLflow store" in lines[0] and str(missing) in lines[0], proc.stderr
    assert not missing.parent.exists(), "a read-only command created the store's folder"
    assert not any(tmp_path.iterdir()), sorted(p.name for p in tmp_path.iterdir())
