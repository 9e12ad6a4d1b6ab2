"""Checks for notebook 01 (data loader): the notMNIST pipeline from image folders to a DataLoader.

Every check builds its own fixtures (PNG folders, arrays, files) in a temporary directory, so it never
depends on the student's data. Public checks use fixed cases; ``hidden=True`` draws fresh ones
(random file names, counts, broken files, image size, fractions, seeds, keys and dtypes).
"""
from __future__ import annotations

import io
import math
import pickle
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
from PIL import Image

from .common import case_seed, fail, passed, plain_array, plain_int, same

# Kinds of broken files a loader must skip, as in the real notMNIST archive.
BROKEN_KINDS = {
    "empty": "an empty (0-byte) file",
    "wrong_size": "a valid PNG of the wrong size",
    "not_image": "a text file with a .png name",
    "truncated": "a PNG cut off halfway",
}

NORMALIZATION_MISTAKES = {
    "normalized to [0, 1] with x / 255 instead of (x − 127.5) / 255": lambda x: x / 255,
    "scaled to [-1, 1] with (x − 128) / 128 instead of (x − 127.5) / 255": lambda x: (x - 128) / 128,
    "scaled to [-1, 1] with (x − 127.5) / 127.5 instead of (x − 127.5) / 255": lambda x: (x - 127.5) / 127.5,
    "forgot to normalize (raw pixel values 0–255)": lambda x: x,
    "normalized twice: plt.imread already returns PNG pixels in [0, 1]": lambda x: (x / 255 - 127.5) / 255,
}


# ---------------------------------------------------------------- helpers

def call(fn: Callable, *args, what: str, hint: str = "", **kwargs) -> Any:
    """Run student code; NotImplementedError passes through (unfinished), other errors become CheckFailed."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as error:  # any crash of student code is a failed check with its message
        fail(f"{what} raised {type(error).__name__}: {error}{hint}")


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A temporary folder, removed afterwards even if student code left files open (Windows)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def plain_float(value: Any, what: str) -> float:
    """``value`` as a float; accepts Python/NumPy floats and ints only (not bool or look-alikes)."""
    if type(value) is bool or not (type(value) in (int, float) or isinstance(value, (np.integer, np.floating))):
        fail(f"{what}: expected a float, got {type(value).__name__} {value!r}.")
    return float(value)


def pair(result: Any, what: str, names: str) -> tuple:
    """Unpack a returned 2-tuple (or 2-list)."""
    if type(result) not in (tuple, list) or len(result) != 2:
        fail(f"{what}: return the tuple {names}, got {type(result).__name__}.")
    return tuple(result)


def ndarray(value: Any, what: str) -> np.ndarray:
    """A plain ndarray (not a list, subclass, tensor or look-alike), returned as float64 for comparing."""
    array = plain_array(value, what)
    if type(value) is not np.ndarray:
        fail(f"{what}: return a NumPy array (np.array(...)), not a {type(value).__name__}.")
    return array


def typed_array(value: Any, what: str, dtype, shape: tuple) -> np.ndarray:
    """A plain ndarray of exactly ``dtype`` and ``shape``; returns it as float64 for comparing."""
    array = ndarray(value, what)
    if value.dtype != dtype:
        fail(f"{what}: expected dtype {np.dtype(dtype).name}, got {value.dtype.name}; "
             f"convert with .astype(np.{np.dtype(dtype).name}).")
    if array.shape != shape:
        fail(f"{what}: expected shape {shape}, got {array.shape}.")
    return array


def row_index(rows: np.ndarray, original: np.ndarray, what: str) -> np.ndarray:
    """For each image in ``rows``, its index in ``original`` (whose images are all distinct)."""
    lookup = {image.tobytes(): i for i, image in enumerate(np.asarray(original, dtype=np.float64))}
    index = [lookup.get(image.tobytes(), -1) for image in np.asarray(rows, dtype=np.float64)]
    if -1 in index:
        fail(f"{what}: contains images that are not in the input; move whole images, do not change them.")
    return np.array(index, dtype=np.int64)


def matching_rows(rows: np.ndarray, expected: np.ndarray, atol: float = 1e-6) -> bool:
    """True when ``rows`` holds exactly the rows of ``expected`` (within ``atol``), in any order."""
    if rows.shape != expected.shape or not len(rows):
        return False
    rows, expected = rows.reshape(len(rows), -1), expected.reshape(len(expected), -1)
    distance = np.abs(rows[:, None, :] - expected[None, :, :]).max(axis=2)
    match = distance <= atol
    return bool(match.any(axis=1).all() and match.any(axis=0).all())


def distinct_images(rng: np.random.Generator, n: int, size: int = 28) -> np.ndarray:
    """``n`` different float32 images in [-0.5, 0.5] (each identifiable by its pixels)."""
    return (rng.random((n, size, size)) - 0.5).astype(np.float32)


# ---------------------------------------------------------------- 1. load_letter

@dataclass
class LetterFolder:
    """A class folder written for a check: the readable pixels in sorted file-name order, the broken files."""
    path: Path
    pixels: np.ndarray          # uint8 (N, size, size)
    broken: dict                # file name -> kind
    image_size: int

    @property
    def description(self) -> str:
        return ", ".join(f"{name} ({BROKEN_KINDS[kind]})" for name, kind in self.broken.items())


def png_bytes(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def broken_bytes(kind: str, image_size: int, rng: np.random.Generator) -> bytes:
    if kind == "empty":
        return b""
    if kind == "not_image":
        return b"This is not an image, although its name ends in .png.\n"
    if kind == "truncated":
        good = png_bytes(rng.integers(0, 256, (image_size, image_size), dtype=np.uint8))
        return good[: len(good) // 2]
    if kind == "wrong_size":
        other = 28 if image_size != 28 else 32
        return png_bytes(rng.integers(0, 256, (other, other), dtype=np.uint8))
    raise ValueError(f"unknown broken-file kind {kind!r}")


def file_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct random lowercase names ending in .png (same order under every sort rule)."""
    alphabet = np.array(list("abcdefghijklmnopqrstuvwxyz0123456789"))
    names: set = set()
    while len(names) < n:
        names.add("".join(rng.choice(alphabet, 10)) + ".png")
    return list(names)


