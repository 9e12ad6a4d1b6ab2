"""Warm grading kernels: forks of a lane's zygote, each a fresh process with the limits, hidden
directories and environment of a cold start (sandboxes are covered in test_sandbox.py)."""
from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
from jupyter_client.manager import start_new_kernel

from autograder import warm
from autograder.execute import KERNEL_NAME, install_kernelspec
from autograder.isolation import HIDE_ENV

pytestmark = pytest.mark.skipif(not warm.available(), reason="warm starts need Linux (pidfd, SCM_RIGHTS)")


@pytest.fixture(scope="module")
def lane(tmp_path_factory):
    """A lane's setup: the grading kernelspec on JUPYTER_PATH and a running zygote."""
    spec = tmp_path_factory.mktemp("jupyter")
    install_kernelspec(spec)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JUPYTER_PATH", str(spec))
        env.setattr(warm, "_zygote", warm.Zygote())
        yield warm._zygote
        warm._zygote.close()


@contextmanager
def kernel(cwd):
    """(manager, client) of a grading kernel started in ``cwd``, shut down afterwards."""
    manager, client = start_new_kernel(kernel_name=KERNEL_NAME, cwd=str(cwd))
    try:
        yield manager, client
    finally:
        manager.shutdown_kernel(now=True)
        client.stop_channels()


def run(client, code: str) -> str:
    """The stdout of ``code`` run in the kernel."""
    outputs = []
    reply = client.execute_interactive(code, timeout=60, output_hook=outputs.append)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")


def test_kernels_are_fresh_forks_of_the_zygote_with_torch_already_imported(lane, tmp_path, monkeypatch):
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "answers.txt").write_text("42")
    monkeypatch.setenv(HIDE_ENV, str(secret))
    monkeypatch.setenv("CNN_GRADER_KERNEL_MEMORY", str(5 << 30))
    pids = []
    for student in ("first", "second"):
        monkeypatch.setenv("CNN_TEST_STUDENT", student)
        with kernel(tmp_path) as (_, client):
            text = run(client, "import os, sys, resource\n"
                               "print(os.getpid(), os.getppid(), 'torch' in sys.modules, os.getcwd(),\n"
                               "      os.environ['CNN_TEST_STUDENT'], resource.getrlimit(resource.RLIMIT_AS)[0],\n"
                               f"      os.listdir({str(secret)!r}), 'left' in globals())\n"
                               "left = 1")
        pid, parent, torch_loaded, cwd, name, memory, listing, leftover = text.split(maxsplit=7)
        assert (parent, torch_loaded, cwd, name, memory) == (str(lane.process.pid), "True", str(tmp_path), student,
                                                             str(5 << 30))
        assert leftover.strip().endswith("False")
        pids.append(pid)
    assert pids[0] != pids[1] and (secret / "answers.txt").read_text() == "42"


def test_kernels_leave_the_zygotes_objects_out_of_their_garbage_collections(lane, tmp_path):
    """The zygote froze what it imported: a kernel's full collection would otherwise walk (and copy, page
    by page) all of torch's objects, 0.8 s each time instead of 0.1 s."""
    with kernel(tmp_path) as (_, client):
        frozen = int(run(client, "import gc\nprint(gc.get_freeze_count())"))
    assert frozen > 100_000


PROFILE_PROBE = ("ip = get_ipython()\nimport matplotlib.pyplot\nfrom matplotlib_inline.config import InlineBackend\n"
                 "print(ip.profile_dir.location.startswith(os.environ['JUPYTER_PATH']), ip.history_manager.enabled,\n"
                 "      InlineBackend.instance().print_figure_kwargs['pil_kwargs'])")


