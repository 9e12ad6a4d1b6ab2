"""environment.yml lists exactly what pyproject.toml asks for (conda and pip users get the same course)."""
from __future__ import annotations

import re
import tomllib

from autograder.paths import REPO_ROOT

CONDA_NAMES = {"pytorch": "torch"}


def _requirements(specs) -> dict[str, str]:
    out = {}
    for spec in specs:
        name = re.match(r"[A-Za-z0-9_.-]+", spec).group(0).lower()
        out[CONDA_NAMES.get(name, name)] = spec[len(name):].replace(" ", "")
    return out


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    wanted = _requirements(project["dependencies"] + [s for extra in project["optional-dependencies"].values()
                                                      for s in extra])
    text = (REPO_ROOT / "environment.yml").read_text()
    lines = text[text.index("dependencies:"):].splitlines()
    conda = _requirements(line.strip()[2:] for line in lines
                          if re.match(r"\s+- [a-z]", line) and not line.strip().startswith(("- pip:", "- -e")))
    conda.pop("python"), conda.pop("pip")
    assert conda == wanted


def test_setup_pins_the_local_torch_while_pyproject_stays_loose():
    pins = (REPO_ROOT / "constraints.txt").read_text()
    assert "torch==2.14.1" in pins and "torchvision==0.29.1" in pins
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert not any("==" in spec for spec in project["dependencies"])
    assert "-c constraints.txt" in (REPO_ROOT / "dev").read_text()


def test_shell_scripts_do_not_pipe_into_grep_q_under_pipefail():
    """`producer | grep -q`: grep exits at its first match, the producer dies of SIGPIPE, and under
    `set -o pipefail` the pipeline fails at random (./dev reinstalled fonts-nanum on 14 of 20 runs)."""
    for script in (REPO_ROOT / "dev", REPO_ROOT / ".ci" / "run"):
        text = script.read_text()
        assert "pipefail" in text
        assert not re.search(r"\|\s*grep\s+(-\w+\s+)*-\w*q", text), f"{script.name}: use grep ... >/dev/null"


def test_every_exported_name_exists():
    import importlib

    import data_tools

    for module, names in data_tools._EXPORTS.items():
        loaded = importlib.import_module(f"data_tools.{module}")
        missing = [n for n in names if not hasattr(loaded, n)]
        assert not missing, f"data_tools.{module} lacks {missing}"
