"""``netspace refine NAME --space LABEL``: evidence for the next refinement of a design space, and its YAML."""

from __future__ import annotations

import json

import click

from netspace.cli.options import STORAGE_HELP
from netspace.platform.storage.urls import default_storage


def refine_campaign_space(url: str, campaign: str, label: str, **kwargs):
    """:func:`~netspace.platform.analysis.refine.refine_space` of a campaign study read from the storage."""
    from netspace.errors import CampaignError
    from netspace.platform.analysis.refine import refine_space, study_entry
    from netspace.platform.storage.results import load_trials, study_attrs

    attrs = study_attrs(url, campaign)
    if label not in attrs:
        raise CampaignError(f"campaign {campaign!r} has no space labelled {label!r} (it has: {', '.join(sorted(attrs))})")
    entry = study_entry(attrs[label], label)
    df = load_trials(url, campaign, [label], intermediate=False)
    from netspace.platform.campaign.recipe_space import study_recipe

    return refine_space(df, label, base=entry["base"], restrict=entry["restrict"], samples=entry["samples"],
                        regime=entry["regime"], taken_labels=set(attrs), recipe=study_recipe(attrs[label], label),
                        **kwargs)


@click.command(short_help="Evidence for refining a design space, and its YAML.")
@click.argument("name")
@click.option("--space", "label", required=True, help="the space's label in the campaign (default label: its name)")
@click.option("--storage", default=None, metavar="URL", help=STORAGE_HELP)
@click.option("--subsample", "--top-frac", "subsample", default=0.25, show_default=True,
              type=click.FloatRange(0.01, 1.0),
              help="random share of the models drawn per good-region round (the best model of each draw counts; "
                   "--top-frac is its old name)")
@click.option("--n-boot", default=400, show_default=True, type=click.IntRange(100, 100_000),
              help="good-region rounds")
@click.option("--n-null", default=None, type=click.IntRange(100, 100_000),
              help="error shuffles of the null (default: enough for the family of tests, at least 500)")
@click.option("--min-n", default=32,  # analysis.refine.MIN_N (not imported: the CLI starts without numpy)
              show_default=True, type=click.IntRange(1, 1_000_000),
              help="finished models needed before a restriction is proposed")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="machine-readable output (table rows and the YAML)")
def refine(name, label, storage, subsample, n_boot, n_null, min_n, seed, as_json):
    """Per parameter (and derived feature) of space LABEL in campaign NAME: the bootstrap good region of the best
    models and the error trend, each tested against populations with the errors shuffled; then a ready `spaces:`
    entry of the refined space to paste into the campaign file (restricted only where the evidence beats that null
    and the models inside the region are better than those outside)."""
    res = refine_campaign_space(storage or default_storage(), name, label, subsample=subsample, n_boot=n_boot,
                                n_null=n_null, min_n=min_n, seed=seed)
    if as_json:
        rows = json.loads(res.table.to_json(orient="records"))
        click.echo(json.dumps({"label": res.label, "new_label": res.new_label, "n": res.n, "table": rows,
                               "restrict": res.restrict, "yaml": res.yaml, "notes": res.notes, "check": res.check,
                               "training_yaml": res.training_yaml}, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    from netspace.platform.safetext import safe

    con = Console(width=170)
    t = Table(title=f"refining {safe(label)} of {safe(name)}: {res.n} finished models (good region: best model of a random "
                    f"{subsample:g} of the models, {n_boot} rounds; p: against shuffled errors, adjusted across all "
                    "rows)", title_justify="left")
    for col in ("parameter", "current", "good region (95 %)", "region p", "trend", "trend p", "proposed"):
        t.add_column(col)

    def num(v) -> bool:
        return v is not None and v == v

    for r in res.table.itertuples(index=False):
        good = f"[{r.good_lo:.4g}, {r.good_hi:.4g}]" if num(r.good_lo) else "-"
        trend = f"{r.direction} (slope {r.slope:.3g}, CI [{r.slope_lo:.3g}, {r.slope_hi:.3g}])" if num(r.slope) \
            else r.direction
        cur = r.current.split(" — ")[0] if r.kind == "parameter" else "derived"
        t.add_row(safe(r.parameter), safe(cur), good, _p(r.region_p) if num(r.region_p) else "-", safe(trend),
                  _p(r.trend_p) if num(r.trend_p) else "-", safe(str(r.proposed)))
    con.print(t)
    for note in res.notes:
        con.print(f"note: {safe(note)}", highlight=False)
    click.echo("\n# refined space: paste under `spaces:` in the campaign file, then `netspace run FILE`")
    click.echo(res.yaml, nl=False)
    if res.training_yaml:
        click.echo("\n# the best model's recipe: paste as the campaign's `training:` to carry it forward")
        click.echo(res.training_yaml, nl=False)


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"
