"""``netspace train``: train one network of a design space on one dataset and print a per-epoch table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from netspace.errors import InvalidConfigError, NetspaceError

COLUMNS = ("epoch", "train loss", "top-1 err %", "images/s", "elapsed s")
WIDTHS = (7, 11, 12, 10, 10)


def _row(values) -> str:
    return "  ".join(str(v).rjust(w) for v, w in zip(values, WIDTHS))


def parse_config_arg(text: str) -> dict[str, Any]:
    """``--config``: a JSON object given inline, or the path of a file holding one."""
    stripped = text.strip()
    source = "--config"
    if not stripped.startswith("{"):
        path = Path(text).expanduser()
        if not path.is_file():
            raise InvalidConfigError(f"--config: {text!r} is neither a JSON object nor an existing file")
        source, stripped = str(path), path.read_text()
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError as exc:
        raise InvalidConfigError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    if not isinstance(data, dict):
        raise InvalidConfigError(f"{source}: expected a JSON object (a config's to_dict()), got {type(data).__name__}")
    if isinstance(data.get("config"), dict) and "space" in data:  # a line of `netspace spaces sample --json`
        data = data["config"]
    return data


@click.command(short_help="Train one network and print a per-epoch table.")
@click.argument("space", required=False)
@click.option("--preset", metavar="NAME", help="train a named seed network (see `netspace spaces presets`); no SPACE needed")
@click.option("--config", "config_arg", metavar="JSON|FILE", help="config as JSON (config.to_dict()), inline or a file")
@click.option("--sample-seed", type=int, metavar="N", help="draw one config from SPACE with this seed instead")
@click.option("--flops", "regime", metavar="LO:HI", help="with --sample-seed: FLOPs range at the dataset's resolution, e.g. 1M:20M")
@click.option("--regime", "regime_alias", metavar="LO:HI", hidden=True, help="old name of --flops")
@click.option("--dataset", default="digits", show_default=True,
              help="digits (embedded), cifar10, cifar100, fashion_mnist, folder, synthetic")
@click.option("--data", "data_path", metavar="PATH", help="dataset directory (default: $NETSPACE_DATA)")
@click.option("--resolution", type=int, help="folder datasets: resize images to this size")
@click.option("--epochs", type=int, default=5, show_default=True)
@click.option("--batch-size", type=int, default=128, show_default=True)
@click.option("--lr", type=float, default=0.1, show_default=True)
@click.option("--warmup-epochs", type=float, default=1.0, show_default=True)
@click.option("--weight-decay", type=float, default=5e-5, show_default=True)
@click.option("--no-augment", is_flag=True, help="turn off random crops and flips")
@click.option("--max-train-images", type=int, metavar="N", help="train on a fixed subset of N training images")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:N")
@click.option("--threads", type=int, help="CPU threads for torch (default: torch's choice)")
@click.option("--checkpoint-dir", type=click.Path(file_okay=False), help="checkpoint here each epoch; resume from it")
def train(space, preset, config_arg, sample_seed, regime, regime_alias, dataset, data_path, resolution, epochs, batch_size, lr, warmup_epochs,
          weight_decay, no_augment, max_train_images, seed, device, threads, checkpoint_dir):
    """Train one network of design space SPACE (given by --config or drawn by --sample-seed), or a --preset."""
    from netspace.cli.options import fmt_count, fmt_flops
    from netspace.search_spaces import (
        Geometry,
        Regime,
        get_preset,
        get_space,
        sample_configs,
    )

    regime = regime or regime_alias
    if sum(x is not None for x in (config_arg, sample_seed, preset)) != 1:
        raise NetspaceError("give exactly one of --config JSON|FILE, --sample-seed N and --preset NAME")
    if preset is not None:
        chosen = get_preset(preset)  # unknown preset: one-line error before anything slow
        if space not in (None, chosen.space):
            raise NetspaceError(f"preset {preset!r} belongs to space {chosen.space!r}, not {space!r}")
        space, ds = chosen.space, chosen.design_space()
    elif space is None:
        raise NetspaceError("give SPACE (or --preset NAME)")
    else:
        ds = get_space(space)  # unknown space: one-line error before anything slow

    import torch

    from netspace.workers import DatasetSpec, TrainRecipe, dataset_info, run_trial

    if threads:
        torch.set_num_threads(threads)
    spec = DatasetSpec(dataset, data_path, resolution)
    info = dataset_info(spec)
    if preset is not None:
        cfg = chosen.build_config()
    elif config_arg is not None:
        cfg = ds.config_from_dict(parse_config_arg(config_arg))
        ds.validate(cfg)
    else:
        rg = Regime.parse(regime) if regime else None
        cfg = sample_configs(ds, 1, seed=sample_seed, regime=rg, geometry=Geometry.of(info))[0].config
    recipe = TrainRecipe(epochs=epochs, batch_size=batch_size, lr=lr, warmup_epochs=warmup_epochs,
                         weight_decay=weight_decay, augment=not no_augment, device=device,
                         max_train_images=max_train_images)
    cx = ds.complexity(cfg, Geometry.of(info))

    click.echo((f"{preset}: " if preset else "") + f"{space} {json.dumps(cfg.to_dict())}")
    click.echo(f"{dataset}: {info.train_size} train / {info.test_size} test images, {info.in_channels}x"
               f"{info.resolution}x{info.resolution}, {info.num_classes} classes; "
               f"{fmt_flops(cx.flops)}, {fmt_count(cx.params)} params")
    finished = checkpoint_dir is not None and (Path(checkpoint_dir) / "result.json").is_file()
    if finished:
        click.echo(f"already finished: the result stored in {Path(checkpoint_dir) / 'result.json'}")
    else:
        click.echo(_row(COLUMNS))

    def report(r):
        click.echo(_row((f"{r.epoch}/{r.epochs}", f"{r.train_loss:.4f}", f"{r.top1_err:.2f}", f"{r.images_per_s:.0f}",
                         f"{r.elapsed_s:.1f}")))

    result = run_trial(ds, cfg.to_dict(), spec, recipe, seed=seed, checkpoint_dir=checkpoint_dir, report=report)
    click.echo(f"{result.status}: top-1 error {result.top1_err:.2f} % (best {result.best_top1_err:.2f} %) after "
               f"{result.epochs_run} epochs, {result.train_time_s:.1f} s, {result.images_per_s:.0f} images/s; "
               f"{fmt_flops(result.flops)}, {fmt_count(result.params)} params, {fmt_count(result.acts)} acts")
    if result.weights_path:
        click.echo(f"weights: {result.weights_path}")