def make_letter_folder(path, rng: np.random.Generator, n_good: int, broken_kinds=(),
                       image_size: int = 28) -> LetterFolder:
    """Write ``n_good`` random grayscale PNGs plus one broken file per entry of ``broken_kinds``.

    Files are created in random order, so a loader that does not sort sees them out of order.
    """
    path = Path(path)
    path.mkdir(parents=True)
    names = file_names(rng, n_good + len(broken_kinds))
    broken = dict(zip(names[n_good:], broken_kinds))
    pixels = {name: rng.integers(0, 256, (image_size, image_size), dtype=np.uint8) for name in names[:n_good]}
    for name in rng.permutation(names):
        data = broken_bytes(broken[name], image_size, rng) if name in broken else png_bytes(pixels[name])
        (path / name).write_bytes(data)
    ordered = np.stack([pixels[name] for name in sorted(pixels)]) if pixels else \
        np.zeros((0, image_size, image_size), np.uint8)
    return LetterFolder(path, ordered, {name: broken[name] for name in sorted(broken)}, image_size)


def _check_letter_folder(load_letter: Callable, folder: LetterFolder) -> None:
    size, n = folder.image_size, len(folder.pixels)
    args = (folder.path,) if size == 28 else (folder.path, size)
    what = f"load_letter(<folder {folder.path.name}>{'' if size == 28 else f', {size}'})"
    try:
        result = load_letter(*args)
    except NotImplementedError:
        raise
    except Exception as error:  # the student's loader crashed: name the file it should have skipped
        if folder.broken:
            fail(f"{what} raised {type(error).__name__}: {error}. It did not skip the broken file "
                 f"{folder.description}: catch the error (try/except OSError) and count the file as skipped.")
        fail(f"{what} raised {type(error).__name__}: {error}")
    images_raw, skipped_raw = pair(result, what, "(images, skipped)")
    images = ndarray(images_raw, f"{what} images")
    if images_raw.dtype != np.float32:
        fail(f"{what}: images have dtype {images_raw.dtype.name}; make them float32 (np.float32), "
             "the dtype PyTorch models use (half the memory of float64).")
    if images.shape == (n, size * size):
        fail(f"{what}: the images are flattened to shape {images.shape}; keep each one {size}×{size}: "
             f"shape (N, {size}, {size}).")
    if images.ndim != 3 or images.shape[1:] != (size, size):
        hint = " Use the image_size argument instead of a fixed 28." if images.shape[1:] == (28, 28) else ""
        fail(f"{what}: expected images of shape (N, {size}, {size}), got {images.shape}.{hint}")
    if images.shape[0] != n:
        wrong_size = any(kind == "wrong_size" for kind in folder.broken.values())
        hint = (f" Skip images whose size is not {size}×{size} (do not resize them)."
                if images.shape[0] > n and wrong_size else "")
        fail(f"{what}: expected {n} images (the folder holds {n} readable {size}×{size} PNGs and "
             f"{len(folder.broken)} broken file(s)), got {images.shape[0]}.{hint}")
    pixels = folder.pixels.astype(np.float64)
    expected = (pixels - 127.5) / 255
    if not same(images, expected):
        if matching_rows(images, expected):
            fail(f"{what}: the images are not in sorted file-name order; loop over sorted(os.listdir(folder)).")
        diagnosis = next((f" Looks like you {name}." for name, wrong in NORMALIZATION_MISTAKES.items()
                          if same(images, wrong(pixels))), "")
        fail(f"{what}: pixel values range from {images.min():.4g} to {images.max():.4g}; expected "
             f"(x − 127.5) / 255, which maps 0…255 to [-0.5, 0.5].{diagnosis}")
    skipped = plain_int(skipped_raw, f"{what} skipped count")
    if skipped != len(folder.broken):
        hint = " (that is the number of images loaded, not the number skipped)" if skipped == n else ""
        listed = f": {folder.description}" if folder.broken else ""
        fail(f"{what}: expected skipped = {len(folder.broken)}{listed}; got {skipped}{hint}.")


