"""Sample cheating and misbehaving submissions, built from any assignment's release.

Each attack is a notebook plain nbgrader 0.9.6 would grade wrongly (or lose entirely); the demo
grades them and the integrity tests assert the grader's verdict. ``expect`` says what a correct
grader gives: "zero" (no points: the attack sits on a blank notebook), "full" (all autograded points:
the attack sits beside correct answers and must not cost them) or "partial" (only the points of the
test cells that ran before the sabotage).
"""
from __future__ import annotations

import ast
import copy
from dataclasses import dataclass
from typing import Callable

import nbformat
import nbformat.v4
from nbformat.v4 import new_code_cell


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _is_test(cell) -> bool:
    return cell.cell_type == "code" and _meta(cell).get("grade") and not _meta(cell).get("solution")


def _functions(nb) -> list[str]:
    names = []
    for cell in nb.cells:
        if cell.cell_type == "code" and _meta(cell).get("solution"):
            try:
                names += [n.name for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef)]
            except SyntaxError:
                pass
    return names


def _after_imports(nb, source: str):
    nb = copy.deepcopy(nb)
    index = next(i for i, c in enumerate(nb.cells) if "imports" in c.metadata.get("tags", []))
    nb.cells.insert(index + 1, new_code_cell(source))
    return nb


def _after_first_test(nb, source: str):
    nb = copy.deepcopy(nb)
    index = next(i for i, c in enumerate(nb.cells) if _is_test(c))
    nb.cells.insert(index + 1, new_code_cell(source))
    return nb


def _answers_return(blank, preamble: str, value: str):
    """Every answer function replaced (in its own answer cell) by one returning ``value``."""
    nb = copy.deepcopy(blank)
    for cell in nb.cells:
        if cell.cell_type == "code" and _meta(cell).get("solution"):
            names = _functions(new_notebook_of(cell))
            overrides = "".join(f"\n\ndef {name}(*args, **kwargs):\n    return {value}\n" for name in names)
            cell.source = f"{preamble}\n\n{cell.source}{overrides}" if names else cell.source
    return nb


def new_notebook_of(cell):
    return nbformat.v4.new_notebook(cells=[cell])


ALWAYS_EQUAL = ("class AlwaysEqual:\n    def __eq__(self, other):\n        return True\n\n"
                "    def __ne__(self, other):\n        return False")
AGREEABLE = ("import numpy as np\n\nclass Agreeable(np.ndarray):\n"
             "    def __eq__(self, other):\n        return np.ones(np.shape(other), bool)\n\n"
             "    def __ne__(self, other):\n        return np.zeros(np.shape(other), bool)")


def always_equal(blank, solved):
    return _answers_return(blank, ALWAYS_EQUAL, "AlwaysEqual()")


def ndarray_subclass(blank, solved):
    return _answers_return(blank, AGREEABLE, "np.zeros(3).view(Agreeable)")


def input_transformer(blank, solved):
    return _after_imports(blank, "get_ipython().input_transformers_cleanup.append(\n"
                                 "    lambda lines: [] if any('check' in l or 'expect' in l for l in lines) else lines)")


def custom_exc(blank, solved):
    return _after_imports(blank, "get_ipython().set_custom_exc((BaseException,), "
                                 "lambda shell, etype, evalue, tb, tb_offset=None: None)")


def silent_traceback(blank, solved):
    return _after_imports(blank, "import sys\nsys.excepthook = lambda *args: None\n"
                                 "get_ipython().showtraceback = lambda *args, **kwargs: None\n"
                                 "get_ipython()._showtraceback = lambda *args, **kwargs: None")


def skip_tags(blank, solved):
    nb = copy.deepcopy(blank)
    for cell in nb.cells:
        if _is_test(cell):
            cell.metadata["tags"] = ["skip-execution", "raises-exception"]
    return nb


