"""The first cell of every notebook: on Colab, install the course's helper library; elsewhere, nothing.

The repository URL lives here only; ``cnn-course release`` writes this cell into every notebook.
"""
from __future__ import annotations

COURSE_REPO = "https://github.com/cnn-course/cnn-course"

SETUP_CELL = f'''\
# 설정 Setup: on Colab this installs the course helper library (data_tools); elsewhere it does nothing.
import os, subprocess, sys
if "google.colab" in sys.modules:
    COURSE_REPO = os.environ.get("CNN_COURSE_REPO", "{COURSE_REPO}")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", f"cnn-course @ git+{{COURSE_REPO}}"], check=True)'''


def colab_url(notebook_path: str, branch: str = "main") -> str:
    """The "Open in Colab" link of a released notebook (path relative to the repository root)."""
    return f"https://colab.research.google.com/github/{COURSE_REPO.split('github.com/')[1]}/blob/{branch}/{notebook_path}"
