"""Read course notebooks in tests: nbgrader cell roles, and the solution code as a namespace."""
from __future__ import annotations

from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def read(path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def grade_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_solution(cell) -> bool:
    return cell.cell_type == "code" and grade_meta(cell).get("solution", False)


def is_test(cell) -> bool:
    meta = grade_meta(cell)
    return cell.cell_type == "code" and meta.get("grade", False) and not meta.get("solution", False)


def solution_namespace(path) -> dict:
    """Execute the notebook's ``imports`` cell and every solution cell (definitions only) in a fresh namespace."""
    namespace: dict = {"__name__": "solution"}
    for cell in read(path).cells:
        if cell.cell_type == "code" and ("imports" in cell.metadata.get("tags", []) or is_solution(cell)):
            exec(compile(cell.source, f"<{Path(path).name}:{grade_meta(cell).get('grade_id', 'imports')}>", "exec"),
                 namespace)
    return namespace
