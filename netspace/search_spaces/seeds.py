"""The built-in presets: the seed networks of the design spaces, as configs, with the figures they reproduce.

torchvision references are its ``torchvision.models`` builders without weights (params, and multiply-adds as
``FlopCounterMode`` counts them, at 3×224×224, 1000 classes). RegNet references are the published model-zoo
complexity of the authors' ``dds_baselines`` configs (pycls ``dev/model_complexity.json``): torchvision's
``regnet_*`` builders round the group-compatible widths differently (``_make_divisible``, half up) and differ for some
sizes, so they are not the reference. d2l references are the networks of *Dive into Deep Learning* (ch. 8.2, 8.4,
8.8) at the input size the book trains them (Fashion-MNIST, 1 channel, 10 classes; resized to 224 for VGG, 96 for
GoogLeNet and RegNetX32), with its conventions: convs with bias, no BN in VGG and GoogLeNet; their figures are
counted on the book's layers written out in ``tests/search_spaces/d2l_reference.py``.
"""

from __future__ import annotations

from netspace.search_spaces.geometry import Geometry
from netspace.search_spaces.presets import Preset, Reference
from netspace.search_spaces.regnet import REGNETX_ZOO, REGNETY_ZOO, zoo_config
from netspace.search_spaces.resnet_cifar import cifar_presets

TORCHVISION = "torchvision.models.{} (weights=None), 3x224x224, 1000 classes"
ZOO = "RegNet model zoo (pycls dds_baselines, dev/model_complexity.json), 3x224x224, 1000 classes"
FASHION_224 = Geometry(224, 1, 10)
FASHION_96 = Geometry(96, 1, 10)

