"""Re-check a submission outside the notebook kernel, where IPython hooks and tags cannot interfere.

Student code (the imports cell, the answer cells and cells the student added) runs in a :class:`Sandbox`.
Each autograded test cell then runs in the grader's own process with the student's functions
replaced by proxies that exchange plain data only; a cell that needs the student's objects
(classes, models) runs inside a fresh sandbox instead; accuracy cells are measured with test
labels that stay in the grader.
"""
from __future__ import annotations

import ast
import contextlib
import io
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np

from . import measured
from .checks.common import CheckFailed
from .restore import ADDED
from .sandbox import DEFAULT_TIMEOUT, Sandbox, SandboxError
from .wire import NotPortable

ACCURACY_CALL = re.compile(r"check_accuracy\(\s*[\"'](\w+)[\"']\s*,\s*([\d.]+)")
REPORTED_CALL = re.compile(r"check_reported\(\s*[\"'](\w+)[\"']")


@dataclass(frozen=True)
class Verdict:
    grade_id: str
    passed: bool
    message: str
    how: str  # "isolated calls", "fresh process" or "measured"


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _defined(source: str) -> tuple[set, set]:
    """(functions, classes) defined at the top level of a cell."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return set(), set()
    return ({n.name for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))},
            {n.name for n in body if isinstance(n, ast.ClassDef)})


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".strip()


class Rechecker:
    """Answers come from the submitted (executed) notebook, test cells from the instructor's source."""

    def __init__(self, notebook: Path, source: Path, folder: Path, *, timeout: float = DEFAULT_TIMEOUT):
        self.nb = nbformat.read(str(notebook), as_version=4)
        self.tests = [c for c in nbformat.read(str(source), as_version=4).cells
                      if c.cell_type == "code" and _meta(c).get("grade") and not _meta(c).get("solution")]
        self.timeout = timeout
        self.scratch = Path(tempfile.mkdtemp(prefix="cnn-recheck-"))
        shutil.copytree(folder, self.scratch, dirs_exist_ok=True)
        self.definitions = [c for c in self.nb.cells if c.cell_type == "code" and
                            ("imports" in c.metadata.get("tags", []) or _meta(c).get("solution")
                             or c.metadata.get(ADDED))]
        self.functions: set = set()
        for cell in self.definitions:
            self.functions |= _defined(cell.source)[0]
        self._notes: dict[str, str] = {}
        self._fatal: set[int] = set()  # definition cells that kill or hang the sandbox: skipped on restart
        self._sandbox: Sandbox | None = None
        self._accuracy: dict = {}

    def close(self) -> None:
        if self._sandbox:
            self._sandbox.close()
        shutil.rmtree(self.scratch, ignore_errors=True)

    @property
    def notes(self) -> list[str]:
        return [f"{label}: {message}" for label, message in self._notes.items()]

    @property
    def sandbox(self) -> Sandbox:
        """The sandbox with the student's code loaded; restarted if student code killed it, without
        the cells that killed or hung it before."""
        while self._sandbox is None or self._sandbox.process.poll() is not None:
            self._sandbox = Sandbox(self.scratch, timeout=self.timeout)
            for index, cell in enumerate(self.definitions):
                label = _meta(cell).get("grade_id") or ("imports" if _meta(cell) == {} and "imports" in
                                                        cell.metadata.get("tags", []) else f"added cell {index}")
                if index in self._fatal:
                    continue
                try:
                    self._sandbox.exec(cell.source, f"<{label}>")
                except SandboxError as error:
                    self._fatal.add(index)
                    self._notes[label] = f"{error}; skipped"
                    break
                except Exception as error:
                    self._notes[label] = _describe(error)
        return self._sandbox

    def run(self) -> dict[str, Verdict]:
        return {_meta(c)["grade_id"]: self.check_cell(_meta(c)["grade_id"], c.source) for c in self.tests}

    def check_cell(self, grade_id: str, source: str) -> Verdict:
        if ACCURACY_CALL.search(source) or REPORTED_CALL.search(source):
            return self._measured(grade_id, source)
        self.sandbox.not_portable = False
        try:
            return Verdict(grade_id, True, self._isolated(source), "isolated calls")
        except (NotPortable, NameError):
            how = "fresh process"
        except (Exception, SandboxError) as error:
            if not self.sandbox.not_portable:  # a check that wrapped NotPortable in its own message
                return Verdict(grade_id, False, _describe(error), "isolated calls")
            how = "fresh process"
        try:
            self.sandbox.exec(source, f"<{grade_id}>")
            return Verdict(grade_id, True, "passed", how)
        except (Exception, SandboxError) as error:
            return Verdict(grade_id, False, _describe(error), how)

    def _isolated(self, source: str) -> str:
        namespace = {"__name__": "__recheck__", **{name: self.sandbox.function(name) for name in self.functions}}
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            exec(compile(source, "<test cell>", "exec"), namespace)
        return output.getvalue().strip() or "passed"

    def _measured(self, grade_id: str, source: str) -> Verdict:
        try:
            messages = []
            for task_key, threshold in ACCURACY_CALL.findall(source):
                accuracy, data = self.accuracy(task_key)
                needed = measured.threshold_for(measured.TASKS[task_key], float(threshold), data)
                if accuracy < needed:
                    raise CheckFailed(f"{task_key}: measured {accuracy:.2f} % on {len(data):,} test images; "
                                      f"this rung needs {needed:g} %.")
                messages.append(f"{task_key}: measured {accuracy:.2f} % ≥ {needed:g} %")
            for task_key in REPORTED_CALL.findall(source):
                accuracy, _ = self.accuracy(task_key)
                reported = measured.load_report(task_key, self.scratch).get("test_accuracy")
                if not isinstance(reported, (int, float)) or isinstance(reported, bool):
                    raise CheckFailed(f"{task_key}: no reported accuracy found in "
                                      f"{measured.report_path(task_key, self.scratch).name}.")
                if abs(reported - accuracy) > measured.REPORT_TOLERANCE:
                    raise CheckFailed(f"{task_key}: reported {reported:.2f} % but the grader measured "
                                      f"{accuracy:.2f} % (allowed difference {measured.REPORT_TOLERANCE} points).")
                messages.append(f"{task_key}: reported {reported:.2f} % matches measured {accuracy:.2f} %")
            return Verdict(grade_id, True, "; ".join(messages), "measured")
        except (Exception, SandboxError) as error:
            return Verdict(grade_id, False, _describe(error), "measured")

    def accuracy(self, task_key: str) -> tuple[float, object]:
        """Measured test accuracy (percent): images go to the sandbox, predictions come back, labels stay here."""
        if task_key not in self._accuracy:
            task = measured.TASKS[task_key]
            if not (self.scratch / task.checkpoint).is_file():
                raise CheckFailed(f"{task_key}: the checkpoint {task.checkpoint} was not submitted.")
            data, note = measured.graded_test_set(task)
            if note:
                self._notes[f"{task_key} test set"] = note
            order = np.random.default_rng().permutation(len(data))
            images = data.normalized().numpy()[order]
            predictions = np.asarray(self.sandbox.predict(task.model_class, task.checkpoint, images,
                                                          max_bytes=measured.MAX_CHECKPOINT_BYTES))
            if predictions.shape != (len(data),):
                raise CheckFailed(f"{task_key}: expected {len(data)} predictions, got shape {predictions.shape}")
            labels = data.labels.numpy()[order]
            self._accuracy[task_key] = (float((predictions == labels).mean() * 100), data)
        return self._accuracy[task_key]


def recheck(notebook: Path, source: Path, folder: Path, *,
            timeout: float = DEFAULT_TIMEOUT) -> tuple[dict[str, Verdict], list[str]]:
    """Verdict per autograded test cell of ``source`` for the answers in ``notebook`` (run with the
    files of ``folder``), and notes on answer cells that failed to load."""
    checker = Rechecker(notebook, source, folder, timeout=timeout)
    try:
        return checker.run(), checker.notes
    finally:
        checker.close()
