"""Device choice, seeding and CPU thread count."""
from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

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


def _available_cpus() -> set[int]:
    if hasattr(os, "sched_getaffinity"):
        return set(os.sched_getaffinity(0))
    return set(range(os.cpu_count() or 1))


def _physical_cores(cpus: set[int]) -> int:
    """Distinct physical cores behind the logical ``cpus`` (Linux sysfs), else the logical count."""
    cores = set()
    for cpu in cpus:
        topology = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            cores.add(((topology / "physical_package_id").read_text().strip(),
                       (topology / "core_id").read_text().strip()))
        except OSError:
            return len(cpus)
    return len(cores)


def configure_cpu_threads() -> int:
    """Set ``torch.set_num_threads`` to the physical cores this process may use; returns that number."""
    threads = max(1, _physical_cores(_available_cpus()))
    torch.set_num_threads(threads)
    return threads
