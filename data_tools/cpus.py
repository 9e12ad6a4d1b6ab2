"""The CPU cores this process may use (no torch import: the grader's parent process uses it)."""
from __future__ import annotations

import os
from pathlib import Path


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


def cpu_cores() -> int:
    """Physical CPU cores this process may run on."""
    return max(1, _physical_cores(_available_cpus()))
