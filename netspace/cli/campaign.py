"""``netspace run | resume | status | list``: campaigns from the command line."""

from __future__ import annotations

import json

import click

from netspace.cli.options import ADDRESS_HELP, STORAGE_HELP, address_option, json_option, storage_option

__all__ = ["ADDRESS_HELP", "STORAGE_HELP", "list_command", "resume", "run", "status"]


def _summary(summary) -> None:
    from rich.console import Console

    con = Console(stderr=True)
    parts = [f"{space}: {c['finished']}/{c['target']} finished, {c['failed']} failed" for space, c in
             summary.counts.items()]
    state = "complete" if summary.complete else "INCOMPLETE"
    con.print(f"campaign {summary.campaign} {state} in {summary.wall_s:.1f} s — " + "; ".join(parts), highlight=False,
              soft_wrap=True)
    if not summary.complete:
        from netspace.errors import CampaignError

        raise CampaignError(f"campaign {summary.campaign} did not reach its targets; see `netspace status "
                            f"{summary.campaign}`, continue with `netspace resume {summary.campaign}`")


@click.command()
@click.argument("campaign_file", type=click.Path(dir_okay=False))
@address_option()
@storage_option("; overrides the campaign file's")
@click.option("--quiet", is_flag=True, help="No live progress display")
def run(campaign_file, address, storage, quiet):
    """Run the campaign in CAMPAIGN_FILE (YAML) to its sample targets."""
    from netspace.platform.campaign.spec import load_campaign

    spec = load_campaign(campaign_file)  # before the heavy imports: a bad file is one line at once
    from netspace.platform.campaign.preflight import preflight

    preflight(spec, address)  # a dead tracking server or an impossible request: one line in seconds
    from netspace.platform.campaign.run import run_campaign

    _summary(run_campaign(spec, storage=storage, address=address, show_progress=not quiet))


@click.command(short_help="Continue an interrupted or extended campaign.")
@click.argument("name")
@address_option()
@storage_option()
@click.option("--quiet", is_flag=True, help="No live progress display")
def resume(name, address, storage, quiet):
    """Continue campaign NAME: finished trials are kept, interrupted ones resume from their checkpoints."""
    from netspace.platform.campaign.run import resume_campaign

    _summary(resume_campaign(name, storage=storage, address=address, show_progress=not quiet))


@click.command()
@click.argument("name")
@storage_option()
@json_option()
@click.option("--top", default=5, show_default=True, help="How many best trials to show")
def status(name, storage, as_json, top):
    """Trial counts per space and state, and the best trials of campaign NAME."""
    from netspace.platform.campaign.state import campaign_status
    from netspace.platform.storage.urls import store_line

    st = campaign_status(name, storage, top=top)
    if as_json:
        click.echo(json.dumps(st, indent=2, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    from netspace.cli.options import fmt_count, fmt_flops, trial_id
    from netspace.platform.safetext import safe

    con = Console()
    con.print(store_line(st["mlflow"]), highlight=False, soft_wrap=True)
    t = Table(title=f"campaign {safe(name)} ({safe(st['storage'])})", title_justify="left")
    for col in ("space", "target", "finished", "running", "failed", "rejected", "best err %"):
        t.add_column(col, justify="left" if col == "space" else "right")
    for space, c in st["spaces"].items():
        t.add_row(safe(space), str(c["target"]), str(c["finished"]), str(c["running"]), str(c["failed"]),
                  str(c["rejected"]), "-" if c["best_top1_err"] is None else f"{c['best_top1_err']:.2f}")
    con.print(t)
    if st["best"]:
        b = Table(title="best trials", title_justify="left")
        for col in ("trial", "top-1 err %", "FLOPs", "params", "epochs", "mlflow run"):
            b.add_column(col, justify="left" if col in ("trial", "mlflow run") else "right")
        for r in st["best"]:
            b.add_row(safe(trial_id(r["space"], r["number"])), f"{r['top1_err']:.2f}",
                      fmt_flops(r["flops"]) if r["flops"] is not None else "-",
                      fmt_count(r["params"]) if r["params"] is not None else "-", str(r["epochs_run"]),
                      safe(r["mlflow_run_id"] or "-"))
        con.print(b)
    if st.get("final"):
        from netspace.platform.campaign.finalize import format_table

        con.print("final training (netspace finalize; mean ± std top-1 error over seeds):", highlight=False)
        for line in format_table(st["final"]):
            con.print("  " + line, highlight=False, soft_wrap=True)
    if st.get("comparisons"):
        con.print("pairwise comparisons (KS two-sample test, p Holm-adjusted across the pairs; median error difference "
                  "b − a with bootstrap 95 % CI; 'better' needs adjusted p < 0.05 and a CI that excludes 0):",
                  highlight=False)
        for r in st["comparisons"]:
            con.print(f"  {safe(r['a'])} vs {safe(r['b'])}: KS {r['ks']:.3f}, median diff {r['median_diff']:+.2f} pp "
                      f"[{r['diff_lo']:+.2f}, {r['diff_hi']:+.2f}] — {r['verdict']}", highlight=False, soft_wrap=True)
    d = st["driver"]
    if d:
        con.print(f"driver: pid {d['pid']} on {safe(d['host'])}, heartbeat {d['heartbeat_age_s']} s ago"
                  + ("" if d["alive"] else " (stale: run `netspace resume " + safe(name) + "`)"), highlight=False)
    elif not st["done"]:
        con.print(f"no driver is running; continue with: netspace resume {safe(name)}", highlight=False)


@click.command("list")
@storage_option()
@json_option()
def list_command(storage, as_json):
    """Campaigns in the storage with their trial counts."""
    from netspace.platform.storage.results import list_campaigns
    from netspace.platform.storage.urls import resolve_url

    rows = list_campaigns(resolve_url(storage))
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no campaigns in this storage yet: start one with `netspace run FILE`")
        return
    from rich.console import Console
    from rich.table import Table

    from netspace.platform.safetext import safe

    t = Table()
    for col in ("campaign", "spaces", "finished", "target", "running", "failed", "best err %"):
        t.add_column(col, justify="left" if col in ("campaign", "spaces") else "right")
    for r in rows:
        t.add_row(safe(r["campaign"]), safe(", ".join(r["spaces"])), str(r["finished"]), str(r["target"]), str(r["running"]),
                  str(r["failed"]), "-" if r["best_top1_err"] is None else f"{r['best_top1_err']:.2f}")
    Console().print(t)
