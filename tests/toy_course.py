"""A tiny nbgrader course (one notebook, three exercises) for testing the grader quickly."""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.colab import SETUP_CELL
from autograder.release import release

ASSIGNMENT = "00_toy"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"


def _meta(**fields):
    return {"nbgrader": {"grade": False, "solution": False, "locked": False, "task": False,
                         "schema_version": 3, **fields}}


def _answer(grade_id, source):
    return new_code_cell(source, metadata=_meta(solution=True, grade_id=grade_id))


def _test(grade_id, points, source):
    return new_code_cell(source, metadata=_meta(grade=True, locked=True, points=points, grade_id=grade_id))


CELLS = [
    new_code_cell(SETUP_CELL, metadata={"tags": ["colab-setup"]}),
    new_code_cell("import numpy as np", metadata={"tags": ["imports"]}),
    new_markdown_cell("Write `double(x)`: every element times two."),
    _answer("double", "def double(x):\n    ### BEGIN SOLUTION\n    return np.asarray(x) * 2\n    ### END SOLUTION"),
    _test("test_double", 2,
          "from autograder.checks.common import case_seed, expect, plain_array\n"
          "expect(plain_array(double(np.arange(3)), 'double'), [0, 2, 4], 'double([0, 1, 2])')\n"
          "### BEGIN HIDDEN TESTS\n"
          "rng = np.random.default_rng(case_seed(True))\n"
          "for _ in range(5):\n"
          "    x = rng.integers(-9, 9, size=rng.integers(1, 6))\n"
          "    expect(plain_array(double(x), 'double'), 2 * x, f'double({x.tolist()})')\n"
          "### END HIDDEN TESTS"),
    _answer("count", "def count(x):\n    ### BEGIN SOLUTION\n    return len(x)\n    ### END SOLUTION"),
    _test("test_count", 1,
          "from autograder.checks.common import expect, plain_int\n"
          "expect(plain_int(count([1, 2, 3]), 'count'), 3, 'count([1, 2, 3])')\n"
          "### BEGIN HIDDEN TESTS\n"
          "expect(plain_int(count(list(range(11))), 'count'), 11, 'count(range(11))')\n"
          "### END HIDDEN TESTS"),
    _answer("box", "class Box:\n    ### BEGIN SOLUTION\n    def __init__(self, value):\n        self.value = value\n\n"
                   "    def get(self):\n        return self.value\n    ### END SOLUTION"),
    _test("test_box", 1,
          "from autograder.checks.common import expect, plain_int\n"
          "expect(plain_int(Box(4).get(), 'Box(4).get()'), 4, 'Box(4).get()')"),
    new_markdown_cell("Why is the sky blue?"),
    new_markdown_cell("### BEGIN SOLUTION\nRayleigh scattering.\n### END SOLUTION",
                      metadata=_meta(grade=True, solution=True, points=1, grade_id="why")),
]

AUTO_POINTS = {"test_double": 2, "test_count": 1, "test_box": 1}


def make_toy_course(root: Path) -> Path:
    """A repository root with solutions/00_toy and its nbgrader release in course/00_toy."""
    folder = Path(root) / "solutions" / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    nb = new_notebook(cells=CELLS, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    nbformat.write(nb, str(folder / NOTEBOOK))
    release(root=Path(root))
    return Path(root)
