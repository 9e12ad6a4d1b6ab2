"""Read IDX files, the format of MNIST and Fashion-MNIST (raw or gzip-compressed)."""
from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

# IDX type code (third byte of the magic number) -> big-endian element type
DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
GZIP_MAGIC = b"\x1f\x8b"
MAX_BYTES = 1 << 32      # larger data than this means a corrupt header


def _read_exactly(stream, buffer: memoryview) -> int:
    """Fill ``buffer`` from ``stream``; returns how many bytes arrived (fewer at end of file)."""
    filled = 0
    while filled < len(buffer):
        count = stream.readinto(buffer[filled:])
        if not count:
            break
        filled += count
    return filled


def _read(stream, name: str) -> np.ndarray:
    header = stream.read(4)
    if len(header) < 4 or header[:2] != b"\0\0" or header[2] not in DTYPES or header[3] == 0:
        raise ValueError(f"{name} is not an IDX file (magic number {header.hex() or 'missing'}); "
                         "delete it and fetch it again.")
    dims_bytes = stream.read(4 * header[3])
    if len(dims_bytes) < 4 * header[3]:
        raise ValueError(f"{name} is truncated: its header ends early; delete it and fetch it again.")
    dims = tuple(int(d) for d in np.frombuffer(dims_bytes, ">u4"))
    dtype = np.dtype(DTYPES[header[2]])
    if math.prod(dims) * dtype.itemsize > MAX_BYTES:
        raise ValueError(f"{name} has an implausible shape {dims}: it is corrupt; delete it and fetch it again.")
    array = np.empty(dims, dtype)
    got = _read_exactly(stream, memoryview(array.reshape(-1).view(np.uint8)))
    if got < array.nbytes:
        raise ValueError(f"{name} is truncated: {got} of {array.nbytes} data bytes for shape {dims}; "
                         "delete it and fetch it again.")
    if stream.read(1):
        raise ValueError(f"{name} has more data than its shape {dims} says; delete it and fetch it again.")
    return array.astype(array.dtype.newbyteorder("="), copy=False)


def read_idx(path) -> np.ndarray:
    """The array stored in an IDX file (``.gz`` or raw, detected from its first bytes), in native
    byte order; raises ValueError naming the file when it is not valid IDX, truncated or too long."""
    path = Path(path)
    with open(path, "rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
    try:
        with (gzip.open(path, "rb") if compressed else open(path, "rb")) as stream:
            return _read(stream, path.name)
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise ValueError(f"{path.name} is a truncated or corrupt gzip file ({error}); "
                         "delete it and fetch it again.") from error
