"""MNIST, Fashion-MNIST and CIFAR-10 as in-memory ImageData.

The real data comes from :func:`data_tools.fetch.fetch` (cache, local mirrors, then download). When it
cannot be had, MNIST and Fashion-MNIST fall back to a small sample of the real images shipped with
the course, and CIFAR-10 to a synthetic stand-in; either is announced with a banner on stdout.
"""
from __future__ import annotations

import contextlib
import io
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from data_tools import config
from data_tools.cifar import read_cifar10
from data_tools.fetch import DataUnavailableError, fetch, find_local
from data_tools.idx import read_idx
from data_tools.imagedata import ImageData
from data_tools.registry import REGISTRY, DatasetSpec

FAST_TRAIN = 4000            # images per split in fast mode (a fixed seeded subset)
FAST_TEST = 2000
SUBSET_SEED = 0
SYNTHETIC_CIFAR_TRAIN = 10000    # size of the CIFAR-10 stand-in outside fast mode
SYNTHETIC_CIFAR_TEST = 2000
EMBEDDED_DIR = Path(__file__).resolve().parent / "embedded"
EMBEDDED = {"mnist": "mnist_sample.npz", "fashion_mnist": "fashion_mnist_sample.npz"}
LOADABLE = ("mnist", "fashion_mnist", "cifar10")
SPLITS = ("train", "test")
BANNER_WIDTH = 78


def dataset_spec(name: str) -> DatasetSpec:
    """The registry entry of a data set ("mnist", "fashion_mnist", "cifar10", "notmnist_small")."""
    if name not in REGISTRY:
        raise ValueError(f"Unknown data set {name!r}: use one of {', '.join(REGISTRY)}.")
    return REGISTRY[name]


def class_names(name: str) -> tuple[str, ...]:
    """The class names of a data set, in label order."""
    return tuple(dataset_spec(name).classes)


def _where(path: Path, name: str) -> str:
    kind = "cache" if path.parent == config.data_dir() / name else "mirror"
    return f"{kind} {path.parent}"


@lru_cache(maxsize=8)
def _real_arrays(name: str, split: str, download: bool, settings: tuple) -> tuple[np.ndarray, np.ndarray, str]:
    """Decoded real images, labels and where they came from. ``settings`` (cache dir, mirrors, offline)
    is only part of the cache key, so that changing them loads again."""
    spec = REGISTRY[name]
    if name == "cifar10":
        path = fetch(name, "archive", download=download)
        images, labels = read_cifar10(path, split)
    else:
        path = fetch(name, f"{split}_images", download=download)
        images = read_idx(path)[:, None]
        labels = read_idx(fetch(name, f"{split}_labels", download=download)).astype(np.int64)
    expected = spec.n_train if split == "train" else spec.n_test
    if images.shape != (expected, *spec.shape) or labels.shape != (expected,):
        raise ValueError(f"{spec.title} {split}: got images {images.shape} and labels {labels.shape}, "
                         f"expected {(expected, *spec.shape)}; delete the files in {path.parent} and fetch again.")
    return images, labels, _where(path, name)


@lru_cache(maxsize=2)
def _embedded_arrays(name: str) -> dict:
    with np.load(EMBEDDED_DIR / EMBEDDED[name]) as sample:
        return {key: sample[key] for key in sample.files}


@lru_cache(maxsize=2)
def _synthetic_cifar(n_train: int, n_test: int) -> tuple[ImageData, ImageData]:
    from data_tools.synthetic import make_synthetic_cifar

    return make_synthetic_cifar(n_train, n_test, seed=0)


def _announce(headline: str, instead: str, error: Exception, spec: DatasetSpec) -> None:
    """A banner on stdout (stderr would mark an autograded cell as failed)."""
    rule = "=" * BANNER_WIDTH
    why = "\n".join("    " + line for line in str(error).splitlines() if not line.startswith("To fix this"))
    print(f"{rule}\n{headline}\n{instead}\nWhy: the real data could not be had:\n{why}\n"
          f"To use the real {spec.title}: set {config.ENV_MIRRORS} to a folder that holds its files, or connect "
          f"to the internet (and unset {config.ENV_OFFLINE} if set), then run this again.\n{rule}", flush=True)


