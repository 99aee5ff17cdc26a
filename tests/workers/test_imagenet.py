"""The streamed ``imagenet`` dataset: packing to webdataset shards, layouts, splitting without duplicates across
data-loader workers and ranks, corrupt images and missing shards, the recipe's crops, downsampled ImageNet."""

from __future__ import annotations

import hashlib
import io
import tarfile

import numpy as np
import pytest
import torch
from PIL import Image

from netspace.errors import DatasetError
from netspace.workers import DatasetSpec, TrainRecipe, dataset_info, load_dataset
from netspace.workers.datasets import clear_cache
from netspace.workers.datasets.imagenet import layout
from netspace.workers.decode import DECODERS, CorruptImage, center_box, eval_image, random_resized_box
from netspace.workers.gpu_decode import decode_batch
from netspace.workers.shards import INDEX, pack, read_index
from netspace.workers.stream import StreamConfig, check, consumer_samples, loader_workers, make_loader
from tests.support.imagenet_fixtures import jpeg_bytes, make_imagenet


def packed(tmp_path, shard_kb: float = 6, **kw):
    raw = make_imagenet(tmp_path / "raw", **kw)
    classes, train, val = scan(raw)
    pack(classes, {"train": train, "val": val}, tmp_path / "shards", shard_bytes=int(shard_kb * 1024))
    return raw, tmp_path / "shards"


def scan(raw):
    from netspace.workers.datasets.imagenet import scan_folders

    return scan_folders(DatasetSpec("imagenet", str(raw)), raw)


def test_pack_writes_webdataset_tar_shards(tmp_path):
    raw, out = packed(tmp_path, classes=3, train_per_class=10, val_per_class=2)
    index = read_index(out)
    train = index["splits"]["train"]
    assert len(train) > 2 and sum(s["count"] for s in train) == 30 and sum(s["count"] for s in index["splits"]["val"]) == 6
    with tarfile.open(out / train[0]["name"]) as tar:  # plain tar: the standard library reads it
        names = tar.getnames()
        assert names[:2] == ["train00000000.jpg", "train00000000.cls"]
        label = int(tar.extractfile(names[1]).read())
        image = tar.extractfile(names[0]).read()
    assert 0 <= label < 3 and Image.open(io.BytesIO(image)).format == "JPEG"
    originals = {p.read_bytes() for p in (raw / "train").rglob("*.JPEG")}
    assert image in originals  # copied as is, not re-encoded
    with pytest.raises(DatasetError, match="already holds a packed dataset"):
        pack(["a"], {"train": [], "val": []}, out)


def test_info_from_folders_and_shards_agree(tmp_path):
    raw, out = packed(tmp_path, classes=3, train_per_class=6, val_per_class=2)
    a = dataset_info(DatasetSpec("imagenet", str(raw), 64))
    b = dataset_info(DatasetSpec("imagenet", str(out)))
    assert (a.num_classes, a.train_size, a.test_size, a.resolution) == (3, 18, 6, 64)
    assert (b.num_classes, b.train_size, b.test_size, b.resolution) == (3, 18, 6, 224)
    assert a.classes == b.classes
    with pytest.raises(DatasetError, match="never loaded into memory"):
        load_dataset(DatasetSpec("imagenet", str(out)))


def test_flat_val_with_devkit_ground_truth(tmp_path):
    raw = make_imagenet(tmp_path / "raw", classes=3, train_per_class=2, val_per_class=3, flat_val=True)
    classes, _, val = scan(raw)
    assert [y for _, y in val] == [0, 0, 0, 1, 1, 1, 2, 2, 2]  # IDs mapped to wnids by the devkit's meta.mat
    # a subset of two classes: val images of other classes are left out
    import shutil

    shutil.rmtree(raw / "train" / classes[1])
    assert [y for _, y in scan(raw)[2]] == [0, 0, 0, 1, 1, 1]
    # without meta.mat, IDs name wnids only for the full 1000 classes: one clear line
    (raw / "ILSVRC2012_devkit_t12" / "data" / "meta.mat").unlink()
    with pytest.raises(DatasetError, match="meta.mat") as err:
        scan(raw)
    assert "\n" not in str(err.value)


def test_missing_paths_are_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("NETSPACE_DATA", raising=False)
    for spec, match in ((DatasetSpec("imagenet"), "no data path"),
                        (DatasetSpec("imagenet", str(tmp_path / "nope")), "not found"),
                        (DatasetSpec("imagenet", str(tmp_path)), "train not found")):
        with pytest.raises(DatasetError, match=match) as err:
            dataset_info(spec)
        assert "\n" not in str(err.value)


