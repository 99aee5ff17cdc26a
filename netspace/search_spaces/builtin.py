"""Registration of the built-in design spaces: one line per space."""

from netspace.search_spaces.anynet import (
    AnyNetXA,
    AnyNetXB,
    AnyNetXC,
    AnyNetXD,
    AnyNetXE,
)
from netspace.search_spaces.registry import register
from netspace.search_spaces.regnet import RegNetX, RegNetY

register(AnyNetXA)
register(AnyNetXB)
register(AnyNetXC)
register(AnyNetXD)
register(AnyNetXE)
register(RegNetX)
register(RegNetY)

from netspace.search_spaces.vgg import VGGSpace

register(VGGSpace)

from netspace.search_spaces.inception import InceptionSpace

register(InceptionSpace)

from netspace.search_spaces.resnext import ResNeXtSpace

register(ResNeXtSpace)

from netspace.search_spaces.resnet_cifar import ResNetCifarSpace

register(ResNetCifarSpace)

import netspace.search_spaces.refined  # noqa: F401  (derived presets: regnetx_c, regnetx_pycls)
