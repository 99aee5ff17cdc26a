"""The one place netspace's own design spaces are wired into the registries: the built-in spaces, the derived
spaces of the papers (:mod:`~netspace.search_spaces.refined`), the ``preset:NAME`` one-network spaces
(:mod:`~netspace.search_spaces.fixed`) and the seed presets (:mod:`~netspace.search_spaces.seeds`).

Imported once, on first use of the registry (the package ``__init__`` installs the loader), so that
``import netspace.search_spaces`` does not import torch. Nothing below this module imports it.
"""

from netspace.search_spaces.anynet import AnyNetXA, AnyNetXB, AnyNetXC, AnyNetXD, AnyNetXE
from netspace.search_spaces.fixed import PREFIX as PRESET_PREFIX
from netspace.search_spaces.fixed import fixed_space
from netspace.search_spaces.inception import InceptionSpace
from netspace.search_spaces.presets import register_preset
from netspace.search_spaces.refined import DERIVED_SPACES, RegNetXPycls, derived_space_factory
from netspace.search_spaces.registry import register, register_prefix
from netspace.search_spaces.regnet import RegNetX, RegNetY
from netspace.search_spaces.resnet_cifar import ResNetCifarSpace
from netspace.search_spaces.resnext import ResNeXtSpace
from netspace.search_spaces.seeds import BUILTIN_PRESETS
from netspace.search_spaces.vgg import VGGSpace

BUILTIN_SPACES = (AnyNetXA, AnyNetXB, AnyNetXC, AnyNetXD, AnyNetXE, RegNetX, RegNetY, VGGSpace, InceptionSpace,
                  ResNeXtSpace, RegNetXPycls, ResNetCifarSpace)

for _cls in BUILTIN_SPACES:
    register(_cls)
for _name in DERIVED_SPACES:
    register(derived_space_factory(_name), name=_name)
register_prefix(PRESET_PREFIX, fixed_space)
for _preset in BUILTIN_PRESETS:
    register_preset(_preset, replace=True)  # idempotent: a load interrupted half-way is run again

from netspace.search_spaces import variants  # noqa: F401  (paper variants: inverted bottleneck, SiLU)
from netspace.search_spaces.preset_files import load_env_presets

load_env_presets()  # a user's zoo files ($NETSPACE_PRESETS), next to the built-in presets
