"""A verified local copy of a data-set file: from the cache, a local mirror, or the internet.

Sources are tried in that order. Downloads go to ``<file>.part`` (resumed with an HTTP Range request
when a previous attempt was cut off) and are renamed into place only once their checksum matches,
so a corrupt or partial file is never used and never looks complete.
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import os
import sys
import urllib.error
import urllib.request
import zlib
from pathlib import Path

from tqdm import tqdm

from data_tools import config
from data_tools.registry import REGISTRY, FileSpec

CHUNK = 1 << 20          # bytes read and hashed at a time
TIMEOUT = 30             # seconds a download may wait for data before giving up
ATTEMPTS = 3             # tries per URL while an interrupted download keeps making progress
USER_AGENT = "cnn-course-data-tools"


class DataUnavailableError(RuntimeError):
    """No source gave a verified copy of a file; the message lists every source tried and why it failed."""


class ChecksumError(DataUnavailableError):
    """Copies of the file were found, but none passed verification."""


class _Interrupted(Exception):
    """A transfer stopped early; ``progressed`` says whether it got any bytes."""

    def __init__(self, message: str, progressed: bool):
        super().__init__(message)
        self.progressed = progressed


def file_spec(dataset: str, role: str) -> FileSpec:
    """The registry entry for one file of a data set, e.g. ``file_spec("mnist", "train_images")``."""
    if dataset not in REGISTRY:
        raise ValueError(f"Unknown data set {dataset!r}: use one of {', '.join(REGISTRY)}.")
    files = REGISTRY[dataset].files
    if role not in files:
        raise ValueError(f"{dataset} has no file {role!r}: use one of {', '.join(files)}.")
    return files[role]


def _squashed(name: str) -> str:
    return "".join(char for char in name.lower() if char.isalnum())


def _mirrors(dataset: str) -> list[Path]:
    """Configured mirror folders for ``dataset``; each may hold the files directly or in a ``<dataset>/``
    subfolder (the cache's layout, so a copy of someone's cache works as a mirror). A folder named
    after another data set (e.g. Debian's ``/usr/share/datasets/fashion-mnist`` when looking for
    MNIST, whose files have the same names) is left out."""
    others = {_squashed(name) for name in REGISTRY if name != dataset}
    folders = []
    for mirror in config.mirror_dirs():
        if _squashed(mirror.name) in others:
            continue
        folders.append(mirror)
        if (mirror / dataset).is_dir():
            folders.append(mirror / dataset)
    return folders


def _mirror_copies(spec: FileSpec, mirror: Path) -> list[tuple[Path, bool]]:
    """Copies of the file in a mirror folder, each with whether it is in its compressed (as named) form."""
    names = [(spec.filename, True)]
    if spec.gzipped and spec.sha256:    # content checksum known: a decompressed copy can be verified too
        names.append((spec.decompressed_name, False))
    return [(mirror / name, compressed) for name, compressed in names if (mirror / name).is_file()]


def _digest(path: Path, spec: FileSpec, compressed: bool) -> str:
    """The value ``spec``'s check compares: sha256 (of decoded content), else md5, else size."""
    if not (spec.sha256 or spec.md5):
        return str(path.stat().st_size)
    digest = hashlib.sha256() if spec.sha256 else hashlib.md5()
    decode = spec.sha256 and spec.gzipped and compressed
    with (gzip.open(path, "rb") if decode else open(path, "rb")) as stream:
        for block in iter(lambda: stream.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _problem(path: Path, spec: FileSpec, compressed: bool = True) -> str | None:
    """Why ``path`` is not a good copy of ``spec``, or None when it verifies."""
    try:
        got = _digest(path, spec, compressed)
    except (OSError, EOFError, zlib.error) as error:
        return f"unreadable or corrupt ({error}), expected {spec.describe_checksum()}"
    expected = spec.sha256 or spec.md5 or str(spec.size)
    if got == expected:
        return None
    unit = "" if (spec.sha256 or spec.md5) else " bytes"
    return f"checksum mismatch: expected {spec.describe_checksum()}, got {got}{unit}"


def _stamp_path(spec: FileSpec, cache_dir: Path) -> Path:
    return cache_dir / f"{spec.filename}.verified"


def _fingerprint(path: Path, spec: FileSpec) -> dict:
    stat = path.stat()
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
            "inode": stat.st_ino, "check": spec.describe_checksum()}


