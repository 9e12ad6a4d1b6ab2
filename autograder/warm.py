"""Warm starts for grading: fresh processes for student code without paying for ``import torch`` each time.

A lane starts one *zygote*: a process that imports torch, NumPy, IPython's kernel and the course
libraries once, decodes the data sets the lane's notebooks load, and never runs student code. Every
notebook kernel and every re-check sandbox of the lane is a new ``fork`` of it: a fresh process per
submission (nothing of the previous student survives), with the same limits, hidden directories and
environment as a cold start, ready in milliseconds instead of seconds. Kernels reach it through
:class:`WarmProvisioner`, jupyter_client's kernel-provisioner hook; without a zygote (or off Linux)
everything starts cold as before.
"""
from __future__ import annotations

import gc
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading

from jupyter_client.provisioning import LocalProvisioner

from .isolation import confine, die_with_parent
from .kernel_launcher import kernel_limits

PROVISIONER = "cnn-course-warm"  # entry point in pyproject.toml, named in the grading kernelspec
# Not matplotlib_inline.backend_inline: importing it hooks figure display into the running IPython shell,
# which must happen in the kernel, not here.
PRELOAD = ("torch", "torch.nn", "torch.nn.functional", "torch.optim", "torch._dynamo", "numpy", "matplotlib",
           "matplotlib.pyplot", "PIL.Image", "ipykernel.kernelapp",
           "data_tools.datasets", "data_tools.loader", "data_tools.training", "data_tools.checkpoints",
           "data_tools.plots", "autograder.checks.common", "autograder.measured", "autograder.sandbox")
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
_MAX_MESSAGE = 1 << 20

_zygote: "Zygote | None" = None


def available() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "pidfd_open") and hasattr(socket, "send_fds")


def start(datasets: tuple = ()) -> "Zygote | None":
    """Start this process's zygote (once), with ``datasets`` decoded in memory for its kernels; None where
    warm starts are not available."""
    global _zygote
    if _zygote is None and available():
        _zygote = Zygote(datasets)
    return _zygote


def current() -> "Zygote | None":
    return _zygote if _zygote is not None and _zygote.alive() else None


