"""Case: `netspace dashboard` listens on 127.0.0.1 unless told otherwise, prints the address it really uses,
and enables Promote only on request (flag or env), passing the choice to the app through the environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> list[str]:
    """Local addresses with a LISTEN socket on ``port`` (from /proc/net/tcp and tcp6)."""
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, p = local.split(":")
            if state == "0A" and int(p, 16) == port:
                if len(addr) == 8:
                    out.append(socket.inet_ntop(socket.AF_INET, bytes.fromhex(addr)[::-1]))
                else:
                    raw = bytes.fromhex(addr)
                    out.append(socket.inet_ntop(socket.AF_INET6, b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))))
    return out


def _serve(tmp_path, *args, env_extra=None):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "NETSPACE_DASHBOARD_PROMOTE"}
    env.update({"PYTHONUNBUFFERED": "1", **(env_extra or {})})
    log = open(tmp_path / f"dash-{port}.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "netspace", "dashboard", "--storage",
                             f"sqlite:///{tmp_path}/x.db", "--port", str(port), *args],
                            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 45
    while time.time() < deadline and not _listening(port):
        assert proc.poll() is None, (tmp_path / f"dash-{port}.log").read_text()
        time.sleep(0.3)
    return proc, port, (tmp_path / f"dash-{port}.log")


def _stop(proc):
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(kv.decode().split("=", 1) for kv in raw if b"=" in kv)


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="needs Linux /proc")
def test_default_is_loopback_and_promote_off(tmp_path):
    proc, port, log = _serve(tmp_path)
    try:
        assert _listening(port) == ["127.0.0.1"]
        assert f"netspace dashboard on http://127.0.0.1:{port}" in log.read_text()
        assert "promote disabled" in log.read_text()
        assert _environ(proc.pid)["NETSPACE_DASHBOARD_PROMOTE"] == "0"  # the streamlit server replaced the CLI
    finally:
        _stop(proc)


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="needs Linux /proc")
def test_share_and_enable_promote(tmp_path):
    proc, port, log = _serve(tmp_path, "--address", "0.0.0.0", "--enable-promote")
    try:
        assert _listening(port) == ["0.0.0.0"]
        text = log.read_text()
        assert f"http://{socket.gethostname()}:{port}" in text and "every interface" in text
        assert "promote enabled" in text
        assert _environ(proc.pid)["NETSPACE_DASHBOARD_PROMOTE"] == "1"
    finally:
        _stop(proc)


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="needs Linux /proc")
def test_promote_enabled_by_environment(tmp_path):
    proc, port, log = _serve(tmp_path, env_extra={"NETSPACE_DASHBOARD_PROMOTE": "1"})
    try:
        assert "promote enabled" in log.read_text()
        assert _environ(proc.pid)["NETSPACE_DASHBOARD_PROMOTE"] == "1"
    finally:
        _stop(proc)
