"""Batches from an in-memory ImageData: held on the device once, normalized and augmented per batch.

``BatchLoader`` is the fast path the course uses (about 100x faster than torchvision's per-image PIL
pipeline); ``ImageDataset`` is the standard ``Dataset`` for use with ``torch.utils.data.DataLoader``.
"""
from __future__ import annotations

import math
from typing import Callable, Iterator

import torch
from torch.utils.data import Dataset

from .device import pick_device
from .imagedata import ImageData


class BatchLoader:
    """Yields ``(x, y)``: x float32 (B, C, H, W) normalized with the dataset's mean/std, y int64 (B,).

    The uint8 images and labels move to ``device`` once (default: ``pick_device()``); each epoch draws a
    fresh permutation from a generator seeded with ``seed`` (the same sequence on every run), then each
    batch is gathered, augmented if given by ``augment(pixels) -> pixels`` on its uint8 pixels (like
    torchvision's transforms before ``Normalize``), then converted and normalized on the device.
    """

    def __init__(self, data: ImageData, batch_size: int = 128, *, shuffle: bool = True,
                 augment: Callable[[torch.Tensor], torch.Tensor] | None = None, device=None, seed: int = 0,
                 drop_last: bool = False, channels_last: bool = False):
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
        self.dataset = data
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.augment = augment
        self.device = torch.device(device) if device is not None else pick_device()
        self.drop_last = drop_last
        self.channels_last = channels_last
        self.images = data.images.to(self.device)
        self.labels = data.labels.to(self.device)
        mean = torch.tensor(data.mean, dtype=torch.float32, device=self.device).view(1, -1, 1, 1)
        std = torch.tensor(data.std, dtype=torch.float32, device=self.device).view(1, -1, 1, 1)
        self._scale, self._shift = 1 / (255 * std), -mean / std  # (x / 255 - mean) / std as x * scale + shift
        self._generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        """Number of batches per epoch."""
        count = len(self.dataset) / self.batch_size
        return math.floor(count) if self.drop_last else math.ceil(count)

    @property
    def n_items(self) -> int:
        """Number of images one epoch yields (fewer than the dataset's with ``drop_last``)."""
        return min(len(self) * self.batch_size, len(self.dataset))

    def __repr__(self) -> str:
        extras = "".join(f", {name}" for name, on in (("shuffle", self.shuffle), ("drop_last", self.drop_last),
                                                       ("channels_last", self.channels_last)) if on)
        augment = f", augment={self.augment!r}" if self.augment is not None else ""
        return (f"BatchLoader({self.dataset.name}: {len(self)} batches of {self.batch_size} on {self.device}"
                f"{extras}{augment})")

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.dataset)
        order = torch.randperm(n, generator=self._generator).to(self.device) if self.shuffle else None
        for start in range(0, self.n_items, self.batch_size):
            stop = start + self.batch_size
            if order is None:
                pixels, labels = self.images[start:stop], self.labels[start:stop]
            else:  # index_select copies whole rows: several times faster than images[index] on a CPU
                index = order[start:stop]
                pixels, labels = self.images.index_select(0, index), self.labels.index_select(0, index)
            if self.augment is not None:
                pixels = self.augment(pixels)
            x = pixels.to(torch.float32).mul_(self._scale).add_(self._shift)
            if self.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            yield x, labels


class ImageDataset(Dataset):
    """``data[i]`` is ``(x, label)``: x float32 (C, H, W) normalized like ``ImageData.normalized``,
    then passed through ``transform`` if given; label an int."""

    def __init__(self, data: ImageData, transform: Callable[[torch.Tensor], torch.Tensor] | None = None):
        self.data = data
        self.transform = transform
        self._mean = torch.tensor(data.mean, dtype=torch.float32).view(-1, 1, 1)
        self._std = torch.tensor(data.std, dtype=torch.float32).view(-1, 1, 1)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        x = (self.data.images[i].float().div_(255) - self._mean) / self._std
        if self.transform is not None:
            x = self.transform(x)
        return x, int(self.data.labels[i])


def loaders(train: ImageData, test: ImageData, batch_size: int = 128,
            augment: Callable[[torch.Tensor], torch.Tensor] | None = None, device=None,
            seed: int = 0) -> tuple[BatchLoader, BatchLoader]:
    """A shuffled (optionally augmented) training loader and an in-order, unaugmented test loader
    with 4x larger batches, both on the same device."""
    device = torch.device(device) if device is not None else pick_device()
    train_loader = BatchLoader(train, batch_size, shuffle=True, augment=augment, device=device, seed=seed)
    test_loader = BatchLoader(test, 4 * batch_size, shuffle=False, device=device)
    return train_loader, test_loader
