"""Restoring a submission onto the release keeps answers and added cells, and nothing else."""
from __future__ import annotations

import copy

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.execute import WARNING_LINES
from autograder.restore import restore


def _meta(**fields):
    return {"nbgrader": {"grade": False, "solution": False, "locked": False, "task": False,
                         "schema_version": 3, **fields}}


RELEASE = new_notebook(cells=[
    new_markdown_cell("Intro"),
    new_code_cell("def f():\n    raise NotImplementedError()", metadata=_meta(solution=True, grade_id="f")),
    new_code_cell("assert f() == 1", metadata=_meta(grade=True, locked=True, points=1, grade_id="test_f")),
    new_code_cell("print('demo')"),
])


def test_answers_kept_everything_else_from_release():
    submitted = copy.deepcopy(RELEASE)
    submitted.cells[1].source = "def f():\n    return 1"
    submitted.cells[2].source = "pass"
    submitted.cells[2].metadata["tags"] = ["skip-execution"]
    submitted.cells.insert(2, new_code_cell("helper = 3", metadata={"tags": ["raises-exception"]}))
    nb, notes = restore(submitted, RELEASE)
    sources = [c.source for c in nb.cells]
    assert sources == ["Intro", "def f():\n    return 1", "helper = 3", "assert f() == 1", "print('demo')"]
    assert nb.cells[2].metadata == {"added_by_student": True} and "tags" not in nb.cells[3].metadata
    assert any("edited cell test_f" in n for n in notes) and any("removed tags" in n for n in notes)


def test_deleted_and_reordered_cells_come_back_in_release_order():
    submitted = copy.deepcopy(RELEASE)
    submitted.cells = [submitted.cells[3], submitted.cells[1]]
    nb, notes = restore(submitted, RELEASE)
    assert [c.source for c in nb.cells] == [c.source for c in RELEASE.cells]
    assert any("deleted cell test_f" in n for n in notes)


def test_warning_lines_are_recognized():
    text = ("/x/torch/nn/modules/conv.py:456: UserWarning: Using padding='same' ...\n"
            "  return F.conv2d(input, weight, bias)\n")
    assert WARNING_LINES.sub("", text) == ""
    assert WARNING_LINES.sub("", "real error output\n") == "real error output\n"
