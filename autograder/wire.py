"""A data-only codec for crossing the process boundary to student code: no pickle, ever.

Numbers, strings, lists, tuples, dicts, NumPy arrays (numeric dtypes), tensors and paths cross
as they are; anything else arrives as an inert stand-in carrying only its type name, so an object
whose ``__eq__`` always says True cannot reach the checks.
"""
from __future__ import annotations

import base64
import io
import json
import struct
from pathlib import PurePath
from typing import Any, BinaryIO

import numpy as np

MAX_FRAME = 512 * 1024 * 1024


class NotPortable(TypeError):
    """An argument that cannot be sent to the other process as plain data (e.g. a model object)."""


class Opaque:
    """Stands for a value that is not plain data; only its type name survives."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self):
        return f"<{self.type_name} object>"


def _array_bytes(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.save(buffer, np.array(array, order="C"), allow_pickle=False)  # keeps 0-d arrays 0-d
    return base64.b64encode(buffer.getvalue()).decode()


def _array_from(text: str) -> np.ndarray:
    return np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False)


def encode(value: Any, *, strict: bool = False) -> Any:
    """To JSON-able form. ``strict``: raise NotPortable instead of sending an Opaque stand-in."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) in (list, tuple):
        items = [encode(v, strict=strict) for v in value]
        return items if type(value) is list else {"__tuple__": items}
    if type(value) is dict:
        return {"__dict__": [[encode(k, strict=strict), encode(v, strict=strict)] for k, v in value.items()]}
    if isinstance(value, np.ndarray) and value.dtype != object:
        return {"__ndarray__": _array_bytes(np.asarray(value))}
    if isinstance(value, np.generic) and not isinstance(value, np.object_):
        return {"__npscalar__": _array_bytes(np.asarray(value))}
    if isinstance(value, PurePath):
        return {"__path__": str(value)}
    if type(value) is bytes:
        return {"__bytes__": base64.b64encode(value).decode()}
    if type(value).__module__.split(".")[0] == "torch" and type(value).__name__ in ("Tensor", "Parameter"):
        return {"__tensor__": _array_bytes(value.detach().cpu().numpy())}
    if strict:
        raise NotPortable(f"cannot send a {type(value).__name__} to the sandbox")
    return {"__opaque__": type(value).__name__}


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    (tag, payload), = value.items()
    if tag == "__tuple__":
        return tuple(decode(v) for v in payload)
    if tag == "__dict__":
        return {decode(k): decode(v) for k, v in payload}
    if tag == "__ndarray__":
        return _array_from(payload)
    if tag == "__npscalar__":
        return _array_from(payload)[()]
    if tag == "__path__":
        from pathlib import Path
        return Path(payload)
    if tag == "__bytes__":
        return base64.b64decode(payload)
    if tag == "__tensor__":
        import torch
        return torch.from_numpy(_array_from(payload))
    if tag == "__opaque__":
        return type(str(payload), (Opaque,), {})(str(payload))
    raise ValueError(f"unknown wire tag {tag!r}")


def send(stream: BinaryIO, message: dict) -> None:
    data = json.dumps(message).encode()
    stream.write(struct.pack(">Q", len(data)) + data)
    stream.flush()


def receive(stream: BinaryIO) -> dict:
    header = stream.read(8)
    if len(header) < 8:
        raise EOFError("the other process closed the channel")
    (size,) = struct.unpack(">Q", header)
    if size > MAX_FRAME:
        raise ValueError(f"message of {size} bytes exceeds the limit")
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the other process closed the channel mid-message")
    return json.loads(data)
