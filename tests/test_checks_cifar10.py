"""Notebook 04 checks: the reference CifarNet follows the architecture rules, every catalogued rule-breaking
network is rejected with a message naming the rule, and the notebook is a valid nbgrader source."""
from __future__ import annotations

import ast
import re

import pytest
import torch
import torch.nn as nn

from autograder.checks import cifar10 as checks
from autograder.checks.common import CheckFailed
from autograder.measured import TASKS
from autograder.release import validate_source
from tests.nbtools import ROOT, grade_meta, is_solution, is_test, read, solution_namespace
from tests.wrong_answers import catalogue
from tests.wrong_answers import cifar10 as wrong

NOTEBOOK = ROOT / "solutions" / "04_cifar10" / "04_cifar10.ipynb"
MISTAKES = catalogue(wrong)
PUBLIC_ONLY = [m for m in MISTAKES if m.fn.__name__.endswith("hard_coded_batch")]


@pytest.fixture(scope="module")
def solution() -> dict:
    torch.set_num_threads(1)
    return solution_namespace(NOTEBOOK)


def implementation(solution: dict, m):
    namespace = dict(solution)
    exec(compile(m.as_source(), f"<{m.fn.__name__}>", "exec"), namespace)
    return namespace[m.exercise]


def test_reference_network_follows_the_rules(solution, capsys):
    checks.check_cifar_net(solution["CifarNet"])
    checks.check_cifar_net(solution["CifarNet"], hidden=True)
    out = capsys.readouterr()
    assert "uses batch norm" in out.out and out.err == ""


def test_reference_at_full_width_stays_under_the_parameter_cap(solution, monkeypatch):
    monkeypatch.delenv("CNN_COURSE_FAST", raising=False)
    model = solution["CifarNet"]()
    count = sum(p.numel() for p in model.parameters())
    assert 2_000_000 < count <= checks.MAX_PARAMETERS
    assert model.eval()(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


@pytest.mark.parametrize("m", MISTAKES, ids=lambda m: m.fn.__name__)
def test_each_broken_rule_is_named(solution, m):
    network = implementation(solution, m)
    with pytest.raises(CheckFailed) as failure:
        checks.check_cifar_net(network)
        checks.check_cifar_net(network, hidden=True)
    assert m.names.lower() in str(failure.value).lower(), f"{m.description}\nmessage: {failure.value}"


@pytest.mark.parametrize("m", PUBLIC_ONLY, ids=lambda m: m.fn.__name__)
def test_networks_fitted_to_the_public_batch_fail_only_the_hidden_case(solution, m):
    network = implementation(solution, m)
    checks.check_cifar_net(network)
    with pytest.raises(CheckFailed):
        checks.check_cifar_net(network, hidden=True)


def test_a_plain_two_conv_network_without_batch_norm_is_accepted(capsys):
    class Plain(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
            self.fc = nn.Linear(32, 10)

        def forward(self, x):
            return self.fc(self.features(x).flatten(1))

    checks.check_cifar_net(Plain, hidden=True)
    assert "batch norm" not in capsys.readouterr().out


class Unfinished(nn.Module):
    def __init__(self):
        super().__init__()
        raise NotImplementedError()


def test_unfinished_network_is_reported_as_not_implemented():
    with pytest.raises(NotImplementedError):
        checks.check_cifar_net(Unfinished)


def test_notebook_is_a_valid_release_source():
    assert validate_source(NOTEBOOK) == []


def test_test_cells_cover_the_rules_every_rung_and_the_report():
    cells = read(NOTEBOOK).cells
    sources = [c.source for c in cells if is_test(c)]
    rules = [s for s in sources if "check_cifar_net(CifarNet)" in s]
    assert len(rules) == 1 and "check_cifar_net(CifarNet, hidden=True)" in rules[0].split("### BEGIN HIDDEN TESTS")[1]
    for rung in TASKS["cifar10"].thresholds:
        assert sum(f'check_accuracy("cifar10", {rung}, globals())' in s for s in sources) == 1
    assert sum('check_reported("cifar10", globals())' in s for s in sources) == 1
    manual = [c for c in cells if c.cell_type == "markdown" and grade_meta(c).get("grade")]
    assert [grade_meta(c)["points"] for c in manual] == [2]
    assert "### BEGIN SOLUTION" in manual[0].source


def test_solution_cells_hold_only_definitions():
    for cell in read(NOTEBOOK).cells:
        if is_solution(cell) and cell.cell_type == "code":
            for node in ast.parse(cell.source).body:
                assert isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign)), \
                    f"{grade_meta(cell)['grade_id']}: {ast.dump(node)[:60]}"


def test_learning_rate_experiment_tries_at_least_three_rates():
    (settings,) = [c for c in read(NOTEBOOK).cells if c.cell_type == "code" and c.source.lstrip().startswith("#")
                   and "LEARNING_RATES =" in c.source]
    namespace: dict = {}
    exec(settings.source, namespace)
    rates = namespace["LEARNING_RATES"]
    assert len(rates) >= 3 and len(set(rates)) == len(rates)
    assert re.search(r"plot_history\(", "".join(c.source for c in read(NOTEBOOK).cells))
