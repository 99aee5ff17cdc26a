"""Failing well, bounded input: real `netspace` processes fed hostile campaign files answer with one line, fast,
under a memory limit (issue 18: alias bomb, huge quoted values, non-UTF-8 bytes)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
NETSPACE = [sys.executable, "-m", "netspace"]


def _limit(gb: int):
    def preexec():  # address space far below what an expanded bomb needs (torch alone maps ~2 GB)
        resource.setrlimit(resource.RLIMIT_AS, (gb << 30, gb << 30))
    return preexec


def _run(args, cwd, gb=1, timeout=60):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.monotonic()
    proc = subprocess.run([*NETSPACE, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env,
                          preexec_fn=_limit(gb))
    return proc, time.monotonic() - t0


def _one_line(proc) -> str:
    text = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 2, text[-2000:]
    assert "Traceback" not in text and len(text.splitlines()) == 1, text[-2000:]
    assert text.startswith("error: ")
    return text


def _bomb(levels: int = 10, key: str = "name") -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    lines.append(f"{key}: *a{levels - 1}")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_one_line_within_5_s_under_a_memory_limit(tmp_path):
    for key in ("name", "spaces", "dataset"):
        (tmp_path / "bomb.yaml").write_text(_bomb(key=key))
        proc, took = _run(["run", "bomb.yaml", "--quiet"], tmp_path)
        line = _one_line(proc)
        assert took < 5, took
        assert "aliases" in line and "bomb.yaml:2" in line
        assert not (tmp_path / "netspace.db").exists()  # refused before anything was stored


def test_alias_bomb_in_restrict_is_one_line(tmp_path):
    proc, took = _run(["spaces", "describe", "regnetx", "--restrict", _bomb(key="d")], tmp_path, gb=4)
    assert "aliases" in _one_line(proc) and took < 60  # torch import dominates on a loaded host


def test_a_huge_quoted_value_is_cut_to_about_80_characters(tmp_path):
    (tmp_path / "long.yaml").write_text(f"name: {'x' * 200_000}\nspaces: [{{space: regnetx, samples: 1}}]\n")
    line = _one_line(_run(["run", "long.yaml", "--quiet"], tmp_path, gb=4)[0])
    assert len(line) < 400, len(line)
    (tmp_path / "long.yaml").write_text(f"name: ok\nspaces: [{{space: '{'y' * 100_000}', samples: 1}}]\n")
    line = _one_line(_run(["run", "long.yaml", "--quiet"], tmp_path, gb=4)[0])
    assert len(line) < 600, len(line)


def test_non_utf8_file_is_one_line_naming_the_offset(tmp_path):
    (tmp_path / "latin1.yaml").write_bytes("name: café\nspaces: []\n".encode("latin-1"))
    line = _one_line(_run(["run", "latin1.yaml", "--quiet"], tmp_path)[0])
    assert "not UTF-8" in line and "offset 9" in line and "0xe9" in line


def test_clip_unit():
    from netspace.platform.campaign.yamlfile import clip

    assert clip("got 'abc'") == "got 'abc'"
    out = clip("got '" + "z" * 5000 + "' and \"" + "q" * 300 + '"')
    assert len(out) < 250 and "5,000 characters" in out and "300 characters" in out