class ForkedProcess:
    """The parts of :class:`subprocess.Popen` that kernels and sandboxes use, for a zygote's child
    (not our child: liveness comes from a pidfd, the exit code from the zygote that reaps it)."""

    def __init__(self, zygote: "Zygote", pid: int, pidfd: int, stdin=None, stdout=None):
        self.zygote, self.pid, self.stdin, self.stdout, self.stderr = zygote, pid, stdin, stdout, None
        self.returncode = None
        self._pidfd = pidfd

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self._pidfd], [], [], 0)[0]:
            self._finish()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not select.select([self._pidfd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout)
            self._finish()
        return self.returncode

    def _finish(self) -> None:
        self.returncode = self.zygote.exit_code(self.pid)
        os.close(self._pidfd)
        for pipe in (self.stdin, self.stdout):
            if pipe is not None:
                pipe.close()

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class Zygote:
    """Client side: the zygote process and the socket that asks it for children."""

    def __init__(self, datasets: tuple = ()):
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        self.process = subprocess.Popen([sys.executable, "-m", "autograder.warm", str(theirs.fileno()), *datasets],
                                        pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                                        preexec_fn=die_with_parent)
        theirs.close()
        self.socket, self.lock = mine, threading.Lock()

    def alive(self) -> bool:
        return self.process.poll() is None

    def _ask(self, request: dict, fds: tuple = ()) -> tuple[dict, list]:
        with self.lock:
            socket.send_fds(self.socket, [json.dumps(request).encode()], list(fds))
            reply, received, _, _ = socket.recv_fds(self.socket, _MAX_MESSAGE, 1)
        if not reply:
            raise OSError("the zygote has exited")
        return json.loads(reply), received

    def fork(self, role: str, *, cwd: str, env: dict, limits: dict, argv: tuple = (), stdin: bool = False,
             stdout: bool = False) -> ForkedProcess:
        """A new child running ``role`` ("kernel": an IPython kernel with ``argv``; "sandbox": the
        re-check worker) in ``cwd`` with exactly ``env``, under ``limits`` {RLIMIT name: value}.
        ``stdin``/``stdout``: give it pipes (file objects on the returned process), else /dev/null."""
        ours, theirs = [], []
        for wanted, mode in ((stdin, "wb"), (stdout, "rb")):
            if wanted:
                read, write = os.pipe()
                child_end, our_end = (read, write) if mode == "wb" else (write, read)
                theirs.append(child_end)
                ours.append(os.fdopen(our_end, mode))
            else:
                ours.append(None)
        try:
            request = {"role": role, "cwd": str(cwd), "env": env, "limits": limits, "argv": list(argv),
                       "stdin": stdin, "stdout": stdout}
            reply, [pidfd] = self._ask(request, tuple(theirs))
        finally:
            for fd in theirs:
                os.close(fd)
        return ForkedProcess(self, reply["pid"], pidfd, *ours)

    def exit_code(self, pid: int) -> int:
        try:
            return self._ask({"role": "status", "pid": pid})[0]["code"]
        except OSError:
            return -signal.SIGKILL

    def close(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait()
        self.socket.close()


class WarmProvisioner(LocalProvisioner):
    """jupyter_client provisioner: the kernel is a fork of this process's zygote when there is one."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        zygote = current()
        if zygote is None:
            return await super().launch_kernel(cmd, **kwargs)
        connection_file = cmd[cmd.index("-f") + 1]
        env = kwargs.get("env") or dict(os.environ)
        self.process = zygote.fork("kernel", cwd=kwargs.get("cwd") or os.getcwd(), env=env,
                                   limits=kernel_limits(env), argv=("-f", connection_file))
        self.pid = self.pgid = self.process.pid
        self.cwd = kwargs.get("cwd")
        return self.connection_info


# ----------------------------------------------------------------------------- zygote side

def _child(request: dict, fds: list) -> None:
    """In the fresh fork: become the requested process (never returns)."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the zygote's reaper must not take the child's children
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        devnull = os.open(os.devnull, os.O_RDWR)
        given = iter(fds)
        for target, wanted in ((0, request["stdin"]), (1, request["stdout"]), (2, False)):
            os.dup2(next(given) if wanted else devnull, target)
        os.chdir(request["cwd"])
        sys.path[0] = request["cwd"]
        os.environ.clear()
        os.environ.update(request["env"])
        confine(request["limits"])
        import matplotlib
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
        if request["role"] == "kernel" and not os.environ.get("MPLBACKEND"):
            os.environ["MPLBACKEND"] = INLINE_BACKEND  # what ipykernel sets, after matplotlib was imported here
        matplotlib.rcParams["backend"] = os.environ.get("MPLBACKEND") or "agg"
        if request["role"] == "kernel":
            from ipykernel import kernelapp

            sys.argv = ["ipykernel_launcher", *request["argv"]]
            kernelapp.launch_new_instance()
        else:
            from autograder import sandbox
            from data_tools import datasets

            datasets.clear_cache()  # the sandbox gets images, never the test labels
            sandbox.main()
        code = 0
    finally:
        os._exit(code)


def serve(fd: int, datasets: list) -> None:
    """The zygote's loop: import once (and decode ``datasets``), then fork a child per request and reap
    the children."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    import torch

    from data_tools.datasets import preload

    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)  # a first optimizer finishes torch's lazy imports
    preload(datasets)
    gc.freeze()  # the children's full garbage collections skip (and do not copy) these objects: 0.8 s → 0.1 s
    channel = socket.socket(fileno=fd)
    codes: dict = {}

    def reap(*_):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            codes[pid] = os.waitstatus_to_exitcode(status)

    signal.signal(signal.SIGCHLD, reap)
    while True:
        message, fds, _, _ = socket.recv_fds(channel, _MAX_MESSAGE, 4)
        if not message:
            return
        request = json.loads(message)
        if request["role"] == "status":
            reap()
            channel.send(json.dumps({"code": codes.pop(request["pid"], -signal.SIGKILL)}).encode())
            continue
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})  # not reaped before its pidfd exists
        pid = os.fork()
        if pid == 0:
            channel.close()
            _child(request, fds)
        pidfd = os.pidfd_open(pid)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        for descriptor in fds:
            os.close(descriptor)
        socket.send_fds(channel, [json.dumps({"pid": pid}).encode()], [pidfd])
        os.close(pidfd)


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2:])
