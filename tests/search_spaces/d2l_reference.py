"""The d2l networks (Dive into Deep Learning, ch. 8.2 VGG, 8.4 GoogLeNet, 8.8 RegNetX32) written out layer by layer
with plain torch modules, as the book defines them (``nn.Lazy*`` layers resolved to their input widths): the
reference the ``d2l_*`` presets are tested against. Convs keep torch's default bias, as in the book."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def d2l_vgg(arch, in_channels: int, num_classes: int, resolution: int) -> nn.Module:
    """VGG(arch): per (num_convs, out_channels), 3×3 convs with ReLU then a 2×2 max-pool; 4096-4096 head."""
    layers: list[nn.Module] = []
    c = in_channels
    for num_convs, out in arch:
        for _ in range(num_convs):
            layers += [nn.Conv2d(c, out, 3, padding=1), nn.ReLU()]
            c = out
        layers.append(nn.MaxPool2d(2, 2))
    side = resolution // 2 ** len(arch)
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(c * side * side, 4096), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, num_classes))


class D2LInception(nn.Module):
    def __init__(self, c_in, c1, c2, c3, c4):
        super().__init__()
        self.b1_1 = nn.Conv2d(c_in, c1, 1)
        self.b2_1, self.b2_2 = nn.Conv2d(c_in, c2[0], 1), nn.Conv2d(c2[0], c2[1], 3, padding=1)
        self.b3_1, self.b3_2 = nn.Conv2d(c_in, c3[0], 1), nn.Conv2d(c3[0], c3[1], 5, padding=2)
        self.b4_1, self.b4_2 = nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(c_in, c4, 1)

    def forward(self, x):
        b1 = F.relu(self.b1_1(x))
        b2 = F.relu(self.b2_2(F.relu(self.b2_1(x))))
        b3 = F.relu(self.b3_2(F.relu(self.b3_1(x))))
        b4 = F.relu(self.b4_2(self.b4_1(x)))
        return torch.cat((b1, b2, b3, b4), dim=1)


def d2l_googlenet(in_channels: int, num_classes: int) -> nn.Module:
    pool = lambda: nn.MaxPool2d(3, stride=2, padding=1)  # noqa: E731
    return nn.Sequential(
        nn.Conv2d(in_channels, 64, 7, stride=2, padding=3), nn.ReLU(), pool(),
        nn.Conv2d(64, 64, 1), nn.ReLU(), nn.Conv2d(64, 192, 3, padding=1), nn.ReLU(), pool(),
        D2LInception(192, 64, (96, 128), (16, 32), 32), D2LInception(256, 128, (128, 192), (32, 96), 64), pool(),
        D2LInception(480, 192, (96, 208), (16, 48), 64), D2LInception(512, 160, (112, 224), (24, 64), 64),
        D2LInception(512, 128, (128, 256), (24, 64), 64), D2LInception(512, 112, (144, 288), (32, 64), 64),
        D2LInception(528, 256, (160, 320), (32, 128), 128), pool(),
        D2LInception(832, 256, (160, 320), (32, 128), 128), D2LInception(832, 384, (192, 384), (48, 128), 128),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(1024, num_classes),
    )


class D2LResNeXtBlock(nn.Module):
    def __init__(self, c_in, num_channels, groups, bot_mul, use_1x1conv=False, strides=1):
        super().__init__()
        bot = int(round(num_channels * bot_mul))
        self.conv1 = nn.Conv2d(c_in, bot, 1)
        self.conv2 = nn.Conv2d(bot, bot, 3, stride=strides, padding=1, groups=bot // groups)
        self.conv3 = nn.Conv2d(bot, num_channels, 1)
        self.bn1, self.bn2, self.bn3 = nn.BatchNorm2d(bot), nn.BatchNorm2d(bot), nn.BatchNorm2d(num_channels)
        self.conv4 = nn.Conv2d(c_in, num_channels, 1, stride=strides) if use_1x1conv else None
        self.bn4 = nn.BatchNorm2d(num_channels) if use_1x1conv else None

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        if self.conv4 is not None:
            x = self.bn4(self.conv4(x))
        return F.relu(y + x)


def d2l_regnetx32(in_channels: int, num_classes: int) -> nn.Module:
    """AnyNet(arch=((4, 32, 16, 1), (6, 80, 16, 1)), stem_channels=32)."""
    layers: list[nn.Module] = [nn.Conv2d(in_channels, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.ReLU()]
    c = 32
    for depth, width, groups, bot_mul in ((4, 32, 16, 1), (6, 80, 16, 1)):
        for i in range(depth):
            layers.append(D2LResNeXtBlock(c, width, groups, bot_mul, use_1x1conv=i == 0, strides=2 if i == 0 else 1))
            c = width
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(c, num_classes))