def _fallback(name: str, split: str, fast: bool, error: DataUnavailableError) -> ImageData:
    """The announced stand-in for a split; may share memory with cached arrays (the caller copies)."""
    spec = REGISTRY[name]
    if name == "cifar10":
        sizes = (FAST_TRAIN, FAST_TEST) if fast else (SYNTHETIC_CIFAR_TRAIN, SYNTHETIC_CIFAR_TEST)
        data = _synthetic_cifar(*sizes)[SPLITS.index(split)]
        _announce(f"{spec.title} {split}: USING A SYNTHETIC STAND-IN, NOT THE REAL DATA",
                  f"Instead of real photos this uses {len(data):,} generated images of shapes and textures "
                  f"with CIFAR-10's size, classes and statistics:\nthe code runs the same, but accuracies "
                  f"say nothing about real CIFAR-10.", error, spec)
        return data
    if not (EMBEDDED_DIR / EMBEDDED[name]).is_file():      # an install without the samples: nothing to fall back on
        raise error
    arrays = _embedded_arrays(name)
    images, labels = arrays[f"{split}_images"][:, None], arrays[f"{split}_labels"].astype(np.int64)
    _announce(f"{spec.title} {split}: USING THE EMBEDDED SAMPLE, NOT THE FULL DATA SET",
              f"Instead of all {spec.n_train:,} + {spec.n_test:,} images this uses the "
              f"{len(arrays['train_labels']):,} + {len(arrays['test_labels']):,} real images shipped with "
              f"the course,\nso accuracies will be lower than with the full data.", error, spec)
    return ImageData(images=torch.from_numpy(images), labels=torch.from_numpy(labels), classes=spec.classes,
                     name=name, source=f"embedded sample {EMBEDDED_DIR / EMBEDDED[name]}", mean=spec.mean, std=spec.std)


def load_dataset(name: str, split: str = "train", *, fast: bool | None = None, fallback: bool = True,
                 download: bool | None = None) -> ImageData:
    """One split ("train" or "test") of "mnist", "fashion_mnist" or "cifar10" as uint8 ImageData.

    ``fast`` (default: CNN_COURSE_FAST) keeps a fixed seeded subset of FAST_TRAIN / FAST_TEST images.
    ``download`` None downloads when needed unless CNN_COURSE_OFFLINE is set. Without the real data,
    ``fallback`` uses the embedded sample (MNIST, Fashion-MNIST) or the synthetic stand-in (CIFAR-10),
    announced with a banner; ``fallback=False`` raises DataUnavailableError instead.
    Decoded data is cached in memory, so loading again is fast; each call returns its own copy.
    """
    if name not in LOADABLE:
        hint = " (notMNIST: use data_tools.letters.letters_folder())" if name == "notmnist_small" else ""
        raise ValueError(f"load_dataset cannot load {name!r}{hint}: use one of {', '.join(LOADABLE)}.")
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}: use 'train' or 'test'.")
    fast = config.fast_mode() if fast is None else fast
    download = not config.offline() if download is None else download
    settings = (str(config.data_dir()), tuple(map(str, config.mirror_dirs())), config.offline())
    try:
        images, labels, where = _real_arrays(name, split, download, settings)
        spec = REGISTRY[name]
        data = ImageData(images=torch.from_numpy(images), labels=torch.from_numpy(labels), classes=spec.classes,
                         name=name, source=where, mean=spec.mean, std=spec.std)
    except DataUnavailableError as error:
        if not fallback:
            raise
        data = _fallback(name, split, fast, error)
    size = FAST_TRAIN if split == "train" else FAST_TEST
    if fast and len(data) > size:      # indexing copies, so the cached arrays stay untouched
        subset = data.subset(size, SUBSET_SEED)
        return replace(subset, source=f"{data.source} (fast mode: {size:,} of {len(data):,} images)")
    return replace(data, images=data.images.clone(), labels=data.labels.clone())


def _local_files(name: str) -> bool:
    return all(find_local(name, role) is not None for role in REGISTRY[name].files)


def preload(names) -> None:
    """Decode both splits of each data set in ``names`` into this process's in-memory cache (or build the
    stand-in it would fall back to), quietly and without downloading. A grading zygote calls it once so
    that every kernel it forks finds the data decoded."""
    for name in names:
        download = None if _local_files(name) else False
        for split in SPLITS:
            with contextlib.suppress(Exception), contextlib.redirect_stdout(io.StringIO()):
                load_dataset(name, split, download=download)


def clear_cache() -> None:
    """Forget every decoded data set (the next load decodes again)."""
    for cached in (_real_arrays, _embedded_arrays, _synthetic_cifar):
        cached.cache_clear()
