"""Streaming input pipeline for datasets that never fit in memory (``imagenet``): shards or files are split between
ranks and data-loader workers without duplicates, shuffled (per-epoch unit order + a bounded shuffle buffer), decoded
and cropped in the workers (CPU) or in batches on the GPU (nvjpeg), and batched as uint8.

Splitting, for ``C = world × workers`` consumers, consumer ``rank × workers + worker``: with at least ``C`` units
(shards or files) each consumer reads every C-th unit of the epoch's order; with fewer, every consumer reads all units
and keeps every C-th sample. Either way each image is seen exactly once per epoch across all consumers. ``rank`` and
``world`` come from ``torch.distributed`` when it is initialised, else ``$RANK`` / ``$WORLD_SIZE``, else 0 / 1.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from netspace.errors import DatasetError
from netspace.workers.datasets.imagenet import Units
from netspace.workers.decode import CorruptImage, eval_image, get_decoder, train_image
from netspace.workers.shards import Sample, read_shard

#: shuffle buffer bounds per data-loader worker: whichever is reached first
SHUFFLE_SAMPLES = 2048
SHUFFLE_BYTES = 64 * 2**20


def rank_world() -> tuple[int, int]:
    """This process's (rank, world size) for splitting data between data-parallel processes."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    rank = int(os.environ.get("RANK", "0") or 0)
    return (rank, world) if 0 <= rank < world else (0, 1)


def loader_workers(cpus: int, cuda: bool) -> int:
    """Data-loader worker processes for a trial given ``cpus`` (its ``cpus_per_trial``), not the host's cores.

    CUDA: the model runs on the GPU, so all but one CPU decode (nvjpeg needs fewer: see :class:`StreamData`).
    CPU: decoding and the model share the budget; half of it decodes, none below 2 CPUs (decode inline).
    """
    cpus = max(1, int(cpus))
    if cuda:
        return max(1, cpus - 1)
    return cpus // 2 if cpus >= 2 else 0


def read_unit(units: Units, i: int) -> Iterator[Sample]:
    path = units.paths[i].decode()
    if units.kind == "shards":
        yield from read_shard(path, int(units.counts[i]))
        return
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise DatasetError(f"cannot read image {path} ({exc.strerror or type(exc).__name__})") from None
    labels = units.labels
    assert labels is not None, "file units carry their labels"
    yield Sample(os.path.basename(path), data, int(labels[i]))


def consumer_samples(units: Units, order: np.ndarray, consumer: int, consumers: int) -> Iterator[Sample]:
    """The samples consumer ``consumer`` of ``consumers`` reads, given the epoch's unit ``order`` (see module doc)."""
    if len(order) >= consumers:
        for i in order[consumer::consumers]:
            yield from read_unit(units, int(i))
        return
    g = 0
    for i in order:
        for s in read_unit(units, int(i)):
            if g % consumers == consumer:
                yield s
            g += 1


def shuffled(samples: Iterator[Sample], rng: np.random.Generator, max_samples: int = SHUFFLE_SAMPLES,
             max_bytes: int = SHUFFLE_BYTES) -> Iterator[Sample]:
    """A bounded shuffle buffer: holds at most ``max_samples`` samples and about ``max_bytes`` of encoded images."""
    buf: list[Sample] = []
    held = 0
    for s in samples:
        buf.append(s)
        held += len(s.data)
        while len(buf) >= max_samples or held > max_bytes:
            j = int(rng.integers(len(buf)))
            buf[j], buf[-1] = buf[-1], buf[j]
            out = buf.pop()
            held -= len(out.data)
            yield out
    rng.shuffle(buf)
    yield from buf


@dataclass
class StreamConfig:
    units: Units
    resolution: int
    batch_size: int
    train: bool
    augment: bool = True
    seed: int = 0
    rank: int = 0
    world: int = 1
    decoder: str | None = None
    raw: bool = False  # yield the encoded bytes (decoded on the GPU in the main process)
    shuffle_samples: int = SHUFFLE_SAMPLES
    shuffle_bytes: int = SHUFFLE_BYTES


class ImageStream(torch.utils.data.IterableDataset):
    """Yields batches ``(images uint8 (B, H, W, 3), labels int64 (B,), corrupt images skipped)``; with ``raw``,
    ``(list of encoded uint8 tensors, labels, skipped)``; ``("error", message)`` instead of raising in a worker,
    so the main process can raise it as one line. Set :attr:`epoch` before iterating."""

    def __init__(self, cfg: StreamConfig):
        self.cfg = cfg
        self.epoch = 0

    def __iter__(self):
        cfg = self.cfg
        wi = torch.utils.data.get_worker_info()
        wid, nw = (wi.id, wi.num_workers) if wi is not None else (0, 1)
        consumer, consumers = cfg.rank * nw + wid, cfg.world * nw
        n_units = len(cfg.units.counts)
        order = (np.random.default_rng([cfg.seed, self.epoch]).permutation(n_units) if cfg.train
                 else np.arange(n_units))
        rng = np.random.default_rng([cfg.seed, self.epoch, consumer, 1])
        try:
            samples = consumer_samples(cfg.units, order, consumer, consumers)
            if cfg.train:
                samples = shuffled(samples, rng, cfg.shuffle_samples, cfg.shuffle_bytes)
            yield from (self._raw_batches(samples) if cfg.raw else self._batches(samples, rng))
        except DatasetError as exc:
            yield ("error", str(exc))

    def _batches(self, samples: Iterator[Sample], rng: np.random.Generator):
        cfg = self.cfg
        decode = get_decoder(cfg.decoder)
        res, bs = cfg.resolution, cfg.batch_size
        x = torch.empty((bs, res, res, 3), dtype=torch.uint8)
        xs = x.numpy()
        y = torch.empty(bs, dtype=torch.int64)
        n = skipped = 0
        for s in samples:
            try:
                if s.label < 0 or not s.data:
                    raise CorruptImage("no image or no label")
                if cfg.train and cfg.augment:
                    xs[n] = train_image(decode, s.data, res, rng)
                else:
                    xs[n] = eval_image(decode, s.data, res)
            except CorruptImage:
                skipped += 1
                continue
            y[n] = s.label
            n += 1
            if n == bs:
                yield x, y, skipped
                x = torch.empty((bs, res, res, 3), dtype=torch.uint8)
                xs = x.numpy()
                y = torch.empty(bs, dtype=torch.int64)
                n = skipped = 0
        if n or skipped:
            yield x[:n].clone(), y[:n].clone(), skipped

    def _raw_batches(self, samples: Iterator[Sample]):
        bs = self.cfg.batch_size
        data, labels, skipped = [], [], 0
        for s in samples:
            if s.label < 0 or not s.data:
                skipped += 1
                continue
            data.append(torch.frombuffer(bytearray(s.data), dtype=torch.uint8))
            labels.append(s.label)
            if len(data) == bs:
                yield data, torch.tensor(labels, dtype=torch.int64), skipped
                data, labels, skipped = [], [], 0
        if data or skipped:
            yield data, torch.tensor(labels, dtype=torch.int64), skipped


def make_loader(cfg: StreamConfig, workers: int, pin_memory: bool = False) -> tuple[ImageStream, torch.utils.data.DataLoader]:
    ds = ImageStream(cfg)
    loader = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=workers, pin_memory=pin_memory,
                                         prefetch_factor=4 if workers else None, persistent_workers=False)
    return ds, loader


def check(batch):
    """Raise the one-line error a worker sent instead of a batch."""
    if isinstance(batch[0], str):
        raise DatasetError(batch[1])
    return batch
