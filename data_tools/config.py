"""Settings read from environment variables: fast mode, data cache, local mirrors, offline."""
from __future__ import annotations

import os
from pathlib import Path

ENV_FAST = "CNN_COURSE_FAST"
ENV_DATA = "CNN_COURSE_DATA"
ENV_MIRRORS = "CNN_COURSE_MIRRORS"
ENV_OFFLINE = "CNN_COURSE_OFFLINE"

# Directories that Debian's dataset packages install into; used as mirrors when present.
SYSTEM_MIRRORS = (Path("/usr/share/datasets/fashion-mnist"),)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def fast_mode() -> bool:
    """True when CNN_COURSE_FAST is set: shrink data and epochs so notebooks run in seconds."""
    return _truthy(os.environ.get(ENV_FAST))


def offline() -> bool:
    """True when CNN_COURSE_OFFLINE is set: never try the network."""
    return _truthy(os.environ.get(ENV_OFFLINE))


def pick(full, fast):
    """Return ``fast`` in fast mode, else ``full`` (e.g. ``epochs = pick(10, 1)``)."""
    return fast if fast_mode() else full


def data_dir() -> Path:
    """The download cache: CNN_COURSE_DATA, else ~/.cache/cnn-course."""
    configured = os.environ.get(ENV_DATA)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "cnn-course"


def mirror_dirs() -> list[Path]:
    """Local mirror directories: CNN_COURSE_MIRRORS (os.pathsep-separated), then system mirrors."""
    configured = [Path(p).expanduser() for p in os.environ.get(ENV_MIRRORS, "").split(os.pathsep) if p.strip()]
    return configured + [p for p in SYSTEM_MIRRORS if p.is_dir() and p not in configured]