def check_load_letter(load_letter: Callable, hidden: bool = False) -> None:
    """Class folders with good PNGs plus broken files: values, dtype, shape, order, skipped count."""
    rng = np.random.default_rng(case_seed(hidden))
    with scratch_dir("check-load-letter-") as tmp:
        folders = [make_letter_folder(tmp / f"class{i}", rng, int(rng.integers(4, 9)), [kind])
                   for i, kind in enumerate(map(str, rng.permutation(list(BROKEN_KINDS))))]
        if hidden:
            size = int(rng.choice([16, 20, 24, 32]))
            mixed = [str(kind) for kind in rng.choice(list(BROKEN_KINDS), int(rng.integers(2, 6)))]
            folders += [make_letter_folder(tmp / "class4", rng, int(rng.integers(3, 12)), mixed, size),
                        make_letter_folder(tmp / "class5", rng, int(rng.integers(3, 12)))]
        for folder in folders:
            _check_letter_folder(load_letter, folder)
    passed(f"load_letter: {len(folders)} folders read, normalized to [-0.5, 0.5], broken files skipped and counted")


# ---------------------------------------------------------------- 2. class_counts, balance_ratio

def make_class_root(root, rng: np.random.Generator, classes) -> dict:
    """One folder per class with good and broken PNGs, plus a README.txt beside them; the valid counts."""
    root = Path(root)
    counts = {}
    for name in classes:
        n_good = int(rng.integers(2, 9))
        kinds = [str(kind) for kind in rng.choice(list(BROKEN_KINDS), int(rng.integers(0, 3)))]
        make_letter_folder(root / name, rng, n_good, kinds)
        counts[name] = n_good
    (root / "README.txt").write_text("Class folders: one per letter.\n")
    return counts


