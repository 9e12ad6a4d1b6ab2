"""course/ is generated from solutions/ by nbgrader and committed; these tests keep it honest."""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder.colab import SETUP_CELL
from autograder.paths import REPO_ROOT, assignments
from autograder.release import ReleaseError, release, validate_source


def _files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def fresh_release(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("release")
    release(dest=dest)
    return dest


def test_committed_release_is_up_to_date(fresh_release):
    committed = REPO_ROOT / "course"
    assert sorted(assignments()) == sorted(p.name for p in committed.iterdir() if p.is_dir()), \
        "course/ and solutions/ hold different assignments: run `cnn-course release`"
    for assignment in assignments():
        fresh, current = _files(fresh_release / assignment), _files(committed / assignment)
        assert fresh.keys() == current.keys(), f"{assignment}: files differ; run `cnn-course release`"
        for name in fresh:
            assert fresh[name] == current[name], f"course/{assignment}/{name} is stale: run `cnn-course release`"


def test_release_hides_solutions_and_hidden_tests(fresh_release):
    for notebook in fresh_release.rglob("*.ipynb"):
        text = notebook.read_text()
        for marker in ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS", "hidden=True"):
            assert marker not in text, f"{notebook.name} leaks {marker!r}"
        nb = nbformat.read(str(notebook), as_version=4)
        assert nb.cells[0].source == SETUP_CELL
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "released outputs must be clean"
        assert "widgets" not in nb.metadata, f"{notebook.name} leaks the solution run's widget state"
        assert not any("execution" in c.metadata for c in nb.cells), f"{notebook.name} leaks the solution run's timings"


def _toy(path: Path, cells) -> Path:
    nb = new_notebook(cells=[new_code_cell(SETUP_CELL, metadata={"tags": ["colab-setup"]})] + cells)
    nbformat.write(nb, str(path))
    return path


def _meta(**fields):
    return {"nbgrader": {"grade": False, "solution": False, "locked": False, "task": False,
                         "schema_version": 3, **fields}}


@pytest.mark.parametrize("cells, problem", [
    ([new_code_cell("x = 1", metadata=_meta(grade=True, locked=True, grade_id="t"))], "without points"),
    ([new_code_cell("def f():\n    return 1", metadata=_meta(solution=True, grade_id="f"))],
     "without ### BEGIN SOLUTION"),
    ([new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION",
                    metadata=_meta(grade=True, locked=True, points=1, grade_id="t"))], "contains solution code"),
    ([new_code_cell("x = 1", metadata=_meta(grade=True, points=1, grade_id="t")),
      new_code_cell("y = 1", metadata=_meta(grade=True, points=1, grade_id="t"))], "used 2 times"),
])
def test_validation_names_each_problem(tmp_path, cells, problem):
    problems = validate_source(_toy(tmp_path / "toy.ipynb", cells))
    assert any(problem in p for p in problems), problems


def test_sources_may_keep_outputs_but_the_release_is_clean(tmp_path):
    """Outputs, progress-bar widget state and cell timings of the solution run stay out of the release."""
    source = tmp_path / "solutions" / "00_toy"
    source.mkdir(parents=True)
    cell = new_code_cell("print(99.2)", execution_count=3,
                         outputs=[nbformat.v4.new_output("stream", name="stdout", text="99.2\n")],
                         metadata={"execution": {"iopub.execute_input": "2026-11-23T10:00:00Z"}})
    path = _toy(source / "00_toy.ipynb", [cell])
    nb = nbformat.read(str(path), as_version=4)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {"acc": "99.2%"}}}
    nbformat.write(nb, str(path))
    assert validate_source(path) == []
    release(root=tmp_path)
    released = nbformat.read(str(tmp_path / "course" / "00_toy" / "00_toy.ipynb"), as_version=4)
    assert not released.cells[1].outputs and released.cells[1].execution_count is None
    assert "widgets" not in released.metadata and "execution" not in released.cells[1].metadata
    assert "99.2%" not in (tmp_path / "course" / "00_toy" / "00_toy.ipynb").read_text()


def test_release_refuses_invalid_sources(tmp_path):
    source = tmp_path / "solutions" / "00_toy"
    source.mkdir(parents=True)
    _toy(source / "00_toy.ipynb", [new_code_cell("x = 1", metadata=_meta(grade=True, grade_id="t"))])
    with pytest.raises(ReleaseError, match="without points"):
        release(root=tmp_path)
    assert not (tmp_path / "course").exists()


def test_release_rewrites_a_stale_setup_cell(tmp_path):
    source = tmp_path / "solutions" / "00_toy"
    source.mkdir(parents=True)
    path = _toy(source / "00_toy.ipynb", [])
    nb = nbformat.read(str(path), as_version=4)
    nb.cells[0].source = "# old setup cell"
    nbformat.write(nb, str(path))
    (source / "model.pt").write_bytes(b"checkpoint")  # never released
    release(root=tmp_path)
    released = tmp_path / "course" / "00_toy"
    assert nbformat.read(str(released / "00_toy.ipynb"), as_version=4).cells[0].source == SETUP_CELL
    assert not (released / "model.pt").exists()
    shutil.rmtree(tmp_path / "course")


def test_only_unfinished_exercises_may_fail_in_a_release():
    from tests.release_errors import bound_names, expected_release_error

    assert expected_release_error("\x1b[31mNotImplementedError\x1b[39m: ", set())
    unfinished = bound_names("images, labels = merge_datasets(parts)\nfor x in range(3):\n    total = x")
    assert {"images", "labels", "x", "total"} <= unfinished
    assert expected_release_error("NameError: name 'images' is not defined", unfinished)
    assert not expected_release_error("NameError: name 'imagse' is not defined", unfinished)
    assert not expected_release_error("ValueError: shapes do not match", unfinished)
    assert not expected_release_error("CheckFailed: expected 3, got 4", unfinished)
