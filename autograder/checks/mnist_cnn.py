"""Checks for notebook 03 (MNIST CNN): the lecture's network, the training loop and the evaluation function.

``check_lecture_cnn`` traces a forward pass with hooks: it lists the layers in the order they run (ReLU,
max-pool and flatten written as functions are recognised too), the output shape after each, and compares the
result with a functional re-computation using the student's weights. The loop checks run the student's
``train_one_epoch`` / ``evaluate`` on a tiny deterministic network and tiny data with an uneven last batch,
and compare the weights, the mean loss and the accuracy with a reference loop and with the usual mistakes.
Accuracy is a fraction in [0, 1] throughout this notebook.
"""
from __future__ import annotations

import copy
import functools
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from .common import case_seed, expect, fail, passed

LECTURE_PARAMETERS = 3_274_634
# The lecture's network: (layer, output shape without the batch dimension) in the order they run.
LECTURE_LAYERS = (
    ("Conv2d", (32, 28, 28)), ("ReLU", (32, 28, 28)), ("MaxPool2d", (32, 14, 14)),
    ("Conv2d", (64, 14, 14)), ("ReLU", (64, 14, 14)), ("MaxPool2d", (64, 7, 7)),
    ("Flatten", (3136,)), ("Linear", (1024,)), ("ReLU", (1024,)), ("Dropout", (1024,)), ("Linear", (10,)),
)
PUBLIC_BATCH = 4
FLATTEN_HINT = ("after two 2×2 max-poolings the 특성 맵 feature map is 64×7×7, so flatten (x.flatten(1) or "
                "nn.Flatten(), which keep the batch dimension) gives 7·7·64 = 3136 features for FC 1")
TOLERANCE = 1e-5


# ---------------------------------------------------------------- helpers

def call(fn: Callable, *args, what: str) -> Any:
    """Run student code; NotImplementedError passes through (unfinished), other errors become CheckFailed."""
    try:
        return fn(*args)
    except NotImplementedError:
        raise
    except Exception as error:  # any crash of student code is a failed check with its message
        fail(f"{what} raised {type(error).__name__}: {error}")


def single_threaded(check: Callable) -> Callable:
    """Run ``check`` with one CPU thread (restored afterwards): tiny tensors are many times faster that way
    when other processes keep the cores busy."""
    @functools.wraps(check)
    def run(*args, **kwargs):
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return check(*args, **kwargs)
        finally:
            torch.set_num_threads(threads)
    return run


def plain_float(value: Any, what: str) -> float:
    """``value`` as a float: Python int/float or a NumPy float scalar only (no tensors, subclasses, look-alikes)."""
    if type(value) in (int, float, np.float32, np.float64):
        number = float(value)
        if math.isfinite(number):
            return number
        fail(f"{what}: got {number}; the computation diverged or divided by zero.")
    if isinstance(value, torch.Tensor):
        fail(f"{what}: expected a Python float, got a Tensor; convert with .item() "
             f"(summing tensors also keeps every batch's graph in memory).")
    fail(f"{what}: expected a Python float, got {type(value).__name__}.")


def pair(result: Any, what: str) -> tuple:
    if type(result) not in (tuple, list) or len(result) != 2:
        fail(f"{what}: return the tuple (mean_loss, accuracy), got {type(result).__name__}.")
    return tuple(result)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------- tracing a forward pass

@dataclass
class Layer:
    kind: str                  # "Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear", "Dropout", another class name, or "?"
    shape: tuple               # output shape, batch dimension included
    module: nn.Module | None   # None for an operation written as a function (F.relu, x.view, ...)


# Operations a forward may apply as functions between modules, and the combinations tried (in this order).
OPS = {"ReLU": F.relu, "MaxPool2d": lambda t: F.max_pool2d(t, 2), "Flatten": lambda t: t.reshape(t.shape[0], -1),
       "Softmax": lambda t: F.softmax(t, dim=1), "LogSoftmax": lambda t: F.log_softmax(t, dim=1)}
