"""The demo's sample submissions: a "partial" sample must really leave answers out."""
from __future__ import annotations

from autograder.demo import partial
from autograder.samples import solution_filled


def _answers(nb) -> list:
    return [c.source for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]


def test_partial_blanks_every_second_answer():
    full, half = _answers(solution_filled("02_conv_arithmetic")), _answers(partial("02_conv_arithmetic"))
    assert len(full) == len(half) >= 2
    assert half[0::2] == full[0::2]
    assert all("raise NotImplementedError" in source for source in half[1::2])


def test_a_notebook_with_a_single_code_answer_has_no_partial_sample():
    assert len(_answers(solution_filled("04_cifar10"))) == 1
    assert partial("04_cifar10") is None
