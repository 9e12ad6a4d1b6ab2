"""Start an IPython kernel for grading under resource limits (memory, file size, no core dumps),
with the grader's own directories hidden (:mod:`autograder.isolation`).

Used by the grading kernelspec written by :func:`autograder.execute.install_kernelspec`.
"""
from __future__ import annotations

import os
import resource


def apply_limits() -> None:
    memory = int(os.environ.get("CNN_GRADER_KERNEL_MEMORY", 6 << 30))
    file_bytes = int(os.environ.get("CNN_GRADER_KERNEL_FILE_BYTES", 256 << 20))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
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
