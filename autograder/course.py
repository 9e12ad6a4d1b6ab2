"""An nbgrader course directory for grading: sources, release, submissions and one sqlite gradebook."""
from __future__ import annotations

import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

from .nbgrader_config import IGNORED_FILES, SIDE_OUTPUTS, course_config, write_config_file
from .paths import REPO_ROOT, SOLUTIONS, assignments


# nbgrader 0.9.6 triggers SQLAlchemy "not in session" warnings on every autograde; they are harmless.
warnings.filterwarnings("ignore", message=".*not in session.*")


@dataclass(frozen=True)
class CellScore:
    grade_id: str
    score: float | None  # None: waits for manual grading
    max_score: float


class Course:
    """``workdir/{source,release,submitted,autograded,feedback}`` and ``workdir/gradebook.db``.

    Creating it copies ``sources`` (default: ``solutions/``) into ``source/`` and runs nbgrader
    ``generate_assignment`` once, which records every notebook, test cell and point value in the gradebook.
    """

    def __init__(self, workdir: Path, ids: list[str] | None = None, *, sources: Path = REPO_ROOT / SOLUTIONS,
                 timeout: int = 120, extra_config=None):
        from nbgrader.apps import NbGraderAPI

        self.workdir = Path(workdir).resolve()
        self.ids = ids or assignments(Path(sources).parent)
        for assignment in self.ids:
            target = self.workdir / "source" / assignment
            if not target.exists():
                shutil.copytree(Path(sources) / assignment, target,
                                ignore=shutil.ignore_patterns(*IGNORED_FILES, *SIDE_OUTPUTS))
        self.config = course_config(self.workdir, self.db_path, source="source", release="release")
        write_config_file(self.workdir, self.config)  # so `nbgrader formgrader` opens this course as it is
        (self.workdir / ".exchange").mkdir(exist_ok=True)
        self.config.Execute.timeout = timeout
        if extra_config is not None:
            self.config.merge(extra_config)
        self.api = NbGraderAPI(config=self.config)
        for assignment in self.ids:
            if not (self.workdir / "release" / assignment).exists():
                self._check(self.api.generate_assignment(assignment, force=True, create=True), "generate_assignment")

    @property
    def db_path(self) -> Path:
        return self.workdir / "gradebook.db"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db_path}"

    def submission_dir(self, student: str, assignment: str) -> Path:
        return self.workdir / "submitted" / student / assignment

    def release_notebook(self, assignment: str, name: str | None = None) -> Path:
        found = sorted((self.workdir / "release" / assignment).glob(name or "*.ipynb"))
        return found[0]

    def autograde(self, student: str, assignment: str) -> dict:
        """nbgrader autograde of one submission; returns nbgrader's result dict (success, log, error)."""
        return self.api.autograde(assignment, student, force=True, create=True)

    def scores(self, student: str, assignment: str) -> dict[str, CellScore]:
        """Per graded cell of every notebook of the submission, keyed by grade_id."""
        from nbgrader.api import Gradebook

        result = {}
        with Gradebook(self.db_url) as gb:
            for nb in gb.find_submission(assignment, student).notebooks:
                for grade in nb.grades:
                    result[grade.name] = CellScore(grade.name, grade.score if not grade.needs_manual_grade
                                                   else None, grade.max_score)
        return result

    @staticmethod
    def _check(result: dict, what: str) -> None:
        if not result["success"]:
            raise RuntimeError(f"nbgrader {what} failed:\n{result.get('error') or result.get('log')}")
