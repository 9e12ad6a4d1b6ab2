"""One-sentence fixes for newcomers: the skipped-cell NameError hint, and the environment check's problems."""
from __future__ import annotations

import builtins
import io
import json
import re
import sys
import types

import pytest
import torch
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from data_tools import config
from data_tools.envcheck import check_environment
from data_tools.hints import install_hints

HINT = "is defined in an earlier cell: run the notebook from the top"


@pytest.fixture
def shell(tmp_path, monkeypatch):
    """A fresh IPython shell working in tmp_path; every global it touches is put back afterwards."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    for name in ("__IPYTHON__", "display"):
        monkeypatch.setattr(builtins, name, None, raising=False)
    settings = Config()
    settings.HistoryManager.hist_file = ":memory:"
    settings.InteractiveShell.colors = "nocolor"
    yield InteractiveShell.instance(config=settings)
    InteractiveShell.clear_instance()


def notebook(cells: list[str]) -> str:
    return json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# Title"}]
                       + [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                           "source": source.splitlines(keepends=True)} for source in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def open_notebook(shell, tmp_path, cells: list[str], name: str = "lesson.ipynb") -> None:
    """Save a notebook and make it the shell's session, as Jupyter does when it starts a kernel."""
    (tmp_path / name).write_text(notebook(cells))
    shell.user_ns["__session__"] = str(tmp_path / name)
    assert install_hints(shell)


def run(shell, capsys, source: str):
    result = shell.run_cell(source, store_history=True)         # as Jupyter kernels run cells
    captured = capsys.readouterr()
    return result, captured.out + captured.err


def test_hint_follows_the_normal_traceback(shell, tmp_path, capsys):
    cells = ["import numpy as np", "data = np.arange(3)", "print(data.sum())"]
    open_notebook(shell, tmp_path, cells)
    result, out = run(shell, capsys, cells[2])
    assert isinstance(result.error_in_exec, NameError) and not result.success
    assert "Traceback" in out and "----> 1 print(data.sum())" in out
    last = out.rstrip().splitlines()
    assert last[-2] == "NameError: name 'data' is not defined"
    assert last[-1] == "`data` is defined in an earlier cell: run the notebook from the top (Run → Run All Cells)."
    run(shell, capsys, cells[0])
    run(shell, capsys, cells[1])
    assert run(shell, capsys, cells[2])[1].strip() == "3"


@pytest.mark.parametrize("binding, name, hinted", [
    ("def f():\n    return 1", "f", True),
    ("class Model:\n    pass", "Model", True),
    ("import numpy.linalg", "numpy", True),
    ("from os import path as p", "p", True),
    ("for i in range(2):\n    pass", "i", True),
    ("with open('lesson.ipynb') as fh:\n    pass", "fh", True),
    ("a, (b, *rest) = 1, (2, 3)", "rest", True),
    ("if True:\n    w = 1\nelse:\n    pass", "w", True),
    ("%matplotlib inline\nz = 1", "z", True),
    ("def f():\n    inner = 1", "inner", False),
    ("squares = [k * k for k in range(3)]", "k", False),
    ("double = lambda q: 2 * q", "q", False),
    ("x = 1", "y", False),
])
def test_names_each_kind_of_binding_defines(shell, tmp_path, capsys, binding, name, hinted):
    open_notebook(shell, tmp_path, [binding, name])
    result, out = run(shell, capsys, name)
    assert isinstance(result.error_in_exec, NameError)
    assert (HINT in out) == hinted, out


def test_no_hint_when_the_defining_cell_ran_and_failed(shell, tmp_path, capsys):
    cells = ["ratio = 1 / 0", "print(ratio)"]
    open_notebook(shell, tmp_path, cells)
    assert isinstance(run(shell, capsys, cells[0])[0].error_in_exec, ZeroDivisionError)
    result, out = run(shell, capsys, cells[1])
    assert isinstance(result.error_in_exec, NameError) and "NameError" in out and HINT not in out


def test_no_hint_for_a_name_defined_only_in_a_later_cell(shell, tmp_path, capsys):
    cells = ["print(later)", "later = 2"]
    open_notebook(shell, tmp_path, cells)
    assert HINT not in run(shell, capsys, cells[0])[1]


def test_unbound_local_error_is_a_bug_not_cell_order(shell, tmp_path, capsys):
    cells = ["count = 0", "def bump():\n    count += 1\nbump()"]
    open_notebook(shell, tmp_path, cells)
    result, out = run(shell, capsys, cells[1])
    assert isinstance(result.error_in_exec, UnboundLocalError) and HINT not in out


def test_installing_twice_hints_once(shell, tmp_path, capsys):
    open_notebook(shell, tmp_path, ["x = 1", "x"])
    assert install_hints(shell) and install_hints()             # the running shell is found by default
    assert run(shell, capsys, "x")[1].count(HINT) == 1