GLUE = ((), ("ReLU",), ("MaxPool2d",), ("ReLU", "MaxPool2d"), ("Flatten",), ("ReLU", "Flatten"),
        ("MaxPool2d", "Flatten"), ("ReLU", "MaxPool2d", "Flatten"), ("Softmax",), ("LogSoftmax",))
KINDS = ((nn.Conv2d, "Conv2d"), (nn.Linear, "Linear"), (nn.ReLU, "ReLU"), (nn.MaxPool2d, "MaxPool2d"),
         (nn.Flatten, "Flatten"), (nn.Dropout, "Dropout"))


def _kind(module: nn.Module) -> str:
    return next((name for cls, name in KINDS if isinstance(module, cls)), type(module).__name__)


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and bool(torch.allclose(a, b, atol=1e-5, rtol=1e-4))


def _glue(before: torch.Tensor, after: torch.Tensor) -> list[Layer]:
    """The functional operations that turn ``before`` into ``after`` ("?" when none of the known ones)."""
    for kinds in GLUE:
        layers, t = [], before
        try:
            for kind in kinds:
                t = OPS[kind](t)
                layers.append(Layer(kind, tuple(t.shape), None))
        except (RuntimeError, ValueError):  # e.g. max-pool of a flat tensor
            continue
        if _close(t, after):
            return layers
    if before.numel() == after.numel() and (torch.equal(before.reshape(-1), after.reshape(-1)) or (
            before.dim() == 4 and torch.equal(before.permute(0, 2, 3, 1).reshape(-1), after.reshape(-1)))):
        return [Layer("Flatten", tuple(after.shape), None)]  # a reshape, e.g. x.view(-1, 1024), in CHW or HWC order
    return [Layer("?", tuple(after.shape), None)]


def trace(model: nn.Module, x: torch.Tensor) -> tuple[Any, list[Layer], BaseException | None]:
    """Run ``model(x)``; returns (output, the layers that ran in order with their output shapes, error or None).

    Leaf modules are recorded with hooks; what happens between them is recognised by :data:`GLUE`.
    """
    calls: list = []

    def before(module, args):
        calls.append([module, args[0].detach().clone() if args and isinstance(args[0], torch.Tensor) else None, None])

    def after(module, args, output):
        for entry in reversed(calls):
            if entry[0] is module and entry[2] is None:
                entry[2] = output.detach().clone() if isinstance(output, torch.Tensor) else None
                break

    handles = []
    for module in model.modules():
        if not list(module.children()):
            handles += [module.register_forward_pre_hook(before), module.register_forward_hook(after)]
    output, error = None, None
    try:
        with torch.no_grad():
            output = model(x)
    except NotImplementedError:
        raise
    except Exception as caught:  # the student's forward; reported with the layers that ran before it failed
        error = caught
    finally:
        for handle in handles:
            handle.remove()
    layers, current = [], x
    for module, inputs, outputs in calls:
        if current is not None and inputs is not None:
            layers += _glue(current, inputs)
        if outputs is None:
            layers.append(Layer(_kind(module), (), module))
            break
        layers.append(Layer(_kind(module), tuple(outputs.shape), module))
        current = outputs
    if error is None and type(output) is torch.Tensor and current is not None:
        layers += _glue(current, output.detach())
    return output, layers, error


def _canonical(layers: list[Layer]) -> list[Layer]:
    """Swap pairs that compute the same thing (pool then ReLU, dropout then ReLU) into the lecture's order."""
    layers = list(layers)
    for i in range(len(layers) - 1):
        if layers[i + 1].kind == "ReLU" and layers[i].kind in ("MaxPool2d", "Dropout"):
            layers[i], layers[i + 1] = layers[i + 1], layers[i]
    return layers


