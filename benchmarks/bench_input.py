"""Input-pipeline benchmark for streamed ImageNet-style data at 224 px (training transform: random-resized crop +
horizontal flip, uint8 out).

1. Per decoder (``netspace.workers.decode.DECODERS``, plus ``simplejpeg`` when it is installed): images/s of one
   process on one core (torch and the decoder single-threaded, no data-loader workers), reading packed shards.
2. The chosen pipeline (``netspace.workers.stream`` on shards, default decoder, uint8 batches normalised later on
   the training device) against ``torchvision.datasets.ImageFolder`` + PIL transforms in a ``DataLoader`` with the
   same workers and batch size: "classic" is the PyTorch ImageNet example's ``RandomResizedCrop(224)``,
   ``RandomHorizontalFlip``, ``ToTensor``, ``Normalize``; "uint8" ends in ``PILToTensor`` instead (no float work in
   the workers, the stricter comparison). Runs alternate between pipelines; with 0 workers (one process, one core)
   and with ``--workers``. Prints images/s and the ratios (target >= 1.3 against classic).
3. With CUDA: the GPU path (batched nvjpeg decode + crops on the GPU) images/s; without, says it is unmeasured.

    python benchmarks/bench_input.py                      # generated ImageNet-like JPEGs (sizes 333..1024 px)
    python benchmarks/bench_input.py --data ~/imagenet    # a real train/<wnid>/*.JPEG tree (first --images files)

Not a test: figures depend on the machine and its load; each figure is the best of ``--repeats`` passes.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from netspace.workers.datasets import DatasetSpec
from netspace.workers.datasets.imagenet import Units, layout, scan_folders
from netspace.workers.decode import DECODERS, DEFAULT_DECODER, CorruptImage, train_image
from netspace.workers.shards import pack, read_shard
from netspace.workers.stream import StreamConfig, check, make_loader

RES = 224
#: roughly ImageNet's spread of image sizes (the median image is 500×375)
SIZES = ((500, 375), (500, 333), (375, 500), (500, 500), (640, 480), (333, 500), (800, 600), (1024, 768))


def photo_like(w: int, h: int, rng: np.random.Generator) -> bytes:
    """Smooth shapes and gradients plus fine texture: compresses like a photo (about 0.4 bytes/pixel at q90)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32)
    for c in range(3):
        for _ in range(4):
            fx, fy, ph = rng.uniform(0.002, 0.03, 2).tolist() + [rng.uniform(0, 6.28)]
            img[..., c] += 40 * np.sin(xx * fx + yy * fy + ph)
    img += 110 + rng.normal(0, 12, (h, w, 3))
    buf = io.BytesIO()
    Image.fromarray(img.clip(0, 255).astype(np.uint8)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def make_tree(root: Path, n: int, classes: int = 8, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for i in range(n):
        d = root / "train" / f"n{i % classes:08d}"
        d.mkdir(parents=True, exist_ok=True)
        w, h = SIZES[i % len(SIZES)]
        (d / f"img_{i}.JPEG").write_bytes(photo_like(w, h, rng))
    (root / "val" / "n00000000").mkdir(parents=True)
    shutil.copy(next((root / "train" / "n00000000").iterdir()), root / "val" / "n00000000" / "v.JPEG")


def simplejpeg_decoder():
    try:
        import simplejpeg
    except ImportError:
        return None
    import math

    def decode(data, res, box_fn):
        try:
            w, h, _, _ = simplejpeg.decode_jpeg_header(data)
            left, top, cw, ch = box_fn(w, h)
            s = res / min(cw, ch)
            arr = simplejpeg.decode_jpeg(data, colorspace="RGB", min_width=math.ceil(w * s), min_height=math.ceil(h * s))
        except ValueError as exc:
            raise CorruptImage(str(exc)) from None
        fx, fy = arr.shape[1] / w, arr.shape[0] / h
        box = (left * fx, top * fy, min((left + cw) * fx, arr.shape[1]), min((top + ch) * fy, arr.shape[0]))
        return np.asarray(Image.fromarray(arr).resize((res, res), Image.BILINEAR, box=box))

    return decode


def per_core(units: Units, decode, repeats: int, res: int = 224) -> float:
    """Images/s of one process, one thread: read shards, decode, crop, flip."""
    samples = [s for i in range(len(units.counts)) for s in read_shard(units.paths[i].decode())]
    rng = np.random.default_rng(0)
    best = 0.0
    for _ in range(repeats):
        t = time.perf_counter()
        for s in samples:
            train_image(decode, s.data, res, rng)
        best = max(best, len(samples) / (time.perf_counter() - t))
    return best


def ours(units: Units, workers: int, batch: int, seed: int) -> float:
    ds, loader = make_loader(StreamConfig(units, RES, batch, train=True, seed=seed), workers)
    n = 0
    t = time.perf_counter()
    for b in loader:
        n += len(check(b)[1])
    return n / (time.perf_counter() - t)


def baseline(root: Path, workers: int, batch: int, classic: bool) -> float:
    from torchvision import datasets, transforms

    tail = ([transforms.ToTensor(), transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))] if classic
            else [transforms.PILToTensor()])
    tf = transforms.Compose([transforms.RandomResizedCrop(RES), transforms.RandomHorizontalFlip(), *tail])
    loader = torch.utils.data.DataLoader(datasets.ImageFolder(str(root / "train"), transform=tf), batch_size=batch,
                                         shuffle=True, num_workers=workers)
    n = 0
    t = time.perf_counter()
    for x, _ in loader:
        n += len(x)
    return n / (time.perf_counter() - t)


