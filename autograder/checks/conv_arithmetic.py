"""Checks for notebook 02 (conv arithmetic): sizes, padding, convolution and pooling from scratch in NumPy,
parameter counts and layer tables.

Public checks use fixed cases, the lecture's examples among them; ``hidden=True`` adds freshly drawn
random cases. Expected values come from PyTorch (``torch.nn.functional``; parameter counts from ``torch.nn``
layers built on the ``meta`` device), never from a re-implementation of the exercise. Student functions
receive and return plain data only (numbers, strings, tuples, lists, arrays), so the checks also run with
the student's functions behind the grader's process boundary.
"""
from __future__ import annotations

import copy
import functools
import math
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .common import case_seed, fail, passed, plain_array, plain_bool, plain_int, same

# The lecture's 4×4 input and 2×2 filter (single channel, valid, stride 1): output [[11,14,10],[20,26,6],[21,30,27]].
LECTURE_X = np.array([[0, 3, 1, 0], [1, 2, 3, 0], [3, 6, 0, 3], [0, 6, 6, 3]], dtype=np.float64)
LECTURE_W = np.array([[1, 2], [3, 1]], dtype=np.float64)

# The lecture's 3-channel 5×5 input with two 3×3 filters, stride 2, padding 1 (CS231n-style demo);
# the first output map is [[19,13,15],[28,16,20],[23,18,25]].
DEMO_X = np.array([
    [[4, 1, 2, 2, 3], [0, 4, 2, 2, 1], [4, 1, 1, 4, 3], [1, 4, 3, 2, 3], [4, 1, 4, 3, 4]],
    [[4, 2, 0, 3, 0], [2, 0, 1, 0, 4], [1, 1, 0, 2, 0], [4, 3, 2, 3, 2], [3, 1, 0, 1, 4]],
    [[1, 2, 0, 0, 0], [3, 1, 1, 0, 1], [0, 2, 0, 2, 0], [2, 2, 0, 3, 2], [0, 3, 0, 0, 4]],
], dtype=np.float64)
DEMO_W = np.array([
    [[[-1, 1, 1], [1, 1, 1], [0, 1, 1]], [[1, 1, 1], [1, 1, -1], [-1, 1, 1]], [[0, 1, -1], [1, 1, 1], [0, 1, -1]]],
    [[[1, 0, 1], [1, 0, 1], [1, -1, -1]], [[-1, -1, 1], [1, -1, 0], [1, -1, 1]], [[-1, 0, 1], [-1, 0, -1], [1, -1, 1]]],
], dtype=np.float64)
DEMO_B = np.array([1.0, 0.0])

# The lecture's models as layer lists for layer_table (input shapes channels-first, as in PyTorch).
MNIST_KERAS = ([("conv", 32, 3, "valid"), ("pool", 2), ("flatten",), ("dense", 128), ("dense", 10)], (1, 28, 28))
MNIST_TWO_CONV = ([("conv", 32, 3, "valid"), ("pool", 2), ("conv", 64, 3, "valid"), ("pool", 2), ("flatten",),
                   ("dense", 64), ("dense", 10)], (1, 28, 28))
CIFAR = ([("conv", 32, 3, "same"), ("conv", 32, 3, "valid"), ("pool", 2), ("conv", 64, 3, "same"), ("pool", 2),
          ("flatten",), ("dense", 512), ("dense", 10)], (3, 32, 32))
SIMPLE_CIFAR = ([("conv", 32, 3, "valid"), ("pool", 2), ("flatten",), ("dense", 512), ("dense", 10)], (3, 32, 32))
ALEXNET = ([("conv", 96, 11, 0, 4), ("pool", 3, 2), ("conv", 256, 5, 2), ("pool", 3, 2), ("conv", 384, 3, 1),
            ("conv", 384, 3, 1), ("conv", 256, 3, 1), ("pool", 3, 2), ("flatten",), ("dense", 4096),
            ("dense", 4096), ("dense", 1000)], (3, 227, 227))


# ---------------------------------------------------------------- helpers

def _one_thread(check: Callable) -> Callable:
    """Run a check with one torch thread: its tensors are tiny, and waking more threads costs far more."""
    @functools.wraps(check)
    def run(*args, **kwargs):
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return check(*args, **kwargs)
        finally:
            torch.set_num_threads(threads)
    return run


def _call(fn: Callable, *args, what: str, hint: str = "", **kwargs) -> Any:
    """Run student code; NotImplementedError passes through (unfinished), other errors become CheckFailed."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as error:  # any crash of student code is a failed check with its message
        fail(f"{what} raised {type(error).__name__}: {str(error).strip().rstrip('.')}.{hint}")


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"<array of shape {value.shape}>"
    return repr(value)


class Call:
    """One call of a student's function: its arguments (copied for every run) and how it reads in a message."""

    def __init__(self, name: str, *args, **kwargs):
        self.name, self.args, self.kwargs = name, args, kwargs

    def __str__(self) -> str:
        shown = [_short(a) for a in self.args] + [f"{k}={_short(v)}" for k, v in self.kwargs.items()]
        return f"{self.name}({', '.join(shown)})"

    def run(self, fn: Callable, hint: str = "") -> Any:
        return _call(fn, *copy.deepcopy(self.args), what=str(self), hint=hint, **copy.deepcopy(self.kwargs))

    def apply(self, rule: Callable) -> Any:
        return rule(*copy.deepcopy(self.args), **copy.deepcopy(self.kwargs))


def _explains(rule: Callable, calls: Sequence[Call], answers: Sequence[Any]) -> bool:
    """True when a mistaken rule gives every answer the student gave (cases it cannot compute are skipped)."""
    matched = 0
    for call, answer in zip(calls, answers):
        try:
            value = call.apply(rule)
        except Exception:  # a rule that cannot compute this case says nothing about it
            continue
        if value != answer:
            return False
        matched += 1
    return matched > 0


