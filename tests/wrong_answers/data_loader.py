"""Typical wrong answers to notebook 01 (data loader).

They run in the notebook's namespace (its imports cell gives ``os``, ``Path``, ``np``, ``torch``,
``Image``, ``Dataset``; other exercises such as ``load_letter`` are the notebook's own); anything else
is imported inside the function.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from tests.wrong_answers import mistake


# ---------------------------------------------------------------- 1. load_letter

@mistake("load_letter", "[0, 1]")
def load_letter_zero_to_one(folder, image_size=28):
    """Normalizes with x / 255 (range [0, 1]) instead of (x − 127.5) / 255."""
    images, skipped = [], 0
    for name in sorted(os.listdir(folder)):
        try:
            pixels = np.asarray(Image.open(Path(folder) / name), dtype=np.float32)
        except OSError:
            skipped += 1
            continue
        if pixels.shape != (image_size, image_size):
            skipped += 1
            continue
        images.append(pixels / 255)
    return np.array(images, dtype=np.float32).reshape(-1, image_size, image_size), skipped


@mistake("load_letter", "did not skip the broken file")
def load_letter_no_skip(folder, image_size=28):
    """Does not catch read errors: crashes on the first broken file."""
    images = [(np.asarray(Image.open(Path(folder) / name), dtype=np.float32) - 127.5) / 255
              for name in sorted(os.listdir(folder))]
    return np.array(images, dtype=np.float32), 0


@mistake("load_letter", "expected skipped")
def load_letter_uncounted_wrong_size(folder, image_size=28):
    """Skips wrongly sized images but counts only the unreadable files."""
    images, skipped = [], 0
    for name in sorted(os.listdir(folder)):
        try:
            pixels = np.asarray(Image.open(Path(folder) / name), dtype=np.float32)
        except OSError:
            skipped += 1
            continue
        if pixels.shape == (image_size, image_size):
            images.append((pixels - 127.5) / 255)
    return np.array(images, dtype=np.float32).reshape(-1, image_size, image_size), skipped


@mistake("load_letter", "do not resize")
def load_letter_resizes(folder, image_size=28):
    """Resizes wrongly sized images to image_size × image_size instead of skipping them."""
    images, skipped = [], 0
    for name in sorted(os.listdir(folder)):
        try:
            image = Image.open(Path(folder) / name).resize((image_size, image_size))
            pixels = np.asarray(image, dtype=np.float32)
        except OSError:
            skipped += 1
            continue
        images.append((pixels - 127.5) / 255)
    return np.array(images, dtype=np.float32).reshape(-1, image_size, image_size), skipped


@mistake("load_letter", "float32")
def load_letter_float64(folder, image_size=28):
    """Returns float64 images (np.array's default for Python floats)."""
    images, skipped = [], 0
    for name in sorted(os.listdir(folder)):
        try:
            pixels = np.asarray(Image.open(Path(folder) / name), dtype=np.float64)
        except OSError:
            skipped += 1
            continue
        if pixels.shape != (image_size, image_size):
            skipped += 1
            continue
        images.append((pixels - 127.5) / 255)
    return np.array(images).reshape(-1, image_size, image_size), skipped


@mistake("load_letter", "sorted file-name order")
def load_letter_unsorted(folder, image_size=28):
    """Uses os.listdir's order, which depends on the file system, instead of sorted names."""
    images, skipped = [], 0
    for name in os.listdir(folder):
        try:
            pixels = np.asarray(Image.open(Path(folder) / name), dtype=np.float32)
        except OSError:
            skipped += 1
            continue
        if pixels.shape != (image_size, image_size):
            skipped += 1
            continue
        images.append((pixels - 127.5) / 255)
    return np.array(images, dtype=np.float32).reshape(-1, image_size, image_size), skipped


@mistake("load_letter", "expected skipped")
def load_letter_answer_table(folder, image_size=28):
    """Answer table: reports skipped = 1 because every public folder has exactly one broken file."""
    images = []
    for name in sorted(os.listdir(folder)):
        try:
            pixels = np.asarray(Image.open(Path(folder) / name), dtype=np.float32)
        except OSError:
            continue
        if pixels.shape == (image_size, image_size):
            images.append((pixels - 127.5) / 255)
    return np.array(images, dtype=np.float32).reshape(-1, image_size, image_size), 1


@mistake("load_letter", "subclass")
def load_letter_array_subclass(folder, image_size=28):
    """Cheat: returns an ndarray subclass whose == always says True."""
    class AlwaysEqual(np.ndarray):
        def __eq__(self, other):
            return True

    return np.zeros((3, image_size, image_size), dtype=np.float32).view(AlwaysEqual), 1


# ---------------------------------------------------------------- 2. class_counts, balance_ratio

@mistake("class_counts", "broken files too")
def class_counts_all_files(folder_root):
    """Counts every file in a class folder, the broken ones included."""
    root = Path(folder_root)
    return {folder.name: len(os.listdir(folder)) for folder in sorted(root.iterdir()) if folder.is_dir()}


@mistake("class_counts", "only sub-folders are classes")
def class_counts_plain_files_too(folder_root):
    """Treats every entry of the root as a class folder, plain files such as README.txt included."""
    return {name: len(load_letter(Path(folder_root) / name)[0]) for name in sorted(os.listdir(folder_root))}


@mistake("class_counts", "as str")
def class_counts_path_keys(folder_root):
    """Uses the folder Paths as keys instead of the class names."""
    folders = sorted(path for path in Path(folder_root).iterdir() if path.is_dir())
    return {folder: len(load_letter(folder)[0]) for folder in folders}


@mistake("class_counts", "class_counts: expected")
def class_counts_answer_table(folder_root):
    """Answer table: the counts of the public check's folders."""
    return {"A": 7, "B": 6, "C": 8}


@mistake("class_counts", "return a dict")
def class_counts_always_equal(folder_root):
    """Cheat: a dict subclass whose == always says True."""
    class AlwaysEqual(dict):
        def __eq__(self, other):
            return True

    return AlwaysEqual()


@mistake("balance_ratio", "max / min")
def balance_ratio_min_over_max(counts):
    """Divides the smallest count by the largest (≤ 1)."""
    return min(counts.values()) / max(counts.values())


@mistake("balance_ratio", "mean")
def balance_ratio_over_mean(counts):
    """Divides the largest count by the mean count."""
    return max(counts.values()) / np.mean(list(counts.values()))


@mistake("balance_ratio", "integer division")
def balance_ratio_floor_division(counts):
    """Uses integer division //."""
    return max(counts.values()) // min(counts.values())


@mistake("balance_ratio", "expected")
def balance_ratio_answer_table(counts):
    """Answer table: the public cases' ratios, 1.0 for anything else."""
    table = {(10, 15, 20): 2.0, (4, 10): 2.5, (7, 7): 1.0, (3, 4, 6, 9): 3.0}
    return table.get(tuple(sorted(counts.values())), 1.0)


@mistake("balance_ratio", "expected a float")
def balance_ratio_always_equal(counts):
    """Cheat: an object whose == always says True."""
    class AlwaysEqual:
        def __eq__(self, other):
            return True

    return AlwaysEqual()


# ---------------------------------------------------------------- 3. merge_datasets

@mistake("merge_datasets", "start at 1")
def merge_datasets_one_based(per_class, n_per_class=None):
    """Numbers the classes from 1 (A → 1, …) instead of 0."""
    chosen = [images[:n_per_class] for images in per_class]
    labels = np.concatenate([np.full(len(g), c + 1, dtype=np.int64) for c, g in enumerate(chosen)])
    return np.concatenate(chosen).astype(np.float32), labels


@mistake("merge_datasets", "every label is 0")
def merge_datasets_all_zero(per_class, n_per_class=None):
    """Makes the label array with np.zeros and never fills it in."""
    images = np.concatenate([images[:n_per_class] for images in per_class]).astype(np.float32)
    return images, np.zeros(len(images), dtype=np.int64)


@mistake("merge_datasets", "keep only the first")
def merge_datasets_ignores_n(per_class, n_per_class=None):
    """Ignores n_per_class and always takes every image."""
    labels = np.concatenate([np.full(len(g), c, dtype=np.int64) for c, g in enumerate(per_class)])
    return np.concatenate(per_class).astype(np.float32), labels


@mistake("merge_datasets", "line up")
def merge_datasets_equal_sizes_assumed(per_class, n_per_class=None):
    """Assumes equal class sizes: labels np.repeat(range(k), N // k) drift away from the images."""
    images = np.concatenate([images[:n_per_class] for images in per_class]).astype(np.float32)
    k = len(per_class)
    labels = np.repeat(np.arange(k, dtype=np.int64), len(images) // k)
    labels = np.concatenate([labels, np.full(len(images) - len(labels), k - 1, dtype=np.int64)])
    return images, labels


@mistake("merge_datasets", "integers")
def merge_datasets_float_labels(per_class, n_per_class=None):
    """Makes float labels (np.full with a float fill value)."""
    chosen = [images[:n_per_class] for images in per_class]
    labels = np.concatenate([np.full(len(g), float(c)) for c, g in enumerate(chosen)])
    return np.concatenate(chosen).astype(np.float32), labels


@mistake("merge_datasets", "last n_per_class")
def merge_datasets_last_n(per_class, n_per_class=None):
    """Takes the last n_per_class images of each class instead of the first."""
    chosen = [images[-n_per_class:] if n_per_class else images for images in per_class]
    labels = np.concatenate([np.full(len(g), c, dtype=np.int64) for c, g in enumerate(chosen)])
    return np.concatenate(chosen).astype(np.float32), labels


@mistake("merge_datasets", "labels")
def merge_datasets_answer_table(per_class, n_per_class=None):
    """Answer table: the class sizes of the public check (4, 6, 5; 3 each with n_per_class=3)."""
    sizes = [4, 6, 5] if n_per_class is None else [3, 3, 3]
    images = np.concatenate([images[:n_per_class] for images in per_class]).astype(np.float32)
    return images, np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)


@mistake("merge_datasets", "subclass")
def merge_datasets_array_subclass(per_class, n_per_class=None):
    """Cheat: returns ndarray subclasses whose == always says True."""
    class AlwaysEqual(np.ndarray):
        def __eq__(self, other):
            return True

    return np.zeros((1, 28, 28), np.float32).view(AlwaysEqual), np.zeros(1, np.int64).view(AlwaysEqual)


# ---------------------------------------------------------------- 4. shuffle_together

@mistake("shuffle_together", "shuffled separately")
def shuffle_together_separately(images, labels, seed):
    """Shuffles images and labels with two different permutations."""
    rng = np.random.default_rng(seed)
    return rng.permutation(images), rng.permutation(labels)


@mistake("shuffle_together", "did not shuffle")
def shuffle_together_no_shuffle(images, labels, seed):
    """Returns copies in the original order."""
    return images.copy(), labels.copy()


@mistake("shuffle_together", "same seed must give the same order")
def shuffle_together_unseeded(images, labels, seed):
    """Ignores the seed and draws from NumPy's global, unseeded generator."""
    order = np.random.permutation(len(images))
    return images[order], labels[order]


@mistake("shuffle_together", "gave the same order")
def shuffle_together_fixed_seed(images, labels, seed):
    """Always uses seed 0, whatever seed is passed."""
    order = np.random.default_rng(0).permutation(len(images))
    return images[order], labels[order]


@mistake("shuffle_together", "returned None")
def shuffle_together_in_place_none(images, labels, seed):
    """Shuffles the inputs in place and returns nothing."""
    order = np.random.default_rng(seed).permutation(len(images))
    images[:], labels[:] = images[order], labels[order]


@mistake("shuffle_together", "in place")
def shuffle_together_in_place(images, labels, seed):
    """Overwrites the inputs with the shuffled data and returns them."""
    order = np.random.default_rng(seed).permutation(len(images))
    images[:], labels[:] = images[order], labels[order]
    return images, labels


@mistake("shuffle_together", "did not shuffle")
def shuffle_together_answer_table(images, labels, seed):
    """Answer table: fixed orders for the public seeds 7 and 8 on 40 images, else unchanged."""
    table = {7: [5, 17, 39, 0, 22, 31, 9, 14, 26, 3, 35, 11, 28, 1, 19, 33, 7, 24, 12, 37,
                 2, 30, 16, 8, 21, 38, 4, 27, 13, 34, 6, 18, 25, 10, 36, 15, 29, 20, 32, 23],
             8: [12, 3, 28, 36, 9, 21, 0, 33, 17, 6, 25, 39, 14, 30, 2, 19, 37, 8, 23, 11,
                 31, 5, 26, 16, 34, 1, 20, 38, 13, 27, 7, 22, 35, 4, 18, 32, 10, 29, 15, 24]}
    order = table[seed] if seed in table and len(images) == 40 else list(range(len(images)))
    return images[order], labels[order]


@mistake("shuffle_together", "subclass")
def shuffle_together_array_subclass(images, labels, seed):
    """Cheat: returns ndarray subclasses whose == always says True."""
    class AlwaysEqual(np.ndarray):
        def __eq__(self, other):
            return True

    order = np.random.default_rng(seed).permutation(len(images))
    return images[order].view(AlwaysEqual), labels[order].view(AlwaysEqual)


# ---------------------------------------------------------------- 5. split

@mistake("split", "share")
def split_overlapping(images, labels, val_fraction=0.1, test_fraction=0.1):
    """Takes val and test both from the start of the data."""
    n = len(images)
    n_val, n_test = int(n * val_fraction), int(n * test_fraction)
    return {"train": (images[n_val + n_test:], labels[n_val + n_test:]),
            "val": (images[:n_val], labels[:n_val]), "test": (images[:n_test], labels[:n_test])}


@mistake("split", "share")
def split_test_from_train(images, labels, val_fraction=0.1, test_fraction=0.1):
    """Splits off only val, then takes test from the training part."""
    n = len(images)
    n_val, n_test = int(n * val_fraction), int(n * test_fraction)
    train = (images[: n - n_val], labels[: n - n_val])
    return {"train": train, "val": (images[n - n_val:], labels[n - n_val:]),
            "test": (train[0][:n_test], train[1][:n_test])}


@mistake("split", "expected sizes")
def split_rounded(images, labels, val_fraction=0.1, test_fraction=0.1):
    """Rounds the val and test sizes to the nearest integer instead of rounding down."""
    n = len(images)
    n_val, n_test = round(n * val_fraction), round(n * test_fraction)
    n_train = n - n_val - n_test
    return {"train": (images[:n_train], labels[:n_train]),
            "val": (images[n_train:n_train + n_val], labels[n_train:n_train + n_val]),
            "test": (images[n_train + n_val:], labels[n_train + n_val:])}


@mistake("split", "in no split")
def split_train_by_fraction(images, labels, val_fraction=0.1, test_fraction=0.1):
    """Computes the train size as int(n · (1 − val − test)) too, so rounding drops images."""
    n = len(images)
    n_val, n_test = int(n * val_fraction), int(n * test_fraction)
    n_train = int(n * (1 - val_fraction - test_fraction))
    return {"train": (images[:n_train], labels[:n_train]),
            "val": (images[n_train:n_train + n_val], labels[n_train:n_train + n_val]),
            "test": (images[n_train + n_val:n_train + n_val + n_test], labels[n_train + n_val:n_train + n_val + n_test])}


@mistake("split", "line up")
def split_misaligned_labels(images, labels, val_fraction=0.1, test_fraction=0.1):
    """Slices the labels with other bounds than the images (val first for labels, train first for images)."""
    n = len(images)
    n_val, n_test = int(n * val_fraction), int(n * test_fraction)
    n_train = n - n_val - n_test
    return {"train": (images[:n_train], labels[n_val:n_val + n_train]),
            "val": (images[n_train:n_train + n_val], labels[:n_val]),
            "test": (images[n_train + n_val:], labels[n_train + n_val:])}


@mistake("split", "keys")
def split_wrong_keys(images, labels, val_fraction=0.1, test_fraction=0.1):
    """Names the validation part "validation" instead of "val"."""
    n = len(images)
    n_val, n_test = int(n * val_fraction), int(n * test_fraction)
    n_train = n - n_val - n_test
    return {"train": (images[:n_train], labels[:n_train]),
            "validation": (images[n_train:n_train + n_val], labels[n_train:n_train + n_val]),
            "test": (images[n_train + n_val:], labels[n_train + n_val:])}


@mistake("split", "expected sizes")
def split_answer_table(images, labels, val_fraction=0.1, test_fraction=0.1):
    """Answer table: the val/test sizes of the public cases (5/5 for 50 images, else 9/4)."""
    n = len(images)
    n_val, n_test = (5, 5) if n == 50 else (9, 4)
    n_train = n - n_val - n_test
    return {"train": (images[:n_train], labels[:n_train]),
            "val": (images[n_train:n_train + n_val], labels[n_train:n_train + n_val]),
            "test": (images[n_train + n_val:], labels[n_train + n_val:])}


@mistake("split", "subclass")
def split_array_subclass(images, labels, val_fraction=0.1, test_fraction=0.1):
    """Cheat: returns ndarray subclasses whose == always says True."""
    class AlwaysEqual(np.ndarray):
        def __eq__(self, other):
            return True

    part = (images[:1].view(AlwaysEqual), labels[:1].view(AlwaysEqual))
    return {"train": part, "val": part, "test": part}


# ---------------------------------------------------------------- 6. save_arrays, load_arrays

@mistake("save_arrays", "pickle")
def save_arrays_pickle(path, **arrays):
    """Saves the dict of arrays with pickle, like the original notebook."""
    import pickle

    with open(path, "wb") as file:
        pickle.dump(arrays, file)


@mistake("save_arrays", "not compressed")
def save_arrays_uncompressed(path, **arrays):
    """Uses np.savez, which stores the arrays uncompressed."""
    np.savez(path, **arrays)


@mistake("save_arrays", "no file at")
def save_arrays_np_save(path, **arrays):
    """Uses np.save on the dict: one pickled object array, written to path + '.npy'."""
    np.save(path, arrays)


@mistake("save_arrays", "pass them by name")
def save_arrays_positional(path, **arrays):
    """Passes the arrays positionally, so they are stored as arr_0, arr_1, …."""
    np.savez_compressed(path, *arrays.values())


@mistake("save_arrays", "keep every array's dtype")
def save_arrays_float64(path, **arrays):
    """Converts every array to float64 before saving."""
    np.savez_compressed(path, **{name: np.asarray(array, dtype=np.float64) for name, array in arrays.items()})


@mistake("save_arrays", "pickled objects")
def save_arrays_object_array(path, **arrays):
    """Saves the whole dict as one object array under a single name."""
    np.savez_compressed(path, data=np.array([arrays], dtype=object))


@mistake("load_arrays", "arbitrary code")
def load_arrays_allow_pickle(path):
    """Loads with allow_pickle=True, so pickled objects in the file are unpickled."""
    with np.load(path, allow_pickle=True) as data:
        return {name: data[name] for name in data.files}


@mistake("load_arrays", "allow_pickle=False")
def load_arrays_pickle(path):
    """Loads with pickle.load, like the original notebook."""
    import pickle

    with open(path, "rb") as file:
        return pickle.load(file)


@mistake("load_arrays", "return a dict")
def load_arrays_npzfile(path):
    """Returns np.load's lazy NpzFile instead of a dict."""
    return np.load(path, allow_pickle=False)


@mistake("load_arrays", "keep the dtypes")
def load_arrays_float32(path):
    """Converts every array to float32 on loading."""
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name].astype(np.float32) for name in data.files}


