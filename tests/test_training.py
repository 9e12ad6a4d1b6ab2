"""fit / evaluate / predict / History, and device choice and seeding."""
from __future__ import annotations

import platform
import random
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from data_tools.device import ENV_DEVICE, configure_cpu, pick_device, set_seed
from data_tools.imagedata import ImageData
from data_tools.loader import BatchLoader, ImageDataset
from data_tools.training import History, _fused_where_supported, _optimizer, evaluate, fit, predict

CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def one_thread():
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


def quadrant_data(n: int, seed: int) -> ImageData:
    """Noisy 8x8 images, 4 classes: the class is the bright quadrant (separable by a tiny CNN)."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(4, (n,), generator=generator)
    images = torch.randint(0, 60, (n, 1, 8, 8), generator=generator)
    for label, (rows, cols) in enumerate([(slice(0, 4), slice(0, 4)), (slice(0, 4), slice(4, 8)),
                                          (slice(4, 8), slice(0, 4)), (slice(4, 8), slice(4, 8))]):
        images[labels == label, :, rows, cols] += 150
    return ImageData(images.to(torch.uint8), labels, classes=("NW", "NE", "SW", "SE"), name="quadrants")


def small_cnn() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4), nn.Flatten(),
                         nn.Dropout(0.2), nn.Linear(16, 4))


def test_fit_learns_separable_data_and_fills_history():
    set_seed(0)
    train, val = quadrant_data(256, 0), quadrant_data(128, 1)
    model = small_cnn().eval()
    modes = []
    model[4].register_forward_pre_hook(lambda module, _: modes.append((torch.is_grad_enabled(), module.training)))
    history = fit(model, BatchLoader(train, 32, device=CPU), epochs=4, lr=2e-2, device=CPU, progress=False,
                  val_loader=BatchLoader(val, 64, shuffle=False, device=CPU))
    assert set(modes) == {(True, True), (False, False)}  # dropout on while training, off for validation
    assert evaluate(model, BatchLoader(val, 64, shuffle=False, device=CPU)).accuracy >= 0.95
    assert isinstance(history, History) and model.training
    for name in ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"):
        assert len(getattr(history, name)) == 4, name
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.best_val_acc == max(history.val_acc) >= 0.95
    assert history.total_seconds == pytest.approx(sum(history.seconds)) and history.total_seconds > 0
    assert set(history.as_dict()) == {"train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"}
    assert "4 epochs" in repr(history) and "\n" not in repr(history)


def test_schedules_set_the_learning_rate_per_batch():
    data = quadrant_data(64, 0)
    rates = {}
    for schedule in ("onecycle", "constant", "cosine"):
        history = fit(small_cnn(), BatchLoader(data, 16, device=CPU), epochs=4, lr=0.01, schedule=schedule,
                      device=CPU, progress=False)
        rates[schedule] = history.lr
    assert rates["constant"] == [0.01] * 4
    cosine, onecycle = rates["cosine"], rates["onecycle"]  # each epoch's last learning rate
    assert 0.008 < cosine[0] < 0.01 and all(a > b for a, b in zip(cosine, cosine[1:])) and cosine[-1] < 1e-3
    assert 0.005 < max(onecycle) <= 0.01 and onecycle[-1] < 1e-6  # OneCycle anneals to max_lr / 1e4
    with pytest.raises(ValueError, match="schedule"):
        fit(small_cnn(), BatchLoader(data, 16, device=CPU), epochs=1, schedule="step", device=CPU, progress=False)


def test_fit_uses_the_optimizer_it_is_given_or_named():
    data = quadrant_data(64, 0)
    model = small_cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
    history = fit(model, BatchLoader(data, 16, device=CPU), epochs=1, optimizer=optimizer, schedule="constant",
                  device=CPU, progress=False)
    assert history.lr == [0.05] and "momentum_buffer" in optimizer.state[model[0].weight]
    history = fit(small_cnn(), BatchLoader(data, 16, device=CPU), epochs=1, optimizer="sgd", lr=0.03,
                  schedule="constant", device=CPU, progress=False)
    assert history.lr == [0.03]
    with pytest.raises(ValueError, match="optimizer"):
        fit(small_cnn(), BatchLoader(data, 16, device=CPU), epochs=1, optimizer="lion", device=CPU, progress=False)


@pytest.mark.parametrize("name", ["adamw", "sgd"])
def test_named_optimizers_are_fused_where_torch_supports_it(name):
    """One fused kernel per step for all parameters (5x faster AdamW updates for the lecture's network on a CPU)."""
    supported = tuple(int(part) for part in torch.__version__.split(".")[:2]) >= (2, 4)
    assert _optimizer(small_cnn(), name, 0.01, 0.0).defaults.get("fused") is (True if supported else None)


def test_an_optimizer_without_fused_kernels_here_is_made_plain():
    class NoFusedKernels(torch.optim.SGD):
        def __init__(self, params, fused=None, **settings):
            if fused:
                raise RuntimeError("`fused=True` requires all the params to be on a supported device")
            super().__init__(params, **settings)

    optimizer = _fused_where_supported(NoFusedKernels, small_cnn().parameters(), lr=0.1)
    assert type(optimizer) is NoFusedKernels and not optimizer.defaults.get("fused")
    assert len(optimizer.param_groups[0]["params"]) == 4  # the parameters were not used up by the first try


def test_fit_leaves_frozen_parameters_as_they_were():
    """A fixed first layer (requires_grad=False, as FastCNN's DCT patterns) stays fixed, weight decay too."""
    model = small_cnn()
    model[0].weight.requires_grad_(False)
    frozen, trained = model[0].weight.clone(), model[5].weight.clone()
    fit(model, BatchLoader(quadrant_data(64, 0), 16, device=CPU), epochs=2, lr=0.01, weight_decay=0.1,
        device=CPU, progress=False)
    assert torch.equal(model[0].weight, frozen) and not torch.equal(model[5].weight, trained)


def test_fit_progress_prints_one_summary_line_per_epoch(capsys):
    data = quadrant_data(64, 0)
    fit(small_cnn(), BatchLoader(data, 16, device=CPU), epochs=2, device=CPU,
        val_loader=BatchLoader(data, 64, shuffle=False, device=CPU))
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch")]
    assert len(lines) == 2 and lines[1].startswith("epoch 2/2") and "val" in lines[1] and " s" in lines[1]


def test_fit_with_bf16_autocast_on_cpu_runs():
    history = fit(small_cnn(), BatchLoader(quadrant_data(64, 0), 32, device=CPU), epochs=1, device=CPU,
                  progress=False, amp=True)
    assert np.isfinite(history.train_loss[0])


def test_evaluate_matches_hand_computation_over_items_not_batches():
    torch.manual_seed(0)
    data = quadrant_data(23, 2)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 4))
    with torch.no_grad():  # a weak quadrant detector: right on some items, wrong on others
        quadrants = torch.zeros(4, 2, 2)
        quadrants.view(4, 4)[range(4), range(4)] = 0.3
        model[1].weight.copy_(quadrants.repeat_interleave(4, 1).repeat_interleave(4, 2).flatten(1))
        model[1].weight.add_(torch.randn(4, 64))
    loader = BatchLoader(data, 10, shuffle=False, device=CPU)  # batches of 10, 10, 3
    with torch.no_grad():
        logits = model(data.normalized())
    expected_loss = F.cross_entropy(logits, data.labels).item()
    expected_acc = (logits.argmax(1) == data.labels).float().mean().item()
    batch_means = [F.cross_entropy(model(x), y).item() for x, y in loader]
    assert abs(np.mean(batch_means) - expected_loss) > 1e-4, "test data must tell item mean from batch mean"
    result = evaluate(model, loader)
    assert result.n == 23
    assert result.loss == pytest.approx(expected_loss, rel=1e-5)
    assert result.accuracy == pytest.approx(expected_acc)
    assert 0.2 < expected_acc < 0.9, "the model must be right on some items and wrong on others"
    loss, accuracy, n = evaluate(model, torch.utils.data.DataLoader(ImageDataset(data), batch_size=7))
    assert (loss, accuracy, n) == pytest.approx(tuple(result), rel=1e-5)