def shape_table(model: nn.Module, input_shape: tuple = (1, 1, 28, 28)) -> str:
    """A layer-by-layer table (layer, output shape, parameters) of one forward pass in eval mode on random
    inputs of ``input_shape``; the model's modes are restored afterwards."""
    modes = [(module, module.training) for module in model.modules()]
    x = torch.randn(input_shape, generator=torch.Generator().manual_seed(0))
    try:
        _, layers, error = trace(model.eval(), x)
    finally:
        for module, training in modes:
            module.training = training
    rows = [f"{'layer':<12}{'output shape':<22}{'parameters':>12}", f"{'input':<12}{str(tuple(input_shape)):<22}"]
    for layer in layers:
        count = parameter_count(layer.module) if layer.module is not None else 0
        rows.append(f"{layer.kind:<12}{str(layer.shape):<22}{count:>12,}")
    rows.append(f"{'total':<34}{parameter_count(model):>12,}")
    if error is not None:
        rows.append(f"(forward stopped: {type(error).__name__}: {error})")
    return "\n".join(rows)


# ---------------------------------------------------------------- 1. LectureCNN

def _describe(layers: list[Layer]) -> str:
    return " → ".join(f"{layer.kind}{list(layer.shape[1:])}" for layer in layers) or "(no nn modules ran)"


def _missing_relu(kinds: list[str]) -> str:
    """Where a ReLU is missing, in the lecture's words."""
    names = ("conv 1", "conv 2", "FC 1024")
    anchors = [i for i, kind in enumerate(kinds) if kind in ("Conv2d", "Linear")][:3]
    for anchor, name in zip(anchors, names):
        if anchor + 1 >= len(kinds) or kinds[anchor + 1] != "ReLU":
            return f"there is no ReLU after {name}"
    return "a ReLU is missing"


def _check_layers(layers: list[Layer]) -> None:
    kinds = [layer.kind for layer in layers]
    expected = [kind for kind, _ in LECTURE_LAYERS]
    where = f"The layers that ran: {_describe(layers)}."
    if kinds == expected:
        return
    if "Softmax" in kinds or "LogSoftmax" in kinds:
        fail(f"LectureCNN: remove the softmax: forward must return the raw scores (logits) of FC 2; "
             f"nn.CrossEntropyLoss applies log-softmax itself. {where}")
    counts = {kind: kinds.count(kind) for kind in ("Conv2d", "MaxPool2d", "Linear", "Dropout", "ReLU")}
    if counts["Conv2d"] != 2:
        fail(f"LectureCNN: expected 2 합성곱 conv layers (nn.Conv2d), found {counts['Conv2d']}. {where}")
    if counts["MaxPool2d"] != 2:
        fail(f"LectureCNN: expected 2 max-pool (풀링 pooling) layers, one after each conv + ReLU, "
             f"found {counts['MaxPool2d']}. {where}")
    if counts["Linear"] != 2:
        fail(f"LectureCNN: expected 2 fully connected layers (FC 1024 and FC 10), found {counts['Linear']}. {where}")
    if counts["Dropout"] != 1:
        fail(f"LectureCNN: expected one nn.Dropout(0.5) (드롭아웃 dropout) between FC 1024 + ReLU and FC 10, "
             f"found {counts['Dropout']}. {where}")
    if counts["ReLU"] != 3:
        fail(f"LectureCNN: {_missing_relu(kinds)}; the lecture puts a ReLU after each conv and after FC 1024. {where}")
    if "?" in kinds:
        fail(f"LectureCNN: forward does something between layers that is none of ReLU, 2×2 max-pool or flatten "
             f"(shown as ?). {where}")
    fail(f"LectureCNN: the layers run in the wrong order; expected "
         f"{' → '.join(expected)}. {where}")