def check_class_counts(class_counts: Callable, hidden: bool = False) -> None:
    """Valid images per class folder (broken files and plain files in the root not counted)."""
    rng = np.random.default_rng(case_seed(hidden))
    letters = list("ABCDEFGHIJ")
    classes = sorted(str(c) for c in rng.choice(letters, int(rng.integers(3, 7)), replace=False)) if hidden \
        else ["A", "B", "C"]
    with scratch_dir("check-class-counts-") as tmp:
        expected = make_class_root(tmp, rng, classes)
        files = {name: len(list((tmp / name).iterdir())) for name in classes}
        result = call(class_counts, tmp, what="class_counts(<root>)",
                      hint=". Only sub-folders are classes; skip plain files such as README.txt.")
    if type(result) is not dict:
        fail(f"class_counts: return a dict {{class name: count}}, got {type(result).__name__}.")
    if not all(type(key) is str for key in result):
        fail(f"class_counts: keys must be the class folder names as str (e.g. 'A'), got "
             f"{[type(key).__name__ for key in result]}; use path.name.")
    if set(result) != set(expected):
        fail(f"class_counts: expected the classes {sorted(expected)}, got {sorted(result)}; "
             "only sub-folders are classes.")
    got = {name: plain_int(result[name], f"class_counts[{name!r}]") for name in expected}
    if got != expected:
        hint = (" Looks like you counted the broken files too: count only images load_letter can read."
                if got == files else "")
        fail(f"class_counts: expected {expected}, got {got}.{hint}")
    passed(f"class_counts: valid images counted in {len(expected)} class folders")


def check_balance_ratio(balance_ratio: Callable, hidden: bool = False) -> None:
    """max / min of the class counts."""
    if hidden:
        rng = np.random.default_rng(case_seed(hidden))
        cases = [{letter: int(rng.integers(1, 1000)) for letter in "ABCDEFGHIJ"[: int(rng.integers(2, 11))]}
                 for _ in range(5)]
    else:
        cases = [{"A": 10, "B": 20, "C": 15}, {"A": 4, "B": 10}, {"A": 7, "B": 7}, {"A": 3, "B": 9, "C": 4, "D": 6}]
    for counts in cases:
        values = list(counts.values())
        result = plain_float(call(balance_ratio, dict(counts), what=f"balance_ratio({counts})"),
                             f"balance_ratio({counts})")
        expected = max(values) / min(values)
        if not math.isclose(result, expected, rel_tol=1e-9):
            wrong = {
                "divided min by max; the ratio is max / min (≥ 1)": min(values) / max(values),
                "divided by the mean instead of the minimum": max(values) / np.mean(values),
                "used integer division //; use /": max(values) // min(values),
            }
            diagnosis = next((f" Looks like you {name}." for name, value in wrong.items()
                              if math.isclose(result, value, rel_tol=1e-9)), "")
            fail(f"balance_ratio({counts}): expected {expected:g}, got {result:g}.{diagnosis}")
    passed(f"balance_ratio: {len(cases)} cases")


# ---------------------------------------------------------------- 3. merge_datasets

