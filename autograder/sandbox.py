"""Run student code in a separate, resource-limited process and talk to it with plain data only.

The checker process never runs student code; the sandbox never sees test labels or check code.
Run as ``python -m autograder.sandbox`` it is the worker; :class:`Sandbox` is the client.
"""
from __future__ import annotations

import builtins
import os
import subprocess
import sys
import threading
import traceback
from pathlib import Path

from . import wire
from .isolation import confine

DEFAULT_MEMORY = 6 << 30       # address space: torch needs ~3 GB of it just to import
DEFAULT_TIMEOUT = 120.0        # seconds per request
MAX_FILE_BYTES = 256 << 20     # largest file student code may write
MAX_CPU_SECONDS = 1800         # a backstop: no sandbox outlives this much CPU time


class SandboxError(RuntimeError):
    """The sandbox process failed (crashed, timed out, exceeded a limit): not a student exception."""


def student_exception(kind: str, message: str) -> Exception:
    """An exception raised by student code, re-created by type name (builtins keep their class)."""
    base = getattr(builtins, kind, None)
    if not (isinstance(base, type) and issubclass(base, Exception)):
        base = type(kind, (RuntimeError,), {})
    error = base(message)
    error.from_student = True
    return error


class Sandbox:
    """A worker process holding the student's definitions; call into it with :meth:`call`."""

    def __init__(self, cwd: Path, *, memory: int = DEFAULT_MEMORY, timeout: float = DEFAULT_TIMEOUT,
                 env: dict | None = None):
        self.timeout = timeout
        self.not_portable = False
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("CNN_COURSE_MIRRORS", "JPY_"))}
        environment.update({"NBGRADER_EXECUTION": "autograde", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg",
                            "PYTHONDONTWRITEBYTECODE": "1"}, **(env or {}))
        from . import warm

        limits = {"CPU": MAX_CPU_SECONDS, "AS": memory, "FSIZE": MAX_FILE_BYTES, "CORE": 0}
        zygote = warm.current()
        if zygote is not None:  # a fork of the lane's zygote: torch is already imported
            self.process = zygote.fork("sandbox", cwd=str(cwd), env=environment, limits=limits, stdin=True,
                                       stdout=True)
            return

        self.process = subprocess.Popen([sys.executable, "-m", "autograder.sandbox"], cwd=str(cwd),
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        env=environment, preexec_fn=lambda: confine(limits))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def request(self, message: dict, timeout: float | None = None) -> dict:
        reply: dict = {}

        def exchange():
            try:
                wire.send(self.process.stdin, message)
                reply.update(wire.receive(self.process.stdout))
            except (EOFError, OSError, ValueError) as error:
                reply["broken"] = str(error)

        worker = threading.Thread(target=exchange, daemon=True)
        worker.start()
        worker.join(timeout or self.timeout)
        if worker.is_alive():
            self.close()
            raise SandboxError(f"student code did not finish within {timeout or self.timeout:g} s")
        if "broken" in reply:
            self.close()
            raise SandboxError(f"the student process died ({self._death()})")
        if "error" in reply:
            raise student_exception(reply["error"]["type"], reply["error"]["message"])
        return reply

    def _death(self) -> str:
        code = self.process.wait()
        return f"exit code {code}" if code >= 0 else f"killed by signal {-code}, e.g. out of memory"

    def exec(self, source: str, label: str = "<cell>") -> None:
        self.request({"op": "exec", "source": source, "label": label})

    def call(self, name: str, *args, **kwargs):
        try:
            message = {"op": "call", "name": name, "args": wire.encode(list(args), strict=True),
                       "kwargs": wire.encode(kwargs, strict=True)}
        except wire.NotPortable:
            self.not_portable = True  # the check needs the student's objects: re-run it in a sandbox
            raise
        return wire.decode(self.request(message)["value"])

    def function(self, name: str) -> "RemoteFunction":
        return RemoteFunction(self, name)

    def predict(self, model_class: str, checkpoint: str, images, *, max_bytes: int, batch_size: int = 256):
        """Predicted labels of the student's model (rebuilt and loaded from ``checkpoint``) for ``images``."""
        reply = self.request({"op": "predict", "model_class": model_class, "checkpoint": checkpoint,
                              "images": wire.encode(images), "max_bytes": max_bytes, "batch_size": batch_size})
        return wire.decode(reply["value"])


class RemoteFunction:
    """A student's function living in the sandbox; calling it sends plain data both ways."""

    def __init__(self, sandbox: Sandbox, name: str):
        self.sandbox, self.__name__ = sandbox, name

    def __call__(self, *args, **kwargs):
        return self.sandbox.call(self.__name__, *args, **kwargs)

    def __repr__(self):
        return f"<student function {self.__name__} (sandboxed)>"


# ----------------------------------------------------------------------------- worker side

def _predict(namespace: dict, message: dict):
    import torch
    from data_tools.checkpoints import load_checkpoint
    from data_tools.training import predict

    torch.set_num_threads(1)
    model = load_checkpoint(namespace[message["model_class"]](), message["checkpoint"],
                            max_bytes=message["max_bytes"])
    images = torch.as_tensor(wire.decode(message["images"]), dtype=torch.float32)
    return predict(model, images, batch_size=message["batch_size"], device="cpu").numpy()


def _serve(channel_in, channel_out) -> None:
    namespace: dict = {"__name__": "__main__"}
    while True:
        try:
            message = wire.receive(channel_in)
        except EOFError:
            return
        try:
            if message["op"] == "exec":
                exec(compile(message["source"], message["label"], "exec"), namespace)
                value = None
            elif message["op"] == "call":
                value = namespace[message["name"]](*wire.decode(message["args"]), **wire.decode(message["kwargs"]))
            elif message["op"] == "predict":
                value = _predict(namespace, message)
            else:
                raise ValueError(f"unknown request {message['op']!r}")
            reply = {"value": wire.encode(value)}
        except BaseException as error:  # report everything student code raises, even SystemExit
            if isinstance(error, KeyError) and message.get("op") == "call" and message["name"] not in namespace:
                error = NameError(f"name '{message['name']}' is not defined")
            reply = {"error": {"type": type(error).__name__, "message": str(error),
                               "traceback": traceback.format_exc(limit=-3)}}
        wire.send(channel_out, reply)


def main() -> None:
    # Keep the channel on private descriptors; student prints go to /dev/null, not into the protocol.
    channel_in = os.fdopen(os.dup(0), "rb")
    channel_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w")
    _serve(channel_in, channel_out)


if __name__ == "__main__":
    main()
