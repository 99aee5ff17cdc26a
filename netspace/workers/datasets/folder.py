"""ImageNet-style class folders:

    ROOT/train/<class>/*.png|jpg|jpeg|bmp|ppm|webp
    ROOT/val/<class>/…        (``test/`` is accepted instead of ``val/``)

Classes are the sorted sub-folder names of ``train/``; every ``val`` class must also be a ``train`` class.
Images are decoded with Pillow to RGB, resized so the shorter side is ``DatasetSpec.resolution`` (default: the
shorter side of the first training image) and centre-cropped, then held in memory as uint8: meant for small
and downsampled datasets (e.g. 32/64-px ImageNet subsets), not for full-size ImageNet.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from netspace.errors import DatasetError
from netspace.workers.datasets.base import DatasetInfo, DatasetSpec, ImageData, data_root, make_image_data

EXPECTED = "class folders train/<class>/*.png|jpg and val/<class>/*.png|jpg"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".webp"}


#: (path, label) pairs of one split
Items = list[tuple[str, int]]


def image_files(folder: Path) -> list[str]:
    """The image files directly in ``folder``, sorted; paths as strings (``os.scandir``: ImageNet's train split
    is over a million files)."""
    with os.scandir(folder) as it:
        return sorted(e.path for e in it if os.path.splitext(e.name)[1].lower() in IMAGE_SUFFIXES and e.is_file())


def scan_folders(spec: DatasetSpec, root: Path, expected: str = EXPECTED,
                 flat_val: Callable[[Path, list[str]], Items] | None = None) -> tuple[list[str], Items, Items]:
    """Class names and (path, label) lists of both splits of the class folders under ``root``; one-line errors for
    a wrong layout (naming the ``expected`` one). Classes are the sorted sub-folders of ``train/``; ``val/`` (or
    ``test/``) holds a sub-folder per class it has, each a ``train/`` class, or, when it has no sub-folders and
    ``flat_val`` is given, images that ``flat_val(val_dir, classes)`` labels (ImageNet's devkit ground truth)."""
    train_dir = root / "train"
    if not train_dir.is_dir():
        raise DatasetError(f"{spec.name}: {train_dir} not found; expected {expected} under {root}")
    val_dir = next((root / n for n in ("val", "test") if (root / n).is_dir()), None)
    if val_dir is None:
        raise DatasetError(f"{spec.name}: {root / 'val'} not found; expected {expected} under {root}")
    classes = sorted(p.name for p in train_dir.iterdir() if p.is_dir())
    if not classes:
        raise DatasetError(f"{spec.name}: {train_dir} has no class sub-folders; expected {expected}")
    train: Items = []
    for i, c in enumerate(classes):
        files = image_files(train_dir / c)
        if not files:
            raise DatasetError(f"{spec.name}: {train_dir / c} holds no images; expected {expected}")
        train += [(f, i) for f in files]
    index = {c: i for i, c in enumerate(classes)}
    subdirs = sorted(p for p in val_dir.iterdir() if p.is_dir())
    if subdirs or flat_val is None:
        val: Items = []
        for d in subdirs:
            if d.name not in index:
                raise DatasetError(f"{spec.name}: {d} is a class that {train_dir} does not have")
            val += [(f, index[d.name]) for f in image_files(d)]
    else:
        val = flat_val(val_dir, classes)
    if not val:
        raise DatasetError(f"{spec.name}: {val_dir} holds no images of the training classes; expected {expected}")
    return classes, train, val


def scan(spec: DatasetSpec) -> tuple[list[str], Items, Items]:
    """Class names and (path, label) lists of both splits; one-line errors for a wrong layout."""
    return scan_folders(spec, data_root(spec, EXPECTED))


def _open(spec: DatasetSpec, path: str):
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(path)
        img.load()
    except (OSError, UnidentifiedImageError) as exc:
        raise DatasetError(f"{spec.name}: cannot decode image {path} ({type(exc).__name__})") from None
    return img


def _resolution(spec: DatasetSpec, first: str) -> int:
    if spec.resolution is not None:
        return int(spec.resolution)
    return min(_open(spec, first).size)


def _decode(spec: DatasetSpec, path: str, res: int) -> np.ndarray:
    from PIL import Image

    img = _open(spec, path).convert("RGB")
    w, h = img.size
    scale = res / min(w, h)
    if (w, h) != (res, res):
        nw, nh = max(res, round(w * scale)), max(res, round(h * scale))
        img = img.resize((nw, nh), Image.Resampling.BILINEAR)
        left, top = (nw - res) // 2, (nh - res) // 2
        img = img.crop((left, top, left + res, top + res))
    return np.asarray(img, dtype=np.uint8).transpose(2, 0, 1)


def info(spec: DatasetSpec) -> DatasetInfo:
    classes, train, val = scan(spec)
    return DatasetInfo(3, len(classes), _resolution(spec, train[0][0]), len(train), len(val), hflip=True,
                       classes=tuple(classes))


def load(spec: DatasetSpec) -> ImageData:
    classes, train, val = scan(spec)
    res = _resolution(spec, train[0][0])

    def read(items):
        x = np.stack([_decode(spec, p, res) for p, _ in items])
        return x, np.asarray([y for _, y in items], dtype=np.int64)

    (tx, ty), (vx, vy) = read(train), read(val)
    return make_image_data(tx, ty, vx, vy, len(classes), hflip=True, classes=classes)