def compare(root: Path, units: Units, workers: int, batch: int, repeats: int) -> None:
    best = {"classic": 0.0, "uint8": 0.0, "netspace": 0.0}
    for r in range(repeats):  # alternate, so load changes on a shared machine hit every pipeline alike
        best["classic"] = max(best["classic"], baseline(root, workers, batch, classic=True))
        best["uint8"] = max(best["uint8"], baseline(root, workers, batch, classic=False))
        best["netspace"] = max(best["netspace"], ours(units, workers, batch, r))
    label = f"{workers} workers" if workers else "0 workers (1 core)"
    print(f"{label}: ImageFolder+PIL classic {best['classic']:.1f}, uint8 {best['uint8']:.1f}, netspace shards + "
          f"{DEFAULT_DECODER} {best['netspace']:.1f} images/s; ratio vs classic {best['netspace'] / best['classic']:.2f} "
          f"(target >= 1.3), vs uint8 {best['netspace'] / best['uint8']:.2f}", flush=True)


def gpu(units: Units, batch: int, repeats: int) -> str:
    if not torch.cuda.is_available():
        return "GPU path (nvjpeg decode + crops on the GPU): unmeasured, no CUDA device here"
    from netspace.workers.gpu_decode import decode_batch

    samples = [s for i in range(len(units.counts)) for s in read_shard(units.paths[i].decode())]
    data = [torch.frombuffer(bytearray(s.data), dtype=torch.uint8) for s in samples]
    labels = torch.zeros(len(data), dtype=torch.int64)
    rng = np.random.default_rng(0)
    decode_batch(data[:batch], labels[:batch], RES, "cuda", rng)  # warm-up (nvjpeg init)
    best = 0.0
    for _ in range(repeats):
        torch.cuda.synchronize()
        t = time.perf_counter()
        for i in range(0, len(data), batch):
            decode_batch(data[i:i + batch], labels[i:i + batch], RES, "cuda", rng)
        torch.cuda.synchronize()
        best = max(best, len(data) / (time.perf_counter() - t))
    return f"GPU path (nvjpeg decode + crops on {torch.cuda.get_device_name()}): {best:.0f} images/s"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", help="an ImageNet-style tree (train/<wnid>/*.JPEG); default: generated images")
    p.add_argument("--images", type=int, default=240, help="images to use")
    p.add_argument("--workers", type=int, default=2, help="data-loader workers for the pipeline comparison")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--decoders-at", type=int, nargs="*", default=[], metavar="RES",
                   help="also time the decoders at these resolutions (e.g. 128 160)")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    tmp = Path(tempfile.mkdtemp(prefix="bench_input_"))
    try:
        root = tmp / "raw"
        if a.data:
            classes, train, _ = scan_folders(DatasetSpec("imagenet", a.data), Path(a.data).expanduser())
            train = [train[i] for i in np.random.default_rng(0).permutation(len(train))[: a.images]]
            for path, y in train:  # a small ImageFolder copy for the baseline, the same images
                d = root / "train" / classes[y]
                d.mkdir(parents=True, exist_ok=True)
                os.symlink(os.path.abspath(path), d / Path(path).name)
            (root / "val" / classes[train[0][1]]).mkdir(parents=True)
            os.symlink(os.path.abspath(train[0][0]), root / "val" / classes[train[0][1]] / "v.JPEG")
        else:
            make_tree(root, a.images)
        classes, train, val = scan_folders(DatasetSpec("imagenet", str(root)), root)
        pack(classes, {"train": train, "val": val}, tmp / "shards", shard_bytes=4 * 2**20)
        units = layout(DatasetSpec("imagenet", str(tmp / "shards"))).train
        mb = sum(Path(p).stat().st_size for p, _ in train) / 2**20
        print(f"{len(train)} JPEGs ({mb:.1f} MiB, mean {mb * 1024 / len(train):.0f} KiB), {RES} px, "
              f"random-resized crop + flip, {os.cpu_count()} host cores")
        decoders = dict(DECODERS)
        sj = simplejpeg_decoder()
        if sj is not None:
            decoders["simplejpeg"] = sj
        else:
            print("simplejpeg: not installed, not measured")
        for name, fn in decoders.items():
            mark = " (default)" if name == DEFAULT_DECODER else ""
            print(f"decoder {name:12s}: {per_core(units, fn, a.repeats):7.1f} images/s per core{mark}", flush=True)
        for res in a.decoders_at:
            figures = ", ".join(f"{name} {per_core(units, fn, a.repeats, res):.1f}" for name, fn in decoders.items())
            print(f"at {res} px, images/s per core: {figures}", flush=True)
        for workers in dict.fromkeys((0, a.workers)):
            compare(root, units, workers, a.batch_size, a.repeats)
        print(gpu(units, 128, a.repeats))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
