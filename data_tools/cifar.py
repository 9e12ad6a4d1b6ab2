"""Read CIFAR-10 straight from cifar-10-python.tar.gz, without extracting it or trusting its pickles.

The batches are Python 2 pickles. A plain ``pickle.load`` would run whatever code a tampered file
names, so they are read with an unpickler that can only rebuild NumPy arrays.
"""
from __future__ import annotations

import io
import pickle
import tarfile
import zlib
from pathlib import Path

import numpy as np

MEMBERS = {"train": tuple(f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6)),
           "test": ("cifar-10-batches-py/test_batch",)}
BATCH_SIZE = 10000
IMAGE_BYTES = 3 * 32 * 32
MAX_MEMBER_BYTES = 64 << 20      # an official batch is about 31 MB


class _ArraysOnly(pickle.Unpickler):
    """Allows only the globals that pickled NumPy arrays need (under NumPy 1's and 2's module names)."""

    _reconstruct = np.ndarray.__reduce__(np.zeros(0))[0]
    ALLOWED = {("numpy.core.multiarray", "_reconstruct"): _reconstruct,
               ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
               ("numpy", "ndarray"): np.ndarray,
               ("numpy", "dtype"): np.dtype}

    def find_class(self, module, name):
        try:
            return self.ALLOWED[module, name]
        except KeyError:
            raise pickle.UnpicklingError(f"refused to load {module}.{name}: only NumPy arrays are allowed") from None


def _batch(data: bytes, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 3, 32, 32) uint8 and labels (N,) int64 from one pickled batch."""
    try:
        batch = _ArraysOnly(io.BytesIO(data), encoding="latin1").load()
        images, labels = batch["data"], np.asarray(batch["labels"], dtype=np.int64)
    except Exception as error:      # a damaged pickle can fail in many ways; all mean the same here
        raise ValueError(f"{where} could not be read as a CIFAR-10 batch ({error})") from error
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 2 \
            or images.shape[1] != IMAGE_BYTES or labels.shape != (images.shape[0],):
        raise ValueError(f"{where} is not a CIFAR-10 batch of uint8 images with one label each")
    if labels.size and not 0 <= labels.min() <= labels.max() <= 9:
        raise ValueError(f"{where} has labels outside 0-9")
    return images.reshape(-1, 3, 32, 32), labels


def read_cifar10(path, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 3, 32, 32) uint8 and labels (N,) int64 of a split ("train": 50,000, "test": 10,000)
    read from the (already verified) archive; raises ValueError naming the file when it is damaged."""
    if split not in MEMBERS:
        raise ValueError(f"Unknown split {split!r}: use 'train' or 'test'.")
    path = Path(path)
    wanted = MEMBERS[split]
    batches = {}
    try:
        with tarfile.open(path, "r|gz") as archive:      # streamed: one pass, nothing written to disk
            for member in archive:
                if member.name not in wanted:
                    continue
                if not member.isfile() or member.size > MAX_MEMBER_BYTES:
                    raise ValueError(f"{path.name}: {member.name} is not a CIFAR-10 batch file")
                batches[member.name] = _batch(archive.extractfile(member).read(), f"{path.name}: {member.name}")
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise ValueError(f"{path.name} is truncated or corrupt ({error}); delete it and fetch it again.") from error
    missing = [name for name in wanted if name not in batches]
    if missing:
        raise ValueError(f"{path.name} lacks {', '.join(missing)}: it is not the CIFAR-10 python archive.")
    images = np.concatenate([batches[name][0] for name in wanted])
    labels = np.concatenate([batches[name][1] for name in wanted])
    if len(images) != BATCH_SIZE * len(wanted):
        raise ValueError(f"{path.name}: {len(images)} {split} images instead of {BATCH_SIZE * len(wanted)}.")
    return images, labels
