"""Hide grader directories from student code: a private mount namespace with empty tmpfs on top.

Student code (notebook kernels, sandboxes) runs as the TA's user, so on its own it could read the
instructor's sources, the master gradebook or other students' submissions. On Linux, before student
code starts, the process enters a new mount namespace (and user namespace when not root) and mounts
an empty tmpfs over each directory named in ``CNN_GRADER_HIDE``. Elsewhere it is a no-op.
"""
from __future__ import annotations

import ctypes
import os
import subprocess
import sys

HIDE_ENV = "CNN_GRADER_HIDE"
_CLONE_NEWNS, _CLONE_NEWUSER = 0x00020000, 0x10000000
_MS_REC, _MS_PRIVATE = 0x4000, 0x40000


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def hide(directories: list[str]) -> None:
    """Enter a private mount namespace and cover ``directories`` with empty tmpfs (single-threaded only)."""
    directories = [d for d in directories if d and os.path.isdir(d)]
    if not directories or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(_CLONE_NEWNS | (0 if uid == 0 else _CLONE_NEWUSER)) != 0:
        raise OSError(ctypes.get_errno(), "unshare failed")
    if uid != 0:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    if libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), "making mounts private failed")
    for directory in directories:
        if libc.mount(b"tmpfs", directory.encode(), b"tmpfs", 0, b"size=64k,mode=0555") != 0:
            raise OSError(ctypes.get_errno(), f"hiding {directory} failed")


def die_with_parent() -> None:
    """Linux: this process gets SIGKILL when its parent exits, so no student process outlives the grader."""
    import signal

    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def hide_from_env() -> None:
    hide([d for d in os.environ.get(HIDE_ENV, "").split(os.pathsep) if d])


def confine(limits: dict) -> None:
    """Make this fresh process fit to run student code: its own session, killed with its parent,
    ``limits`` ({RLIMIT name: value}) applied, the grader's folders (``CNN_GRADER_HIDE``) hidden."""
    import resource

    os.setsid()
    die_with_parent()
    for name, value in limits.items():
        resource.setrlimit(getattr(resource, f"RLIMIT_{name}"), (value, value))
    try:
        hide_from_env()
    except OSError:
        pass  # no namespaces on this machine: the grader reported it once


def available() -> bool:
    """Whether this machine lets an unprivileged grader hide directories (tested in a child process)."""
    probe = "from autograder.isolation import hide; import tempfile; hide([tempfile.mkdtemp()])"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True).returncode == 0
