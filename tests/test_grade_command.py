"""`cnn-course grade` from a TA's zip: every bad input gets its own row and reason, nothing else is
affected, and grading the same input again gives the same grades."""
from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.cli import grade
from autograder.grader import Limits
from autograder.samples import solution_filled
from tests.toy_course import ASSIGNMENT, AUTO_POINTS, NOTEBOOK, make_toy_course

pytestmark = pytest.mark.slow
FULL = sum(AUTO_POINTS.values())


def _zip_of(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                z.write(path, path.relative_to(folder.parent))
    return target


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = make_toy_course(tmp_path_factory.mktemp("toy"))
    solved = nbformat.writes(solution_filled(ASSIGNMENT, root))
    subs = tmp_path_factory.mktemp("in") / "submissions"
    files = {
        ("honest", NOTEBOOK): solved,
        ("malformed", NOTEBOOK): '{"cells": [ not json',
        ("renamed", "Untitled (1).ipynb"): solved,
        ("missing", "notes.txt"): "forgot it",
        ("extras", NOTEBOOK): solved,
        ("extras", "scratch.bin"): "x" * 1000,
    }
    for (student, name), text in files.items():
        (subs / student / ASSIGNMENT).mkdir(parents=True, exist_ok=True)
        (subs / student / ASSIGNMENT / name).write_text(text)
    nested = subs / "nested" / ASSIGNMENT
    nested.mkdir(parents=True)
    with zipfile.ZipFile(nested / "inner.zip", "w") as z:
        z.writestr("deeper.zip", b"PK\x05\x06" + b"\0" * 18)
    (subs / "wrongassignment" / "99_nope").mkdir(parents=True)
    (subs / "wrongassignment" / "99_nope" / NOTEBOOK).write_text(solved)
    archive = _zip_of(subs, subs.parent / "submissions.zip")
    out = tmp_path_factory.mktemp("out")
    limits = Limits(cell_timeout=30, notebook_timeout=120)
    first = grade(archive, out, 2, limits, repo_root=root, progress=False)
    first_csv = (out / "grades.csv").read_text()
    again = grade(archive, out, 2, limits, repo_root=root, progress=False)
    return {(r.student, r.assignment): r for r in again}, out, first_csv, first


def test_honest_and_tolerated_inputs_score_full(graded):
    results = graded[0]
    for student in ("honest", "renamed", "extras"):
        result = results[(student, ASSIGNMENT)]
        assert not result.reason and result.score == FULL, (student, result)
    assert any("Untitled (1).ipynb" in n for n in results[("renamed", ASSIGNMENT)].notes)
    assert any("scratch.bin" in n for n in results[("extras", ASSIGNMENT)].notes)


@pytest.mark.parametrize("student, assignment, words", [
    ("malformed", ASSIGNMENT, "not valid JSON"),
    ("missing", ASSIGNMENT, "no notebook"),
    ("nested", ASSIGNMENT, "zip inside the zip"),
    ("wrongassignment", "99_nope", "unknown assignment"),
])
def test_bad_input_rows_say_why(graded, student, assignment, words):
    result = graded[0][(student, assignment)]
    assert result.score == 0 and words in result.reason, result


def test_grades_csv_has_every_row_and_is_idempotent(graded):
    results, out, first_csv, first = graded
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert {(r["student"], r["assignment"]) for r in rows} == set(results)
    assert (out / "grades.csv").read_text() == first_csv
    assert all((out / "feedback" / r["student"] / f"{r['assignment']}.html").exists() for r in rows)
