"""``netspace promote`` and ``netspace models``: the MLflow model registry from the command line."""

from __future__ import annotations

import datetime as _dt

import click

from netspace.cli.options import fmt_flops, storage_option, tracking_option, trial_id


@click.command(short_help="Register the best network in the MLflow model registry.")
@click.argument("name")
@click.option("--trial", "trial", metavar="SPACE#N", help="trial to promote (a number alone when unambiguous)")
@click.option("--top", "top_k", type=int, metavar="K", help="register the K best finished trials")
@click.option("--space", help="only consider this design space of the campaign")
@click.option("--alias", default="champion", show_default=True, help="alias set on the (best) promoted version")
@click.option("--registered-name", metavar="NAME", help="registered model name (default: netspace-NAME)")
@storage_option()
@tracking_option()
@click.option("--force", is_flag=True, help="move the alias even to a network with a higher error than it names")
@click.option("--onnx", "onnx_path", metavar="FILE", default=None,
              help="also export the promoted network to ONNX (checked against PyTorch; needs netspace[onnx])")
def promote(name, trial, top_k, space, alias, registered_name, storage, tracking_uri, force, onnx_path):
    """Register the best network of campaign NAME in the MLflow model registry under an alias."""
    from netspace.platform.storage.urls import store_line
    from netspace.platform.tracking.promote import describe
    from netspace.platform.tracking.promote import promote as do_promote

    if onnx_path:
        from netspace.platform.tracking.onnx_export import require_onnx

        require_onnx()  # missing packages: one line before anything is registered
    models = do_promote(storage, name, trial_number=trial, top_k=top_k, space=space, alias=alias or None,
                        registered_name=registered_name, tracking_uri=tracking_uri, force=force,
                        announce=lambda uri: click.echo(store_line(uri)))
    for line in describe(models):
        click.echo(line)
    if models and models[0].alias:
        click.echo(f"load with: mlflow.pytorch.load_model(\"models:/{models[0].name}@{models[0].alias}\")")
    if onnx_path:
        from netspace.platform.tracking.onnx_export import export_promoted

        check = export_promoted(storage, name, models[0], onnx_path)
        click.echo(f"ONNX: {check.path} ({check.describe()})")


@click.command()
@tracking_option()
@click.option("--name", "model_name", metavar="NAME", help="only this registered model")
def models(tracking_uri, model_name):
    """List registered model versions: name, version, aliases, campaign, trial, error."""
    from rich.console import Console
    from rich.table import Table

    from netspace.platform.storage.urls import resolve_tracking_uri, store_line
    from netspace.platform.tracking.promote import list_models

    uri = resolve_tracking_uri(tracking_uri)
    versions = list_models(uri, model_name)
    click.echo(store_line(uri))
    if not versions:
        click.echo("no registered models")
        return
    table = Table(box=None, header_style="bold")
    for col, justify in (("name", "left"), ("version", "right"), ("aliases", "left"), ("campaign", "left"),
                         ("trial", "left"), ("err %", "right"), ("FLOPs", "right"), ("created", "left")):
        table.add_column(col, justify=justify)
    for v in versions:
        t = v.tags
        trial = trial_id(t["netspace.space"], t["netspace.trial"]) if "netspace.space" in t else "-"
        err = t.get("netspace.top1_err")
        flops = t.get("netspace.flops")
        table.add_row(
            v.name, v.version, ",".join(v.aliases) or "-", t.get("netspace.campaign", "-"), trial,
            f"{float(err):.2f}" if err else "-", fmt_flops(int(flops)) if flops else "-",
            _dt.datetime.fromtimestamp(v.created_ms / 1000, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        )
    Console(width=100).print(table)  # one width whether or not the output is a terminal