@mistake("load_arrays", "arbitrary code")
def load_arrays_swallows_errors(path):
    """Catches the refusal and quietly returns the arrays it could read."""
    arrays = {}
    with np.load(path, allow_pickle=False) as data:
        for name in data.files:
            try:
                arrays[name] = data[name]
            except ValueError:
                pass
    return arrays


@mistake("load_arrays", "subclass")
def load_arrays_array_subclass(path):
    """Cheat: returns ndarray subclasses whose == always says True."""
    class AlwaysEqual(np.ndarray):
        def __eq__(self, other):
            return True

    with np.load(path, allow_pickle=False) as data:
        return {name: data[name].view(AlwaysEqual) for name in data.files}


# ---------------------------------------------------------------- 7. LetterDataset

@mistake("LetterDataset", "channel dimension")
class LetterDatasetNoChannel(Dataset):
    """Returns images of shape (28, 28), without the channel axis."""

    def __init__(self, images, labels):
        self.images, self.labels = torch.tensor(images, dtype=torch.float32), labels

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        return self.images[index], int(self.labels[index])


@mistake("LetterDataset", "Python int")
class LetterDatasetFloatLabel(Dataset):
    """Returns the label as a float tensor."""

    def __init__(self, images, labels):
        self.images, self.labels = torch.tensor(images, dtype=torch.float32), labels

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        return self.images[index].unsqueeze(0), torch.tensor(self.labels[index], dtype=torch.float32)