def _check_scalars(fn: Callable, calls: Sequence[Call], reference: Callable, coerce: Callable,
                   mistakes: Mapping[str, Callable] = ()) -> None:
    """Run every call, then report the first wrong answer, naming the mistaken rule that explains all answers."""
    answers = [coerce(call.run(fn), str(call)) for call in calls]
    for call, answer in zip(calls, answers):
        expected = call.apply(reference)
        if answer != expected:
            diagnosis = next((f" Looks like you {description}." for description, rule in dict(mistakes).items()
                              if _explains(rule, calls, answers)), "")
            fail(f"{call} returned {answer!r}, expected {expected!r}.{diagnosis}")


def _diagnose(actual: np.ndarray, mistakes: Mapping[str, Callable[[], Any]]) -> str:
    for description, wrong in dict(mistakes).items():
        try:
            if same(actual, np.asarray(wrong(), dtype=np.float64)):
                return f" Looks like you {description}."
        except Exception:  # a diagnosis that cannot be computed for this case explains nothing
            continue
    return ""


def _compare(actual: np.ndarray, expected: np.ndarray, what: str, mistakes: Mapping[str, Callable[[], Any]] = (),
             shape_hint: str = "") -> None:
    """Shape first (with a hint), then values, naming a known mistake when one explains the result."""
    if actual.shape != expected.shape:
        fail(f"{what}: expected an array of shape {expected.shape}, got shape {actual.shape}."
             f"{_diagnose(actual, mistakes) or shape_hint}")
    if same(actual, expected):
        return
    if expected.size <= 16:
        detail = f"expected {_numbers(expected)}, got {_numbers(actual)}"
    else:
        index = tuple(int(i) for i in np.argwhere(~np.isclose(actual, expected, rtol=1e-6, atol=1e-6))[0])
        detail = (f"wrong values, e.g. at index {index}: expected {expected[index]:.6g}, got {actual[index]:.6g}")
    fail(f"{what}: {detail}.{_diagnose(actual, mistakes)}")


def _numbers(array: np.ndarray) -> str:
    return np.array2string(array, precision=4, separator=", ", suppress_small=True).replace("\n", "")


def _array_result(call: Call, fn: Callable, hint: str = "") -> np.ndarray:
    return plain_array(call.run(fn, hint), str(call))


def _t(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64))


def torch_conv2d(x: np.ndarray, w: np.ndarray, b=None, stride: int = 1, padding: int = 0) -> np.ndarray:
    """PyTorch's conv2d (cross-correlation) on x (C, H, W), w (K, C, F, F), b (K,) → (K, H', W')."""
    bias = None if b is None else _t(np.asarray(b))
    return F.conv2d(_t(x)[None], _t(w), bias, stride=stride, padding=padding)[0].numpy()


def torch_conv_single(x: np.ndarray, w: np.ndarray, b: float = 0.0) -> np.ndarray:
    return torch_conv2d(x[None], w[None, None])[0] + b


def _int_hint(what: str) -> Callable:
    def coerce(value: Any, call: str) -> int:
        if isinstance(value, float) and value.is_integer():
            fail(f"{call} returned the float {value!r}; {what} is a whole number: use // (floor division) "
                 "or int(...) so the result is an int.")
        return plain_int(value, call)
    return coerce


# ---------------------------------------------------------------- 1. conv_output_size, conv_fits

def torch_output_size(n: int, f: int, padding: int = 0, stride: int = 1) -> int:
    """The output length PyTorch's conv1d gives."""
    return int(F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, f), padding=padding, stride=stride).shape[-1])


OUTPUT_SIZE_MISTAKES = {
    "forgot the +1 (the filter's first position counts too)":
        lambda n, f, padding=0, stride=1: (n + 2 * padding - f) // stride,
    "added the padding once (P) instead of on both sides (2P)":
        lambda n, f, padding=0, stride=1: (n + padding - f) // stride + 1,
    "rounded up (ceil) instead of down (floor): a filter position that sticks out of the input is not used":
        lambda n, f, padding=0, stride=1: math.ceil((n + 2 * padding - f) / stride) + 1,
    "divided the +1 by the stride too: divide (N + 2P − F) by S, then add 1":
        lambda n, f, padding=0, stride=1: (n + 2 * padding - f + 1) // stride,
    "ignored the stride": lambda n, f, padding=0, stride=1: n + 2 * padding - f + 1,
    "ignored the padding": lambda n, f, padding=0, stride=1: (n - f) // stride + 1,
}

SIZE_SETTINGS = [(32, 5, 0, 1), (7, 3, 0, 1), (7, 3, 0, 2), (7, 3, 0, 3), (32, 5, 2, 1), (5, 3, 1, 2), (6, 3, 0, 2),
                 (227, 11, 0, 4), (28, 5, 2, 1), (10, 3, 1, 3), (13, 3, 0, 2), (8, 3, 1, 3), (32, 5, 0, 2),
                 (28, 5, 1, 3), (227, 11, 1, 4)]


def _random_settings(rng: np.random.Generator, count: int) -> list[tuple]:
    settings = []
    while len(settings) < count:
        n, f = int(rng.integers(1, 300)), int(rng.integers(1, 12))
        p, s = int(rng.integers(0, 6)), int(rng.integers(1, 6))
        if f <= n + 2 * p:
            settings.append((n, f, p, s))
    return settings


def _size_calls(name: str, hidden: bool) -> list[Call]:
    settings = list(SIZE_SETTINGS)
    if hidden:
        settings += _random_settings(np.random.default_rng(case_seed(hidden)), 40)
    return [Call(name, 28, 5), Call(name, 28, 5, padding=2)] + \
        [Call(name, n, f, padding=p, stride=s) for n, f, p, s in settings]


