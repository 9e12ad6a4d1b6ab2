"""A synthetic stand-in for CIFAR-10, used only when the real data cannot be had.

Each class is a shape or texture motif (disk, ring, square, triangle, cross, stripes of three
orientations, checkerboard, dot cluster) drawn near the centre at a random offset, size and
orientation (within a range that belongs to the class), in a random colour on a random noisy gradient
background. Colours are drawn the same way for every class, so the
mean colour of an image says almost nothing about its class: a CNN has to look at the shapes.
"""
from __future__ import annotations

import numpy as np
import torch

from data_tools.imagedata import ImageData

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
# The real data's statistics (this generator's are about 0.50 / 0.30), so that code written for
# CIFAR-10, e.g. a hard-coded Normalize, treats the stand-in exactly like the real thing.
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
SIZE = 32
MIN_CONTRAST = 0.5      # least RGB distance between motif and background colours
SHIFT = 4               # largest offset of the motif centre from the image centre, in pixels
RADIUS = (7, 11)        # motif radius range, in pixels
NOISE = 0.1             # amplitude of the uniform pixel noise
CHUNK = 1024            # images per vectorized step (keeps temporaries small and fast)


def _disk(u, v, p):
    return np.hypot(u, v) - 1


def _ring(u, v, p):
    return np.abs(np.hypot(u, v) - 0.75) - 0.25


def _square(u, v, p):
    return np.maximum(np.abs(u), np.abs(v)) - 0.8


def _triangle(u, v, p):
    edges = [v * np.cos(a) - u * np.sin(a) for a in (0.0, 2 * np.pi / 3, 4 * np.pi / 3)]
    return np.maximum(np.maximum(edges[0], edges[1]), edges[2]) - 0.5


def _cross(u, v, p):
    au, av = np.abs(u), np.abs(v)
    return np.minimum(np.maximum(au - 0.3, av - 1), np.maximum(au - 1, av - 0.3))


def _stripes(u, v, p):
    """Stripes along u (the angle sets their orientation) inside a disk."""
    waves = np.sin(v * p["frequency"] + p["phase"]) * 0.3
    return np.maximum(waves, np.hypot(u, v) - 1.1)


def _checker(u, v, p):
    waves = np.sin(u * p["frequency"] + p["phase"]) * np.sin(v * p["frequency"]) * 0.3
    return np.maximum(waves, np.maximum(np.abs(u), np.abs(v)) - 1)


def _dots(u, v, p):
    distances = [np.hypot(u - p["dot_u"][:, k, None, None], v - p["dot_v"][:, k, None, None]) - 0.3
                 for k in range(p["dot_u"].shape[1])]
    return np.minimum.reduce(distances)


# class index -> (signed distance function in unit motif coordinates, orientation range in degrees)
MOTIFS = (
    (_cross, (-15, 15)),                  # airplane: upright cross
    (_square, (-15, 15)),                 # automobile
    (_triangle, (-20, 20)),               # bird: pointing up
    (_ring, (0, 360)),                    # cat
    (_stripes, (-20, 20)),                # deer: horizontal stripes
    (_disk, (0, 360)),                    # dog
    (_checker, (-15, 15)),                # frog
    (_stripes, (70, 110)),                # horse: vertical stripes
    (_stripes, (25, 65)),                 # ship: diagonal stripes
    (_dots, (0, 360)),                    # truck
)


def _contrasting_colours(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Background and foreground colours (n, 3, 1, 1), drawn alike, at least MIN_CONTRAST apart."""
    colours = rng.random(size=(2, n, 3, 1, 1), dtype=np.float32)
    while True:
        close = np.linalg.norm(colours[0] - colours[1], axis=1)[:, 0, 0] < MIN_CONTRAST
        if not close.any():
            return colours[0], colours[1]
        colours[:, close] = rng.random(size=(2, int(close.sum()), 3, 1, 1), dtype=np.float32)


def _uniform(rng: np.random.Generator, low, high, size) -> np.ndarray:
    return rng.uniform(low, high, size=size).astype(np.float32)


def _draw(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Float32 images (n, 3, 32, 32) in [0, 1] for the given labels."""
    n = len(labels)
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) + 0.5
    radius = _uniform(rng, *RADIUS, n)[:, None, None]
    centre = SIZE / 2 + _uniform(rng, -SHIFT, SHIFT, (n, 2, 1, 1))
    params = {"frequency": 2 * np.pi * radius / _uniform(rng, 5, 8, (n, 1, 1)),    # period 5–8 pixels
              "phase": _uniform(rng, 0, 2 * np.pi, (n, 1, 1)),
              "dot_u": _uniform(rng, -0.8, 0.8, (n, 4)), "dot_v": _uniform(rng, -0.8, 0.8, (n, 4))}
    distance = np.empty((n, SIZE, SIZE), dtype=np.float32)
    for label, (motif, degrees) in enumerate(MOTIFS):
        index = np.flatnonzero(labels == label)
        angle = np.deg2rad(_uniform(rng, *degrees, (len(index), 1, 1)))
        cos, sin, r = np.cos(angle), np.sin(angle), radius[index]
        dx, dy = x - centre[index, 0], y - centre[index, 1]
        u, v = (dx * cos + dy * sin) / r, (dy * cos - dx * sin) / r
        distance[index] = motif(u, v, {key: value[index] for key, value in params.items()}) * r
    mask = np.clip(0.5 - distance, 0, 1)[:, None]                      # anti-aliased edge, in pixels
    background, foreground = _contrasting_colours(rng, n)
    gradient = _uniform(rng, -0.4, 0.4, (n, 3, 2, 1, 1))
    column, row = y[:, :1] / SIZE - 0.5, x[:1] / SIZE - 0.5
    images = (background + gradient[:, :, 1] * column) + gradient[:, :, 0] * row       # one full-size array
    scratch = foreground - images
    images += np.multiply(scratch, mask, out=scratch)
    noise = rng.random(dtype=np.float32, out=scratch)                   # reuses the buffer: uniform [0, 1)
    images += np.multiply(np.subtract(noise, 0.5, out=noise), 2 * NOISE, out=noise)
    return np.clip(images, 0, 1, out=images)


def _images(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n images (uint8, N×3×32×32) with balanced labels in random order."""
    labels = rng.permutation(np.arange(n) % len(CIFAR10_CLASSES))
    images = np.empty((n, 3, SIZE, SIZE), dtype=np.uint8)
    for start in range(0, n, CHUNK):
        chunk = _draw(labels[start:start + CHUNK], rng)
        images[start:start + CHUNK] = (chunk * 255 + 0.5).astype(np.uint8)
    return images, labels


def make_synthetic_cifar(n_train: int = 5000, n_test: int = 1000,
                         seed: int = 0) -> tuple[ImageData, ImageData]:
    """Synthetic (train, test) ImageData with CIFAR-10's shapes, class names and normalization.

    Deterministic for a seed; train and test come from separate random streams. ``synthetic`` is True
    and ``source`` says what it is, so nobody mistakes it for the real data.
    """
    splits = []
    for stream, n in enumerate((n_train, n_test)):
        images, labels = _images(n, np.random.default_rng([seed, stream]))
        splits.append(ImageData(images=torch.from_numpy(images), labels=torch.from_numpy(labels),
                                classes=CIFAR10_CLASSES, name="cifar10", synthetic=True,
                                source=f"synthetic CIFAR-10 stand-in (generated, seed {seed})",
                                mean=CIFAR10_MEAN, std=CIFAR10_STD))
    return splits[0], splits[1]
