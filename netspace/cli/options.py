"""The vocabulary every ``netspace`` command shares: option names, metavars and help wordings, trial ids and number
formats. A command takes its ``--storage``, ``--tracking-uri``, ``--address`` and ``--json`` from here, so they read
the same everywhere."""

from __future__ import annotations

import click

STORAGE_HELP = "campaign storage URL (default: $NETSPACE_STORAGE, else sqlite:///netspace.db)"
TRACKING_HELP = "MLflow store (default: $MLFLOW_TRACKING_URI, else the campaign's, else sqlite:///mlflow.db)"
ADDRESS_HELP = "Ray cluster to join (HOST:6379 or auto; default: start Ray locally)"
JSON_HELP = "machine-readable output (JSON)"

#: config field -> the paper's parameter name, as `spaces describe`, `--restrict`, `refine` and `zoo` write them
SHORT_NAMES = {"depth": "d", "depths": "d", "widths": "w", "bottleneck_ratio": "b", "bottleneck_ratios": "b",
               "group_width": "g", "group_widths": "g"}


def storage_option(extra: str = ""):
    """``--storage URL`` (the environment and the default are read by ``storage.urls.resolve_url``)."""
    return click.option("--storage", default=None, metavar="URL", help=STORAGE_HELP + extra)


def tracking_option():
    return click.option("--tracking-uri", metavar="URI", default=None, help=TRACKING_HELP)


def address_option():
    return click.option("--address", default=None, metavar="ADDR", help=ADDRESS_HELP)


def json_option(help: str = JSON_HELP):
    return click.option("--json", "as_json", is_flag=True, help=help)


def trial_id(space: str, number: object) -> str:
    """The one way a trial is named to users: ``space#number`` (``space:number`` is still accepted as input)."""
    return f"{space}#{number}"


def fmt_flops(x) -> str:
    """FLOPs (multiply-adds) as every command prints them: ``4.1 MF``, ``400 MF``, ``1.6 GF``."""
    from netspace.platform.reporting.style import fmt_flops as fmt

    return fmt(x)


def fmt_count(x) -> str:
    """Parameter and activation counts: ``5.2 M``, ``120 k``."""
    from netspace.platform.reporting.style import fmt_params

    return fmt_params(x)


def short_config(cfg: dict) -> str:
    """A config on one line with the paper's parameter names (``d=13 w0=24 wa=36.4 wm=2.49 b=1 g=8``)."""
    parts = []
    for k, v in cfg.items():
        if isinstance(v, float):
            v = f"{v:.4g}"
        elif isinstance(v, list):
            v = "[" + ",".join(f"{x:.4g}" if isinstance(x, float) else str(x) for x in v) + "]"
        parts.append(f"{SHORT_NAMES.get(k, k)}={v}")
    return " ".join(parts)