def test_missing_or_partial_shard_is_one_line(tmp_path):
    _, out = packed(tmp_path, classes=2, train_per_class=8, val_per_class=2)
    index = read_index(out)
    first = out / index["splits"]["train"][0]["name"]
    spec = DatasetSpec("imagenet", str(out))
    units = layout(spec).train  # checked and cached before the shard goes
    first.unlink()
    ds, loader = make_loader(StreamConfig(units, 16, 4, train=True), workers=1)
    with pytest.raises(DatasetError, match="missing or unreadable") as err:
        for b in loader:
            check(b)
    assert "\n" not in str(err.value) and str(first) in str(err.value)
    clear_cache()
    with pytest.raises(DatasetError, match="missing or unreadable") as err:
        dataset_info(spec)
    assert "\n" not in str(err.value)
    second = out / index["splits"]["train"][1]["name"]
    second.write_bytes(second.read_bytes()[:700])  # a partial copy
    first.write_bytes(b"")
    clear_cache()
    with pytest.raises(DatasetError, match="partial copy|bytes"):
        dataset_info(spec)


def _raw_hashes(units, rank: int, world: int, workers: int, epoch: int) -> list[str]:
    cfg = StreamConfig(units, 16, 5, train=True, seed=3, rank=rank, world=world, raw=True, shuffle_samples=7)
    ds, loader = make_loader(cfg, workers)
    ds.epoch = epoch
    out = []
    for b in loader:
        data, labels, skipped = check(b)
        assert len(data) == len(labels) and skipped == 0
        out += [hashlib.sha1(d.numpy().tobytes()).hexdigest() for d in data]
    return out


@pytest.mark.parametrize("shard_kb", [4, 1000])  # many shards: shard-level split; one shard: sample-level split
def test_every_image_once_per_epoch_across_workers_and_ranks(tmp_path, shard_kb):
    raw, out = packed(tmp_path, shard_kb=shard_kb, classes=3, train_per_class=14, val_per_class=1)
    expected = sorted(hashlib.sha1(p.read_bytes()).hexdigest() for p in (raw / "train").rglob("*.JPEG"))
    units = layout(DatasetSpec("imagenet", str(out))).train
    assert (len(units.counts) >= 4) == (shard_kb == 4)
    orders = []
    for epoch in (0, 1):
        seen = [h for rank in (0, 1) for h in _raw_hashes(units, rank, 2, 2, epoch)]
        assert sorted(seen) == expected  # all of them, none twice
        orders.append(seen)
    assert orders[0] != orders[1]  # reshuffled each epoch


def test_consumers_partition_files_too():
    from netspace.workers.datasets.imagenet import Units

    units = Units("shards", np.array([b"a", b"b", b"c"]), np.array([4, 4, 4]))
    got = {}
    import netspace.workers.stream as stream

    def fake(u, i):
        return ((int(i), j) for j in range(int(u.counts[i])))

    orig, stream.read_unit = stream.read_unit, fake
    try:
        for c in range(5):  # fewer units than consumers: sample-level
            got[c] = list(consumer_samples(units, np.array([2, 0, 1]), c, 5))
    finally:
        stream.read_unit = orig
    flat = [s for v in got.values() for s in v]
    assert sorted(flat) == sorted((i, j) for i in range(3) for j in range(4))


