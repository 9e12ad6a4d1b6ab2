"""Build data_tools/embedded/<name>_sample.npz: a fixed stratified sample of the real MNIST and
Fashion-MNIST (2,000 train + 1,000 test images each), the offline fallback of ``load_dataset``.

Run from the repository root with the real data reachable (cache, CNN_COURSE_MIRRORS or internet):
    CNN_COURSE_MIRRORS=/path/to/mnist .venv/bin/python tools/make_embedded_samples.py
"""
from __future__ import annotations

import numpy as np

from data_tools.datasets import EMBEDDED, EMBEDDED_DIR, load_dataset

PER_CLASS = {"train": 200, "test": 100}
SEED = 0


def stratified_index(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """``per_class`` random indices of each class, in their original order."""
    picks = [rng.choice(np.flatnonzero(labels == label), per_class, replace=False) for label in np.unique(labels)]
    return np.sort(np.concatenate(picks))


def build(name: str) -> None:
    arrays = {}
    for stream, (split, per_class) in enumerate(PER_CLASS.items()):
        data = load_dataset(name, split, fast=False, fallback=False)
        index = stratified_index(data.labels.numpy(), per_class, np.random.default_rng([SEED, stream]))
        arrays[f"{split}_images"] = data.images[index, 0].numpy()          # (N, 28, 28) uint8
        arrays[f"{split}_labels"] = data.labels[index].numpy().astype(np.uint8)
        arrays[f"{split}_index"] = index.astype(np.int32)                  # positions in the real split
    path = EMBEDDED_DIR / EMBEDDED[name]
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB) from {data.source}")


if __name__ == "__main__":
    for dataset in EMBEDDED:
        build(dataset)
