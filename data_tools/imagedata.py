"""ImageData: a whole image dataset held in memory as uint8 tensors, with its class names."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch


@dataclass
class ImageData:
    """Images (N, C, H, W) uint8 and labels (N,) int64, plus what they are and where they came from.

    ``mean``/``std`` are per-channel statistics on the [0, 1] scale used by :meth:`normalized`;
    computed from the images when not given.
    """

    images: torch.Tensor
    labels: torch.Tensor
    classes: tuple
    name: str
    source: str = ""
    synthetic: bool = False
    mean: tuple = field(default=None)
    std: tuple = field(default=None)

    def __post_init__(self):
        if self.images.dtype != torch.uint8 or self.images.dim() != 4:
            raise ValueError(f"{self.name}: images must be uint8 (N, C, H, W), got {self.images.dtype} "
                             f"{tuple(self.images.shape)}")
        self.labels = self.labels.to(torch.int64)
        if self.labels.shape != (self.images.shape[0],):
            raise ValueError(f"{self.name}: {len(self.labels)} labels for {self.images.shape[0]} images")
        self.classes = tuple(self.classes)
        if self.mean is None or self.std is None:
            scaled = self.images.float().div_(255)
            self.mean = tuple(scaled.mean(dim=(0, 2, 3)).tolist())
            self.std = tuple(scaled.std(dim=(0, 2, 3)).clamp_min(1e-6).tolist())

    def __len__(self) -> int:
        return self.images.shape[0]

    def __repr__(self) -> str:
        kind = "SYNTHETIC stand-in" if self.synthetic else self.source
        return f"ImageData({self.name}: {len(self)} images {tuple(self.images.shape[1:])}, " \
               f"{len(self.classes)} classes, from {kind})"

    def subset(self, n: int, seed: int = 0) -> "ImageData":
        """A random subset of ``n`` images (all of them when ``n >= len(self)``), same statistics."""
        if n >= len(self):
            return self
        index = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))[:n]
        return replace(self, images=self.images[index], labels=self.labels[index])

    def normalized(self, index=slice(None)) -> torch.Tensor:
        """Float32 images (scaled to [0, 1], then standardized by ``mean``/``std``)."""
        mean = torch.tensor(self.mean).view(1, -1, 1, 1)
        std = torch.tensor(self.std).view(1, -1, 1, 1)
        return (self.images[index].float().div_(255) - mean) / std
