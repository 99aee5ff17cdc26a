"""``netspace refine NAME --space LABEL``: evidence for the next refinement of a design space, and its YAML."""

from __future__ import annotations

import json

import click

from netspace.platform.storage.urls import ENV_STORAGE, default_storage


@click.command()
@click.argument("name")
@click.option("--space", "label", required=True, help="the space's label in the campaign (default label: its name)")
@click.option("--storage", envvar=ENV_STORAGE, default=None, metavar="URL",
              help="campaign storage (default: $NETSPACE_STORAGE or sqlite:///netspace.db)")
@click.option("--top-frac", default=0.25, show_default=True, type=click.FloatRange(0.01, 1.0),
              help="share of the models drawn per bootstrap round for the good region")
@click.option("--n-boot", default=2000, show_default=True, type=click.IntRange(100, 100_000))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="machine-readable output (table rows and the YAML)")
def refine(name, label, storage, top_frac, n_boot, seed, as_json):
    """Per parameter of space LABEL in campaign NAME: the bootstrap good region of the best models and the error
    trend; then a ready `spaces:` entry of the refined space to paste into the campaign file."""
    from netspace.platform.analysis.refine import refine_campaign_space

    res = refine_campaign_space(storage or default_storage(), name, label, top_frac=top_frac, n_boot=n_boot,
                                seed=seed)
    if as_json:
        rows = json.loads(res.table.to_json(orient="records"))
        click.echo(json.dumps({"label": res.label, "new_label": res.new_label, "n": res.n, "table": rows,
                               "restrict": res.restrict, "yaml": res.yaml, "notes": res.notes,
                               "training_yaml": res.training_yaml}, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    con = Console(width=160)
    t = Table(title=f"refining {label} of {name}: {res.n} finished models (good region: best of {top_frac:g} of "
                    f"the models, {n_boot} bootstrap rounds)", title_justify="left")
    for col in ("parameter", "current", "good region (95 %)", "trend", "proposed"):
        t.add_column(col)
    for r in res.table.itertuples(index=False):
        good = "-" if r.good_lo != r.good_lo or r.good_lo is None else f"[{r.good_lo:.4g}, {r.good_hi:.4g}]"
        trend = r.direction if r.slope != r.slope or r.slope is None else \
            f"{r.direction} (slope {r.slope:.3g}, CI [{r.slope_lo:.3g}, {r.slope_hi:.3g}])"
        t.add_row(r.parameter, r.current.split(" — ")[0], good, trend, str(r.proposed))
    con.print(t)
    for note in res.notes:
        con.print(f"note: {note}", highlight=False)
    click.echo("\n# refined space: paste under `spaces:` in the campaign file, then `netspace run FILE`")
    click.echo(res.yaml, nl=False)
    if res.training_yaml:
        click.echo("\n# the best model's recipe: paste as the campaign's `training:` to carry it forward")
        click.echo(res.training_yaml, nl=False)
