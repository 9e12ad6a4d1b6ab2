"""Catalogues of typical wrong answers, one module per notebook.

Each wrong implementation is registered with :func:`mistake`: the exercise (the function name the
student writes), and the words the check's failure message must contain to name the mistake.
Wrong implementations are self-contained (only ``np``, ``math``, ``torch`` and the notebook's own
exercise functions) so the end-to-end tests can paste their source into a notebook.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Mistake:
    exercise: str
    names: str
    fn: Callable

    @property
    def description(self) -> str:
        return (self.fn.__doc__ or self.fn.__name__).strip()

    def as_source(self) -> str:
        """Source code defining the wrong implementation under the exercise's name."""
        lines = inspect.getsource(self.fn).splitlines()
        body = "\n".join(line for line in lines if not line.startswith("@mistake("))
        return f"{body}\n\n{self.exercise} = {self.fn.__name__}\n"


def mistake(exercise: str, names: str):
    """Register the decorated function as a wrong answer to ``exercise``; ``names`` must appear in the message."""
    def register(fn: Callable) -> Callable:
        fn.mistake = Mistake(exercise, names, fn)
        return fn
    return register


def catalogue(module) -> list[Mistake]:
    return [obj.mistake for obj in vars(module).values() if callable(obj) and hasattr(obj, "mistake")]