def check_merge_datasets(merge_datasets: Callable, hidden: bool = False) -> None:
    """Classes stacked in order with int64 labels 0..k-1, optionally the first n of each."""
    rng = np.random.default_rng(case_seed(hidden))
    if hidden:
        cases = []
        for _ in range(3):
            sizes = rng.integers(3, 13, int(rng.integers(2, 11)))
            cases += [(sizes, None), (sizes, int(rng.integers(1, sizes.min() + 1)))]
    else:
        cases = [(np.array([4, 6, 5]), None), (np.array([4, 6, 5]), 3)]
    for sizes, n in cases:
        per_class = [distinct_images(rng, int(size)) for size in sizes]
        inputs = [images.copy() for images in per_class]
        what = f"merge_datasets(<{len(sizes)} classes of sizes {sizes.tolist()}>, n_per_class={n})"
        result = call(merge_datasets, inputs, n_per_class=n, what=what)
        images_raw, labels_raw = pair(result, what, "(images, labels)")
        kept = np.minimum(sizes, n) if n is not None else sizes
        total = int(kept.sum())
        if n is not None and ndarray(images_raw, f"{what} images").shape[:1] == (int(sizes.sum()),):
            fail(f"{what}: got all {int(sizes.sum())} images; keep only the first n_per_class = {n} of each class.")
        images = typed_array(images_raw, f"{what} images", np.float32, (total, 28, 28))
        ndarray(labels_raw, f"{what} labels")
        if labels_raw.dtype.kind == "f":
            fail(f"{what}: labels are {labels_raw.dtype.name}; class indices must be integers (np.int64).")
        labels = typed_array(labels_raw, f"{what} labels", np.int64, (total,))
        expected_images = np.concatenate([p[:k] for p, k in zip(per_class, kept)]).astype(np.float64)
        expected_labels = np.repeat(np.arange(len(sizes)), kept)
        if not same(images, expected_images):
            last = np.concatenate([p[len(p) - k:] for p, k in zip(per_class, kept)])
            hint = " Looks like you took the last n_per_class images; take the first ones ([:n])." \
                if same(images, last) else ""
            fail(f"{what}: images are not the classes stacked in order (class 0 first, then class 1, …).{hint}")
        if not np.array_equal(labels, expected_labels):
            wrong = {
                "your labels start at 1; class i must get label i, starting at 0": expected_labels + 1,
                "every label is 0; class i must get label i": np.zeros_like(expected_labels),
                "you used np.tile (0, 1, 2, 0, 1, 2, …) instead of np.repeat": np.tile(np.arange(len(sizes)), total)[:total],
            }
            diagnosis = next((f" Looks like {name}." for name, value in wrong.items()
                              if np.array_equal(labels, value)), "")
            fail(f"{what}: labels do not line up with the images: image i of class c must have label c.{diagnosis}")
    passed(f"merge_datasets: {len(cases)} cases stacked with aligned int64 labels")


# ---------------------------------------------------------------- 4. shuffle_together

def _shuffled(shuffle_together: Callable, images: np.ndarray, labels: np.ndarray, seed: int) -> np.ndarray:
    """Run the student's shuffle on copies; check it and return the permutation it applied."""
    what = f"shuffle_together(<{len(images)} images>, <labels>, seed={seed})"
    images_in, labels_in = images.copy(), labels.copy()
    result = call(shuffle_together, images_in, labels_in, seed, what=what)
    if result is None:
        fail(f"{what} returned None; return the shuffled (images, labels) and leave the inputs unchanged.")
    if not (np.array_equal(images_in, images) and np.array_equal(labels_in, labels)):
        fail(f"{what}: shuffled the input arrays in place; return shuffled copies (images[permutation]).")
    images_out, labels_out = pair(result, what, "(images, labels)")
    shuffled_images = typed_array(images_out, f"{what} images", images.dtype, images.shape)
    shuffled_labels = typed_array(labels_out, f"{what} labels", labels.dtype, labels.shape)
    order = row_index(shuffled_images, images, what)
    if len(set(order.tolist())) != len(order):
        fail(f"{what}: some images appear twice and others are missing; use one permutation "
             "(rng.permutation(len(images))), not random choices.")
    if not np.array_equal(shuffled_labels, labels[order]):
        fail(f"{what}: images and labels no longer line up: they were shuffled separately. "
             "Draw one permutation and index both arrays with it.")
    if np.array_equal(order, np.arange(len(order))):
        fail(f"{what}: did not shuffle: the order is unchanged.")
    return order


def check_shuffle_together(shuffle_together: Callable, hidden: bool = False) -> None:
    """One seeded permutation applied to both arrays: aligned, new arrays, reproducible, seed-dependent."""
    rng = np.random.default_rng(case_seed(hidden))
    n = int(rng.integers(30, 81)) if hidden else 40
    seeds = [int(s) for s in rng.choice(10_000, 2, replace=False)] if hidden else [7, 8]
    images = distinct_images(rng, n)
    labels = rng.integers(0, 10, n).astype(np.int64)
    first = _shuffled(shuffle_together, images, labels, seeds[0])
    if not np.array_equal(_shuffled(shuffle_together, images, labels, seeds[0]), first):
        fail(f"shuffle_together: two calls with seed={seeds[0]} gave different orders; the same seed must give "
             "the same order: use np.random.default_rng(seed).")
    if np.array_equal(_shuffled(shuffle_together, images, labels, seeds[1]), first):
        fail(f"shuffle_together: seeds {seeds[0]} and {seeds[1]} gave the same order; the seed must choose "
             "the permutation: use np.random.default_rng(seed).")
    passed(f"shuffle_together: {n} images shuffled with their labels, reproducible for a seed")


