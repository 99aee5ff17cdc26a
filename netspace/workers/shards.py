"""Sharded datasets in the webdataset format: plain POSIX tar files, each sample two consecutive members
``<key>.jpg`` (the encoded image, unchanged) and ``<key>.cls`` (the class index as ASCII digits).

``netspace data pack`` writes ``train-000000.tar``, ``train-000001.tar``, … and ``val-000000.tar``, … (a new shard
when one passes ``shard_bytes``), training samples in a seeded random order so every shard mixes the classes, and
last ``netspace-shards.json``: the class names and each shard's sample count and size. The tar files need no
netspace to read (``tar tf``, ``webdataset.WebDataset``); the index only lets a reader count iterations and check
shards before it starts.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from netspace.errors import DatasetError

INDEX = "netspace-shards.json"
FORMAT = "webdataset"
DEFAULT_SHARD_BYTES = 256 * 2**20
PACK_SEED = 0
IMAGE_EXTS = ("jpg", "jpeg", "png", "webp", "bmp", "ppm")


@dataclass(frozen=True)
class Sample:
    key: str
    data: bytes
    label: int


# -- writing -----------------------------------------------------------------------------------------------------
class ShardWriter:
    """Writes samples to ``<prefix>-NNNNNN.tar`` files of at most about ``shard_bytes`` each."""

    def __init__(self, out: Path, prefix: str, shard_bytes: int = DEFAULT_SHARD_BYTES):
        self.out, self.prefix, self.limit = out, prefix, int(shard_bytes)
        self.shards: list[dict] = []
        self._tar: tarfile.TarFile | None = None
        self._tmp: Path | None = None

    def _open(self) -> None:
        name = f"{self.prefix}-{len(self.shards):06d}.tar"
        self._tmp = self.out / f".{name}.partial"
        self._tar = tarfile.open(self._tmp, "w", format=tarfile.USTAR_FORMAT)
        self.shards.append({"name": name, "count": 0, "bytes": 0})

    def _close(self) -> None:
        if self._tar is not None and self._tmp is not None:
            self._tar.close()
            final = self.out / self.shards[-1]["name"]
            os.replace(self._tmp, final)
            self.shards[-1]["bytes"] = final.stat().st_size
            self._tar = None

    def write(self, key: str, ext: str, data: bytes, label: int) -> None:
        if self._tar is None or (self.shards[-1]["count"] and self._tar.offset >= self.limit):
            self._close()
            self._open()
        tar = self._tar
        assert tar is not None
        for name, payload in ((f"{key}.{ext}", data), (f"{key}.cls", str(int(label)).encode())):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(payload), 0, 0o644
            tar.addfile(info, io.BytesIO(payload))
        self.shards[-1]["count"] += 1

    def close(self) -> list[dict]:
        self._close()
        return self.shards


def image_ext(path: str | Path) -> str:
    ext = Path(path).suffix.lower().lstrip(".")
    return "jpg" if ext == "jpeg" else ext


def pack(classes: Sequence[str], splits: dict[str, Sequence[tuple[str, int]]], out: str | Path, *,
         shard_bytes: int = DEFAULT_SHARD_BYTES, overwrite: bool = False,
         progress: Callable[[int], None] | None = None) -> dict:
    """Copy each split's (image path, label) list into shards under ``out``; returns the index written.

    The ``train`` split is written in a random order (seed :data:`PACK_SEED`); files are copied as they are
    (no decoding, so packing runs at disk speed). ``progress(n)`` is called after every ``n`` images.
    """
    out = Path(out).expanduser()
    if (out / INDEX).exists() and not overwrite:
        raise DatasetError(f"{out} already holds a packed dataset ({INDEX}); pass --overwrite to replace it")
    out.mkdir(parents=True, exist_ok=True)
    (out / INDEX).unlink(missing_ok=True)  # a half-written pack never looks complete
    splits_index: dict[str, list[dict]] = {}
    index = {"format": FORMAT, "version": 1, "classes": list(classes), "splits": splits_index}
    for split, items in splits.items():
        order = np.random.default_rng(PACK_SEED).permutation(len(items)) if split == "train" else range(len(items))
        writer = ShardWriter(out, split, shard_bytes)
        for n, i in enumerate(order):
            path, label = items[int(i)]
            try:
                data = Path(path).read_bytes()
            except OSError as exc:
                raise DatasetError(f"cannot read {path} ({exc.strerror or type(exc).__name__})") from None
            writer.write(f"{split}{n:08d}", image_ext(path), data, label)
            if progress is not None:
                progress(1)
        splits_index[split] = writer.close()
    tmp = out / f".{INDEX}.partial"
    tmp.write_text(json.dumps(index, indent=1))
    os.replace(tmp, out / INDEX)
    return index


# -- reading -----------------------------------------------------------------------------------------------------
def read_index(root: Path) -> dict | None:
    """The index of a packed dataset under ``root``; None if ``root`` is not one."""
    path = root / INDEX
    if not path.is_file():
        return None
    try:
        index = json.loads(path.read_text())
        assert index.get("format") == FORMAT and isinstance(index.get("splits"), dict)
    except (OSError, ValueError, AssertionError):
        raise DatasetError(f"{path} is not a netspace shard index (rewrite it with `netspace data pack`)") from None
    return index


def check_shards(root: Path, shards: Sequence[dict]) -> None:
    """One-line :class:`DatasetError` if a shard of the index is missing, unreadable or of the wrong size."""
    for s in shards:
        path = root / s["name"]
        try:
            size = path.stat().st_size
            with open(path, "rb"):
                pass
        except OSError as exc:
            raise DatasetError(f"shard {path} is missing or unreadable ({exc.strerror or type(exc).__name__})") from None
        if size != s["bytes"]:
            raise DatasetError(f"shard {path} has {size} bytes, the index says {s['bytes']}: a partial copy? "
                               f"copy it again or re-run `netspace data pack`")


def read_shard(path: str | Path, limit: int | None = None) -> Iterator[Sample]:
    """The samples of one shard, in order, streaming (one member in memory at a time). A member group without an
    image or a label becomes a Sample with empty data (counted as corrupt downstream); a missing, unreadable or
    truncated shard raises a one-line :class:`DatasetError`."""
    n = 0
    try:
        with open(path, "rb") as f, tarfile.open(fileobj=f, mode="r|") as tar:
            key, data, label = None, b"", -1
            for member in tar:
                tar.members = []  # type: ignore[attr-defined]  # stream mode keeps every TarInfo otherwise
                if not member.isfile():
                    continue
                k, _, ext = member.name.rpartition("/")[2].partition(".")
                if k != key:
                    if key is not None:
                        yield Sample(key, data, label)
                        n += 1
                        if limit is not None and n >= limit:
                            return
                    key, data, label = k, b"", -1
                fobj = tar.extractfile(member)
                payload = fobj.read() if fobj is not None else b""
                if ext.lower() in IMAGE_EXTS:
                    data = payload
                elif ext == "cls":
                    try:
                        label = int(payload.strip())
                    except ValueError:
                        label = -1
            if key is not None and (limit is None or n < limit):
                yield Sample(key, data, label)
    except (OSError, tarfile.TarError, EOFError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise DatasetError(f"shard {path} is missing or unreadable ({reason})") from None
