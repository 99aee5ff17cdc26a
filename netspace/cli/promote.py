"""``netspace promote`` and ``netspace models``: the MLflow model registry from the command line."""

from __future__ import annotations

import datetime as _dt

import click


@click.command()
@click.argument("name")
@click.option("--trial", "trial", metavar="ID", help="Trial to promote: 'space:number', or a number when unambiguous.")
@click.option("--top", "top_k", type=int, metavar="K", help="Register the K best finished trials.")
@click.option("--space", help="Only consider this design space of the campaign.")
@click.option("--alias", default="champion", show_default=True, help="Alias set on the (best) promoted version.")
@click.option("--registered-name", metavar="N", help="Registered model name [default: netspace-NAME].")
@click.option("--storage", metavar="URL", envvar="NETSPACE_STORAGE",
              help="Campaign storage URL (Optuna RDB) [env NETSPACE_STORAGE; default sqlite:///netspace.db].")
@click.option("--tracking-uri", metavar="URI",
              help="MLflow tracking URI [default: env MLFLOW_TRACKING_URI, else the campaign's].")
@click.option("--force", is_flag=True, help="Move the alias even to a network with a higher error than it names.")
def promote(name, trial, top_k, space, alias, registered_name, storage, tracking_uri, force):
    """Register the best network of campaign NAME in the MLflow model registry under an alias."""
    from netspace.platform.tracking.promote import describe
    from netspace.platform.tracking.promote import promote as do_promote

    models = do_promote(storage, name, trial_number=trial, top_k=top_k, space=space, alias=alias or None,
                        registered_name=registered_name, tracking_uri=tracking_uri, force=force)
    for line in describe(models):
        click.echo(line)
    if models and models[0].alias:
        click.echo(f"load with: mlflow.pytorch.load_model(\"models:/{models[0].name}@{models[0].alias}\")")


@click.command()
@click.option("--tracking-uri", metavar="URI",
              help="MLflow tracking URI [default: env MLFLOW_TRACKING_URI, else sqlite:///mlflow.db as campaigns use].")
@click.option("--name", "model_name", metavar="N", help="Only this registered model.")
def models(tracking_uri, model_name):
    """List registered model versions: name, version, aliases, campaign, trial, error."""
    import os

    from rich.console import Console
    from rich.table import Table

    from netspace.platform.storage.urls import DEFAULT_TRACKING_URI, mask_secrets
    from netspace.platform.tracking.promote import list_models

    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI
    versions = list_models(uri, model_name)
    click.echo(f"MLflow store: {mask_secrets(uri)}")
    if not versions:
        click.echo("no registered models")
        return
    table = Table(box=None, header_style="bold")
    for col, justify in (("name", "left"), ("version", "right"), ("aliases", "left"), ("campaign", "left"),
                         ("trial", "left"), ("top-1 err %", "right"), ("MFLOPs", "right"), ("created", "left")):
        table.add_column(col, justify=justify)
    for v in versions:
        t = v.tags
        trial = f"{t['netspace.space']}:{t['netspace.trial']}" if "netspace.space" in t else "-"
        err = t.get("netspace.top1_err")
        flops = t.get("netspace.flops")
        table.add_row(
            v.name, v.version, ",".join(v.aliases) or "-", t.get("netspace.campaign", "-"), trial,
            f"{float(err):.2f}" if err else "-", f"{int(flops) / 1e6:.1f}" if flops else "-",
            _dt.datetime.fromtimestamp(v.created_ms / 1000, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        )
    Console(width=140).print(table)
