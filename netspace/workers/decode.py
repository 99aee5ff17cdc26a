"""Decoding an encoded image (JPEG, PNG, ...) straight to the crop the ImageNet recipe wants, as uint8 HWC.

The crop boxes are pure functions of the image size and a numpy generator:

* train: :func:`random_resized_box` (torchvision's ``RandomResizedCrop``: area 8–100 %, aspect 3/4–4/3, ten tries,
  then the centre crop), resized to ``res``×``res``, then a horizontal flip with probability 1/2;
* eval: :func:`center_box`, the same pixels as "resize the short side to res×256/224, centre-crop res".

Decoders (``DECODERS``; measured by ``benchmarks/bench_input.py``, see docs/imagenet.md):

* ``pil-draft`` (default): Pillow with ``Image.draft``, so libjpeg-turbo decodes a JPEG at 1/2, 1/4 or 1/8 scale in
  the DCT domain whenever the crop still covers at least ``res`` pixels at that scale; then one ``resize`` with a
  ``box`` (crop and resize in one pass, no intermediate copy);
* ``pil``: the same without the reduced-size decode;
* ``torchvision``: ``torchvision.io.decode_jpeg`` (libjpeg-turbo) and a uint8 antialiased tensor resize.

A file that does not decode raises :class:`CorruptImage` (the stream skips and counts it).
"""

from __future__ import annotations

import io
import math
import os
import warnings
from collections.abc import Callable

import numpy as np

#: eval resize: short side to res × 256 / 224, then centre-crop res (the ImageNet evaluation protocol)
EVAL_RESIZE_RATIO = 256 / 224
SCALE = (0.08, 1.0)
RATIO = (3 / 4, 4 / 3)
DECODER_ENV = "NETSPACE_DECODER"
DEFAULT_DECODER = "pil-draft"

Box = tuple[float, float, float, float]  # left, top, width, height in pixels of the full image


class CorruptImage(Exception):
    """The bytes are not a decodable image (truncated, garbage, unsupported)."""


def random_resized_box(w: int, h: int, rng: np.random.Generator, scale=SCALE, ratio=RATIO) -> Box:
    """torchvision's ``RandomResizedCrop.get_params``: a random box of ``scale`` of the area and ``ratio`` aspect."""
    area = w * h
    log_r = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = area * rng.uniform(scale[0], scale[1])
        aspect = math.exp(rng.uniform(*log_r))
        cw = int(round(math.sqrt(target * aspect)))
        ch = int(round(math.sqrt(target / aspect)))
        if 0 < cw <= w and 0 < ch <= h:
            left = int(rng.integers(0, w - cw + 1))
            top = int(rng.integers(0, h - ch + 1))
            return float(left), float(top), float(cw), float(ch)
    in_ratio = w / h  # fallback: the whole image, clamped to the aspect range, centred
    if in_ratio < ratio[0]:
        cw, ch = w, int(round(w / ratio[0]))
    elif in_ratio > ratio[1]:
        ch, cw = h, int(round(h * ratio[1]))
    else:
        cw, ch = w, h
    return float((w - cw) // 2), float((h - ch) // 2), float(cw), float(ch)


def center_box(w: int, h: int, res: int) -> Box:
    """The region of the full image that "resize short side to round(res·256/224), centre-crop res" keeps."""
    short = round(res * EVAL_RESIZE_RATIO)
    side = res * min(w, h) / short  # res resized pixels, in full-image pixels
    return (w - side) / 2, (h - side) / 2, side, side


def eval_resize(res: int) -> int:
    return round(res * EVAL_RESIZE_RATIO)


BoxFn = Callable[[int, int], Box]


# -- Pillow ----------------------------------------------------------------------------------------------------
def _pil(data: bytes, res: int, box_fn: BoxFn, draft: bool) -> np.ndarray:
    from PIL import Image

    try:
        img: Image.Image = Image.open(io.BytesIO(data))
        w, h = img.size
        left, top, cw, ch = box_fn(w, h)
        if draft and img.format == "JPEG":
            s = res / min(cw, ch)  # the crop must keep >= res pixels on its short side after the DCT scaling
            img.draft("RGB", (max(1, math.ceil(w * s)), max(1, math.ceil(h * s))))
        (dw, dh), (fx, fy) = img.size, (img.size[0] / w, img.size[1] / h)  # DCT scaling rounds sizes up
        if img.mode != "RGB":
            img = img.convert("RGB")
        box = (left * fx, top * fy, min((left + cw) * fx, dw), min((top + ch) * fy, dh))
        out = img.resize((res, res), Image.Resampling.BILINEAR, box=box)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise CorruptImage(f"{type(exc).__name__}: {exc}") from None
    return np.asarray(out)


def decode_pil_draft(data: bytes, res: int, box_fn: BoxFn) -> np.ndarray:
    return _pil(data, res, box_fn, draft=True)


def decode_pil(data: bytes, res: int, box_fn: BoxFn) -> np.ndarray:
    return _pil(data, res, box_fn, draft=False)


# -- torchvision (libjpeg-turbo into a tensor) ---------------------------------------------------------------------
def decode_torchvision(data: bytes, res: int, box_fn: BoxFn) -> np.ndarray:
    import torch
    from torchvision.io import ImageReadMode, decode_image
    from torchvision.transforms.v2.functional import resized_crop

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # libjpeg's "corrupt data" warnings: a truncated file is corrupt
            warnings.simplefilter("ignore", DeprecationWarning)  # torchvision 0.29 points at torchcodec
            img = decode_image(torch.frombuffer(bytearray(data), dtype=torch.uint8), mode=ImageReadMode.RGB)
    except (RuntimeError, UserWarning, ValueError) as exc:
        raise CorruptImage(f"{type(exc).__name__}: {exc}") from None
    h, w = img.shape[-2:]
    left, top, cw, ch = (int(round(v)) for v in box_fn(w, h))
    out = resized_crop(img, top, left, max(ch, 1), max(cw, 1), [res, res], antialias=True)
    return out.permute(1, 2, 0).numpy()


DECODERS: dict[str, Callable[[bytes, int, BoxFn], np.ndarray]] = {
    "pil-draft": decode_pil_draft,
    "pil": decode_pil,
    "torchvision": decode_torchvision,
}


def get_decoder(name: str | None = None) -> Callable[[bytes, int, BoxFn], np.ndarray]:
    """The decoder called ``name`` (default ``$NETSPACE_DECODER`` or :data:`DEFAULT_DECODER`)."""
    from netspace.errors import DatasetError

    name = name or os.environ.get(DECODER_ENV) or DEFAULT_DECODER
    if name not in DECODERS:
        raise DatasetError(f"unknown image decoder {name!r}; known: {', '.join(DECODERS)}")
    return DECODERS[name]


def train_image(decode, data: bytes, res: int, rng: np.random.Generator, hflip: bool = True) -> np.ndarray:
    """Random-resized crop to ``res`` plus a random horizontal flip: uint8 (res, res, 3)."""
    out = decode(data, res, lambda w, h: random_resized_box(w, h, rng))
    if hflip and rng.random() < 0.5:
        out = out[:, ::-1]
    return out


def eval_image(decode, data: bytes, res: int) -> np.ndarray:
    """Resize to res·256/224 and centre-crop ``res``: uint8 (res, res, 3)."""
    return decode(data, res, lambda w, h: center_box(w, h, res))
