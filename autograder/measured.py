"""Accuracy that is measured, not reported: the student's checkpoint is evaluated on the test set.

Notebook test cells call :func:`check_accuracy` (one cell per threshold) and :func:`check_reported`.
The autograder repeats the measurement outside the notebook kernel with :mod:`autograder.sandbox`
(test labels never enter the process that runs student code) and its result is the grade.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

from .checks.common import fail, passed

MAX_CHECKPOINT_BYTES = 64_000_000
REPORT_TOLERANCE = 0.5  # percentage points between reported and measured accuracy


@dataclass(frozen=True)
class Task:
    key: str
    assignment: str
    dataset: str
    model_class: str
    checkpoint: str
    reported_var: str
    thresholds: tuple  # percent, on the full real test set
    reduced_thresholds: tuple  # percent, in fast mode or on stand-in data (one per threshold)
    extra_files: tuple = ()  # other files the notebook writes at training time and reloads when graded


TASKS = {
    "mnist": Task("mnist", "03_mnist_cnn", "mnist", "FastCNN", "mnist_cnn.pt", "MNIST_TEST_ACCURACY",
                  (98.0, 99.0), (85.0, 90.0)),
    "fashion": Task("fashion", "03_mnist_cnn", "fashion_mnist", "FashionCNN", "fashion_cnn.pt",
                    "FASHION_TEST_ACCURACY", (90.0, 92.0), (70.0, 75.0)),
    "cifar10": Task("cifar10", "04_cifar10", "cifar10", "CifarNet", "cifar10_cnn.pt", "CIFAR10_TEST_ACCURACY",
                    (70.0, 74.0, 79.0, 84.0, 88.0), (30.0, 35.0, 40.0, 45.0, 50.0), ("lr_experiment.json",)),
}


def test_data(task: Task):
    """The test set the task is graded on: full and real, except in fast mode (a subset, or the embedded
    sample when offline) and for CIFAR-10 without the real data (the synthetic stand-in); both announced."""
    from data_tools.config import fast_mode
    from data_tools.datasets import load_dataset

    return load_dataset(task.dataset, "test", fast=fast_mode(), fallback=fast_mode() or task.dataset == "cifar10")


def graded_test_set(task: Task) -> tuple[object, str | None]:
    """:func:`test_data` for a grading lane: its stand-in banner is swallowed (the TA's terminal would get it
    once per submission) and, unless the set is the full real one, returned as a one-line note instead."""
    with contextlib.redirect_stdout(io.StringIO()):
        data = test_data(task)
    if full_scale(data):
        return data, None
    rungs = ", ".join(f"{reduced:g}" for reduced in task.reduced_thresholds)
    return data, (f"measured on {len(data):,} test images of {data.source}, not the full real test set; "
                  f"rungs scaled to {rungs} %")


def full_scale(data) -> bool:
    """True when ``data`` is the real, complete test set, so the real thresholds apply."""
    from data_tools.datasets import dataset_spec

    return not data.synthetic and len(data) == dataset_spec(data.name).n_test


def threshold_for(task: Task, threshold: float, data) -> float:
    if threshold not in task.thresholds:
        raise ValueError(f"{task.key}: {threshold} is not one of its thresholds {task.thresholds}")
    return threshold if full_scale(data) else task.reduced_thresholds[task.thresholds.index(threshold)]


def time_to_rungs(task_key: str, history, data) -> dict[str, float | None]:
    """For each rung of the ladder that applies to ``data`` (the real one, or the reduced one on a stand-in or
    a subset), the seconds of training until the first epoch whose validation accuracy on ``data`` reached
    it (``History.time_to``), None when none did; keyed by the rung in percent as text (a JSON object)."""
    task = TASKS[task_key]
    rungs = [threshold_for(task, rung, data) for rung in task.thresholds]
    return {f"{rung:g}": history.time_to(rung / 100) for rung in rungs}


def file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def build_model(task: Task, namespace: dict, checkpoint: Path | None = None):
    """The student's model class, instantiated (an unfinished class raises NotImplementedError, which
    passes through) and, when ``checkpoint`` is given, loaded from it (weights only)."""
    from data_tools.checkpoints import CheckpointError, load_checkpoint

    cls = namespace.get(task.model_class)
    if cls is None:
        fail(f"{task.key}: no class {task.model_class} is defined; run the cell that defines it.")
    try:
        model = cls()
    except NotImplementedError:
        raise
    except Exception as error:  # the student's constructor
        fail(f"{task.key}: {task.model_class}() failed: {type(error).__name__}: {error}")
    if checkpoint is None:
        return model
    try:
        return load_checkpoint(model, checkpoint, max_bytes=MAX_CHECKPOINT_BYTES)
    except CheckpointError as error:
        fail(f"{task.key}: {error}")


def accuracy_percent(predictions, labels) -> float:
    import torch

    predictions = torch.as_tensor(predictions).reshape(-1)
    if predictions.shape != labels.shape:
        fail(f"expected {labels.shape[0]} predictions, got {predictions.shape[0]}")
    return float((predictions.to(labels.dtype) == labels).float().mean()) * 100


_measured: dict = {}


def measure(task_key: str, namespace: dict, directory: Path | None = None) -> tuple[float, object]:
    """Measure the task's checkpoint in this process (the notebook kernel); cached per checkpoint content."""
    from data_tools.training import predict

    task = TASKS[task_key]
    checkpoint = Path(directory or os.getcwd()) / task.checkpoint
    build_model(task, namespace)  # an unfinished model class says so before anything else
    if not checkpoint.is_file():
        fail(f"{task.key}: the checkpoint {task.checkpoint} is missing next to the notebook; "
             f"run the training cell (it saves the file) and submit the file with the notebook.")
    key = (task.key, file_digest(checkpoint))
    if key not in _measured:
        data = test_data(task)
        model = build_model(task, namespace, checkpoint)
        _measured[key] = (accuracy_percent(predict(model, data.normalized()), data.labels), data)
    return _measured[key]


