"""Device choice, seeding and CPU thread count."""
from __future__ import annotations

import os
import random

import numpy as np
import torch

from .cpus import cpu_cores

ENV_DEVICE = "CNN_COURSE_DEVICE"


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps and mps.is_available())


def pick_device(prefer: str | None = None) -> torch.device:
    """The device to train on: CNN_COURSE_DEVICE, else ``prefer``, else cuda, then mps, then cpu."""
    choice = os.environ.get(ENV_DEVICE, "").strip() or prefer
    if not choice:
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    try:
        device = torch.device(choice)
    except RuntimeError:
        raise ValueError(f"Unknown device {choice!r}: use 'cpu', 'cuda' or 'mps'.") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"Device {choice!r} was asked for but CUDA is not available here: "
                           f"use 'cpu' or unset {ENV_DEVICE}.")
    if device.type == "mps" and not _mps_available():
        raise RuntimeError(f"Device {choice!r} was asked for but MPS is not available here: "
                           f"use 'cpu' or unset {ENV_DEVICE}.")
    return device


def set_seed(seed: int = 0) -> None:
    """Seed Python's, NumPy's and PyTorch's generators (CPU and every GPU)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds every CUDA device too


def configure_cpu_threads() -> int:
    """Set ``torch.set_num_threads`` to the physical cores this process may use; returns that number.

    An explicit ``OMP_NUM_THREADS`` (a positive number, set by a grader's lanes or a batch scheduler that
    runs several jobs side by side) caps it: more threads than that would fight the other jobs for cores."""
    threads = cpu_cores()
    cap = os.environ.get("OMP_NUM_THREADS", "").strip()
    if cap.isdigit() and int(cap) > 0:
        threads = min(threads, int(cap))
    torch.set_num_threads(threads)
    return threads