def test_evaluate_turns_dropout_off_and_restores_each_modules_mode():
    torch.manual_seed(0)
    data = quadrant_data(40, 3)
    model = nn.Sequential(nn.Flatten(), nn.Dropout(0.9), nn.Linear(64, 4), nn.BatchNorm1d(4))
    loader = BatchLoader(data, 8, shuffle=False, device=CPU)
    model.train()
    model[3].eval()  # a frozen batch-norm layer must stay frozen after evaluate
    first, second = evaluate(model, loader), evaluate(model, loader)
    assert first == second
    assert model.training and model[1].training and not model[3].training
    model.eval()
    with torch.no_grad():
        expected = F.cross_entropy(model(data.normalized()), data.labels).item()
    assert first.loss == pytest.approx(expected, rel=1e-5)
    evaluate(model, loader)
    assert not model.training


def test_evaluate_rejects_an_empty_loader():
    loader = BatchLoader(quadrant_data(5, 0), 10, device=CPU, drop_last=True)
    with pytest.raises(ValueError, match="no batches"):
        evaluate(small_cnn(), loader)


def test_predict_labels_and_probabilities_from_tensor_or_loader():
    torch.manual_seed(0)
    data = quadrant_data(30, 4)
    model = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(64, 4))
    with torch.no_grad():
        expected = model.eval()(data.normalized()).argmax(1)
    model.train()
    labels = predict(model, data.normalized(), batch_size=7)
    assert labels.dtype == torch.int64 and torch.equal(labels, expected) and model.training
    from_loader, probs = predict(model, BatchLoader(data, 8, shuffle=False, device=CPU), return_probs=True)
    assert torch.equal(from_loader, expected)
    assert probs.shape == (30, 4) and torch.allclose(probs.sum(1), torch.ones(30))
    assert torch.equal(probs.argmax(1), expected)
    with pytest.raises(ValueError, match="shuffle=False"):
        predict(model, BatchLoader(data, 8, device=CPU))
    with pytest.raises(TypeError, match="normalized"):
        predict(model, data.images)


