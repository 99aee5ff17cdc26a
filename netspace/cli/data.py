"""``netspace data``: prepare datasets for cluster training (``pack``: ImageNet-style folders into webdataset tar
shards, see docs/imagenet.md)."""

from __future__ import annotations

import click


@click.group()
def data():
    """Prepare datasets: pack ImageNet-style folders into shards."""


@data.command(short_help="Pack ImageNet-style folders into webdataset tar shards.")
@click.argument("root", type=click.Path())
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="directory for the shards")
@click.option("--shard-mb", type=float, default=256, show_default=True, help="start a new shard past this size")
@click.option("--overwrite", is_flag=True, help="replace a dataset already packed in --out")
@click.option("--no-progress", is_flag=True, help="no progress bar")
def pack(root, out, shard_mb, overwrite, no_progress):
    """Pack ROOT (train/<wnid>/*.JPEG, val/<wnid>/ or val/ + devkit ground truth) into webdataset tar shards."""
    from pathlib import Path

    from netspace.errors import DatasetError
    from netspace.workers.datasets import DatasetSpec
    from netspace.workers.datasets.imagenet import scan_folders
    from netspace.workers.shards import pack as pack_shards

    if shard_mb <= 0:
        raise DatasetError(f"--shard-mb must be positive (got {shard_mb})")
    path = Path(root).expanduser()
    if not path.is_dir():
        raise DatasetError(f"data pack: {path} not found or not a directory")
    classes, train, val = scan_folders(DatasetSpec("imagenet", str(path)), path)
    total = len(train) + len(val)
    with click.progressbar(length=total, label=f"packing {total} images", hidden=no_progress, show_pos=True,
                           show_eta=True) as bar:
        index = pack_shards(classes, {"train": train, "val": val}, out, shard_bytes=int(shard_mb * 2**20),
                            overwrite=overwrite, progress=bar.update)
    shards = sum(len(v) for v in index["splits"].values())
    size = sum(s["bytes"] for v in index["splits"].values() for s in v)
    click.echo(f"packed {len(train)} train + {len(val)} val images of {len(classes)} classes into {shards} shards "
               f"({size / 2**20:.1f} MiB) under {out}")
