"""Autograding throughput: honest MNIST-notebook submissions (with checkpoints) graded by
``autograder.grader`` (parallel lanes, out-of-kernel re-check) vs plain sequential ``nbgrader autograde``
on the same files, at several batch sizes to show how it scales."""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from benchmarks.report import Report

ASSIGNMENT = "03_mnist_cnn"


@dataclass
class Sub:
    student: str
    assignment: str
    folder: Path
    problem: str | None = None
    notes: list = field(default_factory=list)


def _submissions(root: Path, trained: Path, n: int) -> list[Sub]:
    from autograder.samples import solution_filled

    text = nbformat.writes(solution_filled(ASSIGNMENT))
    subs = []
    for i in range(n):
        folder = root / f"student{i:03d}" / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_text(text)
        for file in trained.glob("*"):
            if file.suffix in (".pt", ".json"):
                shutil.copy(file, folder / file.name)
        subs.append(Sub(folder.parent.name, ASSIGNMENT, folder))
    return subs


def plain_nbgrader(subs: list[Sub], work: Path) -> float:
    from autograder.course import Course

    course = Course(work, [ASSIGNMENT])
    start = time.perf_counter()
    for sub in subs:
        shutil.copytree(sub.folder, course.submission_dir(sub.student, ASSIGNMENT))
        assert course.autograde(sub.student, ASSIGNMENT)["success"]
    return time.perf_counter() - start


def ours(subs: list[Sub], work: Path, workers: int) -> float:
    from autograder.grader import grade_all

    start = time.perf_counter()
    _, results = grade_all(subs, work, workers=workers, progress=False)
    assert all(not r.reason for r in results), [r.reason for r in results if r.reason]
    return time.perf_counter() - start


def main(argv=None) -> dict:
    from autograder.demo import run_solutions

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="*", default=[10, 100])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    sizes = [2] if args.tiny else args.sizes
    os.environ.setdefault("CNN_COURSE_FAST", "1")
    report = Report("grading", tiny=args.tiny)
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        [(_, status, _)] = run_solutions(tmp / "trained", [ASSIGNMENT])
        if status != "ok":
            raise SystemExit(f"the solution notebook failed: {status}")
        for n in sizes:
            subs = _submissions(tmp / f"subs{n}", tmp / "trained" / ASSIGNMENT, n)
            plain = plain_nbgrader(subs, tmp / f"plain{n}")
            report.add(f"n={n}", "plain nbgrader autograde, sequential", plain, baseline=True,
                       per_submission=round(plain / n, 2))
            mine = ours(subs, tmp / f"ours{n}", args.workers)
            report.add(f"n={n}", f"cnn-course grade, {args.workers} lanes (+ re-check)", mine,
                       per_submission=round(mine / n, 2))
    return report.finish()


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
