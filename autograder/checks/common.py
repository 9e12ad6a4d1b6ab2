"""Shared helpers for the checks: strict type coercion, comparison with mistake diagnosis, case seeds."""
from __future__ import annotations

import secrets
from typing import Any, Callable, Mapping

import numpy as np


class CheckFailed(AssertionError):
    """A check found a wrong answer; the message says what was expected and, if known, the mistake."""


def fail(message: str) -> None:
    raise CheckFailed(message)


def passed(message: str) -> None:
    """Report a passed check on stdout (stderr would zero an autograded cell)."""
    print(f"✓ {message}")


def case_seed(hidden: bool, public_seed: int = 0) -> int:
    """Public checks use a fixed seed; hidden checks draw a fresh one each run (no answer table can pass)."""
    return secrets.randbits(31) if hidden else public_seed


def plain_array(value: Any, what: str, *, ndim: int | None = None) -> np.ndarray:
    """``value`` as a plain float64 ndarray; rejects look-alikes (ndarray subclasses, tensors, objects).

    Objects with a custom ``__eq__`` that always says True cannot pass: we never call their ``__eq__``,
    we convert to a fresh base-class array and compare numbers.
    """
    if type(value) is np.ndarray:
        array = value
    elif isinstance(value, np.ndarray):
        fail(f"{what}: return a plain numpy.ndarray, not the subclass {type(value).__name__}.")
    elif type(value).__module__.startswith("torch"):
        fail(f"{what}: return a NumPy array, not a {type(value).__name__} (this exercise is NumPy from scratch).")
    elif type(value) in (list, tuple):
        array = np.array(value)
    else:
        fail(f"{what}: expected a NumPy array, got {type(value).__name__}.")
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        fail(f"{what}: expected numbers, got an array of dtype {array.dtype}.")
    if ndim is not None and array.ndim != ndim:
        fail(f"{what}: expected a {ndim}-D array, got shape {array.shape}.")
    return np.array(array, dtype=np.float64, copy=True)


def plain_int(value: Any, what: str) -> int:
    """``value`` as an int; accepts int and NumPy integers only (not bool, float or look-alikes)."""
    if type(value) is bool or not (type(value) is int or isinstance(value, np.integer)):
        hint = " (use // for floor division)" if isinstance(value, float) else ""
        fail(f"{what}: expected an int, got {type(value).__name__} {value!r}{hint}.")
    return int(value)


def plain_bool(value: Any, what: str) -> bool:
    if type(value) not in (bool, np.bool_):
        fail(f"{what}: expected True or False, got {type(value).__name__} {value!r}.")
    return bool(value)


def same(actual: np.ndarray, expected: np.ndarray, atol: float = 1e-6) -> bool:
    expected = np.asarray(expected, dtype=np.float64)
    return actual.shape == expected.shape and bool(np.allclose(actual, expected, atol=atol, rtol=1e-6))


def expect(actual: Any, expected: Any, what: str, *, mistakes: Mapping[str, Callable[[], Any]] = (),
           atol: float = 1e-6) -> None:
    """Compare numbers (after strict coercion); on mismatch name the first known mistake that explains it.

    ``mistakes`` maps a description of a typical mistake (e.g. "forgot the +1") to a function computing
    what that mistake would return for this case.
    """
    actual_arr = np.asarray(actual, dtype=np.float64)
    if same(actual_arr, expected, atol):
        return
    diagnosis = ""
    for description, wrong in dict(mistakes).items():
        try:
            if same(actual_arr, wrong(), atol):
                diagnosis = f" Looks like you {description}."
                break
        except Exception:  # a diagnosis that cannot be computed for this case explains nothing
            continue
    fail(f"{what}: expected {_show(expected)}, got {_show(actual_arr)}.{diagnosis}")


def _show(value: Any) -> str:
    array = np.asarray(value)
    if array.ndim == 0:
        return f"{array.item():g}" if np.issubdtype(array.dtype, np.number) else repr(array.item())
    if array.size <= 16:
        return np.array2string(array, precision=4, separator=", ").replace("\n", "")
    return f"an array of shape {array.shape}"
