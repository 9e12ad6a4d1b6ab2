"""Every known way to fool plain nbgrader, graded by our grader on a tiny course: none works.
Also here, since it needs a graded run: parallel lanes split the cores between their kernels."""
from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import nbformat
import pytest

from autograder import attacks
from autograder.grader import Limits, grade_all
from autograder.samples import blank, solution_filled
from tests.toy_course import ASSIGNMENT, AUTO_POINTS, NOTEBOOK, make_toy_course

pytestmark = pytest.mark.slow


@dataclasses.dataclass
class Sub:  # the fields of autograder.intake.Submission that grading reads
    student: str
    assignment: str
    folder: Path
    problem: str | None = None
    notes: list = dataclasses.field(default_factory=list)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = make_toy_course(tmp_path_factory.mktemp("toy"))
    empty, solved = blank(ASSIGNMENT, root), solution_filled(ASSIGNMENT, root)
    notebooks = {"honest": solved, "blank": empty}
    notebooks.update({a.name: attacks.build(a, empty, solved) for a in attacks.ATTACKS})
    notebooks["threads"] = counting_threads(solved)
    subs = []
    for student, nb in notebooks.items():
        folder = tmp_path_factory.mktemp("subs") / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, str(folder / NOTEBOOK))
        subs.append(Sub(student, ASSIGNMENT, folder))
    work = tmp_path_factory.mktemp("work")
    master, results = grade_all(subs, work, workers=2, progress=False, sources=root / "solutions",
                                limits=Limits(cell_timeout=8, notebook_timeout=120, kernel_memory=4 << 30))
    return {r.student: r for r in results}, work, master


def counting_threads(solved):
    """The honest notebook, whose first answer also prints what a notebook's configure_cpu() gets."""
    nb = copy.deepcopy(solved)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "double")
    cell.source = ("from data_tools.device import configure_cpu\n"
                   "print('threads:', configure_cpu())\n" + cell.source)
    return nb


def auto_score(result) -> float:
    return sum(score or 0 for gid, score, top, _ in result.cells if gid in AUTO_POINTS)


def test_honest_and_blank_baselines(graded):
    results = graded[0]
    assert auto_score(results["honest"]) == sum(AUTO_POINTS.values())
    assert auto_score(results["blank"]) == 0


@pytest.mark.parametrize("attack", attacks.ATTACKS, ids=lambda a: a.name)
def test_attack_is_defeated(graded, attack):
    result = graded[0][attack.name]
    assert not result.reason, result.reason
    expected = {"zero": 0, "full": sum(AUTO_POINTS.values()), "partial": AUTO_POINTS["test_double"]}[attack.expect]
    assert auto_score(result) == expected, (attack.defeats, result.cells, result.notes)


def test_dead_kernel_is_reported(graded):
    executed = graded[1] / "executed" / "os-exit" / ASSIGNMENT / NOTEBOOK
    text = executed.read_text()
    assert "the kernel died" in text and "not run" in text


def test_hidden_tests_are_out_of_the_kernels_reach(graded):
    executed = graded[1] / "executed" / "read-hidden-tests" / ASSIGNMENT / NOTEBOOK
    outputs = json.dumps([c.get("outputs", []) for c in json.loads(executed.read_text())["cells"]])
    assert "hidden test markers found: 0" in outputs
    assert not any(marker in outputs for marker in attacks.HIDDEN_MARKERS)


def test_huge_output_is_truncated(graded):
    executed = graded[1] / "executed" / "huge-output" / ASSIGNMENT / NOTEBOOK
    assert executed.stat().st_size < 1_000_000  # 20 MB were printed


def test_lanes_split_the_cores_between_their_kernels(graded):
    """Two lanes: each kernel gets half the cores, even when the notebook asks for all of them (two
    kernels with a thread per core would fight over the cores and slow each other down)."""
    from data_tools.cpus import cpu_cores

    assert auto_score(graded[0]["threads"]) == sum(AUTO_POINTS.values())
    executed = graded[1] / "executed" / "threads" / ASSIGNMENT / NOTEBOOK
    assert f"threads: {max(1, cpu_cores() // 2)}\\n" in executed.read_text()


def test_restored_cells_are_noted(graded):
    results = graded[0]
    assert any("restored deleted cell" in n for n in results["deleted-tests"].notes)
    assert any("restored edited cell" in n for n in results["edited-tests"].notes)
    assert any("removed tags" in n for n in results["skip-tags"].notes)


def test_feedback_and_grades_export(graded, tmp_path):
    from autograder.export import assignment_max, write_feedback, write_grades

    results, _, master = graded
    pages = write_feedback(master, list(results.values()), tmp_path / "feedback")
    assert len(pages) == len(results)
    for page in pages:
        text = page.read_text()
        assert "Grader summary" in text
        assert not any(marker in text for marker in attacks.HIDDEN_MARKERS), f"{page} leaks hidden tests"
    honest = (tmp_path / "feedback" / "honest" / f"{ASSIGNMENT}.html").read_text()
    assert "test_double" in honest and "2/2" in honest
    cheat = (tmp_path / "feedback" / "always-equal" / f"{ASSIGNMENT}.html").read_text()
    assert "expected a NumPy array, got AlwaysEqual" in cheat
    rows = (write_grades(tmp_path / "grades.csv", list(results.values()), assignment_max(master))
            .read_text().splitlines())
    assert rows[0].startswith("student,assignment,score,max_score")
    assert len(rows) == 1 + len(results)
