"""``netspace dashboard``: the Streamlit dashboard (headless server) on a campaign storage."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from netspace.platform.storage.urls import ENV_STORAGE, default_storage, mask_secrets

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"


def streamlit_command(port: int, address: str | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true", "--server.port", str(port),
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", "--client.toolbarMode", "viewer"]
    if address:
        cmd += ["--server.address", address]
    return cmd


@click.command()
@click.option("--storage", envvar=ENV_STORAGE, default=None, metavar="URL",
              help="campaign storage (default: $NETSPACE_STORAGE or sqlite:///netspace.db)")
@click.option("--port", default=8501, show_default=True, type=int, help="HTTP port")
@click.option("--address", default=None, help="address to listen on (default: Streamlit's, all interfaces)")
def dashboard(storage: str | None, port: int, address: str | None):
    """Serve the dashboard: live progress, error EDFs, complexity, trends and the best networks."""
    url = storage or default_storage()
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        # a relative SQLite path is relative to where the command runs, whatever streamlit's cwd is
        url = "sqlite:///" + str(Path(url[len("sqlite:///"):]).resolve())
    env = dict(os.environ, **{ENV_STORAGE: url})  # passed through the environment: no password in `ps`
    click.echo(f"netspace dashboard on http://{address or 'localhost'}:{port} (storage {mask_secrets(url)})")
    cmd = streamlit_command(port, address)
    sys.stdout.flush()
    os.execvpe(cmd[0], cmd, env)  # the server replaces this process (Ctrl-C / SIGTERM reach it directly)
