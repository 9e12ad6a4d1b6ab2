"""End to end through real nbgrader: the release scores full marks when filled with the solution,
zero when blank, and every catalogued wrong answer loses the points of its exercise."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import nbformat
import pytest

from autograder.course import Course
from autograder.samples import blank, solution_filled, with_replacements
from tests.wrong_answers import catalogue

# assignment -> module of tests/wrong_answers
CATALOGUES = {"01_data_loader": "data_loader", "02_conv_arithmetic": "conv_arithmetic"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    """Plain nbgrader autograde, its kernels forked from a zygote (as in the grader's lanes) so that the
    many rounds below do not each pay for importing torch."""
    from traitlets.config import Config

    from autograder import warm
    from autograder.execute import KERNEL_NAME, install_kernelspec

    jupyter = tmp_path_factory.mktemp("jupyter")
    install_kernelspec(jupyter)
    config = Config()
    config.Execute.kernel_name = KERNEL_NAME
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JUPYTER_PATH", str(jupyter))
        env.setattr(warm, "_zygote", warm.Zygote() if warm.available() else None)
        yield Course(tmp_path_factory.mktemp("grading"), list(CATALOGUES), extra_config=config)
        if warm._zygote is not None:
            warm._zygote.close()


def grade(course: Course, student: str, assignment: str, nb) -> dict:
    folder = course.submission_dir(student, assignment)
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(folder / course.release_notebook(assignment).name))
    result = course.autograde(student, assignment)
    assert result["success"], result.get("error") or result.get("log")
    return course.scores(student, assignment)


def auto_cells(scores: dict) -> dict:
    return {k: v for k, v in scores.items() if v.score is not None}


@pytest.mark.parametrize("assignment", CATALOGUES)
def test_solution_filled_release_scores_full_marks(course, assignment):
    scores = auto_cells(grade(course, "full", assignment, solution_filled(assignment)))
    assert scores, "no autograded cells"
    lost = {k: (v.score, v.max_score) for k, v in scores.items() if v.score != v.max_score}
    assert not lost, f"the reference solution loses points: {lost}"


@pytest.mark.parametrize("assignment", CATALOGUES)
def test_blank_release_scores_zero(course, assignment):
    scores = grade(course, "blank", assignment, blank(assignment))
    assert sum(v.score or 0 for v in scores.values()) == 0, scores


def _rounds(mistakes) -> list[list]:
    """Mistakes grouped so each round holds at most one per exercise (one autograde run per round)."""
    by_exercise: dict[str, list] = {}
    for m in mistakes:
        by_exercise.setdefault(m.exercise, []).append(m)
    return [[ms[i] for ms in by_exercise.values() if i < len(ms)]
            for i in range(max(map(len, by_exercise.values())))]


def _cells_checking(nb, exercise: str) -> set[str]:
    """Test cells that hand ``exercise`` to a check, e.g. ``check_zero_pad(zero_pad)``."""
    pattern = re.compile(rf"\w\(\s*{re.escape(exercise)}\s*[,)]")
    return {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"
            and not c.metadata["nbgrader"].get("solution") and pattern.search(c.source)}


@pytest.mark.parametrize("assignment", CATALOGUES)
def test_every_catalogued_mistake_loses_its_points(course, assignment):
    module = importlib.import_module(f"tests.wrong_answers.{CATALOGUES[assignment]}")
    release_nb = blank(assignment)
    for number, round_ in enumerate(_rounds(catalogue(module))):
        nb = with_replacements(assignment, {m.exercise: m.as_source() for m in round_})
        scores = grade(course, f"mistakes{number}", assignment, nb)
        for m in round_:
            cells = _cells_checking(release_nb, m.exercise)
            assert cells, f"no test cell checks {m.exercise}"
            kept = {c: scores[c].score for c in cells if scores[c].score}
            assert not kept, f"{m.fn.__name__} ({m.description}) still earns points in {kept}"
