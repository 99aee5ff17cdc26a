"""Every command's --help fits 100 columns, with whole summaries (no '...' cut), and the commands share one
vocabulary for the options they have in common (issue 19)."""

from __future__ import annotations

import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from netspace.cli import cli
from netspace.cli.options import STORAGE_HELP, TRACKING_HELP


def _paths(cmd: click.Command, path: list[str]):
    yield path, cmd
    if isinstance(cmd, click.Group):
        ctx = click.Context(cmd)
        for name in cmd.list_commands(ctx):
            yield from _paths(cmd.get_command(ctx, name), [*path, name])


COMMANDS = list(_paths(cli, []))


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p) or "netspace")
def test_help_fits_100_columns_without_cut_summaries(path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    res = CliRunner().invoke(cli, [*path, "--help"], terminal_width=100, prog_name="netspace")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert [ln for ln in lines if len(ln) > 100] == []
    assert [ln for ln in lines if "..." in ln and not ln.startswith("Usage:")] == []


def test_shared_options_read_the_same_everywhere():
    storage_helps, tracking_helps = set(), set()
    for _path, cmd in COMMANDS:
        for p in cmd.params:
            if p.name == "storage":
                storage_helps.add((p.metavar, p.help.split(";")[0]))
            if p.name == "tracking_uri":
                tracking_helps.add((p.metavar, p.help))
    assert storage_helps == {("URL", STORAGE_HELP)}
    assert tracking_helps == {("URI", TRACKING_HELP)}


def test_a_real_terminal_of_100_columns():
    proc = subprocess.run([sys.executable, "-m", "netspace", "--help"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "100"})
    assert proc.returncode == 0, proc.stderr
    assert max(len(ln) for ln in proc.stdout.splitlines()) <= 100
    assert "promote" in proc.stdout and "..." not in proc.stdout.replace("[ARGS]...", "")


def test_old_option_names_still_work():
    res = CliRunner().invoke(cli, ["spaces", "sample", "regnetx", "-n", "2", "--regime", "1M:6M", "--resolution",
                                   "32", "--json"])
    assert res.exit_code == 0, res.output
    new = CliRunner().invoke(cli, ["spaces", "sample", "regnetx", "-n", "2", "--flops", "1M:6M", "--resolution",
                                   "32", "--json"])
    assert res.output == new.output and len(new.output.splitlines()) == 2
