"""What every dataset loader shares: the spec naming a dataset, its summary, the in-memory tensors, and
resolution of the data root (``DatasetSpec.root`` or ``$NETSPACE_DATA``) with one-line errors."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from netspace.errors import DatasetError

DATA_ENV = "NETSPACE_DATA"


@dataclass(frozen=True)
class DatasetSpec:
    """Which dataset to train on and where it lies.

    ``root`` defaults to ``$NETSPACE_DATA``. ``resolution`` applies to ``folder`` datasets only (images are
    resized so the shorter side matches, then centre-cropped); other datasets keep their native size.
    """

    name: str = "digits"
    root: str | None = None
    resolution: int | None = None

    def __post_init__(self):
        if self.root is not None and not isinstance(self.root, str):
            object.__setattr__(self, "root", str(self.root))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DatasetSpec:
        known = {"name", "root", "resolution"}
        unknown = set(data) - known
        if unknown:
            raise DatasetError(f"dataset spec: unknown field(s) {sorted(unknown)}; expected {sorted(known)}")
        return cls(**dict(data))


@dataclass(frozen=True)
class DatasetInfo:
    """Shape of a dataset: what a network for it needs, and the split sizes."""

    in_channels: int
    num_classes: int
    resolution: int
    train_size: int
    test_size: int
    #: whether random horizontal flips are a label-preserving augmentation for this dataset
    hflip: bool = True
    #: zero padding of the random-crop augmentation, in pixels
    crop_pad: int = 4
    classes: tuple[str, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["classes"] = list(self.classes)
        return d


@dataclass
class ImageData:
    """A whole dataset in memory: uint8 images (N, C, H, W), int64 labels, per-channel mean/std in [0, 1]."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    mean: tuple[float, ...]
    std: tuple[float, ...]
    info: DatasetInfo


def channel_stats(x: torch.Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and std (in [0, 1] units) of uint8 images (N, C, H, W)."""
    c = x.shape[1]
    mean = torch.zeros(c, dtype=torch.float64)
    sq = torch.zeros(c, dtype=torch.float64)
    n = 0
    for chunk in x.split(4096):  # bounded memory for large sets
        f = chunk.to(torch.float64).div_(255.0)
        mean += f.sum(dim=(0, 2, 3))
        sq += f.square().sum(dim=(0, 2, 3))
        n += f.shape[0] * f.shape[2] * f.shape[3]
    mean /= max(n, 1)
    var = (sq / max(n, 1) - mean.square()).clamp_min(1e-12)
    return tuple(float(v) for v in mean), tuple(max(float(v), 1e-3) for v in var.sqrt())


def make_image_data(train_x, train_y, test_x, test_y, num_classes: int, hflip: bool, classes=(), crop_pad: int = 4) -> ImageData:
    train_x = torch.as_tensor(train_x, dtype=torch.uint8).contiguous()
    test_x = torch.as_tensor(test_x, dtype=torch.uint8).contiguous()
    train_y = torch.as_tensor(train_y, dtype=torch.int64).contiguous()
    test_y = torch.as_tensor(test_y, dtype=torch.int64).contiguous()
    mean, std = channel_stats(train_x)
    info = DatasetInfo(
        in_channels=int(train_x.shape[1]), num_classes=int(num_classes), resolution=int(train_x.shape[2]),
        train_size=int(train_x.shape[0]), test_size=int(test_x.shape[0]), hflip=hflip, crop_pad=crop_pad, classes=tuple(classes),
    )
    return ImageData(train_x, train_y, test_x, test_y, mean, std, info)


def data_root(spec: DatasetSpec, expected: str) -> Path:
    """The directory the dataset lives under; a one-line :class:`DatasetError` if none is given or it is missing.

    ``expected`` describes what should be there, e.g. "the CIFAR-10 python version (cifar-10-batches-py/)".
    """
    root = spec.root if spec.root is not None else os.environ.get(DATA_ENV)
    if not root:
        raise DatasetError(
            f"{spec.name}: no data path; pass --data PATH (DatasetSpec.root) or set {DATA_ENV} to the directory "
            f"holding {expected}"
        )
    path = Path(root).expanduser()
    if not path.is_dir():
        raise DatasetError(f"{spec.name}: {path} not found or not a directory; expected {expected} under it")
    return path
