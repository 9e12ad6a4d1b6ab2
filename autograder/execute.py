"""nbgrader execution hardened for unattended grading: limited kernels, dead kernels, stray warnings."""
from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Integer

KERNEL_NAME = "cnn-course-grader"
# One Python warning as printed by the warnings module: "file:line: SomethingWarning: text" + source line.
WARNING_LINES = re.compile(r"^\S[^\n]*:\d+: \w*Warning: [^\n]*\n(?:[ \t]+[^\n]*\n?)?", re.MULTILINE)


# The grading kernels' IPython profile, instead of the TA's ~/.ipython (startup scripts, history database).
# PNG compression level 1 instead of 6: figures draw about 15 % faster, files are about 20 % larger.
KERNEL_CONFIG = """\
c.HistoryManager.enabled = False
c.InlineBackend.print_figure_kwargs = {"bbox_inches": "tight", "pil_kwargs": {"compress_level": 1}}
"""


def install_kernelspec(directory: Path) -> Path:
    """Write the grading kernelspec under ``directory/kernels`` and its IPython profile under
    ``directory/ipython``; put ``directory`` on JUPYTER_PATH.

    Its kernels start through :class:`autograder.warm.WarmProvisioner` (a fork of the lane's zygote)
    when that provisioner is installed (``pip install -e .`` registers it), else as a new process."""
    from importlib.metadata import entry_points

    from .warm import PROVISIONER

    spec = Path(directory) / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    profile = Path(directory) / "ipython" / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "ipython_kernel_config.py").write_text(KERNEL_CONFIG)
    metadata = {"kernel_provisioner": {"provisioner_name": PROVISIONER}} \
        if entry_points(group="jupyter_client.kernel_provisioners", name=PROVISIONER) else {}
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "autograder.kernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (grading, limited)", "language": "python",
        "env": {"PYTHONWARNINGS": "ignore::DeprecationWarning", "IPYTHONDIR": str(profile.parent)},
        "metadata": metadata,
    }, indent=1))
    return spec


def error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class GradingExecute(Execute):
    """Execute for unattended grading.

    - A kernel that dies (``os._exit``, a crash, the memory limit) costs only the cells it did not
      run: they get an error output saying why, and grading goes on with what ran.
    - The whole notebook has a time limit besides nbgrader's per-cell one.
    - Output is capped per cell while it streams, so a print loop cannot exhaust the grader's memory.
    """

    notebook_timeout = Integer(900, help="Seconds for the whole notebook").tag(config=True)
    max_output_bytes = Integer(2_000_000, help="Output bytes kept per cell").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._stopped, self._started, self._output_bytes = None, time.monotonic(), {}
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self._stopped is None and time.monotonic() - self._started > self.notebook_timeout:
            self._stopped = f"the notebook exceeded its {self.notebook_timeout} s time limit"
        if self._stopped is not None:
            cell.outputs = [error_output("NotRun", f"not run: {self._stopped}")]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except Exception as error:  # nbclient's DeadKernelError and kin
            if "dead" not in type(error).__name__.lower() and "died" not in str(error).lower():
                raise
            self._stopped = f"the kernel died in cell {index}"
            cell.outputs.append(error_output("KernelDied", "the kernel died while running this cell "
                                             "(os._exit, a crash or the memory limit)"))
            return cell, resources

    def output(self, outs, msg, display_id, cell_index):
        size = self._output_bytes.get(cell_index, 0) + len(json.dumps(msg.get("content", {})))
        self._output_bytes[cell_index] = size
        if size <= self.max_output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if size - len(json.dumps(msg.get("content", {}))) <= self.max_output_bytes:
            outs.append(NotebookNode(output_type="stream", name="stdout",
                                     text=f"\n[output truncated: more than {self.max_output_bytes:,} bytes]\n"))
        return None

    def setup_kernel(self, **kwargs):
        return _tolerant(super().setup_kernel(**kwargs))


class _tolerant:
    """Context manager wrapper: shutting down an already dead kernel is not an error."""

    def __init__(self, inner):
        self.inner = inner

    def __enter__(self):
        return self.inner.__enter__()

    def __exit__(self, *exc):
        try:
            return self.inner.__exit__(*exc)
        except Exception:
            return False


class StripWarnings(NbGraderPreprocessor):
    """Remove Python warnings (e.g. PyTorch's UserWarning) from stderr so they don't zero a test cell;
    anything else written to stderr stays and still counts."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            kept = []
            for output in cell.outputs:
                if output.output_type == "stream" and output.name == "stderr":
                    output.text = WARNING_LINES.sub("", output.text)
                    if not output.text.strip():
                        continue
                kept.append(output)
            cell.outputs = kept
        return cell, resources