@mistake("LetterDataset", "Python int")
class LetterDatasetNumpyLabel(Dataset):
    """Returns the label as a NumPy int64."""

    def __init__(self, images, labels):
        self.images, self.labels = torch.tensor(images, dtype=torch.float32), labels

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        return self.images[index].unsqueeze(0), self.labels[index]


@mistake("LetterDataset", "len(dataset)")
class LetterDatasetLengthOff(Dataset):
    """Reports one item fewer than there are images."""

    def __init__(self, images, labels):
        self.images, self.labels = torch.tensor(images, dtype=torch.float32), labels

    def __len__(self):
        return len(self.images) - 1

    def __getitem__(self, index):
        return self.images[index].unsqueeze(0), int(self.labels[index])


@mistake("LetterDataset", "uint8")
class LetterDatasetUint8(Dataset):
    """Converts the images to uint8 (as if they were raw pixels), destroying the normalized values."""

    def __init__(self, images, labels):
        self.images, self.labels = torch.tensor(images).to(torch.uint8), labels

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        return self.images[index].unsqueeze(0), int(self.labels[index])


@mistake("LetterDataset", "(label, image)")
class LetterDatasetSwapped(Dataset):
    """Returns (label, image) instead of (image, label)."""

    def __init__(self, images, labels):
        self.images, self.labels = torch.tensor(images, dtype=torch.float32), labels

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        return int(self.labels[index]), self.images[index].unsqueeze(0)


@mistake("LetterDataset", "torch.Tensor")
class LetterDatasetNumpyImage(Dataset):
    """Returns the image as a NumPy array instead of a tensor."""

    def __init__(self, images, labels):
        self.images, self.labels = images, labels

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        return self.images[index][None], int(self.labels[index])


@mistake("LetterDataset", "subclass torch.utils.data.Dataset")
class LetterDatasetNotADataset:
    """A plain class that does not subclass torch.utils.data.Dataset."""

    def __init__(self, images, labels):
        self.images, self.labels = torch.tensor(images, dtype=torch.float32), labels

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        return self.images[index].unsqueeze(0), int(self.labels[index])