def check_accuracy(task_key: str, threshold: float, namespace: dict) -> None:
    """Pass when the checkpoint's measured test accuracy reaches ``threshold`` percent (one rung).

    Returns None: nbgrader reads a number left as a test cell's result as its partial credit."""
    task = TASKS[task_key]
    accuracy, data = measure(task_key, namespace)
    needed = threshold_for(task, threshold, data)
    where = f"{len(data):,} test images of {data.name}" + ("" if full_scale(data) else
                                                           f" (reduced: {data.source}; rung {threshold:g} % scaled to {needed:g} %)")
    if accuracy < needed:
        fail(f"{task.key}: measured {accuracy:.2f} % on {where}; this rung needs {needed:g} %.")
    passed(f"{task.key}: measured {accuracy:.2f} % on {where} ≥ {needed:g} %")


def report_path(task_key: str, directory: Path | None = None) -> Path:
    """The small JSON written beside the checkpoint at training time (accuracy, seconds, device)."""
    return Path(directory or os.getcwd()) / Path(TASKS[task_key].checkpoint).with_suffix(".json").name


def save_report(task_key: str, test_accuracy: float, **details) -> Path:
    """Record the measured test accuracy (percent) next to the checkpoint, for grading runs to reload."""
    import json

    path = report_path(task_key)
    path.write_text(json.dumps({"task": task_key, "test_accuracy": float(test_accuracy), **details}, indent=1))
    return path


def load_report(task_key: str, directory: Path | None = None) -> dict:
    """The report saved by :func:`save_report` (empty when missing or unreadable)."""
    import json

    try:
        report = json.loads(report_path(task_key, directory).read_text())
    except (OSError, ValueError):
        return {}
    return report if isinstance(report, dict) else {}


def reported_value(task: Task, namespace: dict) -> float:
    """The student's reported accuracy as a plain float (look-alike number objects are converted)."""
    import numbers

    value = namespace.get(task.reported_var)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or float(value) != float(value):
        fail(f"{task.key}: set {task.reported_var} to your measured test accuracy in percent "
             f"(a number such as 99.1), got {value!r}.")
    return float(value)


def check_reported(task_key: str, namespace: dict) -> None:
    """Pass when the reported accuracy variable is within REPORT_TOLERANCE of the measured one (returns
    None, like :func:`check_accuracy`)."""
    task = TASKS[task_key]
    accuracy, _ = measure(task_key, namespace)
    reported = reported_value(task, namespace)
    if 0 <= reported <= 1 and accuracy > 1:
        fail(f"{task.key}: {task.reported_var} = {reported} looks like a fraction; report percent "
             f"(measured {accuracy:.2f} %).")
    if abs(reported - accuracy) > REPORT_TOLERANCE:
        fail(f"{task.key}: reported {reported:.2f} % but the grader measured {accuracy:.2f} % "
             f"(allowed difference {REPORT_TOLERANCE} points).")
    passed(f"{task.key}: reported {reported:.2f} % matches the measured {accuracy:.2f} %")
