"""What a grading run leaves behind: grades.csv, per-student feedback HTML, a summary table."""
from __future__ import annotations

import csv
import html
import shutil
from pathlib import Path

from .course import Course
from .feedback import FEEDBACK_PREPROCESSORS, add_summary

COLUMNS = ["student", "assignment", "score", "max_score", "percent", "status", "reason", "notes"]


def assignment_max(master: Course) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(master.db_url) as gb:
        return {a.name: float(a.max_score) for a in gb.assignments}


def write_grades(path: Path, results, maxima: dict[str, float]) -> Path:
    """One row per student × assignment; ungraded rows score 0 and say why."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for r in results:
            top = r.max_score or maxima.get(r.assignment, 0.0)
            writer.writerow([r.student, r.assignment, f"{r.score:g}", f"{top:g}",
                             f"{100 * r.score / top:.1f}" if top else "0.0",
                             "not graded" if r.reason else "graded", r.reason, " | ".join(r.notes)])
    return path


def summary(results, maxima: dict[str, float]) -> str:
    rows = [(r.student, r.assignment, f"{r.score:g}/{(r.max_score or maxima.get(r.assignment, 0)):g}",
             r.reason or ("; ".join(r.notes[:2]) if r.notes else "")) for r in results]
    head = ("student", "assignment", "score", "reason / notes")
    widths = [max(len(str(x[i])) for x in rows + [head]) for i in range(3)]
    line = lambda x: "  ".join(str(v).ljust(w) for v, w in zip(x, widths)) + "  " + str(x[3])[:90]
    return "\n".join([line(head), line(["-" * w for w in widths] + ["-" * 14])] + [line(x) for x in rows])


def write_feedback(master: Course, results, out_dir: Path) -> list[Path]:
    """Feedback HTML per graded submission (hidden tests and tracebacks removed) or a short page saying
    why it was not graded. Returns the pages written under ``out_dir/<student>/<assignment>.html``."""
    master.config.GenerateFeedback.preprocessors = FEEDBACK_PREPROCESSORS
    from nbgrader.apps import NbGraderAPI

    api = NbGraderAPI(config=master.config)
    pages = []
    for r in results:
        page = Path(out_dir) / r.student / f"{r.assignment}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        rows = [(gid, f"{'manual' if score is None else format(score, 'g')}/{top:g}", message)
                for gid, score, top, message in r.cells]
        if r.reason or not api.generate_feedback(r.assignment, r.student, force=True)["success"]:
            reason = r.reason or "feedback could not be generated"
            page.write_text(f"<html><body><h1>{html.escape(r.assignment)}: not graded</h1>"
                            f"<p>{html.escape(reason)}</p></body></html>")
        else:
            produced = sorted((master.workdir / "feedback" / r.student / r.assignment).glob("*.html"))
            shutil.copy(produced[0], page)
        add_summary(page, rows, r.notes)
        pages.append(page)
    return pages