# ---------------------------------------------------------------- 5. split

def _floor_sizes(n: int, fraction: float) -> set:
    """Accepted rounded-down sizes (allowing for n * fraction landing just below a whole number)."""
    return {int(n * fraction), math.floor(n * fraction + 1e-9)}


def check_split(split: Callable, hidden: bool = False) -> None:
    """Disjoint train/val/test covering all images, val and test sizes rounded down, labels aligned."""
    rng = np.random.default_rng(case_seed(hidden))
    if hidden:
        fractions = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3]
        cases = [(int(rng.integers(40, 121)), float(rng.choice(fractions)), float(rng.choice(fractions)))
                 for _ in range(4)]
    else:
        cases = [(50, None, None), (47, 0.2, 0.1)]
    for n, val_fraction, test_fraction in cases:
        images, labels = distinct_images(rng, n), rng.integers(0, 10, n).astype(np.int64)
        if val_fraction is None:
            what = f"split(<{n} images>, <labels>)"
            result = call(split, images.copy(), labels.copy(), what=what)
            val_fraction = test_fraction = 0.1
        else:
            what = f"split(<{n} images>, <labels>, val_fraction={val_fraction}, test_fraction={test_fraction})"
            result = call(split, images.copy(), labels.copy(), val_fraction=val_fraction,
                          test_fraction=test_fraction, what=what)
        if type(result) is not dict or set(result) != {"train", "val", "test"}:
            keys = sorted(result) if type(result) is dict else type(result).__name__
            fail(f"{what}: return a dict with the keys 'train', 'val' and 'test', got {keys}.")
        parts = {}
        for name in ("train", "val", "test"):
            part_images, part_labels = pair(result[name], f"{what}[{name!r}]", "(images, labels)")
            part_images = ndarray(part_images, f"{what}[{name!r}] images")
            part_labels = ndarray(part_labels, f"{what}[{name!r}] labels")
            if part_images.shape[1:] != images.shape[1:] or part_labels.shape != part_images.shape[:1]:
                fail(f"{what}[{name!r}]: images of shape (n, 28, 28) and labels of shape (n,) expected, got "
                     f"{part_images.shape} and {part_labels.shape}.")
            order = row_index(part_images, images, f"{what}[{name!r}]")
            if not np.array_equal(part_labels, labels[order]):
                fail(f"{what}[{name!r}]: labels do not line up with the images; slice both arrays the same way.")
            parts[name] = order
        for a, b in (("train", "val"), ("train", "test"), ("val", "test")):
            shared = len(set(parts[a].tolist()) & set(parts[b].tolist()))
            if shared:
                fail(f"{what}: {a!r} and {b!r} share {shared} images; the splits must not overlap "
                     "(take each part from a different slice).")
        missing = n - len(set(np.concatenate(list(parts.values())).tolist()))
        if missing:
            fail(f"{what}: {missing} images are in no split; train, val and test together must cover all of them.")
        sizes = {name: len(order) for name, order in parts.items()}
        if sizes["val"] not in _floor_sizes(n, val_fraction) or sizes["test"] not in _floor_sizes(n, test_fraction):
            n_val, n_test = int(n * val_fraction), int(n * test_fraction)
            fail(f"{what}: expected sizes train/val/test = {n - n_val - n_test}/{n_val}/{n_test} "
                 f"(val = ⌊n · val_fraction⌋, test = ⌊n · test_fraction⌋, train = the rest), got "
                 f"{sizes['train']}/{sizes['val']}/{sizes['test']}.")
    passed(f"split: {len(cases)} cases, disjoint parts covering every image")


# ---------------------------------------------------------------- 6. save_arrays, load_arrays

