"""What students and TAs see, checked in a real browser (headless Chromium driven by Playwright):
each released notebook opens in JupyterLab and its environment check runs cleanly; the formgrader
shows a graded course with the same scores as grades.csv and a written answer to grade by hand.
Screenshots go to .cache/screenshots/ (look at them after a change to the notebooks or the grader)."""
from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import nbformat
import pytest
import torch
from nbformat.v4 import new_code_cell, new_notebook

from autograder.cli import grade
from autograder.grader import Limits
from autograder.samples import solution_filled, with_replacements
from tests.browser import CHROMIUM, JupyterLab, launch_chromium
from tests.toy_course import ASSIGNMENT, NOTEBOOK, make_toy_course

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: ./dev setup installs "
                                 "it when run as root (or: sudo apt-get install chromium)")]

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / ".cache" / "screenshots"
RELEASED = sorted(p.name for p in (ROOT / "course").iterdir() if (p / f"{p.name}.ipynb").is_file())
ERROR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
KERNEL_IDLE = "() => / \\| Idle$/m.test(document.querySelector('#jp-main-statusbar')?.innerText || '')"


@pytest.fixture(scope="module")
def chromium():
    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
    return SCREENSHOTS / name


# ------------------------------------------------------------------------------------- students: JupyterLab

@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab over a copy of course/ (nothing a test does can change the release), in fast mode and
    on the CPU, as on a student's laptop, also on a machine with a GPU."""
    served = tmp_path_factory.mktemp("served")
    shutil.copytree(ROOT / "course", served / "course", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    env = {"CNN_COURSE_FAST": "1", "CNN_COURSE_DEVICE": "cpu"}
    with JupyterLab(served, tmp_path_factory.mktemp("jupyter"), env=env) as server:
        yield server


@pytest.fixture
def lab_page(lab, page):
    yield page
    page.close()
    lab.shut_down_kernels()                              # closing a tab leaves its kernel running


def open_notebook(page, lab, path: str):
    """Open a notebook as a fresh JupyterLab session and wait for its kernel; returns its cells."""
    page.goto(lab.url(f"lab/tree/{path}?reset"))         # reset: no tabs left from an earlier test
    page.wait_for_function(KERNEL_IDLE, timeout=120_000)
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell")


def run_cells(page, cells, first: int, last: int, execution_count: int) -> None:
    """Select cell ``first``, press Shift+Enter until cell ``last`` has run, as a student does."""
    cells.nth(first).locator(".jp-InputPrompt").click()
    for _ in range(first, last + 1):
        page.keyboard.press("Shift+Enter")
    cells.nth(last).locator(".jp-InputPrompt", has_text=f"[{execution_count}]").wait_for(timeout=120_000)
    page.wait_for_function(KERNEL_IDLE, timeout=30_000)


@pytest.mark.parametrize("assignment", RELEASED)
def test_environment_check_runs_in_jupyterlab(lab, lab_page, assignment):
    path = f"course/{assignment}/{assignment}.ipynb"
    saved = (lab.root / path).read_bytes()
    sources = [c.source for c in nbformat.reads(saved.decode(), as_version=4).cells if c.cell_type == "code"]
    assert "check_environment(" in sources[2], "the third cell of every notebook is the environment check"
    try:
        cells = open_notebook(lab_page, lab, path)
        run_cells(lab_page, cells, 0, 2, execution_count=3)  # the check needs the imports above it
    finally:
        shot = screenshot(lab_page, f"lab-{assignment}.png")  # also on failure: what does the student see?

    output = cells.nth(2).locator(".jp-OutputArea").inner_text()
    assert f"torch {torch.__version__}" in output and "fast mode: on" in output, output
    if assignment == "04_cifar10":
        assert "No GPU found" in output and "Runtime → Change runtime type → GPU" in output, output
    for index in range(3):
        errors = cells.nth(index).locator(ERROR_OUTPUT)
        assert errors.count() == 0, f"cell {index + 1} of {assignment} shows an error: {errors.first.inner_text()}"
    assert lab_page.locator(".jp-Dialog").count() == 0, lab_page.locator(".jp-Dialog").first.inner_text()
    assert lab_page.locator(".Toastify__toast--error, .Toastify__toast--warning").count() == 0
    assert shot.stat().st_size > 10_000
    lab_page.close()
    assert (lab.root / path).read_bytes() == saved, "the notebook was saved with outputs"


def test_skipped_cell_gets_a_one_sentence_hint(lab, lab_page):
    path = lab.root / "scratch" / "skipped.ipynb"
    path.parent.mkdir(exist_ok=True)
    nbformat.write(new_notebook(cells=[new_code_cell("import data_tools.envcheck\n"
                                                     "data_tools.envcheck.check_environment()"),
                                       new_code_cell("answer = 42"), new_code_cell("print(answer)")],
                                metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                         "language": "python"}}), str(path))
    cells = open_notebook(lab_page, lab, "scratch/skipped.ipynb")
    run_cells(lab_page, cells, 0, 0, execution_count=1)
    run_cells(lab_page, cells, 2, 2, execution_count=2)  # the student skips the middle cell
    screenshot(lab_page, "lab-hint.png")
    output = cells.nth(2).locator(".jp-OutputArea").inner_text().strip().splitlines()
    assert output[-2:] == ["NameError: name 'answer' is not defined",
                           "`answer` is defined in an earlier cell: run the notebook from the top "
                           "(Run → Run All Cells)."]


