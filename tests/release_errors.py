"""What may fail when a released (unfilled) notebook runs: only "not implemented yet"."""
from __future__ import annotations

import ast
import re

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def bound_names(source: str) -> set[str]:
    """Names a cell binds (assignments, defs, imports, loop/with targets)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def expected_release_error(traceback: str, unfinished: set[str]) -> bool:
    """In a released notebook only "not implemented yet" may fail: the exercise itself raising
    NotImplementedError, or a later cell missing a name that an unfinished cell would have defined."""
    last = [line for line in ANSI.sub("", traceback).strip().splitlines() if line.strip()][-1]
    if last.startswith("NotImplementedError"):
        return True
    missing = re.match(r"NameError: name '(\w+)' is not defined", last)
    return bool(missing and missing.group(1) in unfinished)
