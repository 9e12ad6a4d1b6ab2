"""Notebook 02 checks: the reference solution passes public and hidden cases, every catalogued wrong
answer fails with a message naming its mistake, an unfinished exercise stays "not implemented", and the
lecture's numbers (example outputs, model totals) are what the checks and the notebook claim."""
from __future__ import annotations

import ast
import re

import numpy as np
import pytest
import torch
from torch import nn

from autograder.checks import conv_arithmetic as checks
from autograder.checks.common import CheckFailed
from autograder.release import validate_source
from tests.nbtools import ROOT, grade_meta, is_solution, is_test, read, solution_namespace
from tests.wrong_answers import catalogue
from tests.wrong_answers import conv_arithmetic as wrong

NOTEBOOK = ROOT / "solutions" / "02_conv_arithmetic" / "02_conv_arithmetic.ipynb"
MISTAKES = catalogue(wrong)
# Wrong answers that fit the public cases only: the hidden cases must catch them.
PUBLIC_ONLY = [m for m in MISTAKES if m.fn.__name__.endswith("answer_table")]


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny tensors: one thread avoids waking threads on a busy machine (much faster)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def solution() -> dict:
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
    assert {m.exercise for m in PUBLIC_ONLY} >= {"conv_output_size", "conv_fits", "padding_amount", "conv_params",
                                                 "dense_params", "layer_table"}


def unfinished(*args, **kwargs):
    raise NotImplementedError()


@pytest.mark.parametrize("name", checks.CHECKS)
def test_unfinished_exercise_is_reported_as_not_implemented(name):
    with pytest.raises(NotImplementedError):
        checks.CHECKS[name](unfinished)


def test_a_crash_in_student_code_is_a_failed_check_not_an_error():
    def crashes(*args, **kwargs):
        raise IndexError("index 5 is out of bounds")

    for name, check in checks.CHECKS.items():
        with pytest.raises(CheckFailed, match="IndexError"):
            check(crashes)


# ---------------------------------------------------------------- the lecture's numbers

def test_lecture_single_channel_example():
    expected = np.array([[11, 14, 10], [20, 26, 6], [21, 30, 27]])
    assert np.array_equal(checks.torch_conv_single(checks.LECTURE_X, checks.LECTURE_W), expected)
    assert checks.torch_conv_single(checks.LECTURE_X, checks.LECTURE_W, 2.0)[-1, -1] == 29
    assert np.all(np.isin(checks.LECTURE_X, np.arange(10))) and np.all(np.isin(checks.LECTURE_W, np.arange(10)))


def test_lecture_multichannel_demo():
    out = checks.torch_conv2d(checks.DEMO_X, checks.DEMO_W, checks.DEMO_B, stride=2, padding=1)
    assert out.shape == (2, 3, 3)
    assert np.array_equal(out[0], [[19, 13, 15], [28, 16, 20], [23, 18, 25]])


def torch_model(spec, input_shape) -> nn.Sequential:
    """A real (allocated) PyTorch model for a layer list, written independently of the checks' meta version."""
    layers, channels = [], input_shape[0]
    for layer in spec:
        if layer[0] == "conv":
            layers.append(nn.Conv2d(channels, layer[1], layer[2], padding=layer[3],
                                    stride=layer[4] if len(layer) > 4 else 1))
            channels = layer[1]
        elif layer[0] == "pool":
            layers.append(nn.MaxPool2d(*layer[1:]))
        elif layer[0] == "flatten":
            layers.append(nn.Flatten())
        else:
            layers.append(nn.LazyLinear(layer[1]))
    model = nn.Sequential(*layers)
    model(torch.zeros(1, *input_shape))  # materializes the lazy dense layers
    return model


@pytest.mark.parametrize("model, total", [(checks.MNIST_KERAS, 693_962), (checks.MNIST_TWO_CONV, 121_930),
                                          (checks.CIFAR, 1_639_914), (checks.SIMPLE_CIFAR, 3_692_938)],
                         ids=["mnist_keras", "mnist_two_conv", "cifar", "simple_cifar"])
def test_lecture_model_totals_match_real_pytorch_models(model, total):
    spec, input_shape = model
    real = torch_model(spec, input_shape)
    assert sum(p.numel() for p in real.parameters()) == total
    assert checks.torch_layer_table(spec, input_shape)[1] == total


def test_alexnet_shape_column_and_total():
    rows, total = checks.torch_layer_table(*checks.ALEXNET)
    sides = [227] + [shape[1] for _, shape, _ in rows if len(shape) == 3]
    assert sides == [227, 55, 27, 27, 13, 13, 13, 13, 6]
    assert rows[8][1] == (9216,) and total == 62_378_344


# ---------------------------------------------------------------- the checks' own references

