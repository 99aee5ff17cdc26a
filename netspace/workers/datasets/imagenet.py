"""ImageNet (ILSVRC-2012) and any subset in its layout, streamed from disk, never held in memory:

    ROOT/train/<wnid>/*.JPEG
    ROOT/val/<wnid>/*.JPEG                  or
    ROOT/val/*.JPEG + the devkit's ILSVRC2012_validation_ground_truth.txt (ROOT/, ROOT/val/ or
                      ROOT/ILSVRC2012_devkit_t12/data/; its meta.mat, when present, maps IDs to wnids)

or a directory written by ``netspace data pack`` (webdataset tar shards + ``netspace-shards.json``). Classes are
the sorted sub-folders of ``train/`` (ImageNet-100, Imagenette-style subsets work); ``DatasetSpec.resolution`` is the
training resolution (default 224). Training and evaluation go through :mod:`netspace.workers.stream`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path

import numpy as np

from netspace.errors import DatasetError
from netspace.workers.datasets.base import DatasetInfo, DatasetSpec, ImageData, data_root
from netspace.workers.datasets.folder import Items, image_files
from netspace.workers.datasets.folder import scan_folders as scan_class_folders
from netspace.workers.shards import check_shards, read_index

EXPECTED = ("train/<wnid>/*.JPEG and val/<wnid>/*.JPEG (or val/*.JPEG with the devkit's "
            "ILSVRC2012_validation_ground_truth.txt), or shards written by `netspace data pack`")
DEFAULT_RESOLUTION = 224
GROUND_TRUTH = "ILSVRC2012_validation_ground_truth.txt"
#: ImageNet's channel statistics, the usual normalisation of the recipe
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Units:
    """What a stream reads, split between data-loader workers and ranks: whole shards (``kind`` "shards",
    ``counts`` samples each) or single image files (``kind`` "files", one sample each, ``labels`` given). Paths
    are a numpy bytes array, so forked data-loader workers do not copy a million Python strings."""

    kind: str
    paths: np.ndarray
    counts: np.ndarray
    labels: np.ndarray | None = None

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def first(self, n: int | None) -> Units:
        """The first ``n`` samples (in packing order): a fixed subset, the same for every trial."""
        if n is None or n >= self.total:
            return self
        cum = np.cumsum(self.counts)
        k = int(np.searchsorted(cum, n)) + 1
        counts = self.counts[:k].copy()
        counts[-1] -= int(cum[k - 1]) - n
        return Units(self.kind, self.paths[:k], counts, None if self.labels is None else self.labels[:k])


@dataclass(frozen=True)
class Layout:
    classes: tuple[str, ...]
    train: Units
    val: Units


def _file_units(items: Items) -> Units:
    paths = np.array([p.encode() for p, _ in items], dtype=np.bytes_)
    return Units("files", paths, np.ones(len(items), dtype=np.int64), np.array([y for _, y in items], dtype=np.int64))


def _ground_truth(root: Path, val: Path) -> Path | None:
    for d in (root, val, root / "ILSVRC2012_devkit_t12" / "data", root / "devkit" / "data"):
        if (d / GROUND_TRUTH).is_file():
            return d / GROUND_TRUTH
    return None


def _id_to_wnid(gt: Path, classes: list[str], name: str) -> dict[int, str]:
    meta = gt.parent / "meta.mat"
    if meta.is_file():
        try:
            from scipy.io import loadmat

            synsets = loadmat(str(meta), squeeze_me=True)["synsets"]
            return {int(s["ILSVRC2012_ID"]): str(s["WNID"]) for s in synsets if int(s["ILSVRC2012_ID"]) <= 1000}
        except Exception as exc:  # scipy raises many kinds on a bad file
            raise DatasetError(f"{name}: cannot read {meta} ({type(exc).__name__})") from None
    if len(classes) != 1000:
        raise DatasetError(f"{name}: {gt} gives ILSVRC2012 IDs, which name wnids only for all 1000 classes or with "
                           f"the devkit's meta.mat beside it; {len(classes)} class folders found")
    return {i + 1: c for i, c in enumerate(classes)}  # ILSVRC2012 IDs follow the sorted wnid order


def _flat_val(spec: DatasetSpec, root: Path, val: Path, classes: list[str]) -> Items:
    """The images of a ``val/`` without class folders, labelled by the devkit's ground truth."""
    index = {c: i for i, c in enumerate(classes)}
    gt = _ground_truth(root, val)
    files = image_files(val)
    if gt is None:
        raise DatasetError(f"{spec.name}: {val} has no class folders and no {GROUND_TRUTH} was found (looked in "
                           f"{root}, {val}, {root / 'ILSVRC2012_devkit_t12' / 'data'}); expected {EXPECTED}")
    ids = [int(t) for t in gt.read_text().split()]
    if len(ids) != len(files):
        raise DatasetError(f"{spec.name}: {gt} has {len(ids)} labels but {val} holds {len(files)} images")
    wnid = _id_to_wnid(gt, classes, spec.name)
    return [(f, index[wnid[i]]) for f, i in zip(files, ids) if wnid.get(i) in index]  # subsets keep their classes


@lru_cache(maxsize=4)
def _scan(spec: DatasetSpec, root: str) -> Layout:
    path = Path(root)
    index = read_index(path)
    if index is not None:
        splits = index["splits"]
        if "train" not in splits or "val" not in splits:
            raise DatasetError(f"{spec.name}: {path} was packed without a train and a val split")
        units = {}
        for split in ("train", "val"):
            shards = splits[split]
            check_shards(path, shards)
            units[split] = Units("shards", np.array([str(path / s["name"]).encode() for s in shards], dtype=np.bytes_),
                                 np.array([s["count"] for s in shards], dtype=np.int64))
        return Layout(tuple(index["classes"]), units["train"], units["val"])
    classes, train, val = scan_folders(spec, path)
    return Layout(tuple(classes), _file_units(train), _file_units(val))


def scan_folders(spec: DatasetSpec, root: Path) -> tuple[list[str], Items, Items]:
    """Class names and (path, label) lists of both splits of the folder layout (the class-folder scan of
    :mod:`~netspace.workers.datasets.folder`, a flat ``val/`` labelled by the devkit's ground truth); one-line
    errors."""
    return scan_class_folders(spec, root, EXPECTED, flat_val=partial(_flat_val, spec, root))


def layout(spec: DatasetSpec) -> Layout:
    """The classes and the train/val units of ``spec``; validates the path (one-line :class:`DatasetError`)."""
    root = data_root(spec, EXPECTED)
    return _scan(DatasetSpec(spec.name, str(root.resolve()), None), str(root.resolve()))


def resolution(spec: DatasetSpec) -> int:
    return int(spec.resolution) if spec.resolution is not None else DEFAULT_RESOLUTION


def info(spec: DatasetSpec) -> DatasetInfo:
    lay = layout(spec)
    return DatasetInfo(3, len(lay.classes), resolution(spec), lay.train.total, lay.val.total, hflip=True, crop_pad=0,
                       classes=lay.classes)


def load(spec: DatasetSpec) -> ImageData:
    raise DatasetError(f"{spec.name} streams from disk and is never loaded into memory; train it with run_trial, "
                       f"`netspace train` or a campaign")


def clear_cache() -> None:
    _scan.cache_clear()
