"""Grade many submissions: parallel lanes execute and re-check, one parent records into the gradebook.

Each lane is a process with its own copy of the nbgrader course (started once, reused for many
submissions): it restores the notebook onto the release, runs nbgrader autograde with a limited
kernel, re-checks every test cell outside the kernel and marks the cells the re-check failed.
The parent is the only writer of the shared gradebook: it records each executed notebook with
nbgrader autograde minus execution, so the sqlite database never sees concurrent writes.
"""
from __future__ import annotations

import multiprocessing
import os
import shutil
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, DeduplicateIds,
                                    LimitOutput, OverwriteCells, OverwriteKernelspec, SaveAutoGrades)
from traitlets.config import Config

from . import warm
from .course import Course
from .isolation import HIDE_ENV
from .measured import TASKS
from .paths import REPO_ROOT, SOLUTIONS
from .execute import KERNEL_NAME, GradingExecute, StripWarnings, error_output, install_kernelspec
from .recheck import recheck
from .restore import restore

if TYPE_CHECKING:
    from .intake import Submission


@dataclass(frozen=True)
class Limits:
    cell_timeout: int = 120
    notebook_timeout: int = 900
    kernel_memory: int = 6 << 30
    max_output_bytes: int = 2_000_000
    warm: bool = True  # kernels and sandboxes fork from a lane's zygote (autograder.warm)


@dataclass
class Result:
    student: str
    assignment: str
    score: float = 0.0
    max_score: float = 0.0
    reason: str = ""  # why it was not graded (score 0), empty when graded
    notes: list = field(default_factory=list)
    cells: list = field(default_factory=list)  # (grade_id, score, max_score, message)


def lane_config(limits: Limits) -> Config:
    c = Config()
    # Grades are computed and saved by the parent's record step (record_config), not here.
    c.Autograde.autograde_preprocessors = [GradingExecute, StripWarnings, LimitOutput]
    c.OverwriteCells.add_missing_cells = True
    c.GradingExecute.timeout = limits.cell_timeout
    c.GradingExecute.notebook_timeout = limits.notebook_timeout
    c.GradingExecute.max_output_bytes = limits.max_output_bytes
    c.GradingExecute.kernel_name = KERNEL_NAME
    c.LimitOutput.max_lines = 500
    c.LimitOutput.max_traceback = 50
    return c


def record_config() -> Config:
    """nbgrader autograde that keeps the lane's outputs and only computes and saves the grades."""
    c = Config()
    c.Autograde.sanitize_preprocessors = [DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata]
    c.Autograde.autograde_preprocessors = [SaveAutoGrades, AssignLatePenalties]
    c.OverwriteCells.add_missing_cells = True
    return c


# ----------------------------------------------------------------------------- lane side
_lane: Course | None = None


_master_sources: Path | None = None
_hidden: list = []
_limits = Limits()


def _start_lane(master_dir: str, ids: list, limits: Limits, hidden: list, threads: int) -> None:
    """A lane's course is generated from the *release*: hidden tests are nowhere in what its kernels
    can reach (the notebook, the folder, the gradebook); the lane re-checks them outside the kernel.
    Its kernels get ``threads`` CPU threads (OMP_NUM_THREADS, which ``configure_cpu`` honours)."""
    global _lane, _master_sources, _hidden, _limits
    _hidden, _limits = list(hidden), limits
    os.environ["OMP_NUM_THREADS"] = str(threads)
    lane_dir = Path(master_dir).parent / "lanes" / str(os.getpid())
    shutil.rmtree(lane_dir, ignore_errors=True)
    install_kernelspec(lane_dir / "jupyter")
    os.environ["JUPYTER_PATH"] = str(lane_dir / "jupyter")
    os.environ["CNN_GRADER_KERNEL_MEMORY"] = str(limits.kernel_memory)
    _lane = Course(lane_dir, ids, sources=Path(master_dir) / "release", extra_config=lane_config(limits))
    _master_sources = Path(master_dir) / "source"
    if limits.warm:
        warm.start(tuple(sorted({task.dataset for task in TASKS.values() if task.assignment in ids})))


