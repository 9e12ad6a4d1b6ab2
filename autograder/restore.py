"""Rebuild a submitted notebook on the release: only the student's answers (and added cells) survive.

Every instructor cell (instructions, demos, tests) comes from the release, with the release's
metadata; edited, retagged (``skip-execution``, ``raises-exception``…) or deleted cells are restored.
Cells the student added keep their source, lose their metadata and outputs (but are marked
``added_by_student``), and stay where they were relative to the instructor cells.
"""
from __future__ import annotations

import copy

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell


ADDED = "added_by_student"  # cell metadata marking a cell the student added (graded code, like answers)


def _grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _is_answer(cell) -> bool:
    return cell.metadata.get("nbgrader", {}).get("solution", False)


def restore(submitted: nbformat.NotebookNode, release: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, list[str]]:
    """The notebook to grade, and notes on what was restored."""
    answers = {_grade_id(c): c for c in submitted.cells if _grade_id(c)}
    release_ids = {_grade_id(c) for c in release.cells if _grade_id(c)}
    release_sources = {c.source for c in release.cells}
    added: dict[int, list] = {}
    notes: list[str] = []

    position = -1  # the release cell the student's notebook is currently "at"
    order = {_grade_id(c) or ("source", c.source): i for i, c in enumerate(release.cells)}
    for cell in submitted.cells:
        key = _grade_id(cell) if _grade_id(cell) in release_ids else ("source", cell.source)
        if key in order:
            position = max(position, order[key])
        elif _grade_id(cell) is None or _grade_id(cell) not in release_ids:
            if cell.source.strip() and cell.source not in release_sources:
                make = new_code_cell if cell.cell_type == "code" else new_markdown_cell
                added.setdefault(position, []).append(make(cell.source, metadata={ADDED: True}))

    rebuilt = []
    for index in range(-1, len(release.cells)):
        if index >= 0:
            cell = copy.deepcopy(release.cells[index])
            grade_id = _grade_id(cell)
            if _is_answer(cell) and grade_id in answers:
                cell.source = answers[grade_id].source
            elif grade_id and grade_id not in answers:
                notes.append(f"restored deleted cell {grade_id}")
            elif grade_id and answers[grade_id].source != cell.source:
                notes.append(f"restored edited cell {grade_id}")
            if grade_id and set(answers.get(grade_id, {}).get("metadata", {}).get("tags", [])) - set(
                    cell.metadata.get("tags", [])):
                notes.append(f"removed tags added to cell {grade_id}")
            rebuilt.append(cell)
        rebuilt.extend(added.get(index, []))
    nb = copy.deepcopy(release)
    nb.cells = rebuilt
    return nb, notes