def _check_shapes(layers: list[Layer], n: int) -> None:
    for position, (layer, (kind, shape)) in enumerate(zip(layers, LECTURE_LAYERS)):
        if kind in ("ReLU", "Dropout") or layer.shape == (n, *shape):  # element-wise: may have swapped places
            continue
        got = f"{kind} (layer {position + 1}) outputs {layer.shape} for a batch of {n} images, expected {(n, *shape)}"
        if kind == "Conv2d" and len(layer.shape) == 4 and layer.shape[2] < shape[1]:
            fail(f"LectureCNN: {got}. The conv uses 'valid' 패딩 padding; use 'same' padding (padding=2 for a 5×5 "
                 f"filter) so it keeps the height and width.")
        if kind == "Conv2d" and len(layer.shape) == 4 and layer.shape[1] != shape[0]:
            fail(f"LectureCNN: {got}. Conv 1 has 32 filters (필터), conv 2 has 64.")
        if kind == "Flatten":
            fail(f"LectureCNN: {got}. Wrong flatten: {FLATTEN_HINT}; the batch dimension must stay {n}.")
        if kind == "MaxPool2d":
            fail(f"LectureCNN: {got}. Max-pool with a 2×2 window and stride 2 (nn.MaxPool2d(2)) halves height "
                 f"and width.")
        fail(f"LectureCNN: {got}.")


def _reference_forward(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The lecture's network computed with functions, using the student's weights (dropout off)."""
    conv1, conv2 = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    fc1, fc2 = [m for m in model.modules() if isinstance(m, nn.Linear)]
    t = F.max_pool2d(F.relu(F.conv2d(x, conv1.weight, conv1.bias, padding=2)), 2)
    t = F.max_pool2d(F.relu(F.conv2d(t, conv2.weight, conv2.bias, padding=2)), 2)
    return F.linear(F.relu(F.linear(t.flatten(1), fc1.weight, fc1.bias)), fc2.weight, fc2.bias)


@single_threaded
def check_lecture_cnn(LectureCNN, hidden: bool = False) -> None:
    """The lecture's network: layers in order, output shape after each, dropout 0.5, 3,274,634 parameters."""
    seed = case_seed(hidden)
    rng = np.random.default_rng(seed)
    n = int(rng.choice([k for k in range(1, 10) if k != PUBLIC_BATCH])) if hidden else PUBLIC_BATCH
    torch.manual_seed(seed)
    model = call(LectureCNN, what="LectureCNN()")
    if not isinstance(model, nn.Module):
        fail(f"LectureCNN() must build an nn.Module, got {type(model).__name__}.")
    model.eval()
    x = torch.from_numpy(rng.standard_normal((n, 1, 28, 28)).astype(np.float32))
    output, layers, error = trace(model, x)
    if error is not None:
        fail(f"LectureCNN: forward on a batch of {n} images (N, 1, 28, 28) raised {type(error).__name__}: {error}. "
             f"The layers that ran: {_describe(layers)}. Check the sizes: {FLATTEN_HINT}.")
    if type(output) is not torch.Tensor:
        fail(f"LectureCNN: forward must return a torch.Tensor of scores (N, 10), got {type(output).__name__}.")
    _check_layers(_canonical(layers))
    _check_shapes(_canonical(layers), n)
    dropout = next(layer.module for layer in layers if layer.kind == "Dropout")
    if not math.isclose(float(dropout.p), 0.5):
        fail(f"LectureCNN: dropout has p={dropout.p}; the lecture drops half of the units: nn.Dropout(0.5).")
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    for i, conv in enumerate(convs, 1):
        if tuple(conv.kernel_size) != (5, 5) or tuple(conv.stride) != (1, 1):
            fail(f"LectureCNN: conv {i} has a {conv.kernel_size} kernel with stride {conv.stride}; the lecture uses "
                 f"5×5 filters with stride 1.")
    count = parameter_count(model)
    if count != LECTURE_PARAMETERS:
        missing_bias = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is None]
        hint = " Some layers have no 편향 bias (bias=False); keep the default bias=True." if missing_bias else ""
        fail(f"LectureCNN: {count:,} parameters, expected {LECTURE_PARAMETERS:,}.{hint}")
    if not _close(output, _reference_forward(model, x)):
        fail("LectureCNN: the layers are right but the output differs from conv → ReLU → pool → conv → ReLU → pool "
             "→ flatten → FC → ReLU → FC computed with your own weights; forward must apply the layers exactly "
             "in that order, each once.")
    passed(f"LectureCNN: {len(layers)} layers in the lecture's order, output {tuple(output.shape)} for {n} images, "
           f"dropout 0.5, {count:,} parameters")


