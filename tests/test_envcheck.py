"""The notebooks' environment check: versions, device, fast mode, data sources, and problems with fixes."""
from __future__ import annotations

import io
import sys
import types
from importlib import metadata

import pytest
import torch

from data_tools import config, envcheck
from data_tools.envcheck import check_environment
from data_tools.registry import REGISTRY


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path / "cache"))
    monkeypatch.setenv("CNN_COURSE_MIRRORS", "")
    monkeypatch.delenv("CNN_COURSE_OFFLINE", raising=False)
    monkeypatch.delenv("CNN_COURSE_FAST", raising=False)
    monkeypatch.delenv("CNN_COURSE_DEVICE", raising=False)
    monkeypatch.setattr(config, "SYSTEM_MIRRORS", ())


@pytest.fixture
def device(monkeypatch):
    """Make data_tools.device.pick_device return ``device.value`` (default: cpu)."""
    fake = types.ModuleType("data_tools.device")
    fake.value = torch.device("cpu")
    fake.pick_device = lambda: fake.value
    monkeypatch.setitem(sys.modules, "data_tools.device", fake)
    return fake


def run(*args, **kwargs) -> tuple[list[str], str]:
    out = io.StringIO()
    problems = check_environment(*args, file=out, **kwargs)
    return problems, out.getvalue()


def test_healthy_report_without_importing_torchvision(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torchvision", None)       # importing it would fail (and take seconds)
    problems, text = run("03_mnist_cnn")
    assert problems == [] and "no problems found" in text
    assert f"torch {torch.__version__}" in text and f"torchvision {metadata.version('torchvision')}" in text
    assert "Python 3." in text and "fast mode: off" in text and "device: " in text
    assert capsys.readouterr().out == ""                         # printed to ``file`` only


def test_prints_to_stdout_by_default(device, monkeypatch, capsys):
    monkeypatch.setenv("CNN_COURSE_FAST", "1")
    assert check_environment() == []
    out, err = capsys.readouterr()
    assert "fast mode: on" in out and "device: cpu" in out and err == ""


def test_old_torch_is_a_problem(device, monkeypatch):
    monkeypatch.setattr(torch, "__version__", "1.13.1+cu117")
    monkeypatch.setitem(sys.modules, "torchvision", types.SimpleNamespace(__version__="0.14.1"))
    problems, text = run()
    assert len(problems) == 1 and "older than 2.0" in problems[0]
    assert "pip install -U torch torchvision" in problems[0] and f"PROBLEM: {problems[0]}" in text


@pytest.mark.parametrize("vision, torch_version, bad", [("0.15.2", "2.0.1", False), ("0.29.1", "2.14.1+cu130", False),
                                                        ("0.16.0", "2.14.1", True), ("0.29.0", "2.13.0", True)])
def test_torchvision_must_match_torch(device, monkeypatch, vision, torch_version, bad):
    monkeypatch.setattr(torch, "__version__", torch_version)
    monkeypatch.setitem(sys.modules, "torchvision", types.SimpleNamespace(__version__=vision))
    problems, _ = run()
    assert bool(problems) == bad
    if bad:
        assert f"torchvision {vision} is built for torch 2." in problems[0] and "pip install -U" in problems[0]


def test_missing_torchvision_is_a_problem(device, monkeypatch):
    monkeypatch.delitem(sys.modules, "torchvision", raising=False)

    def version(name):
        if name == "torchvision":
            raise metadata.PackageNotFoundError(name)
        return metadata.version(name)

    monkeypatch.setattr(envcheck.metadata, "version", version)
    problems, text = run()
    assert problems == ["torchvision is not installed: install it with `pip install -U torch torchvision`."]
    assert "torchvision not installed" in text


def test_cifar10_notebook_without_gpu(device, monkeypatch):
    problems, _ = run("04_cifar10")
    assert len(problems) == 1 and "Runtime → Change runtime type → GPU" in problems[0]
    assert run("course/04_cifar10/04_cifar10.ipynb")[0] == problems
    assert run("03_mnist_cnn")[0] == []
    device.value = torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda d=None: "Tesla T4")
    problems, text = run("04_cifar10")
    assert problems == [] and "device: cuda (Tesla T4)" in text


def test_unusable_device_setting_is_reported(monkeypatch):
    monkeypatch.setenv("CNN_COURSE_DEVICE", "tpu")
    problems, text = run()
    assert len(problems) == 1 and "No usable device" in problems[0] and "device: none" in text


def test_data_sources_and_offline_fallbacks(device, tmp_path, monkeypatch):
    problems, text = run(datasets=("mnist", "cifar10"))
    assert problems == []
    assert "mnist: download from https://ossci-datasets.s3.amazonaws.com/mnist/" in text
    assert "cifar10: download from https://www.cs.toronto.edu/~kriz/" in text
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "1")
    problems, text = run(datasets=("mnist", "cifar10", "notmnist_small"))
    assert len(problems) == 3
    assert "MNIST is not available offline" in problems[0] and "embedded sample" in problems[0]
    assert "synthetic stand-in" in problems[1] and "generated notMNIST-style letters" in problems[2]
    assert all("CNN_COURSE_MIRRORS" in problem for problem in problems)
    assert "mnist: not available" in text


def test_local_copy_means_no_offline_problem(device, tmp_path, monkeypatch):
    share = tmp_path / "share"
    share.mkdir()
    for file in REGISTRY["mnist"].files.values():
        (share / file.filename).write_bytes(b"unverified")      # the check only looks, it never hashes
    monkeypatch.setenv("CNN_COURSE_MIRRORS", str(share))
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "1")
    problems, text = run(datasets=("mnist",))
    assert problems == [] and f"mnist: mirror {share} (checksum checked on first use)" in text
    (share / "t10k-labels-idx1-ubyte.gz").unlink()
    assert len(run(datasets=("mnist",))[0]) == 1


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match="Unknown data set"):
        check_environment(datasets=("svhn",), file=io.StringIO())
