"""Loader and augmentation: data_tools' in-memory batch loader vs torchvision's per-image pipeline.

MNIST: one epoch through ``BatchLoader`` vs ``torchvision.datasets.MNIST`` + ``ToTensor`` +
``Normalize`` + ``DataLoader`` (workers 0 and 2). CIFAR-10 shapes (the synthetic stand-in): one epoch
with random crop + flip on batches vs per-image torchvision transforms on PIL images.
"""
from __future__ import annotations

import argparse
import gzip
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from benchmarks.report import Report, timed

BATCH = 128


def _epoch(loader) -> int:
    seen = 0
    for x, y in loader:
        seen += len(y)
    return seen


def mnist(report: Report, tiny: bool) -> None:
    from torchvision import datasets, transforms

    from data_tools.datasets import load_dataset
    from data_tools.fetch import DataUnavailableError, find_local
    from data_tools.loader import BatchLoader

    try:
        data = load_dataset("mnist", "train", fast=False, fallback=False)
    except DataUnavailableError as error:
        print(f"skipping MNIST: {error}".splitlines()[0])
        return
    n = 6000 if tiny else len(data)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "MNIST" / "raw"
        raw.mkdir(parents=True)
        for role in ("train_images", "train_labels", "test_images", "test_labels"):
            source = find_local("mnist", role)
            target = raw / source.name.removesuffix(".gz")
            opener = gzip.open if source.suffix == ".gz" else open
            with opener(source, "rb") as f, open(target, "wb") as out:
                shutil.copyfileobj(f, out)
        pipeline = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
        baseline = torch.utils.data.Subset(datasets.MNIST(tmp, train=True, download=False, transform=pipeline), range(n))
        for workers in (0, 2):
            loader = DataLoader(baseline, batch_size=BATCH, shuffle=True, num_workers=workers)
            report.add("mnist", f"torchvision MNIST+ToTensor+Normalize, workers={workers}", timed(lambda: _epoch(loader)),
                       baseline=workers == 0, images=n)
    ours = BatchLoader(data.subset(n), BATCH, device="cpu")
    report.add("mnist", "data_tools BatchLoader", timed(lambda: _epoch(ours), repeat=3), images=n)


class PilImages(Dataset):
    """(C, H, W) uint8 images as PIL images, each passed through ``transform`` when read: torchvision's way."""

    def __init__(self, images: np.ndarray, labels, transform):
        from PIL import Image

        self.images = [Image.fromarray(im.transpose(1, 2, 0)) for im in images]
        self.labels, self.transform = labels.tolist(), transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.transform(self.images[i]), self.labels[i]


def per_image_cifar(train) -> PilImages:
    """``train`` (CIFAR-shaped ImageData) the torchvision way: per-image RandomCrop + RandomHorizontalFlip on
    PIL images, then ToTensor + Normalize."""
    from torchvision import transforms

    pipeline = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), transforms.Normalize(train.mean, train.std)])
    return PilImages(train.images.numpy(), train.labels, pipeline)


def cifar_augmentation(report: Report, tiny: bool) -> None:
    from data_tools.augment import crop_flip
    from data_tools.loader import BatchLoader
    from data_tools.synthetic import make_synthetic_cifar

    train, _ = make_synthetic_cifar(n_train=2000 if tiny else 50000, n_test=10)
    baseline = per_image_cifar(train)
    for workers in (0, 2):
        loader = DataLoader(baseline, batch_size=BATCH, shuffle=True, num_workers=workers)
        report.add("cifar-aug", f"torchvision per-image RandomCrop+Flip, workers={workers}",
                   timed(lambda: _epoch(loader)), baseline=workers == 0, images=len(train))
    ours = BatchLoader(train, BATCH, augment=crop_flip(4), device="cpu")
    report.add("cifar-aug", "data_tools BatchLoader + crop_flip on batches", timed(lambda: _epoch(ours), repeat=3),
               images=len(train))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="small sizes: keeps the script working in CI")
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, len(__import__("os").sched_getaffinity(0))))
    report = Report("loader", tiny=args.tiny)
    mnist(report, args.tiny)
    cifar_augmentation(report, args.tiny)
    return report.finish()


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