def test_torch_references_agree_with_the_formulas():
    rng = np.random.default_rng(3)
    for n, f, p, s in checks._random_settings(rng, 50):
        assert checks.torch_output_size(n, f, p, s) == (n + 2 * p - f) // s + 1
        assert checks._fits(n, f, p, s) == ((n + 2 * p - f) % s == 0)
    for f in (1, 3, 5, 7):
        assert [checks.torch_padding(f, mode) for mode in ("valid", "same", "full")] == [0, (f - 1) // 2, f - 1]


def test_random_specs_are_valid_models():
    rng = np.random.default_rng(4)
    for _ in range(20):
        spec, input_shape = checks.random_spec(rng)
        assert spec[-1][0] == "dense" and ("flatten",) in spec
        checks.torch_layer_table(spec, input_shape)


def test_student_cannot_change_the_cases_by_mutating_inputs(solution):
    def conv2d_mutating(x, w, b, stride=1, padding=0):
        result = solution["conv2d"](x, w, b, stride, padding)
        x[...] = 0
        w[...] = 0
        return result

    checks.check_conv2d(conv2d_mutating)
    assert checks.DEMO_X.any() and checks.DEMO_W.any()


def test_edge_filter_check_accepts_other_correct_filters():
    sobel = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
    line = np.array([[-1.0, 2.0, -1.0]] * 3)
    five = np.tile([2.0, 1.0, 0.0, -1.0, -2.0], (5, 1))
    for vertical in (sobel, -sobel, line, five):
        checks.check_edge_filters(lambda v=vertical: (v, v.T.copy()), hidden=True)


def test_torch_result_is_rejected_with_advice():
    with pytest.raises(CheckFailed, match="NumPy"):
        checks.check_global_avg_pool(lambda x: torch.tensor(x).mean(dim=(1, 2)))


# ---------------------------------------------------------------- the notebook

def test_notebook_is_a_valid_release_source():
    assert validate_source(NOTEBOOK) == []


def test_every_exercise_has_one_test_cell_with_hidden_cases():
    cells = read(NOTEBOOK).cells
    tests = [c for c in cells if is_test(c)]
    for name, check in checks.CHECKS.items():
        holding = [c for c in tests if re.search(rf"\b{check.__name__}\({re.escape(name)}\)", c.source)]
        assert len(holding) == 1, f"{name}: {len(holding)} test cells"
        assert f"from autograder.checks.conv_arithmetic import {check.__name__}" in holding[0].source
        hidden = holding[0].source.split("### BEGIN HIDDEN TESTS")[1]
        assert f"{check.__name__}({name}, hidden=True)" in hidden
    written = [c for c in cells if c.cell_type == "markdown" and grade_meta(c).get("grade")]
    assert len(written) == 1 and "### BEGIN SOLUTION" in written[0].source
    assert sum(grade_meta(c)["points"] for c in tests + written) == 30


def test_notebook_opens_with_setup_imports_and_environment_check():
    cells = read(NOTEBOOK).cells
    assert "colab-setup" in cells[0].metadata["tags"]
    assert "imports" in cells[1].metadata["tags"]
    assert cells[2].source == 'data_tools.envcheck.check_environment("02_conv_arithmetic", datasets=());'


def test_solution_cells_hold_only_definitions():
    for cell in read(NOTEBOOK).cells:
        if is_solution(cell):
            for node in ast.parse(cell.source).body:
                assert isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)), \
                    f"{grade_meta(cell)['grade_id']}: {ast.dump(node)[:60]}"


def run_cells(solution: dict, *grade_ids: str) -> dict:
    """Run the notebook's read-only cells with these grade ids in a copy of the solution namespace."""
    import matplotlib.pyplot as plt

    namespace = dict(solution)
    cells = {grade_meta(c).get("grade_id"): c for c in read(NOTEBOOK).cells}
    for grade_id in ("helpers", *grade_ids):
        exec(compile(cells[grade_id].source, f"<{grade_id}>", "exec"), namespace)
    plt.close("all")
    return namespace


def test_notebook_shows_the_lecture_numbers(solution, capsys):
    ns = run_cells(solution, "conv2d_single_demo", "conv2d_demo", "lecture_models", "alexnet")
    assert np.array_equal(ns["x_lecture"], checks.LECTURE_X) and np.array_equal(ns["w_lecture"], checks.LECTURE_W)
    assert ns["y_bias"][-1, -1] == 29
    assert np.array_equal(ns["x_demo"], checks.DEMO_X) and np.array_equal(ns["w_demo"], checks.DEMO_W)
    assert np.array_equal(ns["y_demo"][0], [[19, 13, 15], [28, 16, 20], [23, 18, 25]])
    lecture = [(spec, shape) for spec, shape, _ in ns["LECTURE_MODELS"].values()]
    assert lecture == [checks.MNIST_KERAS, checks.MNIST_TWO_CONV, checks.CIFAR, checks.SIMPLE_CIFAR]
    assert [total for _, _, total in ns["LECTURE_MODELS"].values()] == [693_962, 121_930, 1_639_914, 3_692_938]
    assert (ns["alexnet"], (3, 227, 227)) == checks.ALEXNET
    out = capsys.readouterr()
    assert out.out.count("✓ as in the lecture") == 4 and "62,378,344" in out.out and out.err == ""
