"""Notebook 03 checks: the reference solution passes public and hidden cases, every catalogued wrong
answer fails with a message naming its mistake, and an unfinished exercise stays "not implemented"."""
from __future__ import annotations

import ast
import re

import pytest
import torch
import torch.nn as nn

from autograder.checks import mnist_cnn as checks
from autograder.checks.common import CheckFailed
from autograder.measured import TASKS
from autograder.release import validate_source
from tests.nbtools import ROOT, grade_meta, is_solution, is_test, read, solution_namespace
from tests.wrong_answers import catalogue
from tests.wrong_answers import mnist_cnn as wrong

NOTEBOOK = ROOT / "solutions" / "03_mnist_cnn" / "03_mnist_cnn.ipynb"
MISTAKES = catalogue(wrong)
# Wrong answers that fit the public cases only: the hidden cases must catch them.
PUBLIC_ONLY = [m for m in MISTAKES if m.fn.__name__.endswith(("answer_table", "hard_coded_batch"))]


@pytest.fixture(scope="module")
def solution() -> dict:
    torch.set_num_threads(1)
    return solution_namespace(NOTEBOOK)


def implementation(solution: dict, m):
    """The wrong answer as the notebook would hold it: its source run in the solution's namespace."""
    namespace = dict(solution)
    exec(compile(m.as_source(), f"<{m.fn.__name__}>", "exec"), namespace)
    return namespace[m.exercise]


def test_reference_solution_passes_every_check(solution, capsys):
    for name, check in checks.CHECKS.items():
        check(solution[name])
        for _ in range(3):  # fresh hidden cases each time
            check(solution[name], hidden=True)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("m", MISTAKES, ids=lambda m: m.fn.__name__)
def test_each_mistake_fails_with_a_message_naming_it(solution, m):
    wrong_answer = implementation(solution, m)
    check = checks.CHECKS[m.exercise]
    with pytest.raises(CheckFailed) as failure:
        check(wrong_answer)
        check(wrong_answer, hidden=True)
    assert m.names.lower() in str(failure.value).lower(), f"{m.description}\nmessage: {failure.value}"


@pytest.mark.parametrize("m", PUBLIC_ONLY, ids=lambda m: m.fn.__name__)
def test_answers_fitted_to_the_public_cases_fail_only_the_hidden_ones(solution, m):
    wrong_answer = implementation(solution, m)
    check = checks.CHECKS[m.exercise]
    check(wrong_answer)
    with pytest.raises(CheckFailed):
        check(wrong_answer, hidden=True)


def test_catalogue_covers_every_exercise():
    per_exercise = {name: [m for m in MISTAKES if m.exercise == name] for name in checks.CHECKS}
    assert {name: len(ms) for name, ms in per_exercise.items() if len(ms) < 3} == {}
    assert {m.exercise for m in PUBLIC_ONLY} == set(checks.CHECKS)


def unfinished(*args, **kwargs):
    raise NotImplementedError()


class Unfinished(nn.Module):
    """What the released skeleton does: the solution parts of __init__ raise NotImplementedError."""

    def __init__(self):
        super().__init__()
        raise NotImplementedError()


@pytest.mark.parametrize("name", checks.CHECKS)
def test_unfinished_exercise_is_reported_as_not_implemented(name):
    with pytest.raises(NotImplementedError):
        checks.CHECKS[name](Unfinished if name == "LectureCNN" else unfinished)


def test_functional_relu_pool_and_flatten_are_recognised(solution, capsys):
    """The same network written with F.relu, F.max_pool2d and x.flatten(1) instead of modules passes."""
    source = '''
class LectureCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 5, padding=2)
        self.conv2 = nn.Conv2d(32, 64, 5, padding=2)
        self.fc1 = nn.Linear(7 * 7 * 64, 1024)
        self.dropout = nn.Dropout(0.5)
        self.fc2 = nn.Linear(1024, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))      # pool then ReLU: the same numbers
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(self.dropout(F.relu(self.fc1(x.view(x.size(0), -1)))))
'''
    namespace = dict(solution)
    exec(source, namespace)
    checks.check_lecture_cnn(namespace["LectureCNN"], hidden=True)
    assert "11 layers" in capsys.readouterr().out


def test_shape_table_lists_every_layer_with_its_output_and_parameters(solution):
    table = checks.shape_table(solution["LectureCNN"]())
    assert "(1, 64, 7, 7)" in table and "(1, 3136)" in table
    assert "3,212,288" in table and table.strip().endswith("3,274,634")


@pytest.mark.parametrize("order", ["x.flatten(1)", "x.permute(0, 2, 3, 1).flatten(1)"])
def test_shape_table_names_a_flatten_in_either_memory_order(order):
    """FastCNN flattens (height, width, channel), a view of a channels-last tensor: a Flatten, not "?"."""
    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.fc = nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.Linear(4 * 14 * 14, 10)

        def forward(self, x):
            x = self.conv(x)
            return self.fc(eval(order))

    rows = checks.shape_table(Head()).splitlines()
    assert rows[3].split()[:2] == ["Flatten", "(1,"] and "(1, 784)" in rows[3]
    assert not any(row.startswith("?") for row in rows)


def test_loop_cases_always_end_with_an_uneven_batch():
    for hidden in (False, True, True):
        case = checks.loop_case(hidden)
        assert len(case.y) % case.batch_size != 0


def test_notebook_is_a_valid_release_source():
    assert validate_source(NOTEBOOK) == []


def test_every_exercise_has_one_test_cell_with_hidden_cases():
    cells = read(NOTEBOOK).cells
    tests = [c for c in cells if is_test(c)]
    for name, check in checks.CHECKS.items():
        holding = [c for c in tests if re.search(rf"\b{check.__name__}\({re.escape(name)}\)", c.source)]
        assert len(holding) == 1, f"{name}: {len(holding)} test cells"
        hidden = holding[0].source.split("### BEGIN HIDDEN TESTS")[1]
        assert f"{check.__name__}({name}, hidden=True)" in hidden


def test_accuracy_cells_cover_every_threshold_once():
    sources = [c.source for c in read(NOTEBOOK).cells if is_test(c)]
    for key in ("mnist", "fashion"):
        for threshold in TASKS[key].thresholds:
            assert sum(f'check_accuracy("{key}", {threshold}, globals())' in s for s in sources) == 1
        assert sum(f'check_reported("{key}", globals())' in s for s in sources) == 1


def test_graded_models_are_defined_in_solution_cells(solution):
    for key in ("mnist", "fashion"):
        model = solution[TASKS[key].model_class]()
        assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_solution_cells_hold_only_definitions():
    for cell in read(NOTEBOOK).cells:
        if is_solution(cell):
            for node in ast.parse(cell.source).body:
                assert isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign)), \
                    f"{grade_meta(cell)['grade_id']}: {ast.dump(node)[:60]}"
