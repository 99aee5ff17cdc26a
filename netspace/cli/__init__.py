"""The ``netspace`` command. Each command group lives in its own module and is listed in ``COMMANDS``;
any :class:`~netspace.errors.NetspaceError` becomes ``error: <one line>`` and exit status 2."""

from __future__ import annotations

import importlib
import importlib.util
import sys

import click

from netspace import __version__
from netspace.errors import NetspaceError

#: command name -> "module:attribute" (imported only when the command runs, so `netspace --help` stays fast)
COMMANDS = {
    "spaces": "netspace.cli.spaces:spaces",
    "train": "netspace.cli.train:train",
    "data": "netspace.cli.data:data",
    "run": "netspace.cli.campaign:run",
    "resume": "netspace.cli.campaign:resume",
    "status": "netspace.cli.campaign:status",
    "list": "netspace.cli.campaign:list_command",
    "report": "netspace.cli.report:report",
    "refine": "netspace.cli.refine:refine",
    "finalize": "netspace.cli.finalize:finalize",
    "dashboard": "netspace.cli.dashboard:dashboard",
    "promote": "netspace.cli.promote:promote",
    "models": "netspace.cli.promote:models",
    "zoo": "netspace.cli.zoo:zoo",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(name for name, target in COMMANDS.items() if _importable(target))

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None or not _importable(target):
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


def _importable(target: str) -> bool:
    return importlib.util.find_spec(target.split(":")[0]) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="netspace")
def cli():
    """Design network design spaces: sample populations, train them cheaply, compare error EDFs."""


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="netspace", standalone_mode=False)
    except NetspaceError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    except click.exceptions.Abort as exc:  # click turns KeyboardInterrupt into Abort: keep the driver's line
        cause = exc.__cause__ or exc.__context__
        said = str(cause) if isinstance(cause, KeyboardInterrupt) else ""
        click.echo(said if said.startswith("interrupted") else "aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except OSError as exc:  # a full disk anywhere else: one line, never a traceback
        from netspace.workers.diskspace import is_disk_full

        if not is_disk_full(exc):
            raise
        from netspace.platform.redact import one_line, redact

        click.echo(f"error: disk full: {redact(one_line(exc, 200))}; free space, then run the command again", err=True)
        return 2
    except KeyboardInterrupt as exc:
        click.echo(str(exc) if str(exc).startswith("interrupted") else "interrupted", err=True)
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