def random_arrays(rng: np.random.Generator, hidden: bool) -> dict:
    """Arrays to save: public images/labels; hidden random names, dtypes and shapes."""
    if not hidden:
        return {"images": distinct_images(rng, 5), "labels": np.arange(5, dtype=np.int64)}
    arrays = {}
    for i in range(int(rng.integers(2, 5))):
        dtype = np.dtype(rng.choice(["float32", "float64", "int64", "uint8", "int32"]))
        shape = tuple(int(s) for s in rng.integers(1, 7, int(rng.integers(1, 4))))
        name = "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), 6)) + f"_{i}"
        arrays[name] = (rng.random(shape) * 200).astype(dtype)
    return arrays


def check_save_arrays(save_arrays: Callable, hidden: bool = False) -> None:
    """A compressed .npz at exactly the given path, holding every array under its name and dtype."""
    arrays = random_arrays(np.random.default_rng(case_seed(hidden)), hidden)
    with scratch_dir("check-save-arrays-") as tmp:
        path = tmp / "letters.npz"
        call(save_arrays, path, **{k: v.copy() for k, v in arrays.items()}, what="save_arrays(path, **arrays)")
        if not path.is_file():
            others = sorted(p.name for p in tmp.iterdir())
            fail(f"save_arrays: no file at {path.name} (found {others}); write exactly to the given path "
                 "with np.savez_compressed(path, **arrays).")
        head = path.read_bytes()[:6]
        if not zipfile.is_zipfile(path):
            kind = ("a pickle" if head[:1] == b"\x80" else "a single .npy array (np.save)"
                    if head == b"\x93NUMPY" else "not an .npz (zip) file")
            fail(f"save_arrays: {path.name} is {kind}; use np.savez_compressed(path, **arrays).")
        with zipfile.ZipFile(path) as archive:
            if any(info.compress_type != zipfile.ZIP_DEFLATED for info in archive.infolist()):
                fail("save_arrays: the .npz is not compressed; use np.savez_compressed instead of np.savez.")
        try:
            with np.load(path, allow_pickle=False) as data:
                loaded = {key: data[key] for key in data.files}
        except ValueError as error:
            fail(f"save_arrays: the file holds pickled objects ({error}); save the arrays themselves "
                 "as keyword arguments: np.savez_compressed(path, **arrays).")
    if set(loaded) != set(arrays):
        fail(f"save_arrays: expected the arrays {sorted(arrays)} in the file, got {sorted(loaded)}; "
             "pass them by name: np.savez_compressed(path, **arrays).")
    for key, array in arrays.items():
        if loaded[key].dtype != array.dtype:
            fail(f"save_arrays: {key!r} was saved as {loaded[key].dtype.name}, not {array.dtype.name}; "
                 "keep every array's dtype.")
        if not np.array_equal(loaded[key], array):
            fail(f"save_arrays: {key!r} in the file differs from the array that was passed in.")
    passed(f"save_arrays: {len(arrays)} arrays in a compressed .npz, names and dtypes kept")


def check_load_arrays(load_arrays: Callable, hidden: bool = False) -> None:
    """A dict of plain arrays equal to what was saved; refuses pickled content (allow_pickle=False)."""
    arrays = random_arrays(np.random.default_rng(case_seed(hidden)), hidden)
    hint = "; read .npz files with np.load(path, allow_pickle=False)"
    with scratch_dir("check-load-arrays-") as tmp:
        path, objects, pickled = tmp / "letters.npz", tmp / "objects.npz", tmp / "pickled.npz"
        np.savez_compressed(path, **arrays)
        np.savez_compressed(objects, images=arrays[next(iter(arrays))],
                            notes=np.array([{"note": "a Python object"}, None], dtype=object))
        pickled.write_bytes(pickle.dumps({key: value for key, value in arrays.items()}))
        result = call(load_arrays, path, what="load_arrays(path)", hint=hint)
        if type(result) is not dict:
            fail(f"load_arrays: return a dict {{name: array}}, got {type(result).__name__}; "
                 "copy the NpzFile into a dict: {key: data[key] for key in data.files}.")
        if set(result) != set(arrays):
            fail(f"load_arrays: expected the keys {sorted(arrays)}, got {sorted(result)}.")
        for key, array in arrays.items():
            ndarray(result[key], f"load_arrays(path)[{key!r}]")
            if result[key].dtype != array.dtype:
                fail(f"load_arrays: {key!r} came back as {result[key].dtype.name}, saved as {array.dtype.name}; "
                     "keep the dtypes as stored.")
            if result[key].shape != array.shape or not np.array_equal(result[key], array):
                fail(f"load_arrays: {key!r} differs from the saved array.")
        for unsafe, content in ((objects, "an object array (pickled Python objects)"), (pickled, "a pickle")):
            try:
                load_arrays(unsafe)
            except NotImplementedError:
                raise
            except Exception:  # refusing the file is the right answer
                continue
            fail(f"load_arrays loaded a file holding {content}: unpickling can run arbitrary code, so load with "
                 "np.load(path, allow_pickle=False), which refuses it.")
    passed("load_arrays: arrays read back as a dict; files with pickled objects refused")