@pytest.mark.parametrize("warm_start", [True, False], ids=["warm", "cold"])
def test_kernels_use_the_grading_profile_not_the_tas(tmp_path, monkeypatch, warm_start):
    """Whatever the TA's ~/.ipython holds (startup scripts, history) stays out of grading kernels; theirs
    keeps no history and writes figures with fast PNG compression."""
    spec = tmp_path / "jupyter"
    install_kernelspec(spec)
    monkeypatch.setenv("JUPYTER_PATH", str(spec))
    tas = tmp_path / "tas-ipython"
    (tas / "profile_default" / "startup").mkdir(parents=True)
    (tas / "profile_default" / "startup" / "00-ta.py").write_text("TA_STARTUP = True\n")
    monkeypatch.setenv("IPYTHONDIR", str(tas))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # figures go inline, as in a grading run
    zygote = warm.Zygote() if warm_start else None
    monkeypatch.setattr(warm, "_zygote", zygote)
    try:
        with kernel(tmp_path) as (_, client):
            text = run(client, "import os\n" + PROFILE_PROBE + "\nprint('TA_STARTUP' in globals())")
    finally:
        if zygote is not None:
            zygote.close()
    assert text.split("\n")[:2] == ["True False {'compress_level': 1}", "False"]


def test_a_dead_kernel_is_seen_as_dead_and_reports_its_exit(lane, tmp_path):
    with kernel(tmp_path) as (manager, client):
        client.execute("import os; os._exit(7)")
        process = manager.provisioner.process
        assert isinstance(process, warm.ForkedProcess)
        assert process.wait(timeout=30) == 7
        assert not manager.is_alive()


def test_without_a_zygote_kernels_start_cold(tmp_path, monkeypatch):
    spec = tmp_path / "jupyter"
    install_kernelspec(spec)
    monkeypatch.setenv("JUPYTER_PATH", str(spec))
    monkeypatch.setattr(warm, "_zygote", None)
    with kernel(tmp_path) as (manager, client):
        assert not isinstance(manager.provisioner.process, warm.ForkedProcess)
        assert manager.provisioner.process.pid != os.getpid()


def test_plots_render_inline_as_in_a_cold_kernel(lane, tmp_path, monkeypatch):
    """The zygote imported matplotlib before ipykernel chose its backend: the fork must still draw
    figures into the notebook (the TA's feedback shows them)."""
    monkeypatch.delenv("MPLBACKEND", raising=False)
    with kernel(tmp_path) as (_, client):
        outputs = []
        client.execute_interactive("import matplotlib, matplotlib.pyplot as plt\nprint(matplotlib.get_backend())\n"
                                   "plt.plot([1, 2]);", timeout=60, output_hook=outputs.append)  # shown as notebooks do
    assert [m["content"]["text"].strip() for m in outputs if m["msg_type"] == "stream"] == [warm.INLINE_BACKEND]
    assert any("image/png" in m["content"].get("data", {}) for m in outputs if m["msg_type"] == "display_data")


def test_a_zygote_decodes_the_lanes_data_once_for_its_kernels_not_its_sandboxes(tmp_path, monkeypatch):
    from autograder.sandbox import Sandbox

    monkeypatch.setenv("CNN_COURSE_OFFLINE", "1")  # CIFAR-10: the synthetic stand-in, built in the zygote
    monkeypatch.setenv("CNN_COURSE_FAST", "1")
    spec = tmp_path / "jupyter"
    install_kernelspec(spec)
    monkeypatch.setenv("JUPYTER_PATH", str(spec))
    monkeypatch.setattr(warm, "_zygote", warm.Zygote(("cifar10",)))
    cached = ("def cached():\n    from data_tools import datasets\n"
              "    return sum(c.cache_info().currsize for c in (datasets._real_arrays, datasets._embedded_arrays,\n"
              "                                                 datasets._synthetic_cifar))\n")
    try:
        with kernel(tmp_path) as (_, client):
            assert run(client, cached + "print(cached())").strip() == "1"
        sandbox = Sandbox(tmp_path, timeout=60)
        try:
            sandbox.exec(cached, "<probe>")
            assert sandbox.call("cached") == 0
        finally:
            sandbox.close()
    finally:
        warm._zygote.close()