def execute_in_lane(submission: Submission, executed_root: str) -> tuple[str | None, list, dict]:
    """Run one submission in this lane; returns (executed notebook path or None, notes, re-check messages)."""
    course, notes = _lane, list(submission.notes)
    release_nb = course.release_notebook(submission.assignment)
    folder = course.submission_dir(submission.student, submission.assignment)
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(submission.folder, folder)
    notebook = folder / release_nb.name
    rebuilt, restored = restore(nbformat.read(str(notebook), as_version=4),
                                nbformat.read(str(release_nb), as_version=4))
    nbformat.write(rebuilt, str(notebook))
    notes += restored
    lanes = course.workdir.parent
    os.environ[HIDE_ENV] = os.pathsep.join(_hidden + [str(p) for p in lanes.iterdir() if p != course.workdir])
    result = course.autograde(submission.student, submission.assignment)
    executed = course.workdir / "autograded" / submission.student / submission.assignment / release_nb.name
    if not result["success"] or not executed.exists():
        lines = (result.get("error") or result.get("log") or "").strip().splitlines()
        _forget(course, submission.student)
        return None, notes + [f"nbgrader could not run the notebook: {lines[-1] if lines else 'unknown error'}"], {}
    verdicts, recheck_notes = recheck(executed, _master_sources / submission.assignment / release_nb.name, folder,
                                      timeout=_limits.cell_timeout)
    notes += [f"re-check: {n}" for n in recheck_notes]
    nb = nbformat.read(str(executed), as_version=4)
    messages = {}
    for cell in nb.cells:
        verdict = verdicts.get(cell.metadata.get("nbgrader", {}).get("grade_id"))
        if verdict is None:
            continue
        messages[verdict.grade_id] = verdict.message
        kernel_failed = any(o.output_type == "error" or getattr(o, "name", "") == "stderr" for o in cell.outputs)
        if not verdict.passed and not kernel_failed:
            cell.outputs.append(error_output("RecheckFailed", f"{verdict.message} (re-checked in an "
                                             f"isolated process, {verdict.how})"))
    out = Path(executed_root) / submission.student / submission.assignment
    out.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(out / release_nb.name))
    _forget(course, submission.student)
    return str(out / release_nb.name), notes, messages


def _forget(course: Course, student: str) -> None:
    """A lane keeps only the submission it is grading: the next student's code cannot read this one."""
    for step in ("submitted", "autograded"):
        shutil.rmtree(course.workdir / step / student, ignore_errors=True)


# ----------------------------------------------------------------------------- parent side

def record(master: Course, student: str, assignment: str, executed: Path) -> None:
    """Save the grades of an executed notebook into the master gradebook (the master's nbgrader
    autograde is configured by :func:`record_config`: it computes grades, it never executes)."""
    folder = master.submission_dir(student, assignment)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy(executed, folder / executed.name)
    Course._check(master.autograde(student, assignment), f"autograde (record) {student}/{assignment}")


def grade_all(submissions: list[Submission], workdir: Path, *, workers: int = 2, limits: Limits = Limits(),
              progress: bool = True, hidden: tuple = (), sources: Path = REPO_ROOT / SOLUTIONS
              ) -> tuple[Course, list[Result]]:
    """Grade every submission; returns the master course (gradebook, feedback) and one Result each.

    ``hidden``: further directories student code must not see (e.g. the intake folder); the master
    course, the executed notebooks and the repository's solutions are always hidden.
    """
    from tqdm.auto import tqdm

    from data_tools.cpus import cpu_cores

    ids = sorted({s.assignment for s in submissions if s.problem is None})
    master = Course(Path(workdir) / "course", ids, sources=sources, extra_config=record_config())
    results = {(s.student, s.assignment): Result(s.student, s.assignment, reason=s.problem or "",
                                                  notes=list(s.notes)) for s in submissions}
    todo = [s for s in submissions if s.problem is None]
    executed_root = Path(workdir) / "executed"
    bar = tqdm(total=len(submissions), unit="submission", desc="grading", disable=not progress)
    bar.update(len(submissions) - len(todo))
    hide = [str(master.workdir), str(executed_root), str(sources)] + [str(h) for h in hidden]
    executed_root.mkdir(parents=True, exist_ok=True)
    # Lanes are spawned, not forked: a fork of a process whose torch thread pool already ran (a test,
    # a TA's notebook) crashes in the child's first parallel torch operation. The lanes split the cores.
    workers = max(1, workers)
    threads = max(1, cpu_cores() // workers)
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_start_lane, initargs=(str(master.workdir), ids, limits, hide, threads)) as pool:
        futures = {pool.submit(execute_in_lane, s, str(executed_root)): s for s in todo}
        for future in as_completed(futures):
            s = futures[future]
            result = results[(s.student, s.assignment)]
            try:
                executed, notes, messages = future.result()
            except Exception as error:  # a lane crashed on this submission: that row says why
                executed, notes, messages = None, [f"grading crashed: {type(error).__name__}: {error}"], {}
            result.notes = notes
            if executed is None:
                result.reason = notes[-1]
            else:
                record(master, s.student, s.assignment, Path(executed))
                result.cells = cell_rows(master, s.student, s.assignment, messages)
                result.score = sum(c[1] or 0 for c in result.cells)
                result.max_score = sum(c[2] for c in result.cells)
            bar.update(1)
            bar.set_postfix_str(f"{s.student}/{s.assignment}: {result.score:g}/{result.max_score:g}")
    bar.close()
    return master, [results[k] for k in sorted(results)]


def cell_rows(master: Course, student: str, assignment: str, messages: dict) -> list:
    return [(gid, s.score, s.max_score, messages.get(gid, "")) for gid, s in master.scores(student, assignment).items()]