@_one_thread
def check_conv_output_size(conv_output_size: Callable, hidden: bool = False) -> None:
    """⌊(N + 2P − F) / S⌋ + 1 on fixed settings (the lecture's among them) and, hidden, random ones."""
    _check_scalars(conv_output_size, _size_calls("conv_output_size", hidden), torch_output_size,
                   _int_hint("an output size"), OUTPUT_SIZE_MISTAKES)
    passed("conv_output_size: ⌊(N + 2P − F) / S⌋ + 1 on every setting")


def _fits(n: int, f: int, padding: int = 0, stride: int = 1) -> bool:
    """The filter's last position ends exactly at the (padded) border: PyTorch's output covers every column."""
    size = torch_output_size(n, f, padding, stride)
    return (size - 1) * stride + f == n + 2 * padding


FITS_MISTAKES = {
    "only used the output size, which is always a whole number because of the floor; instead check that "
    "(N + 2P − F) is divisible by the stride S": lambda n, f, padding=0, stride=1: True,
    "ignored the padding: test (N + 2P − F) % S == 0": lambda n, f, padding=0, stride=1: (n - f) % stride == 0,
    "added the padding once: test (N + 2P − F) % S == 0, with 2P": lambda n, f, padding=0, stride=1:
        (n + padding - f) % stride == 0,
    "tested whether N is divisible by the stride; test (N + 2P − F) % S == 0": lambda n, f, padding=0, stride=1:
        n % stride == 0,
    "inverted the test: it fits when the remainder is 0": lambda n, f, padding=0, stride=1:
        (n + 2 * padding - f) % stride != 0,
}


@_one_thread
def check_conv_fits(conv_fits: Callable, hidden: bool = False) -> None:
    """True exactly when (N + 2P − F) is divisible by S (n=7, f=3, s=3 does not fit: (7 − 3)/3 + 1 = 2.33)."""
    _check_scalars(conv_fits, _size_calls("conv_fits", hidden), _fits, plain_bool, FITS_MISTAKES)
    passed("conv_fits: tells exactly which settings fit (7×7 with a 3×3 filter and stride 3 does not)")


# ---------------------------------------------------------------- 2. padding_amount, zero_pad

def torch_padding(f: int, mode: str) -> int:
    """Padding per side for which PyTorch's stride-1 conv gives N − F + 1, N or N + F − 1 (valid, same, full)."""
    n = 2 * f + 3
    target = {"valid": n - f + 1, "same": n, "full": n + f - 1}[mode]
    return next(p for p in range(f) if torch_output_size(n, f, p) == target)