def test_truncated_jpeg_is_skipped_and_counted(tmp_path):
    raw = make_imagenet(tmp_path / "raw", classes=2, train_per_class=10, val_per_class=2)
    victim = sorted((raw / "train").rglob("*.JPEG"))[3]
    victim.write_bytes(victim.read_bytes()[: len(victim.read_bytes()) // 2])
    (raw / "train" / "n01000000" / "garbage.JPEG").write_bytes(b"not an image at all")
    classes, train, val = scan(raw)
    pack(classes, {"train": train, "val": val}, tmp_path / "shards", shard_bytes=4096)
    units = layout(DatasetSpec("imagenet", str(tmp_path / "shards"))).train
    for workers in (0, 2):
        ds, loader = make_loader(StreamConfig(units, 16, 4, train=True), workers)
        images = skipped = 0
        for b in loader:
            x, y, s = check(b)
            assert x.dtype == torch.uint8 and x.shape[1:] == (16, 16, 3)
            images, skipped = images + len(y), skipped + s
        assert (images, skipped) == (19, 2)  # 21 files, two of them corrupt


@pytest.mark.slow
def test_trial_on_shards_reports_telemetry_and_skips(tmp_path):
    from netspace.workers import run_trial

    raw = make_imagenet(tmp_path / "raw", classes=2, train_per_class=12, val_per_class=3)
    victim = sorted((raw / "train").rglob("*.JPEG"))[0]
    victim.write_bytes(victim.read_bytes()[:200])
    classes, train, val = scan(raw)
    pack(classes, {"train": train, "val": val}, tmp_path / "shards", shard_bytes=8192)
    cfg = {"depths": [1, 1, 1, 1], "widths": [8, 8, 8, 8], "bottleneck_ratios": [1, 1, 1, 1],
           "group_widths": [8, 8, 8, 8], "stem_width": 8, "se_ratio": 0.0, "block": "X", "stem": "simple",
           "conv_bias": False}
    reports = []
    torch.set_num_threads(1)
    try:
        result = run_trial("anynetx_a", cfg, DatasetSpec("imagenet", str(tmp_path / "shards"), 24),
                           TrainRecipe(epochs=2, batch_size=8, lr=0.1, lr_ref_batch=256, device="cpu"),
                           report=reports.append)
    finally:
        torch.set_num_threads(2)
    assert result.status == "completed" and result.epochs_run == 2
    assert [r.skipped_images for r in reports] == [1, 1]
    assert all(r.images_per_s > 0 and 0 <= r.data_wait <= 1 for r in reports)
    assert 0 <= result.top1_err <= 100


def test_evaluate_model_streams_the_val_split(tmp_path):
    from netspace.workers import evaluate_model

    _, out = packed(tmp_path, classes=3, train_per_class=2, val_per_class=4)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                                torch.nn.Linear(4, 3))
    torch.nn.init.zeros_(model[3].weight)
    with torch.no_grad():
        model[3].bias.copy_(torch.tensor([0.0, 1.0, 0.0]))  # always class 1: right on 4 of 12 val images
    assert evaluate_model(model, DatasetSpec("imagenet", str(out), 24), "cpu") == pytest.approx(100 * 8 / 12)


def test_lr_per_256_images():
    assert TrainRecipe(batch_size=512, lr=0.1, lr_ref_batch=256).effective_lr == pytest.approx(0.2)
    assert TrainRecipe(batch_size=512, lr=0.1).effective_lr == 0.1


def test_crops_follow_the_recipe():
    rng = np.random.default_rng(0)
    for _ in range(200):
        w, h = int(rng.integers(20, 600)), int(rng.integers(20, 600))
        left, top, cw, ch = random_resized_box(w, h, rng)
        assert left >= 0 and left + cw <= w and top >= 0 and top + ch <= h and cw > 0 and ch > 0
    assert center_box(500, 375, 224) == pytest.approx((250 - 164.0625, 0 + (375 - 328.125) / 2, 328.125, 328.125))


@pytest.mark.parametrize("decoder", sorted(DECODERS))
def test_decoders_match_torchvision_eval_transform(decoder):
    import warnings

    from torchvision import transforms

    rng = np.random.default_rng(1)
    data = jpeg_bytes(300, 220, rng, noise=0, quality=95)
    ours = eval_image(DECODERS[decoder], data, 64).astype(np.float64)
    ref = transforms.Compose([transforms.Resize(73), transforms.CenterCrop(64)])(Image.open(io.BytesIO(data)).convert("RGB"))
    assert ours.shape == (64, 64, 3)
    assert np.abs(ours - np.asarray(ref, dtype=np.float64)).mean() < 3.0
    with pytest.raises(CorruptImage), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        DECODERS[decoder](data[: len(data) // 3], 64, lambda w, h: (0, 0, w, h))


@pytest.mark.parametrize("size", [(333, 500), (501, 377), (1023, 769)])
def test_reduced_size_decode_of_odd_sizes(size):
    """DCT scaling rounds odd sizes up: crops near the right and bottom edges must stay inside the image."""
    data = jpeg_bytes(*size, np.random.default_rng(0))
    w, h = size
    for res in (16, 32, 100):
        out = DECODERS["pil-draft"](data, res, lambda w_, h_: (w - w // 2, h - h // 2, w // 2, h // 2))
        assert out.shape == (res, res, 3)


def test_gpu_batch_path_runs_on_cpu_tensors():
    rng = np.random.default_rng(2)
    data = [torch.frombuffer(bytearray(jpeg_bytes(w, h, rng)), dtype=torch.uint8) for w, h in ((50, 40), (33, 70))]
    data.insert(1, torch.frombuffer(bytearray(b"garbage" * 20), dtype=torch.uint8))
    labels = torch.tensor([5, 6, 7])
    x, y, skipped = decode_batch(data, labels, 16, "cpu", rng)
    assert x.shape == (2, 3, 16, 16) and x.dtype == torch.uint8 and y.tolist() == [5, 7] and skipped == 1
    x, y, _ = decode_batch(data[:1], labels[:1], 16, "cpu", None)
    assert x.shape == (1, 3, 16, 16)


def test_loader_workers_follow_cpus_per_trial():
    assert [loader_workers(c, cuda=False) for c in (1, 2, 3, 8)] == [0, 1, 1, 4]
    assert [loader_workers(c, cuda=True) for c in (1, 2, 8)] == [1, 1, 7]


def test_downsampled_imagenet_npz(tmp_path):
    rng = np.random.default_rng(0)
    train = tmp_path / "Imagenet32_train_npz"
    val = tmp_path / "Imagenet32_val_npz"
    train.mkdir()
    val.mkdir()
    for i in (1, 2):
        np.savez(train / f"train_data_batch_{i}.npz", data=rng.integers(0, 256, (6, 3072), dtype=np.uint8),
                 labels=rng.integers(1, 1001, 6), mean=np.zeros(3072))
    np.savez(val / "val_data.npz", data=rng.integers(0, 256, (4, 3072), dtype=np.uint8), labels=[1, 2, 1000, 5])
    spec = DatasetSpec("imagenet32", str(tmp_path))
    info = dataset_info(spec)
    assert (info.num_classes, info.resolution, info.train_size, info.test_size) == (1000, 32, 12, 4)
    data = load_dataset(spec)
    assert data.train_x.shape == (12, 3, 32, 32) and data.test_y.tolist() == [0, 1, 999, 4]
    (val / "val_data.npz").write_bytes(b"broken")
    clear_cache()
    with pytest.raises(DatasetError, match="not a") as err:
        load_dataset(spec)
    assert "\n" not in str(err.value)
    with pytest.raises(DatasetError, match="train_data_batch_1.npz not found"):
        dataset_info(DatasetSpec("imagenet64", str(tmp_path)))


def test_data_pack_command(tmp_path, capsys):
    from netspace.cli import main

    raw = make_imagenet(tmp_path / "raw", classes=2, train_per_class=3, val_per_class=1)
    assert main(["data", "pack", str(raw), "--out", str(tmp_path / "s"), "--no-progress"]) == 0
    assert "packed 6 train + 2 val images of 2 classes into 2 shards" in capsys.readouterr().out
    assert (tmp_path / "s" / INDEX).is_file()
    assert main(["data", "pack", str(raw), "--out", str(tmp_path / "s")]) == 2
    assert main(["data", "pack", str(tmp_path / "nope"), "--out", str(tmp_path / "t")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "already holds a packed dataset" in err[0] and "not found" in err[1]


def test_streamed_data_at_a_sampled_resolution_decodes_and_crops_at_it(tmp_path):
    """A trial that samples its resolution (``resolution: {values: [...]}``) trains and evaluates a streamed dataset
    at that resolution, not the dataset's: training batches and evaluation inputs are cropped to it."""
    from netspace.workers.device import plan_device
    from netspace.workers.input import StreamData
    from netspace.workers.resize import data_at_resolution

    _, shards = packed(tmp_path, classes=2, train_per_class=6, val_per_class=2)
    plan = plan_device("cpu")
    data = data_at_resolution(StreamData(DatasetSpec("imagenet", str(shards), 24), plan, workers=0), 16)
    x, y = next(iter(data.train_batches(4, torch.Generator().manual_seed(0), True, 0)))
    assert tuple(x.shape) == (4, 3, 16, 16) and x.dtype == torch.uint8

    seen = []

    class Probe(torch.nn.Module):
        def forward(self, x):
            seen.append(tuple(x.shape[-2:]))
            return torch.zeros(len(x), 2)

    assert 0 <= data.evaluate(Probe(), plan) <= 100
    assert seen and set(seen) == {(16, 16)}
