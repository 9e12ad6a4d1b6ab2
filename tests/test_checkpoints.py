"""save_checkpoint / load_checkpoint: round trip, atomic writes, and one clear refusal per bad file."""
from __future__ import annotations

import os
import pickle
import warnings

import pytest
import torch
import torch.nn as nn

from data_tools.checkpoints import CheckpointError, load_checkpoint, save_checkpoint


class Net(nn.Module):
    def __init__(self, hidden: int = 8):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, hidden)


class CreatesFile:
    """Unpickling this calls open(marker, "w"): a harmless stand-in for code in a malicious checkpoint."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def same_weights(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_round_trip_restores_every_tensor_and_leaves_no_temporary_file(tmp_path):
    torch.manual_seed(0)
    trained = Net()
    trained.bn.running_mean += 3
    path = save_checkpoint(trained, tmp_path / "sub" / "net.pt")
    assert path.is_file() and os.listdir(tmp_path / "sub") == ["net.pt"]
    torch.manual_seed(1)
    fresh = Net()
    assert not same_weights(fresh, trained)
    assert load_checkpoint(fresh, path) is fresh
    assert same_weights(fresh, trained)
    saved = torch.load(path, weights_only=True)
    assert all(tensor.device.type == "cpu" for tensor in saved.values())


def test_saved_tensors_are_compact_copies_not_views_of_bigger_storage(tmp_path):
    big = torch.zeros(1_000_000)
    path = save_checkpoint({"weight": big[:10]}, tmp_path / "small.pt")
    assert path.stat().st_size < 10_000


def test_saving_a_state_dict_works_and_overwrites(tmp_path):
    path = tmp_path / "net.pt"
    save_checkpoint(Net(), path)
    model = Net()
    save_checkpoint(model.state_dict(), path)
    assert same_weights(load_checkpoint(Net(), path), model)


def test_a_failed_save_leaves_the_old_file_and_no_partial_one(tmp_path, monkeypatch):
    path = tmp_path / "net.pt"
    old = Net()
    save_checkpoint(old, path)

    def broken_save(obj, file):
        file.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(Net(), path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["net.pt"]
    assert same_weights(load_checkpoint(Net(), path), old)


class Compiled(nn.Module):
    """Stands in for torch.compile's wrapper, whose state_dict keys start with "_orig_mod."."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self._orig_mod = model


def test_compiled_models_save_and_load_plain_keys(tmp_path):
    trained = Net()
    path = save_checkpoint(Compiled(trained), tmp_path / "net.pt")
    assert set(torch.load(path, weights_only=True)) == set(Net().state_dict())
    assert same_weights(load_checkpoint(Net(), path), trained)
    wrapped = Compiled(Net())
    assert load_checkpoint(wrapped, path) is wrapped and same_weights(wrapped._orig_mod, trained)


def test_missing_file_names_it_and_says_to_run_the_training_cell(tmp_path):
    with pytest.raises(CheckpointError, match=r"mnist_cnn\.pt.*run the training cell"):
        load_checkpoint(Net(), tmp_path / "mnist_cnn.pt")


def test_file_over_the_size_limit_is_refused(tmp_path):
    path = save_checkpoint(Net(), tmp_path / "net.pt")
    with pytest.raises(CheckpointError, match="over the .* limit"):
        load_checkpoint(Net(), path, max_bytes=path.stat().st_size - 1)
    load_checkpoint(Net(), path, max_bytes=path.stat().st_size)


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all\n", bytes(range(256)) * 8, "truncated"])
def test_corrupt_or_foreign_files_are_not_readable_checkpoints(tmp_path, content):
    path = tmp_path / "net.pt"
    if content == "truncated":
        save_checkpoint(Net(), path)
        content = path.read_bytes()[:-200]
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="not a readable PyTorch checkpoint"):
        load_checkpoint(Net(), path)


@pytest.mark.parametrize("writer", ["torch.save", "pickle protocol 2", "pickle protocol 5"])
def test_pickle_that_runs_code_is_refused_without_running_it(tmp_path, capfd, writer):
    marker = tmp_path / "code-ran"
    path = tmp_path / "net.pt"
    if writer == "torch.save":
        torch.save(CreatesFile(marker), path)
    else:
        path.write_bytes(pickle.dumps(CreatesFile(marker), protocol=int(writer[-1])))
    with warnings.catch_warnings(record=True) as caught, pytest.raises(CheckpointError,
                                                                     match="contains code.*not just tensors"):
        warnings.simplefilter("always")
        load_checkpoint(Net(), path)
    assert not marker.exists()
    assert caught == []
    assert capfd.readouterr().err == ""
    pickle.loads(pickle.dumps(CreatesFile(marker)))  # the payload is live: unpickling it does create the file
    assert marker.exists()


def test_whole_pickled_model_is_not_a_state_dict(tmp_path):
    for name, model in (("custom.pt", Net()), ("sequential.pt", nn.Sequential(nn.Linear(2, 3)))):
        torch.save(model, tmp_path / name)
        with pytest.raises(CheckpointError, match="whole model, not a state_dict"):
            load_checkpoint(Net(), tmp_path / name)


@pytest.mark.parametrize("content", [{"model": Net().state_dict(), "epoch": 3}, [torch.zeros(3)], torch.zeros(3)])
def test_safe_files_that_are_not_state_dicts_are_refused(tmp_path, content):
    torch.save(content, tmp_path / "net.pt")
    with pytest.raises(CheckpointError, match="not a state_dict"):
        load_checkpoint(Net(), tmp_path / "net.pt")


def test_mismatching_model_lists_missing_unexpected_and_reshaped_keys(tmp_path):
    path = save_checkpoint(Net(hidden=8), tmp_path / "net.pt")
    with pytest.raises(CheckpointError, match=r"shape mismatches: fc\.weight \(8, 4\) in file vs \(5, 4\)") as info:
        load_checkpoint(Net(hidden=5), path)
    assert "fc.bias" in str(info.value) and "missing" not in str(info.value)

    other = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 4))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(other, path)
    message = str(info.value)
    assert "missing keys: 0.weight, 0.bias, 1.weight, 1.bias, 2.weight, … (3 more)" in message
    assert "unexpected keys: conv.weight" in message and "more)" in message
    assert "build the same architecture" in message
