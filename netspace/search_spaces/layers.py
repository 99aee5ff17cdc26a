"""Torch building blocks shared by the design spaces, each paired with its analytic complexity.

Every module here has a ``complexity_*`` function next to it that counts the same layers, so ``build`` and
``complexity`` cannot drift apart unnoticed (tests compare both against a forward pass).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from netspace.search_spaces import complexity as cx
from netspace.search_spaces.complexity import Complexity, iround

CIFAR_MAX_RESOLUTION = 64
#: the activation functions a space can fix (``"swish"`` is accepted as another name for ``"silu"``)
ACTIVATIONS = ("relu", "silu")
_ALIASES = {"swish": "silu"}


def activation_name(name: str) -> str:
    """The canonical name of an activation (``"swish"`` → ``"silu"``); unknown names raise ValueError."""
    canonical = _ALIASES.get(str(name).lower(), str(name).lower())
    if canonical not in ACTIVATIONS:
        raise ValueError(f"activation {name!r} not one of {ACTIVATIONS} (or 'swish' for 'silu')")
    return canonical


def activation(name: str = "relu") -> nn.Module:
    """The activation module called ``name``: ReLU, or SiLU (Swish, x·sigmoid(x)); both in place, neither counted
    in FLOPs (pointwise, like BN)."""
    return nn.SiLU(inplace=True) if activation_name(name) == "silu" else nn.ReLU(inplace=True)


def stem_stride(resolution: int) -> int:
    """ImageNet-size inputs get a stride-2 stem; CIFAR-size inputs (≤ 64 px) keep full resolution."""
    return 1 if resolution <= CIFAR_MAX_RESOLUTION else 2


def conv_bn(c_in: int, c_out: int, k: int, stride: int = 1, groups: int = 1, *, bn: bool = True,
            bias: bool = False) -> list[nn.Module]:
    """A same-padded k×k conv, followed by BN unless ``bn`` is off; ``bias`` gives the conv a bias."""
    conv = nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2, groups=groups, bias=bias)
    return [conv, nn.BatchNorm2d(c_out)] if bn else [conv]


def complexity_conv_bn(h: int, c_in: int, c_out: int, k: int, stride: int = 1, groups: int = 1, *, bn: bool = True,
                       bias: bool = False):
    c, ho, _ = cx.conv(h, h, c_in, c_out, k, stride, groups, bias=bias)
    return (c + cx.batchnorm(c_out) if bn else c), ho


def conv_bn_relu(c_in: int, c_out: int, k: int, stride: int = 1, groups: int = 1, *, bn: bool = True,
                 bias: bool = False, act: str = "relu") -> list[nn.Module]:
    """conv, BN, then the activation ``act`` (ReLU unless a space fixes another)."""
    return [*conv_bn(c_in, c_out, k, stride, groups, bn=bn, bias=bias), activation(act)]


def stage_pool() -> nn.Module:
    """A 3×3 stride-2 max-pool with padding 1: h → (h - 1) // 2 + 1 (ResNet's and GoogLeNet's stems, Inception stages)."""
    return nn.MaxPool2d(3, stride=2, padding=1)


class Stem(nn.Sequential):
    """3×3 conv (stride 2 at ImageNet size, 1 at CIFAR size), BN, ReLU (or ``act``)."""

    def __init__(self, c_in: int, c_out: int, stride: int, bias: bool = False, act: str = "relu"):
        super().__init__(*conv_bn_relu(c_in, c_out, 3, stride, bias=bias, act=act))


def complexity_stem(h: int, c_in: int, c_out: int, stride: int, bias: bool = False):
    return complexity_conv_bn(h, c_in, c_out, 3, stride, bias=bias)


class ResNetStem(nn.Sequential):
    """ResNet's stem: 7×7 stride-2 conv, BN, ReLU, 3×3 stride-2 max-pool (/4 at any resolution)."""

    def __init__(self, c_in: int, c_out: int, bias: bool = False, act: str = "relu"):
        super().__init__(*conv_bn_relu(c_in, c_out, 7, 2, bias=bias, act=act), stage_pool())


def complexity_resnet_stem(h: int, c_in: int, c_out: int, bias: bool = False):
    c, h = complexity_conv_bn(h, c_in, c_out, 7, 2, bias=bias)
    return c, cx.out_size(h, 2)


class Head(nn.Module):
    """Global average pool and a fully connected classifier."""

    def __init__(self, c_in: int, num_classes: int):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c_in, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(x), 1))


def complexity_head(c_in: int, num_classes: int) -> Complexity:
    return cx.linear(c_in, num_classes)


