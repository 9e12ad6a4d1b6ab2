"""Start an IPython kernel for grading under resource limits (memory, file size, no core dumps),
with the grader's own directories hidden (:mod:`autograder.isolation`).

Used by the grading kernelspec written by :func:`autograder.execute.install_kernelspec`.
"""
from __future__ import annotations

import os
import resource


def kernel_limits(env) -> dict:
    """{RLIMIT name: value} for a grading kernel: address space, file size, no core dumps."""
    return {"AS": int(env.get("CNN_GRADER_KERNEL_MEMORY", 6 << 30)),
            "FSIZE": int(env.get("CNN_GRADER_KERNEL_FILE_BYTES", 256 << 20)), "CORE": 0}


def apply_limits() -> None:
    for name, value in kernel_limits(os.environ).items():
        resource.setrlimit(getattr(resource, f"RLIMIT_{name}"), (value, value))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # kernel start-up logs stay out of the TA's terminal; cell output is captured anyway
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # one thread per kernel: lanes run side by side


if __name__ == "__main__":
    from autograder.isolation import hide_from_env

    apply_limits()
    try:
        hide_from_env()
    except OSError:
        pass  # no namespaces on this machine: the grader reported it once
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()
