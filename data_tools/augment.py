"""Data augmentation on whole batches (B, C, H, W), on any device, without a per-image Python loop.

``BatchLoader`` applies the augmentation to the uint8 pixel batch before normalizing it (as torchvision's
transforms run before ``Normalize``), so padding is black and each copy moves one byte per pixel.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


def _randint(high: int, size: tuple, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
    """Integers in [0, high) drawn from ``generator`` (on its own device), returned on ``device``."""
    source = generator.device if generator is not None else device
    return torch.randint(high, size, generator=generator, device=source).to(device)


def _coin(b: int, p: float, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
    """(b,) booleans, each True with probability ``p``, drawn from ``generator`` and returned on ``device``."""
    source = generator.device if generator is not None else device
    return (torch.rand(b, generator=generator, device=source) < p).to(device)


def _windows(padded: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Every h×w window of a contiguous (N, C, H, W) tensor as one overlapping strided view, indexed by the
    flat offset of the window's top-left pixel (a view: nothing is copied)."""
    _, c, height, width = padded.shape
    count = padded.numel() - ((c - 1) * height * width + (h - 1) * width + w) + 1
    return padded.as_strided((count, c, h, w), (1, height * width, width, 1))


def _shifted_crops(batch: torch.Tensor, padding: int, generator: torch.Generator | None,
                   flip_p: float) -> torch.Tensor:
    """Each image zero-padded, cropped back at its own random offset and, with probability ``flip_p``,
    mirrored: one ``index_select`` gathers every crop (mirrored ones from a mirrored copy of the padding)."""
    b, c, h, w = batch.shape
    padded = F.pad(batch, (padding, padding, padding, padding)).contiguous()
    offsets = _randint(2 * padding + 1, (2, b), generator, batch.device)
    image = torch.arange(b, device=batch.device)
    if flip_p > 0:
        flip = _coin(b, flip_p, generator, batch.device)
        padded = torch.cat([padded, padded.flip(-1)])  # a mirrored crop = a crop of the mirrored padding
        image = image + b * flip
    height, width = h + 2 * padding, w + 2 * padding
    starts = image * (c * height * width) + offsets[0] * width + offsets[1]
    return torch.index_select(_windows(padded, h, w), 0, starts)


def random_crop(batch: torch.Tensor, padding: int = 4, generator: torch.Generator | None = None) -> torch.Tensor:
    """Zero-pad each image by ``padding`` and crop it back to H×W at its own random offset.

    Each output image is its input shifted by (dy, dx) in [-padding, padding]², uncovered pixels 0.
    """
    if padding == 0:
        return batch
    return _shifted_crops(batch, padding, generator, flip_p=0.0)


def random_hflip(batch: torch.Tensor, p: float = 0.5, generator: torch.Generator | None = None) -> torch.Tensor:
    """Mirror each image left-right with probability ``p``."""
    flip = _coin(batch.shape[0], p, generator, batch.device)
    return torch.where(flip[:, None, None, None], batch.flip(-1), batch)


@dataclass(frozen=True)
class CropFlip:
    """Random crop with zero padding, then a random horizontal flip: the usual CIFAR augmentation, as one
    gather per batch."""

    padding: int = 4

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        if self.padding == 0:
            return random_hflip(batch)
        return _shifted_crops(batch, self.padding, None, flip_p=0.5)


def crop_flip(padding: int = 4) -> CropFlip:
    """The batch augmentation ``batch -> batch`` to pass as ``BatchLoader(..., augment=crop_flip())``."""
    return CropFlip(padding)
