"""``netspace zoo show|export NAME``: the best models across a campaign's regimes, and the top network of each
regime as presets YAML (for ``references:`` and ``netspace train --preset`` via ``$NETSPACE_PRESETS``)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from netspace.cli.options import STORAGE_HELP
from netspace.platform.storage.urls import default_storage

_storage = click.option("--storage", default=None, metavar="URL", help=STORAGE_HELP)
_group = click.option("--group", default=None, metavar="KEY",
                      help="only the regimes of this entry (its `regimes:` key; default: every study)")


def _table(storage, name, k, group):
    from netspace.platform.analysis.zoo import best_across_regimes
    from netspace.platform.storage.results import load_trials, study_attrs

    url = storage or default_storage()
    attrs = study_attrs(url, name)
    groups = {label: a.get("regime_of") for label, a in attrs.items()}
    table = best_across_regimes(load_trials(url, name, intermediate=False), k=k, groups=groups)
    if group is not None:
        table = table[table["group"] == group].reset_index(drop=True)
    return table, attrs


@click.group()
def zoo():
    """The best model of every regime (the paper's model zoo)."""


@zoo.command("show", short_help="Table of the best K models per regime.")
@click.argument("name")
@_storage
@_group
@click.option("-k", "--top", "k", default=1, show_default=True, type=click.IntRange(1, 100), help="best k per regime")
@click.option("--figure", type=click.Path(dir_okay=False), default=None, help="also plot d, w0, wa, wm, g, b, e_fit vs FLOPs")
@click.option("--json", "as_json", is_flag=True)
def show(name, storage, group, k, figure, as_json):
    """Table of the best K models per regime of campaign NAME with d, w0, wa, wm, g, b and e_fit."""
    table, _ = _table(storage, name, k, group)
    if figure:
        from netspace.platform.reporting.experiments import plot_best_across_regimes

        plot_best_across_regimes(table, figure)
    cols = [c for c in table.columns if c != "config"]
    if as_json:
        click.echo(json.dumps(json.loads(table[cols].to_json(orient="records")), indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    from netspace.cli.options import fmt_count, fmt_flops

    def cell(col: str, v) -> str:
        if v is None or (isinstance(v, float) and v != v):
            return "-"
        if col == "flops":
            return fmt_flops(v)
        if col in ("params", "acts"):
            return fmt_count(v)
        if col == "error":
            return f"{v:.2f} %"
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    heads = {"flops": "FLOPs", "inference_ms": "inference ms"}
    t = Table(*[heads.get(c, c) for c in cols], title=f"best {k} per regime of {name}", title_justify="left")
    for r in table[cols].itertuples(index=False):
        t.add_row(*[cell(c, v) for c, v in zip(cols, r)])
    Console(width=200).print(t)


@zoo.command("export", short_help="Write the top network of each regime as presets YAML.")
@click.argument("name")
@_storage
@_group
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="presets YAML to write")
@click.option("--prefix", default=None, help="preset names are PREFIX-<regime label> (default: the campaign name)")
def export(name, storage, group, out, prefix):
    """Write the top network of each regime of campaign NAME as presets YAML; use them with
    NETSPACE_PRESETS=FILE in `references:` or `netspace train --preset`."""
    from netspace.errors import NetspaceError
    from netspace.platform.analysis.zoo import zoo_presets
    from netspace.search_spaces.preset_files import parse_presets, presets_yaml

    table, attrs = _table(storage, name, 1, group)
    presets = zoo_presets(table, attrs, name, prefix)
    if not presets:
        raise NetspaceError(f"campaign {name!r} has no finished trials" + (f" in group {group!r}" if group else ""))
    text = presets_yaml(presets)
    import yaml

    parse_presets(yaml.safe_load(text), out)  # what is written must load back
    Path(out).write_text(text)
    for p in presets:
        click.echo(f"{p.name}: {p.space}, {p.reference.flops} FLOPs ({p.summary.split(': ')[-1]})")
    click.echo(f"wrote {len(presets)} presets to {out}; use them with NETSPACE_PRESETS={Path(out).resolve()}")
