"""``netspace report NAME``: a self-contained index.html (inline SVG figures, provenance), the figures as PDFs,
and trials.csv of a campaign."""

from __future__ import annotations

import click

from netspace.cli.options import storage_option
from netspace.platform.storage.urls import mask_secrets, resolve_url, store_line


@click.command(short_help="Write a campaign report (figures, tables, trials.csv).")
@click.argument("name")
@storage_option()
@click.option("--out", "out_dir", default=None, metavar="DIR", help="output folder (default: reports/NAME)")
@click.option("--space", "spaces", multiple=True, help="only these design spaces (repeatable; first is the KS reference)")
def report(name: str, storage: str | None, out_dir: str | None, spaces: tuple[str, ...]):
    """Write a campaign report: one self-contained index.html (EDFs with bootstrap bands, normalized EDFs, error
    vs complexity and runtime, parameter trends, search efficiency, complexity fits, best models across regimes,
    provenance), every figure also as a PDF, and trials.csv."""
    import shlex

    from netspace.platform.campaign.state import campaign_mlflow_store
    from netspace.platform.reporting.report import build_report

    url = resolve_url(storage)
    typed = click.get_current_context().get_parameter_source("storage") == click.core.ParameterSource.COMMANDLINE
    command = shlex.join(["netspace", "report", name, *(["--storage", storage] if storage and typed else []),
                          *(["--out", out_dir] if out_dir else []), *[a for s in spaces for a in ("--space", s)]])
    rep = build_report(url, name, out_dir or f"reports/{name}", spaces=list(spaces) or None, command=command)
    click.echo(f"report of {name} ({mask_secrets(url)}): {rep.n_finished} finished trials")
    click.echo(store_line(campaign_mlflow_store(name, url)))
    if rep.summary is not None:
        for row in rep.summary.itertuples(index=False):
            click.echo(f"  {row.space:<14} n={row.n:<6} min={row.min_error:6.2f}%  median={row.median_error:6.2f}%  "
                       f"KS vs first={row.ks_vs_first:.3f}")
    if rep.comparisons is not None:
        for row in rep.comparisons.itertuples(index=False):
            click.echo(f"  {row.a} vs {row.b}: KS {row.ks:.3f}, median diff {row.median_diff:+.2f} pp "
                       f"[{row.diff_lo:+.2f}, {row.diff_hi:+.2f}] — {row.verdict}")
    for w in rep.warnings:
        click.echo(f"  warning: {w}")
    for p in [rep.index, rep.csv, *rep.figures]:
        click.echo(f"  {p}")
