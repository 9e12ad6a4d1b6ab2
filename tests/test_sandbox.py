"""The data-only wire and the sandbox process: nothing but plain data crosses, limits hold."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from autograder import wire
from autograder.sandbox import Sandbox, SandboxError


@pytest.mark.parametrize("value", [None, True, 3, 2.5, "text", [1, (2, 3)], {"a": 1, 2: [3]},
                                   np.arange(6).reshape(2, 3), np.float32(1.5), np.int64(7), b"\x00\x01"])
def test_plain_data_round_trips(value):
    back = wire.decode(wire.encode(value))
    if isinstance(value, np.ndarray):
        assert type(back) is np.ndarray and np.array_equal(back, value) and back.dtype == value.dtype
    else:
        assert back == value and type(back) is type(value)


def test_tensors_stay_tensors():
    back = wire.decode(wire.encode(torch.ones(2, 2)))
    assert isinstance(back, torch.Tensor) and back.sum() == 4


def test_look_alikes_arrive_inert():
    class AlwaysEqual:
        def __eq__(self, other):
            return True

    class Agreeable(np.ndarray):
        def __eq__(self, other):
            return True

    inert = wire.decode(wire.encode(AlwaysEqual()))
    assert isinstance(inert, wire.Opaque) and type(inert).__name__ == "AlwaysEqual" and not inert == 1
    array = wire.decode(wire.encode(np.zeros(3).view(Agreeable)))
    assert type(array) is np.ndarray
    with pytest.raises(wire.NotPortable):
        wire.encode(torch.nn.Linear(1, 1), strict=True)


@pytest.fixture(scope="module")
def zygote():
    from autograder import warm

    if not warm.available():
        pytest.skip("warm starts need Linux (pidfd, SCM_RIGHTS)")
    z = warm.Zygote()
    yield z
    z.close()


@pytest.fixture(params=["cold", "warm"])
def start(request, monkeypatch):
    """Sandboxes start as a new interpreter (cold) or as a fork of a zygote (warm): same behaviour."""
    from autograder import warm

    monkeypatch.setattr(warm, "_zygote", request.getfixturevalue("zygote") if request.param == "warm" else None)
    return request.param


@pytest.fixture
def sandbox(tmp_path, start):
    with Sandbox(tmp_path, timeout=20) as box:
        yield box


def test_calls_cross_with_plain_data_and_student_prints_stay_inside(sandbox):
    sandbox.exec("import numpy as np\ndef f(x):\n    print('noise on stdout')\n    return x * 2")
    assert np.array_equal(sandbox.call("f", np.arange(3)), [0, 2, 4])


def test_student_exceptions_keep_their_type(sandbox):
    sandbox.exec("def todo():\n    raise NotImplementedError()\ndef bad():\n    raise ValueError('nope')")
    with pytest.raises(NotImplementedError):
        sandbox.call("todo")
    with pytest.raises(ValueError, match="nope"):
        sandbox.call("bad")
    with pytest.raises(NameError):
        sandbox.call("missing")


def test_death_timeout_and_memory_are_contained(tmp_path, start):
    with Sandbox(tmp_path, timeout=20) as box:
        box.exec("import os\ndef die():\n    os._exit(3)")
        with pytest.raises(SandboxError, match="exit code 3"):
            box.call("die")
    with Sandbox(tmp_path, timeout=2) as box:
        box.exec("def spin():\n    while True:\n        pass")
        with pytest.raises(SandboxError, match="did not finish"):
            box.call("spin")
    with Sandbox(tmp_path, memory=3 << 30, timeout=20) as box:
        box.exec("def hog():\n    return bytearray(8 << 30)")
        with pytest.raises(MemoryError):
            box.call("hog")


def test_hidden_directories_are_empty_inside(tmp_path, monkeypatch, start):
    from autograder.isolation import HIDE_ENV, available

    if not available():
        pytest.skip("this machine does not allow private mount namespaces")
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "answers.txt").write_text("42")
    monkeypatch.setenv(HIDE_ENV, str(secret))
    with Sandbox(tmp_path, timeout=20) as box:
        box.exec(f"import os\ndef peek():\n    return os.listdir({str(secret)!r}), os.getcwd()")
        assert box.call("peek") == ([], str(tmp_path))
    assert (secret / "answers.txt").read_text() == "42"


def test_a_warm_sandbox_is_a_fresh_process_with_its_own_environment(tmp_path, zygote, monkeypatch):
    from autograder import warm

    monkeypatch.setattr(warm, "_zygote", zygote)
    monkeypatch.setenv("CNN_TEST_MARKER", "first")
    with Sandbox(tmp_path, timeout=20) as first:
        first.exec("import os, sys, torch\nleft = 'state'\ndef facts():\n"
                   "    return os.getpid(), os.environ.get('CNN_TEST_MARKER'), torch.get_num_threads(), 'left' in globals()")
        pid, marker, threads, _ = first.call("facts")
    monkeypatch.setenv("CNN_TEST_MARKER", "second")
    with Sandbox(tmp_path, timeout=20) as second:
        second.exec("import os\ndef facts():\n    return os.getpid(), os.environ.get('CNN_TEST_MARKER'), 'left' in globals()")
        pid2, marker2, leftover = second.call("facts")
    assert (marker, threads, marker2, leftover) == ("first", 1, "second", False)
    assert pid != pid2 and zygote.alive()
