"""The input geometry a network is built for and counted at: resolution, input channels, classes."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Geometry:
    """Square ``resolution``×``resolution`` inputs with ``in_channels`` channels, ``num_classes`` outputs.

    The default is ImageNet's (3×224×224, 1000 classes). ``Geometry.of(info)`` takes any object with these three
    attributes, e.g. a worker's ``DatasetInfo``.
    """

    resolution: int = 224
    in_channels: int = 3
    num_classes: int = 1000

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if int(value) != value or value < 1:
                raise ValueError(f"Geometry.{name} must be a positive integer, got {value!r}")

    @classmethod
    def of(cls, obj: Any) -> Geometry:
        """The geometry of anything that has ``resolution``, ``in_channels`` and ``num_classes`` attributes."""
        return cls(int(obj.resolution), int(obj.in_channels), int(obj.num_classes))

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.in_channels}x{self.resolution}x{self.resolution}, {self.num_classes} classes"


IMAGENET = Geometry()
CIFAR = Geometry(32, 3, 10)
