"""Where the course lives: the repository root and its assignment folders."""
from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = "solutions"
RELEASE = "course"


def assignments(root: Path = REPO_ROOT) -> list[str]:
    """Assignment ids (folder names under solutions/), in course order."""
    return sorted(p.name for p in (root / SOLUTIONS).iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def notebooks(assignment: str, root: Path = REPO_ROOT, where: str = SOLUTIONS) -> list[Path]:
    return sorted((root / where / assignment).glob("*.ipynb"))