def _stamped(path: Path, spec: FileSpec, cache_dir: Path) -> bool:
    """True when a stamp says ``path`` was verified and it has not changed since."""
    try:
        return json.loads(_stamp_path(spec, cache_dir).read_text()) == _fingerprint(path, spec)
    except (OSError, ValueError):
        return False


def _write_stamp(path: Path, spec: FileSpec, cache_dir: Path) -> None:
    """Remember that ``path`` verified, so the next use skips hashing (best effort)."""
    stamp = _stamp_path(spec, cache_dir)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = stamp.with_name(stamp.name + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(_fingerprint(path, spec)))
        os.replace(tmp, stamp)
    except OSError:
        pass


def _verify(path: Path, spec: FileSpec, cache_dir: Path, compressed: bool = True) -> str | None:
    """Like :func:`_problem`, but trusts (and writes) the stamp of an unchanged verified file."""
    if _stamped(path, spec, cache_dir):
        return None
    problem = _problem(path, spec, compressed)
    if problem is None:
        _write_stamp(path, spec, cache_dir)
    return problem


def _set_aside(path: Path) -> str:
    """Move a corrupt cache file out of the way (renamed ``*.corrupt``); returns what was done."""
    corrupt = path.with_name(path.name + ".corrupt")
    try:
        os.replace(path, corrupt)
        return f"renamed to {corrupt.name}"
    except OSError:
        path.unlink(missing_ok=True)
        return "deleted"


def _transfer(url: str, part: Path, label: str, progress: bool) -> None:
    """Download ``url`` into ``part``, continuing an existing partial file when the server allows."""
    start = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": USER_AGENT}
    if start:
        headers["Range"] = f"bytes={start}-"
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=TIMEOUT)
    except urllib.error.HTTPError as error:
        if error.code == 416 and start:     # nothing left to send: the partial file may be complete
            return
        raise
    with response:
        resumed = bool(start) and response.status == 206
        if resumed and not response.headers.get("Content-Range", "").startswith(f"bytes {start}-"):
            raise OSError(f"server answered bytes={start}- with {response.headers.get('Content-Range')}")
        start = start if resumed else 0        # a server that ignores Range sends everything again
        length = response.headers.get("Content-Length")
        expected = int(length) if length is not None else None
        received = 0
        with open(part, "ab" if resumed else "wb") as out, \
                tqdm(total=None if expected is None else start + expected, initial=start, unit="B",
                     unit_scale=True, unit_divisor=1024, desc=label,
                     disable=not progress, file=sys.stdout) as bar:
            while True:
                try:
                    block = response.read(CHUNK)
                except (OSError, http.client.HTTPException) as error:
                    raise _Interrupted(f"transfer failed after {start + received} bytes ({error})",
                                       received > 0) from error
                if not block:
                    break
                out.write(block)
                received += len(block)
                bar.update(len(block))
    if expected is not None and received < expected:
        raise _Interrupted(f"connection closed after {start + received} of {start + expected} bytes",
                           received > 0)


