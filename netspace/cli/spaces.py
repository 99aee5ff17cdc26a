"""`netspace spaces list | sample | describe | presets`."""

from __future__ import annotations

import json
import math

import click
from rich.console import Console
from rich.table import Table

from netspace.cli.options import fmt_count, fmt_flops, short_config
from netspace.search_spaces import (
    Geometry,
    Regime,
    get_preset,
    get_space,
    list_presets,
    list_spaces,
    restrict,
    sample_configs,
)


@click.group()
def spaces():
    """Inspect and sample the registered design spaces."""


@spaces.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_cmd(as_json: bool):
    """List registered design spaces (built-in and from plugins)."""
    rows = [(name, get_space(name).summary) for name in list_spaces()]
    if as_json:
        click.echo(json.dumps([{"name": n, "summary": s} for n, s in rows], indent=2))
        return
    table = Table("space", "summary", box=None)
    for name, summary in rows:
        table.add_row(name, summary)
    Console().print(table)


def _regimes(flops: str | None, params: str | None) -> Regime | None:
    ranges = {k: v for k, v in (("flops", flops), ("params", params)) if v}
    return Regime.of(**ranges) if ranges else None  # both: a multi-metric regime (each must hold)


@spaces.command("sample")
@click.argument("space")
@click.option("-n", "--num", "n", default=10, show_default=True, type=click.IntRange(min=1), help="Number of configs.")
@click.option("--flops", default=None, metavar="LO:HI",
              help="Keep only configs in this FLOP range at --resolution, e.g. 360M:400M (2M:6M needs --resolution 32).")
@click.option("--regime", "regime_alias", default=None, metavar="LO:HI", hidden=True, help="Same as --flops.")
@click.option("--params", default=None, metavar="LO:HI", help="Keep only configs in this parameter range, e.g. 1M:5M.")
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed (same seed, same configs).")
@click.option("--resolution", default=224, show_default=True, type=click.IntRange(min=8),
              help="Input size complexity is counted at (224: ImageNet; 32: CIFAR, digits).")
@click.option("--in-channels", default=3, show_default=True, type=click.IntRange(min=1))
@click.option("--num-classes", default=1000, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines (params, config, complexity) instead of a table.")
def sample_cmd(space, n, flops, regime_alias, params, seed, resolution, in_channels, num_classes, as_json):
    """Sample N configs of SPACE, optionally restricted to a complexity regime."""
    flops = flops or regime_alias
    ds = get_space(space)
    regime = _regimes(flops, params)
    samples = sample_configs(ds, n, seed=seed, regime=regime, geometry=Geometry(resolution, in_channels, num_classes))
    if as_json:
        for s in samples:
            click.echo(json.dumps(s.to_dict()))
        return
    table = Table("#", "config", "FLOPs", "params", "acts",
                  title=f"{n} samples of {space}" + (f" with {regime}" if regime else ""))
    for i, s in enumerate(samples):
        table.add_row(str(i), short_config(s.config.to_dict()), fmt_flops(s.complexity.flops),
                      fmt_count(s.complexity.params), fmt_count(s.complexity.acts))
    Console().print(table)


_short = short_config


@spaces.command("describe", short_help="Parameters, ranges and size of a space, or a preset.")
@click.argument("space")
@click.option("--json", "as_json", is_flag=True)
@click.option("--restrict", "restriction", default=None, metavar="YAML",
              help="Describe SPACE restricted, e.g. '{b: 1, d: {high: 40}, w0: {same_as: wa}}' (campaign syntax).")
def describe_cmd(space, as_json, restriction):
    """Parameters, ranges, constraints and size of SPACE (registered or derived), or a preset's config, complexity
    and reference."""
    if space not in list_spaces() and space in list_presets() and not restriction:
        _describe_preset(space, as_json)
        return
    ds = get_space(space)
    if restriction:
        from netspace.errors import CampaignError, InvalidConfigError
        from netspace.platform.campaign.yamlfile import clip, loads

        try:
            spec = loads(restriction, "--restrict")  # no aliases: a small bomb cannot expand
        except CampaignError as exc:
            raise InvalidConfigError(str(exc)) from None
        try:
            ds = restrict(ds, spec)
        except InvalidConfigError as exc:
            raise InvalidConfigError(clip(str(exc))) from None
    info = ds.describe()
    if as_json:
        info = dict(info, size=None if math.isinf(info["size"]) else info["size"])
        click.echo(json.dumps(info, indent=2))
        return
    console = Console()
    console.print(f"[bold]{info['name']}[/bold]: {info['summary']}", highlight=False)
    if info.get("base"):
        console.print(f"derived from {info['base']}: restrict {json.dumps(info['restrict'])}", highlight=False)
    if info.get("options"):
        console.print("options: " + " ".join(f"{k}={v}" for k, v in info["options"].items()), highlight=False)
    table = Table("parameter", "range", box=None)
    for name, desc in info["parameters"].items():
        table.add_row(name, desc)
    console.print(table)
    console.print("constraints:")
    for c in info["constraints"]:
        console.print(f"  - {c}")
    size = info["size"]
    console.print(f"size: {'continuous (infinite)' if math.isinf(size) else f'{size:.3g} configs ({size:,})'}")


def _describe_preset(name: str, as_json: bool) -> None:
    info = get_preset(name).describe()
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    console = Console()
    g, ref = info["geometry"], info["reference"]
    options = f" {info['space_options']}" if info["space_options"] else ""
    console.print(f"[bold]{name}[/bold] ({info['space']}{options}): {info['summary']}")
    console.print(f"config: {_short(info['config'])}")
    console.print(f"at {g['in_channels']}x{g['resolution']}x{g['resolution']}, {g['num_classes']} classes: "
                  f"{info['flops']:,} FLOPs, {info['params']:,} params, {info['acts']:,} acts")
    figures = ", ".join(f"{k} {ref[k]:,}" for k in ("flops", "macs", "params", "acts") if ref[k] is not None)
    console.print(f"reference: {ref['source']}" + (f" ({figures})" if figures else ""))


@spaces.command("presets", short_help="The seed networks with complexity and reference.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
def presets_cmd(as_json: bool):
    """The seed networks as configs of their spaces, with their complexity and the reference they reproduce."""
    rows = [get_preset(name).describe() for name in list_presets()]
    if as_json:
        for row in rows:
            click.echo(json.dumps(row))
        return
    table = Table("preset", "space", "input", "FLOPs", "params", "acts", "reference params", "reference FLOPs",
                  "source", title="presets (FLOPs: multiply-adds incl. bias adds; reference flops: the source's, "
                                  "torch references give FlopCounterMode MACs)")
    for r in rows:
        g, ref = r["geometry"], r["reference"]
        ref_flops = ref["flops"] if ref["flops"] is not None else ref["macs"]
        table.add_row(r["name"], r["space"], f"{g['in_channels']}x{g['resolution']}, {g['num_classes']}",
                      fmt_flops(r["flops"]), fmt_count(r["params"]), fmt_count(r["acts"]),
                      f"{ref['params']:,}" if ref["params"] is not None else "-",
                      f"{ref_flops:,}" if ref_flops is not None else "-", _source(ref))
    Console(width=200).print(table)


def _source(ref: dict) -> str:
    """Short name of a reference: the torchvision builder, or the source up to its details."""
    return f"torchvision {ref['torchvision']}" if ref["torchvision"] else ref["source"].split(":")[0].split(" (")[0]