class Viewing(nn.Module):
    """A student-style forward: ``x.view(n, -1)`` fails on a channels-last activation."""

    def __init__(self):
        super().__init__()
        self.conv, self.fc = nn.Conv2d(1, 4, 3, padding=1), nn.Linear(4 * 8 * 8, 4)

    def forward(self, x):
        x = self.conv(x)
        return self.fc(x.view(x.size(0), -1))


@pytest.mark.parametrize("make", [small_cnn, Viewing], ids=["cnn", "view-in-forward"])
@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
def test_predict_runs_channels_last_on_cpu_and_hands_the_model_back_as_it_was(make, layout):
    torch.manual_seed(0)
    data = quadrant_data(40, 5)
    model = make()
    with torch.no_grad():
        expected = model.eval()(data.normalized()).argmax(1)
    model.train().to(memory_format=layout)
    assert torch.equal(predict(model, data.normalized(), batch_size=16), expected)
    assert all(p.is_contiguous(memory_format=layout) for p in model.parameters() if p.dim() == 4)
    fit(model, BatchLoader(data, 10, device=CPU), epochs=1, progress=False)  # its weights still train


def test_pick_device_honours_environment_then_preference(monkeypatch):
    monkeypatch.delenv(ENV_DEVICE, raising=False)
    assert pick_device("cpu") == CPU
    expected = "cuda" if torch.cuda.is_available() else None
    if expected:
        assert pick_device().type == expected
    else:
        assert pick_device().type in ("cpu", "mps")
    monkeypatch.setenv(ENV_DEVICE, "cpu")
    assert pick_device("cuda") == CPU
    monkeypatch.setenv(ENV_DEVICE, "gpu-please")
    with pytest.raises(ValueError, match="Unknown device"):
        pick_device()
    if not torch.cuda.is_available():
        monkeypatch.setenv(ENV_DEVICE, "cuda")
        with pytest.raises(RuntimeError, match="not available"):
            pick_device()


def test_set_seed_makes_every_generator_repeat():
    def draw():
        return random.random(), float(np.random.rand()), torch.rand(3).tolist()
    set_seed(7)
    first = draw()
    set_seed(7)
    assert draw() == first
    set_seed(8)
    assert draw() != first


def test_configure_cpu_sets_and_returns_a_sane_count():
    import os
    threads = configure_cpu()
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert 1 <= threads <= available
    assert torch.get_num_threads() == threads


@pytest.mark.parametrize("value, expected", [("1", 1), ("64", None), ("", None), ("two", None), ("0", None)])
def test_configure_cpu_honours_an_explicit_omp_num_threads(monkeypatch, value, expected):
    """A grading lane (or a batch scheduler) caps its kernels with OMP_NUM_THREADS; a notebook's
    configure_cpu() must not undo that, or parallel lanes fight over the cores."""
    before = torch.get_num_threads()
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    uncapped = configure_cpu()
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    try:
        assert configure_cpu() == (expected or uncapped) == torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


# Minor page faults per step of a training-like loop whose buffers (48 MiB) are above glibc's largest adaptive
# threshold (32 MiB), after the heap has settled; in a fresh process, with configure_cpu() or set_cpu_threads()
# first when asked to.
FAULTS_PER_STEP = """
import resource, sys, torch
from data_tools.device import configure_cpu, set_cpu_threads

if sys.argv[1:] == ["configure"]:
    configure_cpu()
if sys.argv[1:] == ["threads"]:
    set_cpu_threads()
torch.set_num_threads(1)
weight = torch.ones(12 << 20, requires_grad=True)

def step():
    weight.grad = None
    (weight * 2).relu().sum().backward()

for _ in range(20):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    step()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")
def test_configure_cpu_lets_training_steps_reuse_freed_memory():
    """By default glibc gives large freed buffers back to the system, and every step pays a page fault per
    4 KiB of fresh memory (49,156 per step here); after configure_cpu() the steps reuse the freed memory.
    set_cpu_threads() alone (bench_training_step's baseline) leaves glibc's default."""
    runs = {case: subprocess.Popen([sys.executable, "-c", FAULTS_PER_STEP, case], stdout=subprocess.PIPE, text=True)
            for case in ("default", "threads", "configure")}
    faults = {case: float(run.communicate(timeout=120)[0]) for case, run in runs.items()}
    assert faults["default"] > 10_000 and faults["configure"] < faults["default"] / 10, faults
    assert faults["threads"] > 10_000, faults


def test_time_to_is_the_end_of_the_first_epoch_that_reached_the_accuracy():
    history = History(val_acc=[0.5, 0.72, 0.70, 0.9], seconds=[10.0, 11.0, 12.0, 13.0])
    assert history.time_to(0.72) == 21.0           # reached exactly: counts
    assert history.time_to(0.71) == 21.0           # not the later epoch that dips below and rises again
    assert history.time_to(0.9) == 46.0            # seconds add up from the start, not the epoch's own
    assert history.time_to(0.95) is None
    assert History(seconds=[5.0]).time_to(0.1) is None  # trained without validation: nothing to say
