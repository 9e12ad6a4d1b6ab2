"""Save and load model weights safely: state_dict only, atomic writes, ``weights_only`` loading with checks.

A checkpoint from someone else is untrusted: a pickle can run any code while it loads. ``load_checkpoint``
refuses anything but tensors, and explains every refusal in one sentence.
"""
from __future__ import annotations

import io
import os
import pickletools
import tempfile
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path

import torch
import torch.nn as nn

SHOWN = 5  # names listed per kind of key mismatch

# Globals that make a pickle run code when it loads (module prefixes, and builtins that call or open).
CODE_MODULES = ("os", "posix", "nt", "subprocess", "sys", "shutil", "socket", "importlib", "runpy", "pty",
                "webbrowser", "ctypes", "pickle", "marshal", "code", "codeop", "tempfile", "pathlib", "io",
                "multiprocessing", "signal", "urllib", "http", "requests", "operator", "functools", "types")
CODE_BUILTINS = {"eval", "exec", "compile", "open", "__import__", "getattr", "setattr", "delattr", "globals",
                 "locals", "vars", "input", "breakpoint", "print", "exit", "quit", "execfile", "apply"}
# Globals a plain state_dict or a container of tensors may reference.
DATA_MODULES = ("torch", "collections", "_codecs", "builtins", "__builtin__")


class CheckpointError(Exception):
    """A checkpoint cannot be used; the message says why and what to do."""


def save_checkpoint(model_or_state_dict, path) -> Path:
    """Write a model's ``state_dict`` (tensors copied to the CPU) to ``path`` atomically; returns the path.

    The file appears complete or not at all: it is written to a temporary file beside ``path``, then renamed.
    """
    if isinstance(model_or_state_dict, nn.Module):
        model = getattr(model_or_state_dict, "_orig_mod", model_or_state_dict)  # unwrap torch.compile
        state = model.state_dict()
    elif isinstance(model_or_state_dict, Mapping):
        state = model_or_state_dict
    else:
        raise TypeError(f"save_checkpoint takes a model or its state_dict, not {type(model_or_state_dict).__name__}.")
    state = {key: value.detach().to("cpu", copy=True) if isinstance(value, torch.Tensor) else value
             for key, value in state.items()}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(state, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _pickle_bytes(path: Path) -> bytes:
    """The pickle inside a torch zip checkpoint, or the file itself for a plain pickle."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = [name for name in archive.namelist() if name.endswith("data.pkl")]
            return archive.read(names[0]) if names else b""
    return path.read_bytes()


STRING_OPCODES = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "SHORT_BINSTRING", "BINSTRING",
                  "STRING"}


def _pickle_globals(path: Path) -> list[str] | None:
    """Names ("module.name") a pickle imports, read from its opcodes without running it; None if no pickle.

    Tracks the strings pushed (and memoized) so protocol-4 STACK_GLOBAL names are found too.
    """
    found, strings, memo = [], [], {}
    memo_count, previous = 0, None  # previous: the string the last opcode left on top of the stack
    try:
        for opcode, argument, _ in pickletools.genops(io.BytesIO(_pickle_bytes(path))):
            top = None
            if opcode.name in ("GLOBAL", "INST"):
                found.append(argument.replace(" ", "."))
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                found.append(f"{strings[-2]}.{strings[-1]}")
            elif opcode.name in STRING_OPCODES:
                top = argument
                strings.append(top)
            elif opcode.name in ("BINPUT", "LONG_BINPUT", "PUT", "MEMOIZE"):
                key = memo_count if opcode.name == "MEMOIZE" else argument
                memo_count += opcode.name == "MEMOIZE"
                if previous is not None:
                    memo[key] = top = previous
            elif opcode.name in ("BINGET", "LONG_BINGET", "GET") and argument in memo:
                top = memo[argument]
                strings.append(top)
            previous = top
    except Exception:  # not a pickle, or a damaged one
        return None
    return found


def _is_code(name: str) -> bool:
    module, _, attribute = name.rpartition(".")
    if module in ("builtins", "__builtin__"):
        return attribute in CODE_BUILTINS
    return module.split(".")[0] in CODE_MODULES


def _is_object(name: str) -> bool:
    """A class or helper that rebuilds a Python object (a model, a layer, an array), not a tensor."""
    return name.startswith("torch.nn.") or name.split(".")[0] not in DATA_MODULES


def _refusal(path: Path) -> CheckpointError:
    """Why ``torch.load(weights_only=True)`` refused ``path``: code, pickled objects, or not a checkpoint."""
    names = _pickle_globals(path) or []
    code = sorted({name for name in names if _is_code(name)})
    objects = sorted({name for name in names if _is_object(name)})
    if code:
        return CheckpointError(f"Refused to load {path.name}: the file contains code ({_shortlist(code)}), not "
                               f"just tensors, and loading it would run that code; use a checkpoint saved with "
                               f"save_checkpoint(model, path).")
    if objects:
        return CheckpointError(f"{path.name} holds pickled Python objects ({_shortlist(objects)}), such as a whole "
                               f"model, not a state_dict: save the weights with save_checkpoint(model, path).")
    return CheckpointError(f"{path.name} is not a readable PyTorch checkpoint (corrupt, truncated or another kind "
                           f"of file): save it again with save_checkpoint(model, path).")


def _shortlist(items: list[str]) -> str:
    more = f", … ({len(items) - SHOWN} more)" if len(items) > SHOWN else ""
    return ", ".join(items[:SHOWN]) + more


def _check_matches(model: nn.Module, state: Mapping, name: str) -> None:
    expected = model.state_dict()
    missing = [key for key in expected if key not in state]
    unexpected = [key for key in state if key not in expected]
    shapes = [f"{key} {tuple(state[key].shape)} in file vs {tuple(expected[key].shape)} in model"
              for key in expected if key in state and state[key].shape != expected[key].shape]
    problems = [f"{label}: {_shortlist(items)}" for label, items in
                (("missing keys", missing), ("unexpected keys", unexpected), ("shape mismatches", shapes)) if items]
    if problems:
        raise CheckpointError(f"{name} does not match this model ({'; '.join(problems)}): build the same "
                              f"architecture that saved it, then load again.")


def load_checkpoint(model: nn.Module, path, *, max_bytes: int = 50_000_000, map_location="cpu") -> nn.Module:
    """Load a state_dict saved by ``save_checkpoint`` into ``model`` and return the model.

    Uses ``torch.load(..., weights_only=True)``: only tensors and plain containers, never code. Raises
    ``CheckpointError`` for a missing, too large, corrupt, unsafe or mismatching file.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"No checkpoint file {path.name!r} in {path.absolute().parent}: run the training "
                              f"cell that saves it first.")
    size = path.stat().st_size
    if size > max_bytes:
        raise CheckpointError(f"{path.name} is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit: "
                              f"save only the state_dict of a smaller model.")
    try:
        with warnings.catch_warnings():  # torch warns about unusual pickle protocols; the verdict is ours
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception:
        raise _refusal(path) from None
    if not isinstance(state, Mapping) or not all(
            isinstance(key, str) and isinstance(value, torch.Tensor) for key, value in state.items()):
        found = f"a dict with keys {_shortlist([repr(key) for key in state])}" if isinstance(state, Mapping) \
            else f"a {type(state).__name__}"
        raise CheckpointError(f"{path.name} holds {found}, not a state_dict (parameter names → tensors): "
                              f"save it with save_checkpoint(model, path).")
    target = getattr(model, "_orig_mod", model)  # a torch.compile wrapper loads into the model it wraps
    _check_matches(target, state, path.name)
    target.load_state_dict(state)
    return model
