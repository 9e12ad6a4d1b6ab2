"""The environment check at the top of every notebook: versions, device, fast mode and data sources."""
from __future__ import annotations

import platform
import re
import sys
from importlib import metadata
from pathlib import Path

from data_tools import config
from data_tools.fetch import find_local, locate
from data_tools.hints import install_hints
from data_tools.registry import REGISTRY

FALLBACKS = {"mnist": "the embedded sample of 2,000 + 1,000 real images",
             "fashion_mnist": "the embedded sample of 2,000 + 1,000 real images",
             "cifar10": "a synthetic stand-in",
             "notmnist_small": "generated notMNIST-style letters"}
GPU_NOTEBOOKS = ("04_cifar10",)
UPGRADE = "`pip install -U torch torchvision`"


def _major_minor(version: str) -> tuple[int, int]:
    numbers = [int(part) for part in re.findall(r"\d+", version.split("+")[0])[:2]]
    return tuple(numbers + [0] * (2 - len(numbers)))


def _torchvision(torch_version: str) -> tuple[str, str | None]:
    """torchvision's version and what is wrong with it, if anything. Reads the installed version
    instead of importing it (an import takes seconds); a mismatched pair fails on import."""
    module = sys.modules.get("torchvision")
    try:
        version = module.__version__ if module is not None else metadata.version("torchvision")
    except metadata.PackageNotFoundError:
        return "not installed", f"torchvision is not installed: install it with {UPGRADE}."
    vision, torch = _major_minor(version), _major_minor(torch_version)
    # torchvision's compatibility table: 0.15 goes with torch 2.0, 0.16 with 2.1, and so on.
    if vision[0] == 0 and vision[1] >= 15 and torch[0] == 2 and vision[1] - 15 != torch[1]:
        return version, (f"torchvision {version} is built for torch 2.{vision[1] - 15}, not torch {torch_version}, "
                         f"so importing it fails: reinstall a matching pair with {UPGRADE}.")
    return version, None


def _device() -> tuple[str, str | None]:
    """The device training will use (its type, or "none"), and why none can be chosen, if so."""
    import torch
    from data_tools.device import pick_device

    try:
        device = pick_device()
    except (RuntimeError, ValueError) as error:
        return "none", f"No usable device: {error}"
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})", None
    return device.type, None


def check_environment(notebook: str | None = None, datasets: tuple[str, ...] = (), *, file=None) -> list[str]:
    """Print versions, device, fast mode and where each data set in ``datasets`` would come from
    to ``file`` (default: the current sys.stdout); return the problems found, each one sentence
    saying how to fix it (also printed)."""
    unknown = [name for name in datasets if name not in REGISTRY]
    if unknown:
        raise ValueError(f"Unknown data set(s) {', '.join(unknown)}: use names from {', '.join(REGISTRY)}.")
    install_hints()  # in a notebook, a NameError from a skipped cell now says how to fix it
    problems = []
    try:
        import torch
    except ImportError:
        torch = None
        problems.append(f"PyTorch is not installed: install it with {UPGRADE}.")
    torch_version = torch.__version__ if torch is not None else "not installed"
    if torch is not None and _major_minor(torch_version) < (2, 0):
        problems.append(f"torch {torch_version} is older than 2.0, which the course needs: upgrade with {UPGRADE}.")
    vision_version, vision_problem = _torchvision(torch_version)
    if vision_problem:
        problems.append(vision_problem)
    device, device_problem = _device() if torch is not None else ("none", None)
    if device_problem:
        problems.append(device_problem)
    elif device == "cpu" and notebook is not None and Path(notebook).stem in GPU_NOTEBOOKS:
        problems.append("No GPU found, so training will be slow: on Colab choose Runtime → Change runtime type → GPU.")
    fast = f"on ({config.ENV_FAST})" if config.fast_mode() else "off"
    lines = [f"Environment check{f' for {notebook}' if notebook else ''}:",
             f"  Python {platform.python_version()} | torch {torch_version} | torchvision {vision_version}",
             f"  device: {device} | fast mode: {fast}"]
    for name in datasets:
        spec = REGISTRY[name]
        places = dict.fromkeys(locate(name, role) for role in spec.files)    # unique, in order
        lines.append(f"  {name}: {'; '.join(places)}")
        if config.offline() and any(find_local(name, role) is None for role in spec.files):
            problems.append(f"{spec.title} is not available offline, so the notebook will use {FALLBACKS[name]}; "
                            f"to use the real data set {config.ENV_MIRRORS} to a folder with its files, "
                            f"or connect to the internet and unset {config.ENV_OFFLINE}.")
    lines += [f"  PROBLEM: {problem}" for problem in problems] or ["  no problems found"]
    print("\n".join(lines), file=file or sys.stdout)
    return problems
