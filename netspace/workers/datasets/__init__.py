"""Datasets, all read from a local path (``DatasetSpec.root`` or ``$NETSPACE_DATA``) into memory; nothing is
downloaded. ``digits`` (embedded), ``cifar10``, ``cifar100``, ``fashion_mnist``, ``folder``, ``synthetic``, ``imagenet16/32/64``
(downsampled npz); ``imagenet`` alone is streamed from disk (``Loader.streamed``, see netspace.workers.stream)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple

from netspace.errors import DatasetError
from netspace.workers.datasets import cifar, digits, fashion_mnist, folder, imagenet, imagenet_lowres, synthetic
from netspace.workers.datasets.base import DATA_ENV, DatasetInfo, DatasetSpec, ImageData


class Loader(NamedTuple):
    load: Callable[[DatasetSpec], ImageData]
    #: cheap shape summary that validates the path; None means "load and look"
    info: Callable[[DatasetSpec], DatasetInfo] | None = None
    #: read from disk while training (never loaded into memory): see netspace.workers.input
    streamed: bool = False


LOADERS: dict[str, Loader] = {
    "digits": Loader(digits.load, digits.info),
    "cifar10": Loader(cifar.load_cifar10),
    "cifar100": Loader(cifar.load_cifar100),
    "fashion_mnist": Loader(fashion_mnist.load),
    "folder": Loader(folder.load, folder.info),
    "synthetic": Loader(synthetic.load, synthetic.info),
    "imagenet": Loader(imagenet.load, imagenet.info, streamed=True),
    **{f"imagenet{r}": Loader(*imagenet_lowres.loaders(r)) for r in (16, 32, 64)},
}

_CACHE: OrderedDict[DatasetSpec, ImageData] = OrderedDict()
_CACHE_SIZE = 2
_LOCK = threading.Lock()


def _loader(spec: DatasetSpec) -> Loader:
    loader = LOADERS.get(spec.name)
    if loader is None:
        raise DatasetError(f"unknown dataset {spec.name!r}; known: {', '.join(sorted(LOADERS))}")
    return loader


def _as_spec(spec: DatasetSpec | str) -> DatasetSpec:
    return DatasetSpec(spec) if isinstance(spec, str) else spec


def load_dataset(spec: DatasetSpec | str) -> ImageData:
    """The whole dataset in memory (CPU, uint8), cached per process for the last two specs."""
    spec = _as_spec(spec)
    loader = _loader(spec)
    key = _cache_key(spec)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    data = loader.load(spec)
    with _LOCK:
        _CACHE[key] = data
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return data


def _cache_key(spec: DatasetSpec) -> DatasetSpec:
    import os

    root = spec.root if spec.root is not None else os.environ.get(DATA_ENV)
    return DatasetSpec(spec.name, root, spec.resolution)


def dataset_info(spec: DatasetSpec | str) -> DatasetInfo:
    """Channels, classes, resolution and split sizes; validates the path (one-line :class:`DatasetError`)."""
    spec = _as_spec(spec)
    loader = _loader(spec)
    return loader.info(spec) if loader.info is not None else load_dataset(spec).info


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()
    imagenet.clear_cache()


__all__ = ["DATA_ENV", "DatasetInfo", "DatasetSpec", "ImageData", "LOADERS", "clear_cache", "dataset_info", "load_dataset"]