PADDING_MISTAKES = {
    "returned the padding of both sides together; the amount is per side (valid 0, same (F − 1)/2, full F − 1)":
        lambda f, mode: {"valid": 0, "same": f - 1, "full": 2 * (f - 1)}[mode],
    "used F − 1 for 'same' (that is 'full' padding); 'same' is (F − 1)/2":
        lambda f, mode: {"valid": 0, "same": f - 1, "full": f - 1}[mode],
    "used F for 'full'; it is F − 1 (the filter overlaps the input by at least one pixel)":
        lambda f, mode: {"valid": 0, "same": (f - 1) // 2, "full": f}[mode],
    "used (F − 1)/2 for 'full' too; 'full' is F − 1":
        lambda f, mode: {"valid": 0, "same": (f - 1) // 2, "full": (f - 1) // 2}[mode],
}


def _padding_int(value: Any, call: str) -> int:
    if isinstance(value, float):
        fail(f"{call} returned the float {value!r}: padding is a whole number of pixels per side; "
             "for 'same' use (f − 1) // 2, an int.")
    return plain_int(value, call)


def _expect_value_error(padding_amount: Callable, f: int, mode: str, why: str) -> None:
    call = f"padding_amount({f}, {mode!r})"
    try:
        result = padding_amount(f, mode)
    except NotImplementedError:
        raise
    except ValueError:
        return
    except Exception as error:  # the wrong kind of error
        fail(f"{call} raised {type(error).__name__}: {error}; raise ValueError instead: {why}.")
    fail(f"{call} returned {result!r}; raise ValueError instead: {why}.")


@_one_thread
def check_padding_amount(padding_amount: Callable, hidden: bool = False) -> None:
    """'valid' 0, 'same' (F − 1)/2 for odd F, 'full' F − 1; ValueError for an even F with 'same' or another mode."""
    cases = [(3, "valid"), (3, "same"), (5, "same"), (3, "full"), (7, "full"), (1, "same"), (11, "valid"), (7, "same")]
    if hidden:
        rng = np.random.default_rng(case_seed(hidden))
        cases += [(int(f), str(mode)) for f, mode in zip(2 * rng.integers(0, 8, 12) + 1,
                                                         rng.choice(["valid", "same", "full"], 12))]
    calls = [Call("padding_amount", f, mode) for f, mode in cases]
    _check_scalars(padding_amount, calls, torch_padding, _padding_int, PADDING_MISTAKES)
    for f in ([4] + ([int(2 * np.random.default_rng(case_seed(hidden)).integers(1, 8))] if hidden else [])):
        _expect_value_error(padding_amount, f, "same", "an even filter has no center, so 'same' would need "
                                                       "more padding on one side than the other")
    _expect_value_error(padding_amount, 3, "half", "the mode must be 'valid', 'same' or 'full'")
    passed("padding_amount: valid / same / full padding, and a ValueError when no symmetric padding exists")


def torch_pad(x: np.ndarray, p: int) -> np.ndarray:
    return F.pad(_t(x), (p, p, p, p)).numpy()


def _spatial(x: np.ndarray, pads: tuple, **kwargs) -> np.ndarray:
    """np.pad on the last two axes only."""
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + list(pads), **kwargs)


@_one_thread
def check_zero_pad(zero_pad: Callable, hidden: bool = False) -> None:
    """Zeros around the last two axes of (H, W) and (C, H, W) arrays, p ≥ 0; channels untouched."""
    rng = np.random.default_rng(case_seed(hidden))
    arrays = [(rng.normal(size=(3, 4)), 1), (rng.normal(size=(2, 3, 3)), 2), (rng.normal(size=(4, 2)), 0),
              (rng.normal(size=(1, 2, 5)), 1), (rng.normal(size=(3, 3)), 3)]
    if hidden:
        arrays += [(rng.normal(size=tuple(int(s) for s in rng.integers(1, 8, int(rng.integers(2, 4))))),
                    int(rng.integers(0, 4))) for _ in range(8)]
    for x, p in arrays:
        call = Call("zero_pad", x, p)
        mistakes = {
            "padded the channel axis too: pad only the last two axes (H, W)": lambda: np.pad(x, p),
            "padded only one side of each axis: add p rows/columns on both sides":
                lambda: _spatial(x, [(0, p), (0, p)]),
            "padded only one side of each axis (the start): add p rows/columns on both sides":
                lambda: _spatial(x, [(p, 0), (p, 0)]),
            "padded with the edge values instead of zeros (np.pad mode='edge')":
                lambda: _spatial(x, [(p, p), (p, p)], mode="edge"),
            "padded only the rows (H); pad the columns (W) too": lambda: _spatial(x, [(p, p), (0, 0)]),
            "padded only the columns (W); pad the rows (H) too": lambda: _spatial(x, [(0, 0), (p, p)]),
        }
        _compare(_array_result(call, zero_pad), torch_pad(x, p), str(call), mistakes)
    passed(f"zero_pad: {len(arrays)} arrays padded with zeros on both sides of H and W")


# ---------------------------------------------------------------- 3. conv2d_single

@_one_thread
def check_conv2d_single(conv2d_single: Callable, hidden: bool = False) -> None:
    """Single-channel cross-correlation (no flip), valid, stride 1, plus a scalar bias."""
    rng = np.random.default_rng(case_seed(hidden))
    cases = [Call("conv2d_single", LECTURE_X, LECTURE_W), Call("conv2d_single", LECTURE_X, LECTURE_W, 2.0),
             Call("conv2d_single", rng.normal(size=(5, 6)), rng.normal(size=(3, 3)), 0.5),
             Call("conv2d_single", rng.normal(size=(4, 3)), rng.normal(size=(1, 1)), -1.0)]
    if hidden:
        for _ in range(8):
            h, w = (int(s) for s in rng.integers(2, 11, 2))
            f = int(rng.integers(1, min(h, w, 5) + 1))
            cases.append(Call("conv2d_single", rng.normal(size=(h, w)), rng.normal(size=(f, f)),
                              float(np.round(rng.normal(), 2))))
    for call in cases:
        x, w = call.args[:2]
        b = call.args[2] if len(call.args) > 2 else 0.0
        expected = torch_conv_single(x, w, b)
        mistakes = {
            "flipped the filter: that is the textbook convolution; CNNs (합성곱 in deep learning) compute "
            "cross-correlation, without flipping": lambda: torch_conv_single(x, w[::-1, ::-1].copy(), b),
            "forgot to add the bias": lambda: torch_conv_single(x, w),
            "added the bias to every product (F × F times); add it once per output value":
                lambda: torch_conv_single(x, w, b * w.size),
            "stopped one position early: the output is (H − F + 1) × (W − F + 1)": lambda: expected[:-1, :-1],
        }
        hint = (" The output is (H − F + 1) × (W − F + 1): no padding ('valid'), stride 1.")
        _compare(_array_result(call, conv2d_single), expected, str(call), mistakes, hint)
    passed(f"conv2d_single: {len(cases)} cross-correlations (the lecture's 4×4 ⊛ 2×2 among them) match PyTorch")


# ---------------------------------------------------------------- 4. conv2d

def _conv2d_mistakes(x, w, b, stride, padding, expected) -> dict:
    k, h_out, w_out = expected.shape
    first_channel = np.repeat(w[:, :1], w.shape[1], axis=1)
    one_side = _spatial(x, [(0, 2 * padding), (0, 2 * padding)])
    return {
        "stacked the output channels last (H', W', K); return channels first: (K, H', W')":
            lambda: expected.transpose(1, 2, 0),
        "kept one output per input channel; sum the products over all C input channels: (K, H', W')":
            lambda: np.stack([torch_conv2d(x[c:c + 1], w[:, c:c + 1], None, stride, padding)
                              for c in range(x.shape[0])], axis=1),
        "used the first input channel's weights for every channel; use w[k, c] for input channel c":
            lambda: torch_conv2d(x, first_channel, b, stride, padding),
        "flipped the filters: that is the textbook convolution; CNNs compute cross-correlation (no flip)":
            lambda: torch_conv2d(x, w[:, :, ::-1, ::-1].copy(), b, stride, padding),
        "forgot to add the bias b[k]": lambda: torch_conv2d(x, w, None, stride, padding),
        "added the bias to every product; add b[k] once per output value":
            lambda: torch_conv2d(x, w, b * w[0].size, stride, padding),
        "ignored the stride": lambda: torch_conv2d(x, w, b, 1, padding),
        "computed the right output size but moved the window by 1, not by the stride; the window for output "
        "(i, j) starts at (i·S, j·S)": lambda: torch_conv2d(x, w, b, 1, padding)[:, :h_out, :w_out],
        "ignored the padding": lambda: torch_conv2d(x, w, b, stride, 0),
        "padded only one side (2P at the end); pad P on both sides":
            lambda: torch_conv2d(one_side, w, b, stride, 0),
    }


@_one_thread
def check_conv2d(conv2d: Callable, hidden: bool = False) -> None:
    """Multi-channel, multi-filter conv with bias, stride and padding: x (C, H, W), w (K, C, F, F), b (K,)."""
    rng = np.random.default_rng(case_seed(hidden))
    cases = [Call("conv2d", DEMO_X, DEMO_W, DEMO_B, stride=2, padding=1),
             Call("conv2d", rng.normal(size=(2, 5, 6)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)),
             Call("conv2d", rng.normal(size=(3, 7, 6)), rng.normal(size=(2, 3, 3, 3)), rng.normal(size=2),
                  stride=2, padding=0),
             Call("conv2d", rng.normal(size=(1, 6, 5)), rng.normal(size=(2, 1, 2, 2)), rng.normal(size=2),
                  stride=1, padding=2)]
    if hidden:
        while len(cases) < 12:
            c, k, f = int(rng.integers(1, 5)), int(rng.integers(1, 6)), int(rng.integers(1, 6))
            h, w = (int(s) for s in rng.integers(3, 13, 2))
            stride, padding = int(rng.integers(1, 4)), int(rng.integers(0, 3))
            if f <= min(h, w) + 2 * padding:
                cases.append(Call("conv2d", rng.normal(size=(c, h, w)), rng.normal(size=(k, c, f, f)),
                                  rng.normal(size=k), stride=stride, padding=padding))
    hint = " x is (C, H, W) and w is (K, C, F, F), channels first, as in PyTorch."
    for call in cases:
        x, w, b = call.args
        stride, padding = call.kwargs.get("stride", 1), call.kwargs.get("padding", 0)
        expected = torch_conv2d(x, w, b, stride, padding)
        result = plain_array(call.run(conv2d, hint), str(call))
        _compare(result, expected, str(call), _conv2d_mistakes(x, w, b, stride, padding, expected),
                 " The output is (K, H', W') with H' = ⌊(H + 2P − F) / S⌋ + 1.")
    passed(f"conv2d: {len(cases)} convolutions (the lecture's stride-2, padding-1 demo among them) match "
           "torch.nn.functional.conv2d")


# ---------------------------------------------------------------- 5. pooling

def torch_pool(x: np.ndarray, size: int, stride: int | None = None, kind: str = "max",
               ceil_mode: bool = False) -> np.ndarray:
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    return pool(_t(x)[None], size, stride or size, ceil_mode=ceil_mode)[0].numpy()


def _pool_calls(name: str, hidden: bool) -> list[Call]:
    rng = np.random.default_rng(case_seed(hidden))
    classic = np.array([[[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]], dtype=np.float64)
    calls = [Call(name, classic), Call(name, rng.normal(size=(2, 5, 5))), Call(name, rng.normal(size=(3, 6, 6)), 3),
             Call(name, rng.normal(size=(2, 7, 7)), 3, 2), Call(name, rng.normal(size=(2, 6, 8)), 2, stride=1)]
    if hidden:
        while len(calls) < 14:
            size = int(rng.integers(2, 4))
            shape = (int(rng.integers(1, 5)), *(int(s) for s in rng.integers(size, 13, 2)))
            stride = [None, 1, 2, 3][int(rng.integers(0, 4))]
            calls.append(Call(name, rng.normal(size=shape), size, stride=stride))
    return calls


def _pool_args(call: Call) -> tuple:
    size = call.args[1] if len(call.args) > 1 else 2
    stride = call.args[2] if len(call.args) > 2 else call.kwargs.get("stride")
    return call.args[0], size, stride


def _check_pool(fn: Callable, name: str, kind: str, hidden: bool) -> None:
    other = "avg" if kind == "max" else "max"
    for call in _pool_calls(name, hidden):
        x, size, stride = _pool_args(call)
        expected = torch_pool(x, size, stride, kind)
        across = np.broadcast_to(torch_pool(x.max(0, keepdims=True) if kind == "max" else x.mean(0, keepdims=True),
                                            size, stride, kind), expected.shape)
        mistakes = {
            f"took the {'average' if kind == 'max' else 'maximum'} instead of the "
            f"{'maximum' if kind == 'max' else 'average'}": lambda: torch_pool(x, size, stride, other),
            "moved the window by 1 (stride 1); with stride=None the stride equals the pool size":
                lambda: torch_pool(x, size, 1, kind),
            "ignored the given stride: use it when it is not None (stride = size only when stride is None)":
                lambda: torch_pool(x, size, size, kind),
            "pooled across the channels; pool each channel separately": lambda: across,
            "pooled across the channels and dropped the channel axis; keep (C, H', W')": lambda: across[0],
            "kept the incomplete windows at the border; like the conv, H' = ⌊(H − size) / stride⌋ + 1":
                lambda: torch_pool(x, size, stride, kind, ceil_mode=True),
        }
        _compare(plain_array(call.run(fn), str(call)), expected, str(call), mistakes,
                 " The output is (C, H', W') with H' = ⌊(H − size) / stride⌋ + 1 (stride = size if None).")


@_one_thread
def check_max_pool(max_pool: Callable, hidden: bool = False) -> None:
    """Max pooling of (C, H, W) per channel; stride defaults to the pool size."""
    _check_pool(max_pool, "max_pool", "max", hidden)
    passed("max_pool: matches torch.nn.functional.max_pool2d (per channel, stride = size by default)")


@_one_thread
def check_avg_pool(avg_pool: Callable, hidden: bool = False) -> None:
    """Average pooling of (C, H, W) per channel; stride defaults to the pool size."""
    _check_pool(avg_pool, "avg_pool", "avg", hidden)
    passed("avg_pool: matches torch.nn.functional.avg_pool2d (per channel, stride = size by default)")


@_one_thread
def check_global_avg_pool(global_avg_pool: Callable, hidden: bool = False) -> None:
    """(C, H, W) → (C,): the mean of each channel's feature map."""
    rng = np.random.default_rng(case_seed(hidden))
    shapes = [(3, 4, 4), (2, 5, 3), (1, 2, 2), (4, 1, 6)]
    if hidden:
        shapes += [tuple(int(s) for s in rng.integers(1, 9, 3)) for _ in range(6)]
    for shape in shapes:
        x = rng.normal(size=shape) + np.arange(shape[0])[:, None, None]
        call = Call("global_avg_pool", x)
        expected = F.adaptive_avg_pool2d(_t(x)[None], 1).flatten().numpy()
        result = call.run(global_avg_pool)
        if isinstance(result, (int, float, np.number)) and not isinstance(result, (bool, np.bool_)):
            fail(f"{call} returned the single number {result!r}: you averaged all channels together; "
                 "keep one mean per channel, shape (C,): x.mean(axis=(1, 2)).")
        mistakes = {
            "averaged over the channels; average each channel over H and W: x.mean(axis=(1, 2))":
                lambda: x.mean(axis=0),
            "averaged everything into one number; keep one mean per channel: shape (C,)": lambda: np.array(x.mean()),
            "took the maximum instead of the average (that is global max pooling)": lambda: x.max(axis=(1, 2)),
            "kept the spatial axes as (C, 1, 1); return a 1-D array of shape (C,)":
                lambda: x.mean(axis=(1, 2), keepdims=True),
            "averaged over only one spatial axis; average over both H and W": lambda: x.mean(axis=1),
        }
        _compare(plain_array(result, str(call)), expected, str(call), mistakes)
    passed("global_avg_pool: one mean per channel, shape (C,)")


# ---------------------------------------------------------------- 6. parameter counts, layer tables

def _numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def torch_conv_params(in_channels: int, out_channels: int, f: int, bias: bool = True) -> int:
    return _numel(nn.Conv2d(in_channels, out_channels, f, bias=bias, device="meta"))


def torch_dense_params(n_in: int, n_out: int, bias: bool = True) -> int:
    return _numel(nn.Linear(n_in, n_out, bias=bias, device="meta"))


CONV_PARAMS_MISTAKES = {
    "left out the bias: add one bias per filter (out_channels)": lambda i, o, f, bias=True: f * f * i * o,
    "left out the input channels: each filter is F × F × in_channels":
        lambda i, o, f, bias=True: (f * f + int(bias)) * o,
    "counted a bias per input channel; there is one bias per filter":
        lambda i, o, f, bias=True: (f * f + int(bias)) * i * o,
    "ignored bias=False": lambda i, o, f, bias=True: (f * f * i + 1) * o,
    "used F instead of F × F weights per channel": lambda i, o, f, bias=True: (f * i + bias) * o,
}

DENSE_PARAMS_MISTAKES = {
    "left out the bias: add one bias per output unit": lambda n_in, n_out, bias=True: n_in * n_out,
    "counted one bias for the whole layer; there is one per output unit":
        lambda n_in, n_out, bias=True: n_in * n_out + bias,
    "counted one bias per input; there is one per output unit":
        lambda n_in, n_out, bias=True: n_in * n_out + bias * n_in,
    "ignored bias=False": lambda n_in, n_out, bias=True: (n_in + 1) * n_out,
}


@_one_thread
def check_conv_params(conv_params: Callable, hidden: bool = False) -> None:
    """(F·F·C_in + 1)·C_out, or without the +1 for bias=False; compared with nn.Conv2d."""
    settings = [(1, 32, 3), (32, 64, 3), (3, 96, 11), (3, 32, 5), (64, 128, 1)]
    calls = [Call("conv_params", *s) for s in settings] + \
        [Call("conv_params", 3, 32, 5, bias=False), Call("conv_params", 16, 8, 3, bias=False)]
    if hidden:
        rng = np.random.default_rng(case_seed(hidden))
        calls += [Call("conv_params", int(rng.integers(1, 257)), int(rng.integers(1, 257)), int(rng.integers(1, 12)),
                       bias=bool(rng.integers(0, 2))) for _ in range(12)]
    _check_scalars(conv_params, calls, torch_conv_params, _int_hint("a parameter count"), CONV_PARAMS_MISTAKES)
    passed("conv_params: weights F·F·C_in per filter plus one bias per filter, as nn.Conv2d counts them")


@_one_thread
def check_dense_params(dense_params: Callable, hidden: bool = False) -> None:
    """(n_in + 1)·n_out, or n_in·n_out for bias=False; compared with nn.Linear."""
    calls = [Call("dense_params", 5408, 128), Call("dense_params", 128, 10), Call("dense_params", 9216, 4096),
             Call("dense_params", 4096, 1000, bias=False), Call("dense_params", 3, 1)]
    if hidden:
        rng = np.random.default_rng(case_seed(hidden))
        calls += [Call("dense_params", int(rng.integers(1, 10000)), int(rng.integers(1, 2000)),
                       bias=bool(rng.integers(0, 2))) for _ in range(12)]
    _check_scalars(dense_params, calls, torch_dense_params, _int_hint("a parameter count"), DENSE_PARAMS_MISTAKES)
    passed("dense_params: n_in weights per output unit plus one bias each, as nn.Linear counts them")


def torch_layer_row(layer: Sequence, in_shape: tuple) -> tuple[tuple, int]:
    """Output shape and parameter count of one entry of a layer list, from PyTorch.

    Shapes come from one-channel stand-ins run on zeros (the spatial size does not depend on the channels),
    parameter counts from the real layer built on the meta device (no memory, no computation).
    """
    kind = layer[0]
    if kind == "conv":
        filters, f, padding, stride = (*layer[1:], 1)[:4]
        plane = F.conv2d(torch.zeros(1, 1, *in_shape[1:]), torch.zeros(1, 1, f, f), stride=stride, padding=padding)
        layer_params = _numel(nn.Conv2d(in_shape[0], filters, f, stride=stride, padding=padding, device="meta"))
        return (filters, *plane.shape[2:]), layer_params
    if kind == "pool":
        size, stride = (*layer[1:], None)[:2]
        plane = F.max_pool2d(torch.zeros(1, 1, *in_shape[1:]), size, stride)
        return (in_shape[0], *plane.shape[2:]), 0
    if kind == "flatten":
        return tuple(nn.Flatten()(torch.zeros(1, *in_shape)).shape[1:]), 0
    if kind == "dense":
        return (layer[1],), _numel(nn.Linear(in_shape[0], layer[1], device="meta"))
    raise ValueError(f"unknown layer kind {kind!r}")


def torch_layer_table(model_spec: Sequence, input_shape: tuple) -> tuple[list[tuple], int]:
    """Rows (layer, output shape, params) and the total, from PyTorch."""
    shape, rows = tuple(input_shape), []
    for layer in model_spec:
        shape, params = torch_layer_row(layer, shape)
        shape = tuple(int(s) for s in shape)
        rows.append((" ".join(map(str, layer)), shape, params))
    return rows, sum(row[2] for row in rows)


def _row_mistakes(layer: Sequence, in_shape: tuple, shape: tuple, params: int) -> dict:
    """What a typical mistake would give for this row: description → (shape, params)."""
    kind = layer[0]
    if kind == "conv":
        filters, f, padding, stride = (*layer[1:], 1)[:4]
        c = in_shape[0]
        p = {"valid": 0, "same": (f - 1) // 2}.get(padding, padding)
        once = tuple((n + p - f) // stride + 1 for n in in_shape[1:])
        return {
            "left out the bias (one per filter)": (shape, f * f * c * filters),
            "left out the input channels: each filter has F × F × C_in weights": (shape, (f * f + 1) * filters),
            "added the padding once; the output size is ⌊(N + 2P − F) / S⌋ + 1": ((filters, *once), params),
            "forgot the +1 in the output size": ((filters, *(n - 1 for n in shape[1:])), params),
            "wrote the shape channel-last (H, W, C), as Keras prints it; use (C, H, W)":
                ((*shape[1:], filters), params),
        }
    if kind == "dense":
        return {"left out the bias (one per output unit)": (shape, in_shape[0] * layer[1])}
    if kind == "flatten":
        return {"left the channels out of the flatten size; it is C × H × W": ((in_shape[1] * in_shape[2],), 0)}
    if kind == "pool":
        size, stride = (*layer[1:], None)[:2]
        stride = stride or size
        return {
            "used the pool size as the stride; use the given stride": ((in_shape[0], *((n - size) // size + 1
                                                                           for n in in_shape[1:])), 0),
            "rounded the pooled size up; it is ⌊(N − size) / stride⌋ + 1":
                ((in_shape[0], *(math.ceil((n - size) / stride) + 1 for n in in_shape[1:])), 0),
            "wrote the shape channel-last (H, W, C), as Keras prints it; use (C, H, W)": ((*shape[1:], shape[0]), 0),
        }
    return {}


def _student_row(row: Any, what: str) -> tuple[tuple, int]:
    if type(row) not in (tuple, list) or len(row) != 3:
        fail(f"{what}: each row must be a tuple (layer, output shape, params), got {row!r}.")
    name, shape, params = row
    if type(name) is not str:
        fail(f"{what}: the first item of a row is the layer's name as a str, got {type(name).__name__}.")
    if type(shape) not in (tuple, list):
        fail(f"{what}: the output shape must be a tuple of ints such as (32, 26, 26), got {type(shape).__name__}.")
    return tuple(plain_int(s, f"{what} output shape") for s in shape), plain_int(params, f"{what} params")


def _check_table(layer_table: Callable, spec: list, input_shape: tuple) -> None:
    call = Call("layer_table", spec, input_shape)
    what = f"layer_table(<{len(spec)} layers>, {input_shape})"
    result = call.run(layer_table, " Layer kinds: ('conv', filters, f, padding[, stride]), ('pool', size[, stride]),"
                                   " ('flatten',), ('dense', units).")
    if type(result) not in (tuple, list) or len(result) != 2:
        fail(f"{what}: return the pair (rows, total), got {type(result).__name__}.")
    rows, total = result
    expected_rows, expected_total = torch_layer_table(spec, input_shape)
    if type(rows) not in (tuple, list) or len(rows) != len(spec):
        fail(f"{what}: expected one row per layer ({len(spec)}), got "
             f"{len(rows) if type(rows) in (tuple, list) else type(rows).__name__}.")
    in_shape = input_shape
    for i, (layer, row, (_, shape, params)) in enumerate(zip(spec, rows, expected_rows)):
        where = f"{what}, layer {i} {tuple(layer)}"
        got = _student_row(row, where)
        if got != (shape, params):
            mistakes = _row_mistakes(layer, in_shape, shape, params)
            diagnosis = next((f" Looks like you {d}." for d, value in mistakes.items() if value == got), "")
            fail(f"{where} (input {in_shape}): expected output shape {shape} with {params:,} parameters, "
                 f"got {got[0]} with {got[1]:,}.{diagnosis}")
        in_shape = shape
    total = plain_int(total, f"{what} total")
    if total != expected_total:
        hint = " (the sum of the params column)" if total != sum(r[2] for r in expected_rows) else ""
        fail(f"{what}: the total is {expected_total:,}{hint}, got {total:,}.")


def random_spec(rng: np.random.Generator) -> tuple[list, tuple]:
    """A random small CNN layer list with an input shape whose every layer has a valid output."""
    while True:
        input_shape = (int(rng.integers(1, 4)), int(rng.integers(12, 41)), int(rng.integers(12, 41)))
        spec: list = []
        for _ in range(int(rng.integers(1, 4))):
            filters, f = int(rng.choice([4, 8, 16, 32, 64])), int(rng.choice([1, 3, 5]))
            if rng.random() < 0.3:
                spec.append(("conv", filters, f, "same"))
            elif rng.random() < 0.5:
                spec.append(("conv", filters, f, "valid"))
            else:
                spec.append(("conv", filters, f, int(rng.integers(0, 3)), int(rng.integers(1, 3))))
            if rng.random() < 0.6:
                spec.append(("pool", 2) if rng.random() < 0.6 else ("pool", 3, 2))
        spec += [("flatten",)] + [("dense", int(rng.choice([16, 64, 100, 128])))
                                  for _ in range(int(rng.integers(0, 2)))] + [("dense", int(rng.integers(2, 11)))]
        try:
            torch_layer_table(spec, input_shape)
        except RuntimeError:  # a layer shrank the map below its window: draw again
            continue
        return spec, input_shape


@_one_thread
def check_layer_table(layer_table: Callable, hidden: bool = False) -> None:
    """Output shapes and parameter counts per layer, and the total, of the lecture's models and random ones."""
    models = [MNIST_KERAS, CIFAR, ALEXNET]
    if hidden:
        rng = np.random.default_rng(case_seed(hidden))
        models += [MNIST_TWO_CONV, SIMPLE_CIFAR] + [random_spec(rng) for _ in range(4)]
    for spec, input_shape in models:
        _check_table(layer_table, [tuple(layer) for layer in spec], input_shape)
    passed(f"layer_table: shapes and parameter counts of {len(models)} models match PyTorch's layers")


# ---------------------------------------------------------------- 7. edge filters

def _edge_images(rng: np.random.Generator | None) -> dict:
    """Images 12×12 (random size and edge position when hidden) with one vertical / horizontal step edge."""
    h = w = 12
    at, low, high = 6, 0.0, 1.0
    if rng is not None:
        h, w = (int(s) for s in rng.integers(9, 17, 2))
        at, low = int(rng.integers(4, min(h, w) - 3)), float(rng.uniform(-1, 1))
        high = low + float(rng.choice([-1, 1]) * rng.uniform(0.5, 2))
    vertical = np.full((h, w), low)
    vertical[:, at:] = high
    horizontal = np.full((h, w), low)
    horizontal[at:, :] = high
    return {"flat": np.full((h, w), high), "vertical": vertical, "horizontal": horizontal, "contrast": abs(high - low)}


def _response(image: np.ndarray, kernel: np.ndarray) -> float:
    return float(np.abs(torch_conv_single(image, kernel)).max())


@_one_thread
def check_edge_filters(edge_filters: Callable, hidden: bool = False) -> None:
    """The vertical filter answers a vertical edge and not a horizontal one (and the reverse); 0 on flat regions."""
    result = _call(edge_filters, what="edge_filters()")
    if type(result) not in (tuple, list) or len(result) != 2:
        fail(f"edge_filters() must return the pair (vertical, horizontal), got {type(result).__name__}.")
    filters = {name: plain_array(value, f"edge_filters() {name} filter", ndim=2)
               for name, value in zip(("vertical", "horizontal"), result)}
    for name, kernel in filters.items():
        if kernel.shape[0] != kernel.shape[1] or kernel.shape[0] % 2 == 0 or kernel.shape[0] < 3:
            fail(f"edge_filters(): the {name} filter has shape {kernel.shape}; make it square and odd-sized (3×3).")
        if not np.isfinite(kernel).all() or not np.abs(kernel).sum() > 0:
            fail(f"edge_filters(): the {name} filter is all zeros (or not finite); it cannot detect anything.")
    rng = np.random.default_rng(case_seed(hidden))
    for images in [_edge_images(None)] + ([_edge_images(rng) for _ in range(4)] if hidden else []):
        size = f"a {images['flat'].shape[0]}×{images['flat'].shape[1]} image"
        for name, kernel in filters.items():
            other = "horizontal" if name == "vertical" else "vertical"
            scale = np.abs(kernel).sum() * images["contrast"]
            on_flat = _response(images["flat"], kernel)
            on_own, on_other = _response(images[name], kernel), _response(images[other], kernel)
            if on_flat > 1e-6 * scale * max(1.0, np.abs(images["flat"]).max()):
                fail(f"edge_filters(): the {name} filter responds to {size} without any edge (output up to "
                     f"{on_flat:.3g}); make its entries sum to 0 so flat regions give 0.")
            if on_other > 1e-6 * scale and on_own < 0.2 * scale:
                fail(f"edge_filters(): the {name} filter responds to {other} edges, not to {name} ones: you seem "
                     f"to have swapped the two filters (or transposed one).")
            if on_other > 1e-6 * scale:
                rule = "row" if name == "vertical" else "column"
                fail(f"edge_filters(): the {name} filter also responds to {other} edges (up to {on_other:.3g} on "
                     f"{size}); make every {rule} of it sum to 0, e.g. "
                     f"{'[[1, 0, -1]] × 3 rows' if name == 'vertical' else '[[1, 1, 1], [0, 0, 0], [-1, -1, -1]]'}.")
            if on_own < 0.2 * scale:
                fail(f"edge_filters(): the {name} filter barely responds to a {name} edge (at most {on_own:.3g} on "
                     f"{size}); it should differ between its left and right (or top and bottom) sides.")
    passed("edge_filters: each filter finds its own edge direction, ignores the other, and gives 0 on flat regions")


CHECKS: dict[str, Callable] = {
    "conv_output_size": check_conv_output_size,
    "conv_fits": check_conv_fits,
    "padding_amount": check_padding_amount,
    "zero_pad": check_zero_pad,
    "conv2d_single": check_conv2d_single,
    "conv2d": check_conv2d,
    "max_pool": check_max_pool,
    "avg_pool": check_avg_pool,
    "global_avg_pool": check_global_avg_pool,
    "conv_params": check_conv_params,
    "dense_params": check_dense_params,
    "layer_table": check_layer_table,
    "edge_filters": check_edge_filters,
}
