"""Streamed ImageNet at cluster scale, on real components: bounded worker memory while reading more shard bytes
than the limit, exactly-once epochs over two Ray tasks (ranks) × two data-loader workers, and a real campaign
(local Ray, SQLite, MLflow) training on packed shards."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from netspace.workers import DatasetSpec
from netspace.workers.datasets.imagenet import scan_folders
from netspace.workers.shards import pack
from tests.support.imagenet_fixtures import make_imagenet

pytestmark = pytest.mark.slow


def _packed(tmp_path: Path, shard_bytes: int, **kw) -> tuple[Path, Path]:
    raw = make_imagenet(tmp_path / "raw", **kw)
    classes, train, val = scan_folders(DatasetSpec("imagenet", str(raw)), raw)
    pack(classes, {"train": train, "val": val}, tmp_path / "shards", shard_bytes=shard_bytes)
    return raw, tmp_path / "shards"


RSS_PROBE = """
import json, resource, sys
from netspace.workers.datasets import DatasetSpec
from netspace.workers.datasets.imagenet import layout
from netspace.workers.stream import StreamConfig, check, make_loader

units = layout(DatasetSpec("imagenet", sys.argv[1])).train
def run(u):
    ds, loader = make_loader(StreamConfig(u, 32, 16, train=True, shuffle_bytes=4 * 2**20), workers=0)
    return sum(len(check(b)[1]) for b in loader)
run(units.first(40))  # warm-up: imports, decoder, allocator
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
n = run(units)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"images": n, "growth": peak - base}))
"""


def test_streaming_keeps_rss_bounded(tmp_path):
    _, shards = _packed(tmp_path, 4 * 2**20, classes=4, train_per_class=70, val_per_class=1, noise=255,
                        sizes=((512, 512), (600, 440), (440, 600)))
    shard_bytes = sum(p.stat().st_size for p in shards.glob("train-*.tar"))
    limit = 12 * 2**20  # shuffle buffer (4 MiB of encoded images) + decode buffers and allocator slack
    assert shard_bytes > 2.5 * limit
    out = subprocess.run([sys.executable, "-c", RSS_PROBE, str(shards)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["images"] == 280
    assert probe["growth"] < limit, (probe, shard_bytes)


def _rank_hashes(shards: str, rank: int, world: int) -> list[str]:
    import os

    from netspace.workers.datasets import DatasetSpec as Spec
    from netspace.workers.datasets.imagenet import layout
    from netspace.workers.stream import StreamConfig, check, make_loader, rank_world

    os.environ["RANK"], os.environ["WORLD_SIZE"] = str(rank), str(world)
    r, w = rank_world()
    units = layout(Spec("imagenet", shards)).train
    ds, loader = make_loader(StreamConfig(units, 16, 8, train=True, seed=5, rank=r, world=w, raw=True), workers=2)
    ds.epoch = 1
    return [hashlib.sha1(d.numpy().tobytes()).hexdigest() for b in loader for d in check(b)[0]]


def test_every_image_once_across_two_ray_trials_and_two_workers(tmp_path):
    import ray
    from ray import cloudpickle

    from netspace.platform.campaign.scheduler import ensure_ray

    raw, shards = _packed(tmp_path, 3000, classes=3, train_per_class=16, val_per_class=1)
    expected = sorted(hashlib.sha1(p.read_bytes()).hexdigest() for p in (raw / "train").rglob("*.JPEG"))
    started = ensure_ray(None, num_cpus=2)
    try:
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
        task = ray.remote(num_cpus=1)(_rank_hashes)
        per_rank = ray.get([task.remote(str(shards), r, 2) for r in (0, 1)])
    finally:
        if started:
            ray.shutdown()
    assert all(per_rank)
    assert sorted(per_rank[0] + per_rank[1]) == expected


def test_campaign_trains_on_packed_shards(tmp_path, monkeypatch):
    import ray

    from netspace.platform.campaign.run import run_campaign
    from netspace.platform.campaign.scheduler import ensure_ray

    _, shards = _packed(tmp_path, 8000, classes=3, train_per_class=12, val_per_class=3)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("NETSPACE_STORAGE", raising=False)
    spec = {
        "name": "inet",
        "spaces": [{"space": "anynetx_a", "samples": 2, "regime": {"metric": "flops", "low": "0.2M", "high": "3M"}}],
        "dataset": {"name": "imagenet", "root": str(shards), "resolution": 32},
        "training": {"epochs": 1, "batch_size": 8, "lr": 0.1, "lr_ref_batch": 256, "device": "cpu"},
        "strategy": {"kind": "random", "seed": 0},
        "resources": {"cpus_per_trial": 1, "max_concurrent": 2},
    }
    (work / "c.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    started = ensure_ray(None, num_cpus=2)
    try:
        summary = run_campaign(work / "c.yaml", show_progress=False)
    finally:
        if started:
            ray.shutdown()
    assert summary.complete, summary.counts
    results = sorted(work.glob("netspace_runs/**/result.json"))
    assert len(results) == 2
    for path in results:
        result = json.loads(path.read_text())
        assert result["status"] == "completed"
        (epoch,) = result["history"]
        assert epoch["images_per_s"] > 0 and 0 <= epoch["data_wait"] <= 1 and epoch["skipped_images"] == 0
