"""Accuracy grades come from the checkpoint, re-measured by the grader (notebook 03, fast mode):
full marks for the reference, exactly the rungs a weaker checkpoint earns, nothing for a misreported
number, and a clear zero for broken or malicious checkpoints."""
from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path

import nbformat
import pytest
import torch

from autograder.demo import run_solutions
from autograder.grader import Limits, grade_all
from autograder.measured import TASKS
from autograder.measured import test_data as graded_test_data
from autograder.samples import solution_filled
from tests.nbtools import ROOT, solution_namespace

pytestmark = pytest.mark.slow
ASSIGNMENT = "03_mnist_cnn"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"


@dataclasses.dataclass
class Sub:
    student: str
    assignment: str
    folder: Path
    problem: str | None = None
    notes: list = dataclasses.field(default_factory=list)


def _accuracy(model, data) -> float:
    from data_tools.training import predict

    return float((predict(model, data.normalized()) == data.labels).float().mean() * 100)


def _between_rungs(trained: dict, namespace: dict, low: float, high: float) -> tuple[dict, float]:
    """A state dict between random init and ``trained`` whose accuracy lies in [low, high)."""
    data = graded_test_data(TASKS["mnist"])
    torch.manual_seed(0)
    init = namespace["FastCNN"]().state_dict()
    lo, hi = 0.0, 1.0
    for _ in range(14):
        alpha = (lo + hi) / 2
        state = {k: (alpha * trained[k] + (1 - alpha) * init[k]).to(trained[k].dtype) if trained[k].is_floating_point()
                 else trained[k] for k in trained}
        model = namespace["FastCNN"]()
        model.load_state_dict(state)
        accuracy = _accuracy(model.eval(), data)
        if low <= accuracy < high:
            return state, accuracy
        lo, hi = (alpha, hi) if accuracy < low else (lo, alpha)
    pytest.skip(f"no interpolated checkpoint landed in [{low}, {high})")


class _Payload:
    def __reduce__(self):
        return (open, ("/tmp/cnn-course-test-pwned", "w"))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CNN_COURSE_FAST", "1")
        trained_dir = tmp_path_factory.mktemp("trained")
        [(_, status, _)] = run_solutions(trained_dir, [ASSIGNMENT])
        assert status == "ok", status
        trained = trained_dir / ASSIGNMENT
        files = {p.name: p.read_bytes() for p in trained.iterdir() if p.suffix in (".pt", ".json")}
        namespace = solution_namespace(ROOT / "solutions" / ASSIGNMENT / NOTEBOOK)
        low, high = TASKS["mnist"].reduced_thresholds
        state, weak_accuracy = _between_rungs(torch.load(trained / "mnist_cnn.pt", weights_only=True), namespace,
                                              low, high)
        weak_pt = trained_dir / "weak.pt"
        torch.save(state, weak_pt)
        report = json.loads(files["mnist_cnn.json"])
        variants = {
            "full": {},
            "weak": {"mnist_cnn.pt": weak_pt.read_bytes(),
                     "mnist_cnn.json": json.dumps({**report, "test_accuracy": weak_accuracy}).encode()},
            "misreport": {"mnist_cnn.json": json.dumps({**report, "test_accuracy": report["test_accuracy"] + 3}).encode()},
            "broken": {"mnist_cnn.pt": files["mnist_cnn.pt"][:200]},
            "evil": {"mnist_cnn.pt": pickle.dumps({"weight": _Payload()})},
        }
        subs, solved = [], nbformat.writes(solution_filled(ASSIGNMENT))
        for student, changes in variants.items():
            folder = tmp_path_factory.mktemp("subs") / student / ASSIGNMENT
            folder.mkdir(parents=True)
            (folder / NOTEBOOK).write_text(solved)
            for name, data in {**files, **changes}.items():
                (folder / name).write_bytes(data)
            subs.append(Sub(student, ASSIGNMENT, folder))
        _, results = grade_all(subs, tmp_path_factory.mktemp("work"), workers=2, progress=False,
                               limits=Limits(cell_timeout=120, notebook_timeout=600))
    return {r.student: {c[0]: c for c in r.cells} for r in results}


def score(cells, grade_id):
    return cells[grade_id][1]


def test_reference_checkpoint_scores_every_accuracy_cell(graded):
    cells = graded["full"]
    for gid in ("test_mnist_98", "test_mnist_99", "test_mnist_reported", "test_fashion_90", "test_fashion_92",
                "test_fashion_reported"):
        assert score(cells, gid) == cells[gid][2], cells[gid]


def test_weaker_checkpoint_gets_exactly_the_rungs_it_earns(graded):
    cells = graded["weak"]
    assert score(cells, "test_mnist_98") == cells["test_mnist_98"][2], cells["test_mnist_98"]
    assert score(cells, "test_mnist_99") == 0, cells["test_mnist_99"]
    assert score(cells, "test_mnist_reported") == cells["test_mnist_reported"][2]


def test_misreported_accuracy_earns_nothing_for_the_report(graded):
    cells = graded["misreport"]
    assert score(cells, "test_mnist_reported") == 0
    assert "reported" in cells["test_mnist_reported"][3] and "measured" in cells["test_mnist_reported"][3]
    assert score(cells, "test_mnist_99") == cells["test_mnist_99"][2]


@pytest.mark.parametrize("student, words", [("broken", "not a"), ("evil", "code")])
def test_bad_checkpoints_score_zero_with_a_reason_and_touch_nothing_else(graded, student, words):
    cells = graded[student]
    for gid in ("test_mnist_98", "test_mnist_99", "test_mnist_reported"):
        assert score(cells, gid) == 0, cells[gid]
    assert words in cells["test_mnist_98"][3], cells["test_mnist_98"]
    assert score(cells, "test_fashion_92") == cells["test_fashion_92"][2]
    assert score(cells, "test_lecture_cnn") == cells["test_lecture_cnn"][2]
    assert not Path("/tmp/cnn-course-test-pwned").exists()