# ---------------------------------------------------------------- 7. LetterDataset

def check_letter_dataset(LetterDataset: type, hidden: bool = False) -> None:
    """A torch Dataset: its length, and item i as (float32 tensor (1, 28, 28), Python int label)."""
    import torch

    rng = np.random.default_rng(case_seed(hidden))
    n = int(rng.integers(5, 41)) if hidden else 12
    images, labels = distinct_images(rng, n), rng.integers(0, 10, n).astype(np.int64)
    dataset = call(LetterDataset, images.copy(), labels.copy(), what="LetterDataset(images, labels)")
    if not isinstance(dataset, torch.utils.data.Dataset):
        fail("LetterDataset: subclass torch.utils.data.Dataset (class LetterDataset(Dataset): …).")
    length = call(len, dataset, what="len(dataset)")
    if length != n:
        fail(f"len(dataset) is {length}, expected {n} (one item per image).")
    indices = [0, n - 1, *rng.integers(0, n, 3 if hidden else 1).tolist()]
    for i in indices:
        item = call(dataset.__getitem__, i, what=f"dataset[{i}]")
        image, label = pair(item, f"dataset[{i}]", "(image, label)")
        if type(label) is torch.Tensor and label.dim() == 3 and not isinstance(image, torch.Tensor):
            fail(f"dataset[{i}] returned (label, image); return (image, label).")
        if type(image) is not torch.Tensor:
            fail(f"dataset[{i}]: the image must be a torch.Tensor, got {type(image).__name__}; "
                 "convert with torch.from_numpy(...).")
        if image.dtype == torch.uint8:
            fail(f"dataset[{i}]: the image was converted to uint8, which destroys the normalized values; "
                 "keep float32.")
        if image.dtype != torch.float32:
            fail(f"dataset[{i}]: the image has dtype {image.dtype}; expected torch.float32.")
        if tuple(image.shape) == (28, 28):
            fail(f"dataset[{i}]: the image has shape (28, 28) without the channel dimension; return shape "
                 "(1, 28, 28) (add it with .unsqueeze(0)), as Conv2d expects (C, H, W).")
        if tuple(image.shape) != (1, 28, 28):
            fail(f"dataset[{i}]: expected an image of shape (1, 28, 28), got {tuple(image.shape)}.")
        pixels = image.detach().numpy().reshape(28, 28)
        if not np.array_equal(pixels, images[i]):
            fail(f"dataset[{i}]: the image is not images[{i}].")
        if type(label) is not int:
            fail(f"dataset[{i}]: the label must be a Python int, got {type(label).__name__} ({label!r}); "
                 f"return int(labels[{i}]).")
        if label != int(labels[i]):
            fail(f"dataset[{i}]: the label is {label}, expected labels[{i}] = {int(labels[i])}.")
    passed(f"LetterDataset: {n} items, each a (1, 28, 28) float32 tensor with an int label")


CHECKS: dict[str, Callable] = {
    "load_letter": check_load_letter,
    "class_counts": check_class_counts,
    "balance_ratio": check_balance_ratio,
    "merge_datasets": check_merge_datasets,
    "shuffle_together": check_shuffle_together,
    "split": check_split,
    "save_arrays": check_save_arrays,
    "load_arrays": check_load_arrays,
    "LetterDataset": check_letter_dataset,
}