def edited_tests(blank, solved):
    nb = copy.deepcopy(blank)
    for cell in nb.cells:
        if _is_test(cell):
            cell.source = "pass"
    return nb


def deleted_tests(blank, solved):
    nb = copy.deepcopy(blank)
    nb.cells = [c for c in nb.cells if not _is_test(c)]
    return nb


HIDDEN_MARKERS = ("BEGIN HIDDEN TESTS", "hidden=True", "case_seed(True)")


def read_hidden_tests(blank, solved):
    return _after_imports(blank, (
        "import glob, os\nfound = []\n"
        "markers = [''.join(parts) for parts in " + repr([tuple(m.partition(m[len(m) // 2])) for m in HIDDEN_MARKERS]) + "]\n"
        "for pattern in ('*.ipynb', '../*.ipynb', '../../*/*/*.ipynb', '../../../*.db', '../../../../*.db', "
        "'../../../source/*/*.ipynb', '../../../../course/source/*/*.ipynb', '../../../../course/*.db', "
        "'../../../../executed/*/*/*.ipynb', '../../../../lanes/*/gradebook.db'):\n"
        "    for path in glob.glob(pattern):\n"
        "        text = open(path, 'rb').read().decode('utf-8', 'replace')\n"
        "        found += [(path, m) for m in markers if m in text]\n"
        "print('hidden test markers found:', len(found))\nprint(found)"))


def user_warning(blank, solved):
    return _after_imports(solved, "import warnings\nwarnings.simplefilter('always')\n"
                                  "warnings.warn('a harmless UserWarning, as PyTorch prints them', UserWarning)\n"
                                  "get_ipython().events.register('pre_run_cell', lambda *a: "
                                  "warnings.warn('harmless warning before every cell', UserWarning))")


def os_exit(blank, solved):
    return _after_first_test(solved, "import os\nos._exit(1)")


def infinite_loop(blank, solved):
    return _after_first_test(solved, "while True:\n    pass")


def huge_output(blank, solved):
    return _after_imports(solved, "for i in range(200_000):\n    print('spam ' * 20, i)")


def memory_hog(blank, solved):
    return _after_first_test(solved, "hog = bytearray(64 << 30)")


@dataclass(frozen=True)
class Attack:
    name: str
    build: Callable
    expect: str  # "zero", "full" or "partial"
    defeats: str  # what it does to plain nbgrader


ATTACKS = [
    Attack("always-equal", always_equal, "zero", "an object whose __eq__ is always True passes `assert x == y`"),
    Attack("ndarray-subclass", ndarray_subclass, "zero", "a NumPy subclass whose == is always True"),
    Attack("input-transformer", input_transformer, "zero", "an IPython input transformer blanks every test cell"),
    Attack("custom-exc", custom_exc, "zero", "set_custom_exc swallows every failing test"),
    Attack("silent-traceback", silent_traceback, "zero", "excepthook/showtraceback replaced to hide failures"),
    Attack("skip-tags", skip_tags, "zero", "skip-execution / raises-exception tags on the test cells"),
    Attack("edited-tests", edited_tests, "zero", "test cells replaced by `pass`"),
    Attack("deleted-tests", deleted_tests, "zero", "test cells deleted"),
    Attack("read-hidden-tests", read_hidden_tests, "zero", "reads hidden tests from the autograded copy / gradebook"),
    Attack("user-warning", user_warning, "full", "a harmless UserWarning on stderr zeroes correct test cells"),
    Attack("os-exit", os_exit, "partial", "os._exit() kills the kernel and loses the whole submission"),
    Attack("infinite-loop", infinite_loop, "full", "an endless loop stalls grading"),
    Attack("huge-output", huge_output, "full", "megabytes of output flood the grader"),
    Attack("memory-hog", memory_hog, "full", "allocates far more memory than the machine has"),
]


def build(attack: Attack, blank: nbformat.NotebookNode, solved: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return attack.build(blank, solved)
