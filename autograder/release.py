"""Regenerate the student release ``course/`` from the instructor sources ``solutions/`` with nbgrader."""
from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import nbformat

from .colab import SETUP_CELL
from .nbgrader_config import IGNORED_FILES, SIDE_OUTPUTS, course_config
from .paths import REPO_ROOT, RELEASE, SOLUTIONS, assignments, notebooks


class ReleaseError(RuntimeError):
    """A source notebook is not fit for release; the message lists every problem."""


def validate_source(path: Path) -> list[str]:
    """Problems that would make a broken or leaky release (empty list: fine). Outputs are allowed:
    sources keep their full-mode results, and nbgrader clears outputs in the release."""
    nb = nbformat.read(str(path), as_version=4)
    problems, ids = [], Counter()
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        where = f"{path.name} cell {i}"
        if not meta:
            continue
        ids[meta.get("grade_id")] += 1
        if meta.get("grade") and "points" not in meta:
            problems.append(f"{where} ({meta.get('grade_id')}): graded cell without points")
        if meta.get("solution") and cell.cell_type == "code" and "### BEGIN SOLUTION" not in cell.source:
            problems.append(f"{where} ({meta.get('grade_id')}): solution cell without ### BEGIN SOLUTION")
        if meta.get("grade") and not meta.get("solution") and "### BEGIN SOLUTION" in cell.source:
            problems.append(f"{where} ({meta.get('grade_id')}): a test cell contains solution code")
    problems += [f"{path.name}: grade_id {gid!r} used {n} times" for gid, n in ids.items() if n > 1 or not gid]
    if not nb.cells or nb.cells[0].source != SETUP_CELL:
        problems.append(f"{path.name}: the first cell is not the Colab setup cell (autograder.colab.SETUP_CELL)")
    return problems


def sync_setup_cell(path: Path) -> bool:
    """Make the notebook's first cell the canonical Colab setup cell; True if the file changed."""
    nb = nbformat.read(str(path), as_version=4)
    if nb.cells and nb.cells[0].cell_type == "code" and "colab-setup" in nb.cells[0].metadata.get("tags", []):
        if nb.cells[0].source == SETUP_CELL:
            return False
        nb.cells[0].source = SETUP_CELL
        nbformat.write(nb, str(path))
        return True
    return False


def strip_run_state(path: Path) -> None:
    """Remove what the solution run left beyond outputs (nbgrader clears only those): the widget state of
    its progress bars, with their accuracies, and nbclient's per-cell timestamps."""
    nb = nbformat.read(str(path), as_version=4)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, str(path))


def release(ids: list[str] | None = None, *, root: Path = REPO_ROOT, dest: Path | None = None) -> list[Path]:
    """Validate the sources, then run nbgrader ``generate_assignment`` into ``dest`` (default: ``course/``).

    Returns the released notebooks. Raises :class:`ReleaseError` listing every problem found.
    """
    from nbgrader.apps import NbGraderAPI

    ids = ids or assignments(root)
    sources = [nb for a in ids for nb in notebooks(a, root)]
    for nb in sources:
        sync_setup_cell(nb)
    problems = [p for nb in sources for p in validate_source(nb)]
    if problems:
        raise ReleaseError("cannot release:\n  " + "\n  ".join(problems))
    dest = Path(dest) if dest else root / RELEASE
    with tempfile.TemporaryDirectory(prefix="cnn-release-") as tmp:
        config = course_config(root, Path(tmp) / "gradebook.db", source=SOLUTIONS, release=str(dest.resolve()),
                               ignore=IGNORED_FILES + SIDE_OUTPUTS)
        api = NbGraderAPI(config=config)
        for assignment in ids:
            result = api.generate_assignment(assignment, force=True, create=True)
            if not result["success"]:
                raise ReleaseError(f"nbgrader generate_assignment {assignment} failed:\n{result.get('error') or result.get('log')}")
    released = [dest / a / nb.name for a in ids for nb in notebooks(a, root)]
    for path in released:
        strip_run_state(path)
    return released