def _download(url: str, spec: FileSpec, target: Path, cache_dir: Path, progress: bool) -> tuple[str, bool] | None:
    """Download, verify and atomically move into ``target``. Returns None, or why it failed and
    whether the failure was a checksum mismatch."""
    part = target.with_name(target.name + ".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    attempts, restarted = 0, False
    while True:
        resuming = part.exists()
        try:
            _transfer(url, part, spec.filename, progress)
        except _Interrupted as error:
            attempts += 1
            if error.progressed and attempts < ATTEMPTS:
                continue
            return f"download interrupted: {error} (kept {part.name} to resume next time)", False
        except urllib.error.HTTPError as error:
            return f"HTTP error {error.code} {error.reason}", False
        except urllib.error.URLError as error:
            return f"network error: {error.reason}", False
        except OSError as error:
            return f"network error: {error}", False
        problem = _problem(part, spec)
        if problem is None:
            os.replace(part, target)
            _write_stamp(target, spec, cache_dir)
            return None
        part.unlink()
        if resuming and not restarted:     # the kept partial file may have been stale: start over once
            restarted = True
            continue
        return f"downloaded, but {problem} (download deleted)", True


def fetch_file(spec: FileSpec, *, cache_dir: Path, mirrors: list[Path], download: bool, progress: bool) -> Path:
    """A verified copy of ``spec``: ``cache_dir/<filename>``, else a copy in a mirror folder (used in
    place; ``x.gz`` may also be there as ``x``), else a download from each URL into the cache.

    Raises ChecksumError when copies were found but none verified, else DataUnavailableError.
    """
    cache_dir = Path(cache_dir)
    target = cache_dir / spec.filename
    tried, mismatched = [], False
    if target.is_file():
        problem = _verify(target, spec, cache_dir)
        if problem is None:
            return target
        _stamp_path(spec, cache_dir).unlink(missing_ok=True)
        tried.append(f"cache {target}: {problem}; {_set_aside(target)}")
        mismatched = True
    else:
        tried.append(f"cache {target}: missing")
    for mirror in map(Path, mirrors):
        if not mirror.is_dir():
            tried.append(f"mirror {mirror}: folder does not exist")
            continue
        copies = _mirror_copies(spec, mirror)
        if not copies:
            tried.append(f"mirror {mirror}: missing")
        for path, compressed in copies:
            problem = _verify(path, spec, cache_dir, compressed)
            if problem is None:
                return path
            tried.append(f"mirror {path}: {problem}")
            mismatched = True
    offline = config.offline()
    for url in spec.urls:
        if offline or not download:
            tried.append(f"{url}: skipped ({'offline: ' + config.ENV_OFFLINE + ' is set' if offline else 'downloads turned off'})")
            continue
        failure = _download(url, spec, target, cache_dir, progress)
        if failure is None:
            return target
        tried.append(f"{url}: {failure[0]}")
        mismatched = mismatched or failure[1]
    internet = "connect to the internet" + (f" and unset {config.ENV_OFFLINE}" if offline else "")
    message = "\n".join([f"Could not get a verified copy of {spec.filename} (expected {spec.describe_checksum()}).",
                         "Sources tried:", *(f"  - {line}" for line in tried),
                         f"To fix this, set {config.ENV_MIRRORS} to a folder that holds {spec.filename}, "
                         f"{internet}, or put the file in {cache_dir}."])
    raise (ChecksumError if mismatched else DataUnavailableError)(message)


def fetch(dataset: str, role: str, *, download: bool | None = None, progress: bool = True) -> Path:
    """A verified local copy of one file of a registered data set (see :func:`fetch_file`).

    ``download`` None means: download when needed unless CNN_COURSE_OFFLINE is set.
    """
    spec = file_spec(dataset, role)
    return fetch_file(spec, cache_dir=config.data_dir() / dataset, mirrors=_mirrors(dataset),
                      download=not config.offline() if download is None else download, progress=progress)


def find_local(dataset: str, role: str) -> Path | None:
    """The copy :func:`fetch` would try first without downloading (cache, then mirrors), unverified."""
    spec = file_spec(dataset, role)
    cached = config.data_dir() / dataset / spec.filename
    if cached.is_file():
        return cached
    for mirror in _mirrors(dataset):
        copies = _mirror_copies(spec, mirror)
        if copies:
            return copies[0][0]
    return None


def locate(dataset: str, role: str) -> str:
    """Where :func:`fetch` would get a file from, without downloading or hashing, e.g.
    ``"mirror /usr/share/datasets/fashion-mnist"`` or ``"download from https://…/"``."""
    spec = file_spec(dataset, role)
    cache_dir = config.data_dir() / dataset
    local = find_local(dataset, role)
    if local is not None:
        kind = "cache" if local.parent == cache_dir else "mirror"
        checked = "verified" if _stamped(local, spec, cache_dir) else "checksum checked on first use"
        return f"{kind} {local.parent} ({checked})"
    if config.offline():
        return f"not available (not in the cache or mirrors, and {config.ENV_OFFLINE} is set)"
    return f"download from {spec.urls[0].rsplit('/', 1)[0]}/"
