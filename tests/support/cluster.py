"""Helpers of the cluster tests (the fixtures stay in tests/cluster/conftest.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent

_NODES_CODE = """
import json, ray
ray.init(address=%r, logging_level="ERROR", log_to_driver=False)
print(json.dumps([{"id": n["NodeID"], "resources": n["Resources"]} for n in ray.nodes() if n["Alive"]]))
"""


def cluster_nodes(cluster) -> list[dict]:
    """The live nodes of ``cluster`` (a conftest RayCluster: its address and env), asked from a fresh process."""
    proc = subprocess.run([sys.executable, "-c", _NODES_CODE % cluster.address], env=cluster.env,
                          capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        return []
    return json.loads(proc.stdout.strip().splitlines()[-1])
