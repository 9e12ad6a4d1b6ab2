"""Notebook 01 checks: the reference solution passes public and hidden cases, every catalogued wrong
answer fails with a message naming its mistake, and an unfinished exercise stays "not implemented"."""
from __future__ import annotations

import ast
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from autograder.checks import data_loader as checks
from autograder.checks.common import CheckFailed
from autograder.release import validate_source
from tests.nbtools import ROOT, grade_meta, is_solution, is_test, read, solution_namespace
from tests.wrong_answers import catalogue, mistake
from tests.wrong_answers import data_loader as wrong

NOTEBOOK = ROOT / "solutions" / "01_data_loader" / "01_data_loader.ipynb"


# More wrong answers, each naming a diagnosis of the checks. They are checked here only: the catalogue
# keeps at most 8 per exercise, since the end-to-end grading test runs one autograde round per entry.

@mistake("load_letter", "(x − 128) / 128")
def load_letter_minus_one_to_one(folder, image_size=28):
    """Scales to [-1, 1] with (x − 128) / 128, another convention than the lecture's."""
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
        images.append((pixels - 128) / 128)
    return np.array(images, dtype=np.float32).reshape(-1, image_size, image_size), skipped


@mistake("load_letter", "plt.imread")
def load_letter_plt_imread(folder, image_size=28):
    """Reads with plt.imread, which already scales PNGs to [0, 1], then normalizes again."""
    import matplotlib.pyplot as plt

    images, skipped = [], 0
    for name in sorted(os.listdir(folder)):
        try:
            pixels = plt.imread(str(Path(folder) / name)).astype(np.float32)
        except Exception:  # plt.imread raises SyntaxError for non-PNG content
            skipped += 1
            continue
        if pixels.shape != (image_size, image_size):
            skipped += 1
            continue
        images.append((pixels - 127.5) / 255)
    return np.array(images, dtype=np.float32).reshape(-1, image_size, image_size), skipped


@mistake("load_letter", "number of images loaded")
def load_letter_returns_loaded_count(folder, image_size=28):
    """Returns the number of images loaded where the number skipped is asked for."""
    images = []
    for name in sorted(os.listdir(folder)):
        try:
            pixels = np.asarray(Image.open(Path(folder) / name), dtype=np.float32)
        except OSError:
            continue
        if pixels.shape == (image_size, image_size):
            images.append((pixels - 127.5) / 255)
    return np.array(images, dtype=np.float32).reshape(-1, image_size, image_size), len(images)


@mistake("load_letter", "flattened")
def load_letter_flattened(folder, image_size=28):
    """Returns each image flattened to a row of 784 values: shape (N, 784)."""
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
        images.append(((pixels - 127.5) / 255).ravel())
    return np.array(images, dtype=np.float32), skipped


@mistake("load_letter", "image_size argument")
def load_letter_hard_coded_28(folder, image_size=28):
    """Hard-codes 28 × 28 and ignores the image_size argument (passes the public check only)."""
    images, skipped = [], 0
    for name in sorted(os.listdir(folder)):
        try:
            pixels = np.asarray(Image.open(Path(folder) / name), dtype=np.float32)
        except OSError:
            skipped += 1
            continue
        if pixels.shape != (28, 28):
            skipped += 1
            continue
        images.append((pixels - 127.5) / 255)
    return np.array(images, dtype=np.float32).reshape(-1, 28, 28), skipped


@mistake("merge_datasets", "np.tile")
def merge_datasets_tile(per_class, n_per_class=None):
    """Makes the labels with np.tile (0, 1, 2, 0, 1, 2, …) instead of np.repeat."""
    images = np.concatenate([images[:n_per_class] for images in per_class]).astype(np.float32)
    return images, np.tile(np.arange(len(per_class), dtype=np.int64), len(images))[:len(images)]


@mistake("shuffle_together", "appear twice")
def shuffle_together_with_replacement(images, labels, seed):
    """Draws random indices with replacement instead of a permutation."""
    order = np.random.default_rng(seed).integers(0, len(images), len(images))
    return images[order], labels[order]


@mistake("split", "expected sizes")
def split_swapped_fractions(images, labels, val_fraction=0.1, test_fraction=0.1):
    """Uses test_fraction for val and val_fraction for test."""
    n = len(images)
    n_val, n_test = int(n * test_fraction), int(n * val_fraction)
    n_train = n - n_val - n_test
    return {"train": (images[:n_train], labels[:n_train]),
            "val": (images[n_train:n_train + n_val], labels[n_train:n_train + n_val]),
            "test": (images[n_train + n_val:], labels[n_train + n_val:])}


