"""nbgrader configuration shared by release and grading (one place for every nbgrader setting)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from traitlets.config import Config

# Files nbgrader never copies, in release or grading: caches and editor leftovers.
IGNORED_FILES = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]
# What running a solution notebook leaves beside it (checkpoints, reports, data): never released. In grading
# these files are the student's submission (the checkpoint the grader measures), so they must travel.
SIDE_OUTPUTS = ["*.pt", "*.pth", "*.npz", "*.json", "data"]


def put_tools_on_path() -> None:
    """nbgrader runs ``alembic`` (and kernels) from PATH; make this interpreter's scripts findable."""
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")


def course_config(root: Path, db_path: Path, *, source: str = "solutions", release: str = "course",
                  ignore: list = IGNORED_FILES) -> Config:
    """Config for an nbgrader course rooted at ``root`` with its gradebook at ``db_path``; nbgrader copies
    no file that matches ``ignore``."""
    put_tools_on_path()
    c = Config()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = "cnn-course"
    c.CourseDirectory.source_directory = source
    c.CourseDirectory.release_directory = release
    c.CourseDirectory.db_url = f"sqlite:///{db_path}"
    c.CourseDirectory.ignore = list(ignore)
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    c.Exchange.root = str(Path(root) / ".exchange")
    return c


def write_config_file(root: Path, config: Config) -> Path:
    """``root/nbgrader_config.py`` holding ``config``, so nbgrader's own tools (formgrader) open this course."""
    lines = ["c = get_config()  # noqa: F821  (written by cnn-course)"]
    lines += [f"c.{section}.{key} = {value!r}" for section, values in config.items() for key, value in values.items()]
    path = Path(root) / "nbgrader_config.py"
    path.write_text("\n".join(lines) + "\n")
    return path