# -- VGG (space "vgg": classic head, biased convs; BN in the _bn variants) ----------------------------------------
VGG_WIDTHS = (64, 128, 256, 512, 512)
VGG_DEPTHS = {"vgg11": (1, 1, 2, 2, 2), "vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}
# torchvision: (params, MACs) without and with BN
VGG_TORCHVISION = {
    "vgg11": (132_863_336, 7_609_090_048), "vgg11_bn": (132_868_840, 7_609_090_048),
    "vgg16": (138_357_544, 15_470_264_320), "vgg16_bn": (138_365_992, 15_470_264_320),
    "vgg19": (143_667_240, 19_632_062_464), "vgg19_bn": (143_678_248, 19_632_062_464),
}


def _vgg(name: str) -> Preset:
    bn = name.endswith("_bn")
    options = {"head": "classic", "bn": bn, "conv_bias": True}
    config = {"depths": VGG_DEPTHS[name.removesuffix("_bn")], "widths": VGG_WIDTHS, **options}
    params, macs = VGG_TORCHVISION[name]
    return Preset(name, "vgg", config, Reference(TORCHVISION.format(name), params=params, macs=macs, torchvision=name),
                  space_options=options, summary=f"{name.upper().replace('_BN', ' with BN')} (Simonyan & Zisserman, 2015)")


# -- Inception (space "inception", 3 stages of explicit blocks, GoogLeNet stem of width 64) ------------------------
GOOGLENET_BLOCKS = (
    ((64, 96, 128, 16, 32, 32), (128, 128, 192, 32, 96, 64)),  # 3a, 3b at 28x28
    ((192, 96, 208, 16, 48, 64), (160, 112, 224, 24, 64, 64), (128, 128, 256, 24, 64, 64),
     (112, 144, 288, 32, 64, 64), (256, 160, 320, 32, 128, 128)),  # 4a-4e at 14x14
    ((256, 160, 320, 32, 128, 128), (384, 192, 384, 48, 128, 128)),  # 5a, 5b at 7x7
)


def _googlenet(name: str, reference: Reference, geometry: Geometry, bn: bool, conv_bias: bool, kernel_5x5: int,
               summary: str) -> Preset:
    options = {"num_stages": 3, "stem": "googlenet", "bn": bn, "conv_bias": conv_bias, "kernel_5x5": kernel_5x5,
               "stem_width": 64}
    config = {"blocks": GOOGLENET_BLOCKS, "stem": "googlenet", "bn": bn, "conv_bias": conv_bias,
              "kernel_5x5": kernel_5x5, "stem_width": 64}
    return Preset(name, "inception", config, reference, geometry, options, summary)


# -- ResNeXt space with ResNet's stem ----------------------------------------------------------------------------
def _resnext(name: str, cardinality: int, group_width: int, ratio: int, params: int, macs: int, summary: str) -> Preset:
    config = {"depths": (3, 4, 6, 3), "cardinality": cardinality, "group_width": group_width, "width_multiplier": 2.0,
              "bottleneck_ratio": ratio, "stem_width": 64, "stem": "resnet"}
    ref = Reference(TORCHVISION.format(name), params=params, macs=macs, torchvision=name)
    return Preset(name, "resnext", config, ref, space_options={"stem": "resnet"}, summary=summary)


# -- RegNet model zoo ------------------------------------------------------------------------------------------------
# (flops, params, acts) at 224 px, 1000 classes, as published with the authors' code
ZOO_FIGURES = {
    "regnetx": {
        "200MF": (199_040_872, 2_684_792, 2_164_056), "400MF": (397_678_568, 5_157_512, 3_143_272),
        "600MF": (600_891_112, 6_196_040, 3_975_096), "800MF": (799_700_712, 7_259_656, 5_148_744),
        "1.6GF": (1_602_850_792, 9_190_136, 7_933_512), "3.2GF": (3_176_622_952, 15_296_552, 11_367_432),
        "4.0GF": (3_964_499_816, 22_118_248, 12_201_608), "6.4GF": (6_460_292_264, 26_209_256, 16_369_744),
        "8.0GF": (7_995_133_416, 39_572_648, 14_059_688), "12GF": (12_086_679_016, 46_106_056, 21_366_568),
        "16GF": (15_940_756_456, 54_278_536, 25_515_496), "32GF": (31_735_930_792, 107_811_560, 36_302_160),
    },
    "regnety": {
        "200MF": (199_519_076, 3_162_996, 2_168_052), "400MF": (401_849_056, 4_344_144, 3_892_496),
        "600MF": (601_227_608, 6_055_160, 4_334_296), "800MF": (797_183_328, 6_263_168, 5_249_888),
        "1.6GF": (1_612_087_326, 11_202_430, 8_044_814), "3.2GF": (3_176_496_162, 19_436_338, 11_263_418),
        "4.0GF": (3_973_301_344, 20_646_656, 12_287_200), "6.4GF": (6_355_221_876, 30_583_252, 16_407_188),
        "8.0GF": (7_963_074_196, 39_180_068, 17_968_916), "12GF": (12_092_395_504, 51_822_544, 21_384_496),
        "16GF": (15_911_534_044, 83_590_140, 23_041_228), "32GF": (32_279_583_362, 145_046_770, 30_261_570),
    },
}


# torchvision's regnet_* builders that are exactly the published network (same params and MACs at 224 px); the
# others round a group-compatible width half up where the authors round half to even: regnet_x_400mf (5,495,976
# params vs 5,157,512), regnet_y_800mf (6,432,512 vs 6,263,168), regnet_y_8gf (39,381,472 vs 39,180,068).
TORCHVISION_REGNETS = {
    "regnetx": {"800MF": "regnet_x_800mf", "1.6GF": "regnet_x_1_6gf", "3.2GF": "regnet_x_3_2gf",
                "8.0GF": "regnet_x_8gf", "16GF": "regnet_x_16gf", "32GF": "regnet_x_32gf"},
    "regnety": {"400MF": "regnet_y_400mf", "1.6GF": "regnet_y_1_6gf", "3.2GF": "regnet_y_3_2gf",
                "16GF": "regnet_y_16gf", "32GF": "regnet_y_32gf"},
}
TORCHVISION_REGNETS_DIFFERENT = {"regnetx_400mf": "regnet_x_400mf", "regnety_800mf": "regnet_y_800mf",
                                 "regnety_8_0gf": "regnet_y_8gf"}


def zoo_preset_name(family: str, size: str) -> str:
    """``("regnetx", "1.6GF")`` → ``"regnetx_1_6gf"`` (torchvision's spelling of the size)."""
    return f"{family}_{size.lower().replace('.', '_')}"


def _zoo(family: str, size: str) -> Preset:
    flops, params, acts = ZOO_FIGURES[family][size]
    label = f"RegNet{family[-1].upper()}-{size}"
    return Preset(zoo_preset_name(family, size), family, zoo_config(family, size).to_dict(),
                  Reference(ZOO, params=params, flops=flops, acts=acts,
                            same_as_torchvision=TORCHVISION_REGNETS[family].get(size)),
                  summary=f"{label} (Radosavovic et al., 2020)")


BUILTIN_PRESETS: tuple[Preset, ...] = (
    *(_vgg(n) for n in VGG_TORCHVISION),
    _googlenet("googlenet", Reference(TORCHVISION.format("googlenet") + "; aux_logits=False", params=6_624_904,
                                      macs=1_498_376_192, torchvision="googlenet",
                                      torchvision_kwargs={"aux_logits": False, "init_weights": False}),
               Geometry(), bn=True, conv_bias=False, kernel_5x5=3,
               summary="GoogLeNet as in torchvision (BN, and 3x3 where the paper has 5x5; no auxiliary heads)"),
    _resnext("resnext50_32x4d", 32, 4, 2, 25_028_904, 4_230_479_872, "ResNeXt-50 (32x4d) (Xie et al., 2017)"),
    _resnext("resnet50", 1, 64, 4, 25_557_032, 4_089_184_256, "ResNet-50 v1.5 (He et al., 2016): ResNeXt with C = 1"),
    Preset("d2l_vgg11", "vgg",
           {"depths": (1, 1, 2, 2, 2), "widths": (16, 32, 64, 128, 128), "head": "classic", "bn": False,
            "conv_bias": True},
           Reference("d2l 8.2: VGG(arch=((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))) on Fashion-MNIST at 224",
                     params=43_093_322, macs=512_155_648),
           FASHION_224, {"head": "classic", "bn": False, "conv_bias": True},
           "d2l's VGG-11 with a quarter of the widths, as trained in the book"),
    _googlenet("d2l_googlenet", Reference("d2l 8.4: GoogleNet() on Fashion-MNIST at 96", params=5_977_530,
                                                    macs=276_066_304), FASHION_96, bn=False,
               conv_bias=True, kernel_5x5=5, summary="d2l's GoogLeNet (no BN, biased convs, 5x5 branch)"),
    Preset("d2l_regnetx32", "anynetx_e",
           {"depths": (4, 6), "widths": (32, 80), "bottleneck_ratios": (1, 1), "group_widths": (16, 16),
            "stem_width": 32, "conv_bias": True},
           Reference("d2l 8.8: RegNetX32() on Fashion-MNIST at 96", params=179_290, macs=40_293_152), FASHION_96, {"num_stages": 2},
           "d2l's RegNetX32: 2 stages of X blocks, depths (4, 6), widths (32, 80), group width 16, biased convs"),
    *cifar_presets(),
    *(_zoo(family, size) for family, zoo in (("regnetx", REGNETX_ZOO), ("regnety", REGNETY_ZOO)) for size in zoo),
)
