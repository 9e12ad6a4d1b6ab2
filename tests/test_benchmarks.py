"""The benchmarks keep working: each one runs in tiny mode (sizes reduced, numbers meaningless), prints its
table and writes its JSON. Their real runs are not tests; the README records them."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.run import BENCHMARKS
from tests.nbtools import ROOT


@pytest.mark.slow
@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_runs_in_tiny_mode_and_writes_its_results(name):
    run = subprocess.run([sys.executable, "-m", "benchmarks.run", "--tiny", name], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    written = Path(run.stdout.rsplit("-> ", 1)[-1].strip())
    assert written.parent == ROOT / "benchmarks" / "results" and written.name.endswith("-tiny.json")
    result = json.loads(written.read_text())
    assert result["tiny"] is True and result["rows"]
    assert all(row["seconds"] > 0 for row in result["rows"])
    assert any(row["baseline"] for row in result["rows"])  # every table measures against a baseline


def test_fast_cnn_runs_are_split_around_the_lecture_networks_run():
    from benchmarks.train_reference import schedule

    assert schedule(["fast_cnn", "lecture_cnn", "fashion_cnn"], 4) == [
        ("fast_cnn", 2), ("lecture_cnn", 1), ("fast_cnn", 2), ("fashion_cnn", 4)]
    assert schedule(["lecture_cnn", "fast_cnn"], 3) == [("fast_cnn", 2), ("lecture_cnn", 1), ("fast_cnn", 1)]
    assert schedule(["fast_cnn", "lecture_cnn"], 1) == [("fast_cnn", 1), ("lecture_cnn", 1)]  # no empty part
    assert schedule(["fashion_cnn", "lecture_cnn"], 3) == [("fashion_cnn", 3), ("lecture_cnn", 1)]


def test_run_names_an_unknown_benchmark_instead_of_a_traceback(capsys):
    from benchmarks.run import main

    with pytest.raises(SystemExit) as exit_info:
        main(["train_reference", "fast_cnn"])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "fast_cnn" in error and "bench_loader" in error and "python -m benchmarks.train_reference" in error


def test_the_training_benchmarks_need_only_the_core_dependencies():
    """A GPU machine's own PyTorch image has no Jupyter or nbgrader: the benchmarks meant for it must not need them."""
    script = """import sys
for name in ("nbformat", "nbgrader", "nbclient", "jupyter_client", "IPython", "ipykernel", "nbval", "pytest"):
    sys.modules[name] = None  # importing any of them now raises ImportError
import benchmarks.bench_loader, benchmarks.bench_training_step
from benchmarks import gpu_path, train_reference
assert "FastCNN" in train_reference.notebook_namespace() and "CifarNet" in train_reference.notebook_namespace(gpu_path.NOTEBOOK)
"""
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
