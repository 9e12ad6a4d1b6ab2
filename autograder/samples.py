"""Build sample submissions from the release: solution-filled, blank, or with injected wrong answers."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

from .paths import REPO_ROOT, RELEASE, SOLUTIONS, notebooks

_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) (SOLUTION|HIDDEN TESTS)[ \t]*\n?", re.MULTILINE)


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _solutions_by_id(assignment: str, root: Path) -> dict[str, str]:
    source = nbformat.read(str(notebooks(assignment, root, SOLUTIONS)[0]), as_version=4)
    return {_meta(c)["grade_id"]: _MARKERS.sub("", c.source) for c in source.cells if _meta(c).get("solution")}


def blank(assignment: str, root: Path = REPO_ROOT) -> nbformat.NotebookNode:
    """The released notebook exactly as a student receives it."""
    return nbformat.read(str(notebooks(assignment, root, RELEASE)[0]), as_version=4)


def solution_filled(assignment: str, root: Path = REPO_ROOT) -> nbformat.NotebookNode:
    """The release with every answer cell holding the instructor's solution (a full-marks submission)."""
    nb = blank(assignment, root)
    solutions = _solutions_by_id(assignment, root)
    for cell in nb.cells:
        if _meta(cell).get("solution"):
            cell.source = solutions[_meta(cell)["grade_id"]]
    return nb


def defining_cell(nb: nbformat.NotebookNode, name: str):
    """The answer cell that defines function or class ``name``."""
    for cell in nb.cells:
        if cell.cell_type == "code" and _meta(cell).get("solution"):
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            if any(isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == name for n in tree.body):
                return cell
    raise KeyError(f"no answer cell defines {name!r}")


def with_replacements(assignment: str, replacements: dict[str, str], root: Path = REPO_ROOT) -> nbformat.NotebookNode:
    """Solution-filled, then each named exercise overridden by the given source (appended to its cell)."""
    nb = solution_filled(assignment, root)
    for name, source in replacements.items():
        cell = defining_cell(nb, name)
        cell.source = f"{cell.source.rstrip()}\n\n{source}"
    return nb
