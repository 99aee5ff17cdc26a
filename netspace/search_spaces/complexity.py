"""Analytic complexity of layers: FLOPs (multiply-adds), parameters and activations.

Pure functions, no torch. Sizes may be ints or numpy int arrays (one entry per candidate config), so the same
code counts one network or screens thousands of sampled configs at once. Conventions (they reproduce the published RegNet model-zoo numbers exactly):
- FLOPs are multiply-adds of convolutions and linear layers; a bias adds one per output element.
  BN, ReLU, pooling, residual adds and the SE multiply add nothing.
- Parameters include BN's affine pair per channel (not running statistics).
- Activations are the output elements of every convolution and linear layer.
- A k×k conv with stride s and "same" padding maps h to (h - 1) // s + 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Complexity:
    """FLOPs (multiply-adds), parameters and activations of a network or a part of one."""

    flops: int = 0
    params: int = 0
    acts: int = 0

    def __add__(self, other: Complexity) -> Complexity:
        return Complexity(self.flops + other.flops, self.params + other.params, self.acts + other.acts)

    def __mul__(self, k: int) -> Complexity:
        return Complexity(self.flops * k, self.params * k, self.acts * k)

    __rmul__ = __mul__

    def as_dict(self) -> dict[str, int]:
        return {"flops": self.flops, "params": self.params, "acts": self.acts}


ZERO = Complexity()


def iround(x):
    """Round half to even to an int (Python's ``round``); elementwise to int64 for numpy arrays."""
    if isinstance(x, np.ndarray):
        return np.rint(x).astype(np.int64)
    return int(round(x))


def out_size(h: int, stride: int) -> int:
    """Spatial size after a same-padded conv (any odd kernel) or a pooling of the given stride."""
    return (h - 1) // stride + 1


def conv(h: int, w: int, c_in: int, c_out: int, k: int, stride: int = 1, groups: int = 1, bias: bool = False):
    """Complexity of a same-padded k×k conv on an h×w input; returns (complexity, h_out, w_out)."""
    ho, wo = out_size(h, stride), out_size(w, stride)
    weights = c_out * (c_in // groups) * k * k
    n_out = ho * wo * c_out
    flops = n_out * (c_in // groups) * k * k + (n_out if bias else 0)
    return Complexity(flops, weights + (c_out if bias else 0), n_out), ho, wo


def batchnorm(c: int) -> Complexity:
    return Complexity(0, 2 * c, 0)


def linear(c_in: int, c_out: int, bias: bool = True) -> Complexity:
    return Complexity(c_in * c_out + (c_out if bias else 0), c_in * c_out + (c_out if bias else 0), c_out)


def pool_size(h: int, k: int, stride: int) -> int:
    """Spatial size after an unpadded k×k pooling (VGG's 2×2/2 max-pool): floor division."""
    return (h - k) // stride + 1