# ------------------------------------------------------------------------------------------ TAs: formgrader

WRITTEN_ANSWER = "Sunlight scatters off air molecules, and blue light scatters the most (Rayleigh)."


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A toy course graded like a TA's batch: alice (everything right, a written answer to grade by hand)
    and bob (one exercise wrong). Returns the grading output folder."""
    root = make_toy_course(tmp_path_factory.mktemp("toy"))
    alice = solution_filled(ASSIGNMENT, root)
    for cell in alice.cells:
        if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = WRITTEN_ANSWER
    bob = with_replacements(ASSIGNMENT, {"double": "def double(x):\n    return np.asarray(x) + 2"}, root)
    submissions = tmp_path_factory.mktemp("submissions")
    for student, nb in {"alice": alice, "bob": bob}.items():
        (submissions / student / ASSIGNMENT).mkdir(parents=True)
        nbformat.write(nb, str(submissions / student / ASSIGNMENT / NOTEBOOK))
    out = tmp_path_factory.mktemp("grading")
    grade(submissions, out, 2, Limits(cell_timeout=60, notebook_timeout=180), repo_root=root, progress=False)
    return out


@pytest.fixture(scope="module")
def formgrader(graded, tmp_path_factory):
    """Jupyter with nbgrader's formgrader on the master gradebook, started where a TA would start it:
    in the course root, next to its nbgrader_config.py."""
    course = graded / "work" / "course"
    assert (course / "nbgrader_config.py").is_file(), "cnn-course grade leaves an nbgrader_config.py for formgrader"
    with JupyterLab(course, tmp_path_factory.mktemp("jupyter")) as server:
        yield server


def table(page) -> list[dict[str, str]]:
    """The rows of the page's table once loaded, keyed by column title (rows like "Add new..." left out)."""
    page.locator("table tbody tr td").first.wait_for()
    page.wait_for_function("() => !document.querySelector('table').innerText.includes('Loading, please wait')")
    heads = [h.strip() for h in page.locator("table thead th").all_inner_texts()]
    rows = [[v.strip() for v in row.locator("td").all_inner_texts()] for row in page.locator("table tbody tr").all()]
    return [dict(zip(heads, values)) for values in rows if len(values) == len(heads)]


def csv_rows(graded: Path) -> dict[str, dict[str, str]]:
    return {row["student"]: row for row in csv.DictReader((graded / "grades.csv").open())}


def test_formgrader_lists_the_assignment_and_each_students_score(formgrader, page, graded):
    expected = csv_rows(graded)
    assert set(expected) == {"alice", "bob"} and {r["status"] for r in expected.values()} == {"graded"}

    page.goto(formgrader.url("formgrader"))
    page.wait_for_url(re.compile(r"/formgrader/manage_assignments"))
    assignments = [(row["Name"], row["# Submissions"]) for row in table(page)]
    assert assignments == [(ASSIGNMENT, str(len(expected)))]
    screenshot(page, "formgrader-assignments.png")

    page.goto(formgrader.url("formgrader/manage_students"))
    shown = {row["Student ID"]: row["Overall Score"] for row in table(page)}
    assert shown == {student: f"{row['score']} / {row['max_score']}" for student, row in expected.items()}
    screenshot(page, "formgrader-students.png")

    page.goto(formgrader.url(f"formgrader/gradebook/{ASSIGNMENT}/{ASSIGNMENT}"))  # notebook = assignment name
    listed = sorted(row["Overall Score"] for row in table(page))
    assert listed == sorted(f"{row['score']} / {row['max_score']}" for row in expected.values())
    screenshot(page, "formgrader-manual-grading.png")


def test_formgrader_shows_the_written_answer_for_manual_grading(formgrader, page):
    page.goto(formgrader.url("formgrader/manage_students"))
    page.locator("a[href$='/manage_students/alice']").click()
    page.locator(f"a[href$='/manage_students/alice/{ASSIGNMENT}']").click()
    page.locator("a[href*='/formgrader/submissions/']").click()
    page.wait_for_url(re.compile(r"/formgrader/submissions/\w+/"))
    answer = page.get_by_text(WRITTEN_ANSWER)
    answer.wait_for()
    assert answer.is_visible()
    # the formgrader's scripts mark the grade boxes after the page has loaded: wait for them (auto-retrying)
    manual = page.locator("input#why")
    sync_api.expect(manual).to_be_visible()
    sync_api.expect(manual).to_have_class(re.compile(r"\bneeds_manual_grade\b"))
    sync_api.expect(page.locator("input#test_double")).to_have_attribute("placeholder", "2")  # autograded points
    screenshot(page, "formgrader-submission.png")
