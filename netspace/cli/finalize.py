"""``netspace finalize NAME``: train the chosen networks of a campaign at full schedules with repeated seeds."""

from __future__ import annotations

import json

import click

from netspace.cli.options import address_option, json_option, storage_option


@click.command(short_help="Train chosen networks at full schedules over seeds.")
@click.argument("name")
@click.option("--top", type=click.IntRange(1, 1000), default=None,
              help="the K networks with the lowest error (default 1 when nothing is planned yet)")
@click.option("--trial", "trials", multiple=True, metavar="SPACE#N", help="a network to finalize (repeatable)")
@click.option("--epochs", default=None, metavar="E1,E2",
              help="comma-separated epoch counts, each trained from scratch (default: the campaign's epochs)")
@click.option("--seeds", default=1, show_default=True, type=click.IntRange(1, 100), help="seeds per network and epochs")
@click.option("--workers", type=click.IntRange(1, 1024), default=None,
              help="train each run data-parallel on N Ray Train workers (DDP; gloo on CPU, NCCL on GPUs), each with "
                   "the campaign's cpus_per_trial (default: as stored by an earlier finalize, else 1)")
@click.option("--gpus-per-worker", type=click.FloatRange(0, 64), default=None,
              help="GPUs of each data-parallel worker (0: CPU; at least 1 with several workers)")
@storage_option()
@address_option()
@click.option("--quiet", is_flag=True, help="No live progress display")
@json_option()
def finalize(name, top, trials, epochs, seeds, workers, gpus_per_worker, storage, address, quiet, as_json):
    """Train the chosen networks of campaign NAME at each epoch count x seed, as the tracked stage NAME::final
    (resumable: run the same command, or `netspace finalize NAME`, again after an interruption); prints the mean and
    std of the error per network and epoch count."""
    from netspace.errors import CampaignError
    from netspace.platform.campaign.finalize import finalize_campaign, format_table
    from netspace.platform.campaign.state import campaign_mlflow_store
    from netspace.platform.storage.urls import store_line

    if top is not None and trials:
        raise CampaignError("give either --top or --trial, not both")
    click.echo(store_line(campaign_mlflow_store(name, storage, own=True)), err=as_json)
    s = finalize_campaign(name, storage=storage, top=top, trials=list(trials) or None, epochs=epochs, seeds=seeds,
                          address=address, show_progress=not quiet, workers=workers, gpus_per_worker=gpus_per_worker)
    if as_json:
        click.echo(json.dumps({"campaign": s.campaign, "target": s.target, "finished": s.finished,
                               "failed": s.failed, "table": s.table}, indent=2, default=str))
    else:
        click.echo(f"final training of {s.campaign}: {s.finished}/{s.target} runs finished, {s.failed} failed "
                   f"({s.wall_s:.1f} s); error per network and epochs (mean ± std over seeds):")
        for line in format_table(s.table):
            click.echo("  " + line)
    if not s.complete:
        raise CampaignError(f"final training of {name} did not finish every run; run `netspace finalize {name}` again")
