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
