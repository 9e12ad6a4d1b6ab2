"""The notebook kernel's measured-accuracy checks (autograder.measured) on a small stand-in test set:
rungs pass and fail on the measured number, the reported number must match it, and the checks return
nothing (nbgrader would read a number left as a test cell's result as its partial credit)."""
from __future__ import annotations

import inspect

import pytest
import torch
import torch.nn as nn

from autograder import checks, measured
from autograder.checks.common import CheckFailed
from data_tools.imagedata import ImageData


class FastCNN(nn.Module):
    """Predicts class 0 for images whose first pixel is dark, else class 1; ``bias`` shifts the split."""

    def __init__(self):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        first = x[:, 0, 0, 0] + self.bias
        return torch.stack([-first, first], dim=1)


@pytest.fixture
def kernel(tmp_path, monkeypatch):
    """A grading kernel's working folder and a 100-image test set (first pixels 0, 2, ..., 198; "bright"
    from 100 on); returns a function that saves the model with a given bias as the checkpoint."""
    images = torch.zeros(100, 1, 28, 28, dtype=torch.uint8)
    images[:, 0, 0, 0] = torch.arange(100, dtype=torch.uint8) * 2
    data = ImageData(images, (images[:, 0, 0, 0] >= 100).long(), ("dark", "bright"), "mnist", source="stand-in",
                     mean=(0.0,), std=(1.0,))
    monkeypatch.setattr(measured, "test_data", lambda task: data)
    monkeypatch.chdir(tmp_path)
    measured._measured.clear()

    def save(bias: float) -> dict:
        model = FastCNN()
        model.bias.data.fill_(bias)
        torch.save(model.state_dict(), tmp_path / "mnist_cnn.pt")
        return {"FastCNN": FastCNN}

    return save


def test_a_rung_passes_on_the_measured_accuracy_and_returns_nothing(kernel, capsys):
    namespace = kernel(-100 / 255 + 1e-4)  # splits exactly at 100: every label right
    assert measured.check_accuracy("mnist", 98.0, namespace) is None
    assert "measured 100.00 %" in capsys.readouterr().out


def test_a_rung_fails_with_the_measured_number_and_the_needed_one(kernel):
    namespace = kernel(-180 / 255 + 1e-4)  # calls only images 90..99 bright: 40 of 100 wrong
    with pytest.raises(CheckFailed, match=r"measured 60\.00 %.*needs 90 %"):
        measured.check_accuracy("mnist", 99.0, namespace)


def test_the_reported_number_must_match_the_measured_one(kernel):
    namespace = kernel(-100 / 255 + 1e-4)
    assert measured.check_reported("mnist", {**namespace, "MNIST_TEST_ACCURACY": 99.8}) is None
    with pytest.raises(CheckFailed, match=r"reported 97\.00 % but the grader measured 100\.00 %"):
        measured.check_reported("mnist", {**namespace, "MNIST_TEST_ACCURACY": 97.0})
    with pytest.raises(CheckFailed, match="looks like a fraction"):
        measured.check_reported("mnist", {**namespace, "MNIST_TEST_ACCURACY": 1.0})


def test_a_missing_checkpoint_is_named(kernel, tmp_path):
    namespace = kernel(0.0)
    (tmp_path / "mnist_cnn.pt").unlink()
    with pytest.raises(CheckFailed, match="checkpoint mnist_cnn.pt is missing"):
        measured.check_accuracy("mnist", 98.0, namespace)


def test_reports_round_trip_beside_the_checkpoint(kernel, tmp_path):
    measured.save_report("mnist", 99.12, seconds=14.2)
    assert measured.load_report("mnist") == {"task": "mnist", "test_accuracy": 99.12, "seconds": 14.2}
    (tmp_path / "mnist_cnn.json").write_text("[1, 2]")
    assert measured.load_report("mnist") == {}
    (tmp_path / "mnist_cnn.json").write_text("{not json")
    assert measured.load_report("mnist") == {}


def test_no_check_called_by_a_test_cell_returns_a_value():
    """nbgrader turns a test cell's numeric result into partial credit (and fails the whole notebook
    when it exceeds the cell's points), so every check function is annotated to return None."""
    import importlib
    import pkgutil

    modules = [measured] + [importlib.import_module(f"autograder.checks.{m.name}")
                            for m in pkgutil.iter_modules(checks.__path__)]
    found = {f"{module.__name__}.{name}": fn for module in modules for name, fn in vars(module).items()
             if name.startswith("check_") and inspect.isfunction(fn) and fn.__module__ == module.__name__}
    assert len(found) > 10
    assert [name for name, fn in found.items() if inspect.signature(fn).return_annotation not in (None, "None")] == []


def test_a_grading_lane_gets_a_note_for_a_stand_in_test_set_instead_of_the_banner(capsys, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "1")
    monkeypatch.setenv("CNN_COURSE_FAST", "1")
    data, note = measured.graded_test_set(measured.TASKS["cifar10"])
    assert data.synthetic and capsys.readouterr().out == ""
    assert "synthetic CIFAR-10 stand-in" in note and "not the full real test set" in note
    assert "rungs scaled to 30, 35, 40, 45, 50 %" in note


def test_the_full_real_test_set_needs_no_note(monkeypatch):
    full = ImageData(torch.zeros(10000, 1, 28, 28, dtype=torch.uint8), torch.zeros(10000, dtype=torch.long),
                     tuple("0123456789"), "mnist", source="mirror")
    monkeypatch.setattr(measured, "test_data", lambda task: full)
    assert measured.graded_test_set(measured.TASKS["mnist"]) == (full, None)


def test_time_to_each_rung_follows_the_ladder_that_applies_to_the_test_set():
    from data_tools.training import History

    history = History(val_acc=[0.32, 0.41, 0.75, 0.80], seconds=[60.0, 60.0, 60.0, 60.0])
    real = ImageData(torch.zeros(10000, 3, 32, 32, dtype=torch.uint8), torch.zeros(10000, dtype=torch.long),
                     tuple("0123456789"), "cifar10", source="mirror")
    assert measured.time_to_rungs("cifar10", history, real) == {"70": 180.0, "74": 180.0, "79": 240.0, "84": None,
                                                                "88": None}
    stand_in = ImageData(real.images[:500], real.labels[:500], real.classes, "cifar10", source="synthetic",
                         synthetic=True)
    assert measured.time_to_rungs("cifar10", history, stand_in) == {"30": 60.0, "35": 120.0, "40": 120.0,
                                                                    "45": 180.0, "50": 180.0}
