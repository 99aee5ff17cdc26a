"""Real services for the cluster tests: fresh PostgreSQL databases, a multi-node Ray cluster made of separate
`ray start` processes, and an `mlflow server` process. Everything is torn down by process group (and by the
test's unique temp dir), never with `ray stop`, which would stop every Ray on the machine."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.cluster import BIN, cluster_nodes
from tests.support.services import PG_HOST, PG_PORT


def env_example() -> dict[str, str]:
    out = {}
    for line in (Path(__file__).resolve().parents[2] / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _kill_group(proc: subprocess.Popen, grace_s: float = 3.0) -> None:
    """SIGTERM the process group of ``proc`` (children may outlive the leader), SIGKILL what is left."""
    for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.time() + wait
        while time.time() < deadline and _group_alive(proc.pid):
            time.sleep(0.2)
        if not _group_alive(proc.pid):
            break
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover
        pass


def _group_alive(pgid: int) -> bool:
    for pid in _pids():
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
        except (OSError, IndexError, ValueError):
            continue
    return False


def _pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def kill_by_marker(marker: str) -> list[int]:
    """SIGKILL every process of ours whose command line contains ``marker`` (a unique temp dir)."""
    killed = []
    me = os.getpid()
    for pid in _pids():
        if pid == me:
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().decode(errors="replace")
        except OSError:
            continue
        if marker in cmd:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except ProcessLookupError:
                pass
    return killed


@dataclass
class RayCluster:
    address: str  # GCS address, host:port
    temp_dir: str
    env: dict[str, str]
    procs: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def log_tail(self, n: int = 3000) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-n:]}" for p in self.logs if p.exists())


def _ray_start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "ray"), "start", *args], env=env, start_new_session=True,
                            stdout=open(log, "w"), stderr=subprocess.STDOUT)


def _wait(predicate, timeout: float, what: str, on_fail=lambda: ""):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s\n{on_fail()}")


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory):
    """A Ray head and a second Ray node (custom resource ``second_node``), one CPU each, token authentication."""
    # short root: Ray puts unix sockets under it
    temp_dir = tempfile.mkdtemp(prefix="nsray-", dir="/tmp")
    logs = tmp_path_factory.mktemp("raylogs")
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32),
           "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    gcs = free_port()
    common = ["--num-cpus", "1", "--num-gpus", "0", "--node-ip-address", "127.0.0.1", "--temp-dir", temp_dir,
              "--object-store-memory", str(100 * 2**20), "--disable-usage-stats", "--block"]

    def node_ports():  # each node on this machine needs its own agent ports (defaults collide)
        return ["--dashboard-agent-listen-port", str(free_port()), "--metrics-export-port", str(free_port()),
                "--runtime-env-agent-port", str(free_port())]

    cluster = RayCluster(address=f"127.0.0.1:{gcs}", temp_dir=temp_dir, env=env)
    try:
        cluster.logs.append(logs / "head.log")
        cluster.procs.append(_ray_start(["--head", "--port", str(gcs), "--include-dashboard", "false", *node_ports(),
                                         *common], env, cluster.logs[-1]))
        _wait(lambda: _alive(cluster) and subprocess.run([str(BIN / "ray"), "health-check", "--address", cluster.address], env=env,
                                     capture_output=True).returncode == 0, 90, "Ray head", cluster.log_tail)
        cluster.logs.append(logs / "node2.log")
        cluster.procs.append(_ray_start(["--address", cluster.address, "--resources", json.dumps({"second_node": 1}),
                                         *node_ports(), *common], env, cluster.logs[-1]))
        _wait(lambda: _alive(cluster) and len(cluster_nodes(cluster)) == 2, 90, "second Ray node", cluster.log_tail)
        yield cluster
    finally:
        for proc in reversed(cluster.procs):
            _kill_group(proc)
        kill_by_marker(temp_dir)
        shutil.rmtree(temp_dir, ignore_errors=True)


def _alive(cluster: RayCluster) -> bool:
    for proc, _log in zip(cluster.procs, cluster.logs):
        if proc.poll() is not None:
            raise RuntimeError(f"`ray start` exited with {proc.returncode}:\n{cluster.log_tail()}")
    return True


@dataclass
class MlflowServer:
    url: str
    artifacts: Path
    proc: subprocess.Popen
    log: Path


@pytest.fixture(scope="module")
def mlflow_server(pg_databases, tmp_path_factory):
    """`mlflow server` with a fresh PostgreSQL backend store and a served local artifact root. The backend URL (with
    a password that trust auth ignores) reaches the server through its environment only."""
    root = tmp_path_factory.mktemp("mlflow")
    db = pg_databases("netspace_mlflow")
    port = free_port()
    env = {**os.environ,
           "MLFLOW_BACKEND_STORE_URI": f"postgresql+psycopg2://postgres:mlflow-pw@{PG_HOST}:{PG_PORT}/{db}",
           "MLFLOW_ARTIFACTS_DESTINATION": str(root / "artifacts"),
           # the value docker-compose.yml gets from .env.example
           "MLFLOW_SERVER_ALLOWED_HOSTS": env_example()["MLFLOW_ALLOWED_HOSTS"]}
    env.pop("MLFLOW_TRACKING_URI", None)
    log = root / "server.log"
    proc = subprocess.Popen([str(BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
                             "--serve-artifacts", "--workers", "1"],
                            env=env, cwd=root, start_new_session=True, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    server = MlflowServer(url=f"http://127.0.0.1:{port}", artifacts=root / "artifacts", proc=proc, log=log)
    try:
        def healthy():
            if proc.poll() is not None:
                raise RuntimeError(f"mlflow server exited: {log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{server.url}/health", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False

        _wait(healthy, 120, "mlflow server", lambda: log.read_text()[-3000:])
        yield server
    finally:
        _kill_group(proc)
