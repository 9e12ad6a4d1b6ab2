"""Data augmentation on whole batches (B, C, H, W), on any device, without a per-image Python loop."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


def _randint(high: int, size: tuple, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
    """Integers in [0, high) drawn from ``generator`` (on its own device), returned on ``device``."""
    source = generator.device if generator is not None else device
    return torch.randint(high, size, generator=generator, device=source).to(device)


def random_crop(batch: torch.Tensor, padding: int = 4, generator: torch.Generator | None = None) -> torch.Tensor:
    """Zero-pad each image by ``padding`` and crop it back to H×W at its own random offset.

    Each output image is its input shifted by (dy, dx) in [-padding, padding]², uncovered pixels 0.
    """
    if padding == 0:
        return batch
    b, _, h, w = batch.shape
    offsets = _randint(2 * padding + 1, (2, b), generator, batch.device)
    padded = F.pad(batch, (padding, padding, padding, padding))
    crops = padded.unfold(2, h, 1).unfold(3, w, 1)  # (B, C, 2p+1, 2p+1, H, W): every crop, as a view
    return crops.permute(0, 2, 3, 1, 4, 5)[torch.arange(b, device=batch.device), offsets[0], offsets[1]]


def random_hflip(batch: torch.Tensor, p: float = 0.5, generator: torch.Generator | None = None) -> torch.Tensor:
    """Mirror each image left-right with probability ``p``."""
    source = generator.device if generator is not None else batch.device
    flip = (torch.rand(batch.shape[0], generator=generator, device=source) < p).to(batch.device)
    return torch.where(flip[:, None, None, None], batch.flip(-1), batch)


@dataclass(frozen=True)
class CropFlip:
    """Random crop with zero padding, then a random horizontal flip: the usual CIFAR augmentation."""

    padding: int = 4

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        return random_hflip(random_crop(batch, self.padding))


def crop_flip(padding: int = 4) -> CropFlip:
    """The batch augmentation ``batch -> batch`` to pass as ``BatchLoader(..., augment=crop_flip())``."""
    return CropFlip(padding)
