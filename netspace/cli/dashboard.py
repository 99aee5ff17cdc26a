"""``netspace dashboard``: the Streamlit dashboard (headless server) on a campaign storage."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import click

from netspace.cli.options import STORAGE_HELP
from netspace.platform.storage.urls import ENV_STORAGE, default_storage, mask_secrets, normalize_url

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
DEFAULT_ADDRESS = "127.0.0.1"
#: "1" enables the in-page Promote button (off by default: anyone who reaches the page could use it)
ENV_PROMOTE = "NETSPACE_DASHBOARD_PROMOTE"


def streamlit_command(port: int, address: str = DEFAULT_ADDRESS) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true", "--server.port", str(port),
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", "--client.toolbarMode", "viewer",
            "--server.address", address]


def shown_url(address: str, port: int) -> str:
    """The URL to print: the address really listened on (``0.0.0.0``/``::`` mean every interface)."""
    host = address if address not in ("0.0.0.0", "::", "") else socket.gethostname()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


@click.command(short_help="Serve the live dashboard of a campaign storage.")
@click.option("--storage", default=None, metavar="URL", help=STORAGE_HELP)
@click.option("--port", default=8501, show_default=True, type=int, help="HTTP port")
@click.option("--address", default=DEFAULT_ADDRESS, show_default=True,
              help="address to listen on; 0.0.0.0 shares the dashboard on every interface")
@click.option("--enable-promote", is_flag=True, default=False,
              help=f"show the Promote button (it writes to the MLflow registry) [env {ENV_PROMOTE}=1]")
def dashboard(storage: str | None, port: int, address: str, enable_promote: bool):
    """Serve the dashboard: live progress, error EDFs, complexity, trends and the best networks."""
    url = storage or default_storage()
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        # a relative SQLite path is relative to where the command runs, whatever streamlit's cwd is
        url = "sqlite:///" + str(Path(url[len("sqlite:///"):]).resolve())
    url = normalize_url(url)  # postgresql:// as `netspace run` reads it (psycopg2 when psycopg is missing)
    env = dict(os.environ, **{ENV_STORAGE: url})  # passed through the environment: no password in `ps`
    promote = enable_promote or os.environ.get(ENV_PROMOTE) == "1"
    env[ENV_PROMOTE] = "1" if promote else "0"
    where = "" if address not in ("0.0.0.0", "::") else ", listening on every interface"
    click.echo(f"netspace dashboard on {shown_url(address, port)} (storage {mask_secrets(url)}{where}; "
               f"promote {'enabled' if promote else 'disabled'})")
    cmd = streamlit_command(port, address)
    sys.stdout.flush()
    os.execvpe(cmd[0], cmd, env)  # the server replaces this process (Ctrl-C / SIGTERM reach it directly)