class SE(nn.Module):
    """Squeeze-excitation: global pool, 1×1 conv to ``w_se`` (ReLU, or ``act`` as in pycls), 1×1 conv back
    (sigmoid), rescale."""

    def __init__(self, w: int, w_se: int, act: str = "relu"):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.f = nn.Sequential(nn.Conv2d(w, w_se, 1, bias=True), activation(act), nn.Conv2d(w_se, w, 1, bias=True), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.f(self.pool(x))


def complexity_se(w: int, w_se: int) -> Complexity:
    a, _, _ = cx.conv(1, 1, w, w_se, 1, bias=True)
    b, _, _ = cx.conv(1, 1, w_se, w, 1, bias=True)
    return a + b


def bottleneck_width(w, b):
    """w_b = round(w / b); works elementwise on numpy arrays too. b < 1 is an inverted bottleneck (w_b > w)."""
    return iround(w / b)


def _projection(w_in: int, w_out: int, stride: int, bias: bool) -> nn.Module | None:
    """1×1 conv + BN shortcut where the block changes width or resolution, else ``None`` (identity)."""
    return nn.Sequential(*conv_bn(w_in, w_out, 1, stride, bias=bias)) if (w_in != w_out or stride != 1) else None


def complexity_projection(h, w_in, w_out, stride: int, bias: bool = False) -> Complexity:
    """Complexity of :func:`_projection`; ``w_in``/``w_out`` may be numpy arrays (counted where a projection exists)."""
    needs_proj = (w_in != w_out) | (stride != 1)
    if needs_proj is False:
        return cx.ZERO
    p, _ = complexity_conv_bn(h, w_in, w_out, 1, stride, bias=bias)
    return p if needs_proj is True else p * needs_proj


class _Residual(nn.Module):
    """``act(f(x) + shortcut(x))`` with a zero-initialised last BN, so every block starts as the identity."""

    def __init__(self, f: nn.Sequential, proj: nn.Module | None, act: str = "relu"):
        super().__init__()
        self.f = f
        nn.init.zeros_(self.f[-1].weight)  # type: ignore[arg-type]
        self.proj = proj
        self.relu = activation(act)  # named relu for state_dict compatibility (activations hold no weights)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = self.proj(x) if self.proj is not None else x
        return self.relu(self.f(x) + shortcut)


class XBlock(_Residual):
    """Residual bottleneck with group conv (the X block); ``se_ratio`` > 0 adds SE (the Y block).

    1×1 conv (w_b = w/b) → 3×3 group conv (w_b/g groups, stride s) → [SE] → 1×1 conv (w_out); BN after each conv,
    ReLU (or ``act``) after the first two and after the residual sum; projection shortcut when stride or width
    changes. b < 1 (e.g. 1/4) is the inverted bottleneck: the 3×3 group conv is wider than the block.
    """

    def __init__(self, w_in: int, w_out: int, stride: int, b: float, g: int, se_ratio: float = 0.0, bias: bool = False,
                 act: str = "relu"):
        w_b = bottleneck_width(w_out, b)
        layers: list[nn.Module] = [*conv_bn_relu(w_in, w_b, 1, bias=bias, act=act),
                                   *conv_bn_relu(w_b, w_b, 3, stride, groups=w_b // g, bias=bias, act=act)]
        if se_ratio:
            layers.append(SE(w_b, iround(se_ratio * w_in), act))
        layers += conv_bn(w_b, w_out, 1, bias=bias)
        super().__init__(nn.Sequential(*layers), _projection(w_in, w_out, stride, bias), act)


def complexity_xblock(h, w_in, w_out, stride: int, b, g, se_ratio: float = 0.0, bias: bool = False):
    """Complexity of :class:`XBlock`; every size argument may be a numpy array (vectorised screening)."""
    w_b = bottleneck_width(w_out, b)
    a, _ = complexity_conv_bn(h, w_in, w_b, 1, bias=bias)
    bb, ho = complexity_conv_bn(h, w_b, w_b, 3, stride, w_b // g, bias=bias)
    c, _ = complexity_conv_bn(ho, w_b, w_out, 1, bias=bias)
    total = a + bb + c
    if se_ratio:
        total = total + complexity_se(w_b, iround(se_ratio * w_in))
    return total + complexity_projection(h, w_in, w_out, stride, bias), ho


class RBlock(_Residual):
    """Basic residual block (the R block): 3×3 conv (stride s), BN, ReLU, 3×3 conv, BN, + shortcut, ReLU."""

    def __init__(self, w_in: int, w_out: int, stride: int, bias: bool = False, act: str = "relu"):
        f = nn.Sequential(*conv_bn_relu(w_in, w_out, 3, stride, bias=bias, act=act), *conv_bn(w_out, w_out, 3, bias=bias))
        super().__init__(f, _projection(w_in, w_out, stride, bias), act)


class VBlock(nn.Sequential):
    """Vanilla block (the V block): 3×3 conv (stride s), BN, ReLU, 3×3 conv, BN, ReLU; no shortcut."""

    def __init__(self, w_in: int, w_out: int, stride: int, bias: bool = False, act: str = "relu"):
        super().__init__(*conv_bn_relu(w_in, w_out, 3, stride, bias=bias, act=act),
                         *conv_bn_relu(w_out, w_out, 3, bias=bias, act=act))


def complexity_vblock(h, w_in, w_out, stride: int, bias: bool = False):
    a, ho = complexity_conv_bn(h, w_in, w_out, 3, stride, bias=bias)
    b, _ = complexity_conv_bn(ho, w_out, w_out, 3, bias=bias)
    return a + b, ho


def complexity_rblock(h, w_in, w_out, stride: int, bias: bool = False):
    body, ho = complexity_vblock(h, w_in, w_out, stride, bias)
    return body + complexity_projection(h, w_in, w_out, stride, bias), ho


def init_weights(model: nn.Module) -> nn.Module:
    """pycls-style init: He (fan-out) for convs, unit BN (unless already zeroed), small normal for the classifier."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.01)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return model