# ---------------------------------------------------------------- a tiny network and data for the loops

class PatternDropout(nn.Module):
    """Dropout with a fixed mask (deterministic): in training it zeroes about half of the features and doubles
    the rest, always the same ones; in eval mode it is the identity, like nn.Dropout."""

    def __init__(self, features: int, generator: torch.Generator):
        super().__init__()
        mask = (torch.rand(features, generator=generator) < 0.5).float() * 2
        mask[0] = 2.0  # never drop everything
        self.register_buffer("mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.mask if self.training else x


class ProbeNet(nn.Module):
    """flatten → FC → ReLU → dropout → FC; records (training, grad enabled) at every forward call."""

    def __init__(self, n_in: int, hidden: int, n_classes: int, seed: int):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(n_in, hidden), nn.ReLU(),
                                  PatternDropout(hidden, generator), nn.Linear(hidden, n_classes))
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=generator) * 0.5)
        self.calls: list = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append((self.training, torch.is_grad_enabled()))
        return self.body(x)


@dataclass
class Outcome:
    """What a loop did: the weights afterwards and the per-batch statistics it saw."""
    weights: list
    losses: list
    sizes: list
    correct: list

    def loss(self, how: str = "item") -> float:
        n = sum(self.sizes)
        total = sum(loss * size for loss, size in zip(self.losses, self.sizes))
        return {"item": total / n, "batch": float(np.mean(self.losses)), "last": self.losses[-1], "sum": total}[how]

    def accuracy(self, how: str = "item") -> float:
        n = sum(self.sizes)
        return {"item": sum(self.correct) / n, "percent": 100 * sum(self.correct) / n,
                "batch": float(np.mean([c / s for c, s in zip(self.correct, self.sizes)])),
                "last": self.correct[-1] / self.sizes[-1], "count": float(sum(self.correct))}[how]


@dataclass
class LoopCase:
    x: torch.Tensor
    y: torch.Tensor
    batch_size: int
    hidden_units: int
    n_classes: int
    lr: float
    seed: int

    def model(self) -> ProbeNet:
        return ProbeNet(self.x[0].numel(), self.hidden_units, self.n_classes, self.seed)

    def loader(self) -> DataLoader:
        return DataLoader(TensorDataset(self.x, self.y), batch_size=self.batch_size, shuffle=False)

    def optimizer(self, model: nn.Module) -> torch.optim.Optimizer:
        return torch.optim.SGD(model.parameters(), lr=self.lr)

    def describe(self) -> str:
        sizes = [min(self.batch_size, len(self.y) - i) for i in range(0, len(self.y), self.batch_size)]
        return f"{len(self.y)} items in batches of {sizes}"


def run_loop(case: LoopCase, *, train: bool, zero_grad: bool = True, right_mode: bool = True) -> Outcome:
    """A reference loop on a fresh model, or one of two mistakes: never zeroing the gradients, or the wrong
    mode (training in eval mode / evaluating in train mode)."""
    model, loss_fn = case.model(), nn.CrossEntropyLoss()
    model.train(train == right_mode)
    optimizer = case.optimizer(model)
    losses, sizes, correct = [], [], []
    with torch.set_grad_enabled(train):
        for x, y in case.loader():
            if train and zero_grad:
                optimizer.zero_grad()
            scores = model(x)
            loss = loss_fn(scores, y)
            if train:
                loss.backward()
                optimizer.step()
            losses.append(loss.item())
            sizes.append(len(y))
            correct.append(int((scores.argmax(dim=1) == y).sum()))
    return Outcome([p.detach().clone() for p in model.parameters()], losses, sizes, correct)