def test_environment_check_installs_the_hint(shell, tmp_path, capsys):
    (tmp_path / "lesson.ipynb").write_text(notebook(["import data_tools.envcheck", "data_tools.envcheck"]))
    check_environment(file=io.StringIO())
    assert HINT in run(shell, capsys, "data_tools.envcheck")[1]


def test_outside_ipython_nothing_happens(monkeypatch):
    assert install_hints() is False                              # IPython imported, no shell running
    monkeypatch.delitem(sys.modules, "IPython")
    assert install_hints() is False and "IPython" not in sys.modules


def test_finds_the_notebook_from_jupyters_session_name(shell, tmp_path, capsys, monkeypatch):
    (tmp_path / "other.ipynb").write_text(notebook(["y = 1"]))
    (tmp_path / "lesson.ipynb").write_text(notebook(["x = 1"]))
    assert install_hints(shell)
    assert HINT not in run(shell, capsys, "x")[1]                # two notebooks here: which one is unknown
    monkeypatch.setenv("JPY_SESSION_NAME", "course/01/lesson.ipynb")  # relative to the server's root
    assert HINT in run(shell, capsys, "x")[1]
    assert HINT not in run(shell, capsys, "y")[1]


def test_colab_reads_the_live_notebook_and_names_its_menu(shell, tmp_path, capsys, monkeypatch):
    asked = []

    def blocking_request(request, timeout_sec):
        asked.append(request)
        return {"ipynb": json.loads(notebook(["model = None", "model"]))}

    message = types.ModuleType("google.colab._message")
    message.blocking_request = blocking_request
    colab = types.ModuleType("google.colab")
    colab._message = message
    google = types.ModuleType("google")
    google.colab = colab
    for name, module in {"google": google, "google.colab": colab, "google.colab._message": message}.items():
        monkeypatch.setitem(sys.modules, name, module)
    assert install_hints(shell)
    out = run(shell, capsys, "model")[1]
    assert asked == ["get_ipynb"]
    assert out.rstrip().endswith("`model` is defined in an earlier cell: run the notebook from the top "
                                 "(Runtime → Run all).")


@pytest.mark.parametrize("saved", [None, "{ not json", json.dumps({"cells": [{"cell_type": "code"}]})])
def test_a_missing_or_broken_notebook_adds_nothing(shell, tmp_path, capsys, saved):
    if saved is not None:
        (tmp_path / "lesson.ipynb").write_text(saved)
    assert install_hints(shell)
    result, out = run(shell, capsys, "x")
    assert isinstance(result.error_in_exec, NameError)
    assert out.rstrip().endswith("NameError: name 'x' is not defined") and "callback" not in out


# ----------------------------------------------------------------- environment check: one sentence each

@pytest.fixture
def plain_machine(tmp_path, monkeypatch):
    """No cache, no mirrors, a CPU only."""
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path / "cache"))
    monkeypatch.setenv("CNN_COURSE_MIRRORS", "")
    monkeypatch.delenv("CNN_COURSE_OFFLINE", raising=False)
    monkeypatch.delenv("CNN_COURSE_DEVICE", raising=False)
    monkeypatch.setattr(config, "SYSTEM_MIRRORS", ())
    device = types.ModuleType("data_tools.device")
    device.pick_device = lambda: torch.device("cpu")
    monkeypatch.setitem(sys.modules, "data_tools.device", device)


def one_sentence_saying_what_to_do(problem: str) -> bool:
    ends_once = problem.endswith(".") and not re.search(r"[.!?][)`'\"]?\s+[A-Z]", problem)
    return ends_once and "\n" not in problem and bool(re.search(r"\b(install|upgrade|set|choose)\b", problem))


def test_sentence_rule_rejects_two_sentences_or_no_advice():
    assert one_sentence_saying_what_to_do("torch 1.13 is too old: upgrade with `pip install -U torch`.")
    assert not one_sentence_saying_what_to_do("torch 1.13 is too old. Upgrade with `pip install -U torch`.")
    assert not one_sentence_saying_what_to_do("torch 1.13 is too old.")


@pytest.mark.parametrize("situation", ["offline without data", "old torch", "no GPU"])
def test_environment_problems_are_one_sentence_each(plain_machine, monkeypatch, situation):
    notebook_name, datasets, expected = None, (), 1
    if situation == "offline without data":
        monkeypatch.setenv("CNN_COURSE_OFFLINE", "1")
        datasets = ("mnist", "fashion_mnist", "cifar10", "notmnist_small")
        expected = len(datasets)
    elif situation == "old torch":
        monkeypatch.setattr(torch, "__version__", "1.13.1+cu117")
        monkeypatch.setitem(sys.modules, "torchvision", types.SimpleNamespace(__version__="0.14.1"))
    else:
        notebook_name = "04_cifar10"
    out = io.StringIO()
    problems = check_environment(notebook_name, datasets, file=out)
    assert len(problems) == expected
    for problem in problems:
        assert one_sentence_saying_what_to_do(problem), problem
        assert f"  PROBLEM: {problem}\n" in out.getvalue()
