"""Hints for newcomers: one sentence after an error that running a notebook out of order causes.

The commonest first-day error is a ``NameError`` for something an earlier cell defines: the student
skipped that cell. Once ``install_hints`` has run (the environment check at the top of every notebook
calls it), IPython prints after the normal traceback "`x` is defined in an earlier cell: run the
notebook from the top (Run → Run All Cells)." The hint is a ``post_run_cell`` event, so the traceback
and the error itself stay exactly as they were.
"""
from __future__ import annotations

import ast
import json
import os
import re
import sys
from pathlib import Path

MENU = {"jupyter": "Run → Run All Cells", "colab": "Runtime → Run all"}
_MISSING = re.compile(r"name '(\w+)' is not defined")
_SCOPES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def install_hints(shell=None) -> bool:
    """Register the hint in ``shell`` (default: the running IPython, if any); once per shell.
    Returns whether a shell was found; outside IPython nothing happens."""
    if shell is None:
        ipython = sys.modules.get("IPython")  # not imported means not running in IPython
        shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return False
    if not any(getattr(f, "cnn_course_hint", False) for f in shell.events.callbacks["post_run_cell"]):
        def after_cell(result):
            _hint_after(shell, result)
        after_cell.cnn_course_hint = True
        shell.events.register("post_run_cell", after_cell)
    return True


def _sentence(name: str) -> str:
    """The sentence shown for a ``NameError`` on ``name``."""
    menu = MENU["colab"] if "google.colab" in sys.modules else MENU["jupyter"]
    return f"`{name}` is defined in an earlier cell: run the notebook from the top ({menu})."


def _hint_after(shell, result) -> None:
    error = result.error_in_exec
    if not isinstance(error, NameError):
        return
    found = _MISSING.search(str(error))
    name = getattr(error, "name", None) or (found.group(1) if found else None)
    try:
        show = name is not None and _defined_in_unrun_earlier_cell(shell, name, result.info.raw_cell)
    except Exception:  # an unreadable notebook or an odd cell: a hint must never add an error of its own
        show = False
    if show:
        print(_sentence(name))


def _defined_in_unrun_earlier_cell(shell, name: str, current: str) -> bool:
    """Whether a code cell before ``current`` defines ``name`` and has not run in this kernel
    (a cell that ran and failed needs fixing, not re-running)."""
    cells = [cell.strip() for cell in _code_cells(shell)]
    current = current.strip()
    earlier = cells[:cells.index(current)] if current in cells else cells  # unsaved edits: any cell
    ran = {source.strip() for source in shell.history_manager.input_hist_raw}
    return any(cell not in ran and name in _bound_names(shell.transform_cell(cell)) for cell in earlier)


def _code_cells(shell) -> list[str]:
    """The code cells of the notebook this kernel runs (empty when it cannot be found)."""
    if "google.colab" in sys.modules:
        from google.colab import _message  # Colab's own notebook, as the browser holds it

        notebook = _message.blocking_request("get_ipynb", timeout_sec=5)["ipynb"]
    else:
        path = _notebook_path(shell)
        if path is None:
            return []
        notebook = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(cell["source"]) for cell in notebook.get("cells", []) if cell.get("cell_type") == "code"]


def _notebook_path(shell) -> Path | None:
    """The notebook file: Jupyter's session name, VS Code's variable, else the only notebook here."""
    named = (shell.user_ns.get("__session__") or os.environ.get("JPY_SESSION_NAME")
             or shell.user_ns.get("__vsc_ipynb_file__"))
    if named:
        for candidate in (Path(named), Path.cwd() / Path(named).name):
            if candidate.suffix == ".ipynb" and candidate.is_file():
                return candidate
    here = list(Path.cwd().glob("*.ipynb"))
    return here[0] if len(here) == 1 else None


def _bound_names(source: str) -> set[str]:
    """Names a cell binds at the top level: assignments, loop and with targets, defs, classes, imports."""
    names: set[str] = set()

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(child.name)
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                names.update((alias.asname or alias.name).split(".")[0] for alias in child.names)
            elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                names.add(child.id)
            elif not isinstance(child, _SCOPES):
                visit(child)

    try:
        visit(ast.parse(source))
    except SyntaxError:
        pass
    return names