MISTAKES = catalogue(wrong) + catalogue(sys.modules[__name__])
# Wrong answers that fit the public cases only: the hidden cases must catch them.
PUBLIC_ONLY = [m for m in MISTAKES if m.fn.__name__.endswith(("answer_table", "hard_coded_28"))]


@pytest.fixture(scope="module")
def solution() -> dict:
    return solution_namespace(NOTEBOOK)


def implementation(solution: dict, m):
    """The wrong answer as the notebook would hold it: its source run in the solution's namespace."""
    namespace = dict(solution)
    exec(compile(m.as_source(), f"<{m.fn.__name__}>", "exec"), namespace)
    return namespace[m.exercise]


def test_reference_solution_passes_every_check(solution, capsys):
    for name, check in checks.CHECKS.items():
        check(solution[name])
        for _ in range(3):  # fresh hidden cases each time
            check(solution[name], hidden=True)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("m", MISTAKES, ids=lambda m: m.fn.__name__)
def test_each_mistake_fails_with_a_message_naming_it(solution, m):
    wrong_answer = implementation(solution, m)
    check = checks.CHECKS[m.exercise]
    with pytest.raises(CheckFailed) as failure:
        check(wrong_answer)
        check(wrong_answer, hidden=True)
    assert m.names.lower() in str(failure.value).lower(), f"{m.description}\nmessage: {failure.value}"


@pytest.mark.parametrize("m", PUBLIC_ONLY, ids=lambda m: m.fn.__name__)
def test_answers_fitted_to_the_public_cases_fail_only_the_hidden_ones(solution, m):
    wrong_answer = implementation(solution, m)
    check = checks.CHECKS[m.exercise]
    check(wrong_answer)
    with pytest.raises(CheckFailed):
        check(wrong_answer, hidden=True)


def test_catalogue_covers_every_exercise():
    per_exercise = {name: [m for m in MISTAKES if m.exercise == name] for name in checks.CHECKS}
    assert {name: len(ms) for name, ms in per_exercise.items() if len(ms) < 3} == {}
    assert {m.exercise for m in PUBLIC_ONLY} >= {"load_letter", "class_counts", "balance_ratio",
                                                 "merge_datasets", "shuffle_together", "split"}


def unfinished(*args, **kwargs):
    raise NotImplementedError()


@pytest.mark.parametrize("name", checks.CHECKS)
def test_unfinished_exercise_is_reported_as_not_implemented(name):
    with pytest.raises(NotImplementedError):
        checks.CHECKS[name](unfinished)


def test_load_letter_crash_names_the_broken_file(solution, tmp_path):
    rng = np.random.default_rng(1)
    folder = checks.make_letter_folder(tmp_path / "A", rng, 3, ["truncated"])
    (name,) = folder.broken
    with pytest.raises(CheckFailed, match=re.escape(name)):
        checks._check_letter_folder(implementation(solution, wrong.load_letter_no_skip.mistake), folder)


def test_letter_folder_fixture_matches_what_pil_reads(tmp_path):
    rng = np.random.default_rng(2)
    folder = checks.make_letter_folder(tmp_path / "B", rng, 4, list(checks.BROKEN_KINDS), image_size=20)
    assert len(list(folder.path.iterdir())) == 4 + len(checks.BROKEN_KINDS)
    readable = []
    for path in sorted(folder.path.iterdir()):
        try:
            pixels = np.asarray(Image.open(path))
        except OSError:
            assert folder.broken[path.name] in {"empty", "not_image", "truncated"}
            continue
        if pixels.shape != (20, 20):
            assert folder.broken[path.name] == "wrong_size"
            continue
        readable.append(pixels)
    assert np.array_equal(np.stack(readable), folder.pixels)


def test_notebook_is_a_valid_release_source():
    assert validate_source(NOTEBOOK) == []


def test_every_exercise_has_one_test_cell_with_hidden_cases():
    cells = read(NOTEBOOK).cells
    tests = [c for c in cells if is_test(c)]
    for name, check in checks.CHECKS.items():
        holding = [c for c in tests if re.search(rf"\b{check.__name__}\({re.escape(name)}\)", c.source)]
        assert len(holding) == 1, f"{name}: {len(holding)} test cells"
        hidden = holding[0].source.split("### BEGIN HIDDEN TESTS")[1]
        assert f"{check.__name__}({name}, hidden=True)" in hidden
    assert sum(grade_meta(c)["points"] for c in tests) == 30


def test_solution_cells_hold_only_definitions():
    for cell in read(NOTEBOOK).cells:
        if is_solution(cell):
            for node in ast.parse(cell.source).body:
                assert isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)), \
                    f"{grade_meta(cell)['grade_id']}: {ast.dump(node)[:60]}"