def _distinct(a: float, b: float) -> bool:
    return abs(a - b) > 1e-3 * max(1.0, abs(a))


def _weights_equal(a: list, b: list) -> bool:
    return all(torch.allclose(p, q, atol=1e-6, rtol=1e-5) for p, q in zip(a, b))


def _usable(case: LoopCase) -> bool:
    """Every mistake gives numbers clearly different from the right ones in this case."""
    initial = [p.detach().clone() for p in case.model().parameters()]
    for train in (True, False):
        right = run_loop(case, train=train)
        wrong_mode = run_loop(case, train=train, right_mode=False)
        if not (0 < right.accuracy() < 1 and _distinct(right.loss(), wrong_mode.loss())
                and all(_distinct(right.loss(), right.loss(how)) for how in ("batch", "last", "sum"))
                and all(_distinct(right.accuracy(), right.accuracy(how)) for how in ("percent", "batch", "last", "count"))):
            return False
    trained = run_loop(case, train=True)
    return not (_weights_equal(trained.weights, initial)
                or _weights_equal(trained.weights, run_loop(case, train=True, zero_grad=False).weights))


def loop_case(hidden: bool) -> LoopCase:
    """Public: 10 items in batches of 4, 4, 2; hidden: fresh sizes, data and network, always an uneven last batch."""
    seed = case_seed(hidden)
    while True:
        rng = np.random.default_rng(seed)
        if hidden:
            batch_size = int(rng.integers(3, 7))
            n = batch_size * int(rng.integers(2, 5)) + int(rng.integers(1, batch_size))
            side, n_classes, hidden_units, lr = int(rng.integers(3, 6)), int(rng.integers(3, 6)), \
                int(rng.integers(6, 12)), float(rng.uniform(0.1, 0.5))
        else:
            n, batch_size, side, n_classes, hidden_units, lr = 10, 4, 4, 3, 8, 0.2
        case = LoopCase(torch.from_numpy(rng.standard_normal((n, 1, side, side)).astype(np.float32)),
                        torch.from_numpy(rng.integers(0, n_classes, n)).long(), batch_size, hidden_units,
                        n_classes, lr, seed)
        if _usable(case):
            return case
        seed += 1


LOSS_MISTAKES = {
    "averaged the loss per batch instead of per item (the last batch is smaller: add loss.item() * len(y) "
    "and divide by the number of items)": "batch",
    "returned the loss of the last batch only": "last",
    "summed the loss without dividing by the number of items": "sum",
}
ACCURACY_MISTAKES = {
    "returned accuracy in percent; this notebook uses a fraction in [0, 1]": "percent",
    "averaged the accuracy per batch instead of per item (the last batch is smaller)": "batch",
    "returned the accuracy of the last batch only": "last",
    "returned the number of correct items, not divided by the number of items": "count",
}


def _check_numbers(result: Any, reference: Outcome, what: str) -> None:
    loss, accuracy = pair(result, what)
    loss = plain_float(loss, f"{what}: mean loss")
    accuracy = plain_float(accuracy, f"{what}: accuracy")
    expect(loss, reference.loss(), f"{what}: mean loss", atol=TOLERANCE,
           mistakes={words: (lambda how=how: reference.loss(how)) for words, how in LOSS_MISTAKES.items()})
    expect(accuracy, reference.accuracy(), f"{what}: accuracy", atol=TOLERANCE,
           mistakes={words: (lambda how=how: reference.accuracy(how)) for words, how in ACCURACY_MISTAKES.items()})


# ---------------------------------------------------------------- 2. train_one_epoch

@single_threaded
def check_train_one_epoch(train_one_epoch, hidden: bool = False) -> None:
    """One pass over the loader in train mode: zero_grad, forward, loss, backward, step per batch;
    returns (mean loss over items, accuracy as a fraction)."""
    case = loop_case(hidden)
    model = case.model()
    model.eval()  # as evaluate() leaves it: train_one_epoch must switch to train mode itself
    initial = [p.detach().clone() for p in model.parameters()]
    what = f"train_one_epoch ({case.describe()})"
    result = call(train_one_epoch, model, case.loader(), case.optimizer(model), nn.CrossEntropyLoss(),
                  torch.device("cpu"), what=what)
    if not model.calls:
        fail(f"{what}: the model was never called; run every batch through it.")
    if not all(training for training, _ in model.calls):
        fail(f"{what}: the model was left in eval mode (dropout off); call model.train() at the start of the epoch.")
    if not all(grad for _, grad in model.calls):
        fail(f"{what}: the forward pass ran without gradients; do not wrap training in torch.no_grad().")
    weights = [p.detach().clone() for p in model.parameters()]
    reference = run_loop(case, train=True)
    if not _weights_equal(weights, reference.weights):
        if _weights_equal(weights, initial):
            fail(f"{what}: the weights did not change; call optimizer.step() after loss.backward() for every batch, "
                 f"and optimizer.zero_grad() before loss.backward(), not between backward and step.")
        if _weights_equal(weights, run_loop(case, train=True, zero_grad=False).weights):
            fail(f"{what}: the gradients accumulate from batch to batch; call optimizer.zero_grad() before "
                 f"loss.backward() for every batch.")
        fail(f"{what}: the weights after one epoch differ from a correct training loop (for every batch: "
             f"zero_grad, forward, loss, backward, one optimizer.step()).")
    _check_numbers(result, reference, what)
    passed(f"train_one_epoch: train mode, one step per batch, mean loss {reference.loss():.4f} and accuracy "
           f"{reference.accuracy():.3f} over {case.describe()}")


# ---------------------------------------------------------------- 3. evaluate

@single_threaded
def check_evaluate(evaluate, hidden: bool = False) -> None:
    """One pass in eval mode without gradients, weights untouched; returns (mean loss over items, accuracy)."""
    case = loop_case(hidden)
    model = case.model()
    model.train()  # as train_one_epoch leaves it: evaluate must switch dropout off itself
    for p in model.parameters():
        p.grad = None
    state = copy.deepcopy(model.state_dict())
    what = f"evaluate ({case.describe()})"
    result = call(evaluate, model, case.loader(), nn.CrossEntropyLoss(), torch.device("cpu"), what=what)
    if not model.calls:
        fail(f"{what}: the model was never called; run every batch through it.")
    if any(not torch.equal(value, state[key]) for key, value in model.state_dict().items()):
        fail(f"{what}: evaluate changed the weights of the model; evaluation must never call "
             f"loss.backward() or optimizer.step().")
    if any(p.grad is not None for p in model.parameters()):
        fail(f"{what}: evaluate called loss.backward() and computed gradients; evaluation only measures: "
             f"no backward, and wrap the loop in torch.no_grad().")
    if any(training for training, _ in model.calls):
        fail(f"{what}: dropout was left on during evaluation; call model.eval() before the loop.")
    if any(grad for _, grad in model.calls):
        fail(f"{what}: gradients were tracked during evaluation (slower, more memory); wrap the loop in "
             f"torch.no_grad() (or torch.inference_mode()).")
    reference = run_loop(case, train=False)
    _check_numbers(result, reference, what)
    passed(f"evaluate: eval mode, no gradients, weights untouched, mean loss {reference.loss():.4f} and accuracy "
           f"{reference.accuracy():.3f} over {case.describe()}")


CHECKS = {"LectureCNN": check_lecture_cnn, "train_one_epoch": check_train_one_epoch, "evaluate": check_evaluate}
