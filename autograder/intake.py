"""Submission intake: a folder or zip of ``<student>/<assignment>/<files>`` becomes clean, gradable copies.

Every (student, assignment) pair found becomes exactly one :class:`Submission`: a clean folder holding only
the notebook (under its expected name) and the expected checkpoint files, or a one-sentence problem that
scores it 0. Nothing in the input is trusted: names are checked (zip-slip, links, bytes that are not UTF-8),
sizes are checked before reading and again while reading (zip bombs), zips are opened at most one level
below the input, notebooks are validated with nbformat, and checkpoints are copied as bytes, never
unpickled. The input is only read: it is never modified or deleted.
"""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import stat
import tempfile
import warnings
import zipfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import BinaryIO, Callable

import nbformat

from .measured import MAX_CHECKPOINT_BYTES, TASKS
from .paths import RELEASE, REPO_ROOT, SOLUTIONS

MARKER = ".intake"  # marks a workdir made by collect(); only such a folder is ever emptied
HIDDEN_NAMES = {"__MACOSX", "Thumbs.db", "desktop.ini"}  # and every name that starts with "."
CHUNK = 1 << 20
SHOWN_NAMES = 5  # file names listed in a note before "and N more"


@dataclass(frozen=True)
class Expected:
    """What one assignment's submission should contain."""
    assignment: str
    notebook: str  # e.g. "03_mnist_cnn.ipynb"
    extra_files: tuple[str, ...] = ()  # e.g. ("mnist_cnn.pt", "mnist_cnn.json", ...)


@dataclass(frozen=True)
class Limits:
    """Sizes that keep hostile or careless input from filling the disk or the memory."""
    notebook_bytes: int = 20_000_000
    checkpoint_bytes: int = MAX_CHECKPOINT_BYTES  # each expected file besides the notebook
    submission_bytes: int = 300_000_000  # the accepted files of one submission together
    max_files: int = 100_000  # entries in one zip, in one folder, or below one submission
    zip_bytes: int = 1_000_000_000  # a zip found inside the input: its own size and its declared content


@dataclass
class Submission:
    student: str
    assignment: str
    folder: Path | None = None  # a clean copy holding only the accepted files (None when nothing to grade)
    problem: str | None = None  # why it cannot be graded (it scores 0 with this reason), else None
    notes: list[str] = field(default_factory=list)  # what the TA/student should know; did not stop grading


class IntakeError(ValueError):
    """The input or the work folder cannot be used at all (the message says what to do)."""


class _Refused(Exception):
    """This submission cannot be graded; the message is its problem sentence."""


def expected_files(repo_root: Path = REPO_ROOT) -> dict[str, Expected]:
    """Each assignment's notebook (from ``course/``, else ``solutions/``) and, from ``measured.TASKS``,
    the checkpoints it saves with their JSON reports."""
    notebooks = {}
    for where in (SOLUTIONS, RELEASE):  # the release's name wins where both exist
        base = Path(repo_root) / where
        for folder in sorted(base.iterdir()) if base.is_dir() else ():
            hidden = folder.name.startswith(".") or not folder.is_dir()
            names = [] if hidden else sorted(p.name for p in folder.glob("*.ipynb"))
            if len(names) > 1:
                raise ValueError(f"{folder} holds several notebooks ({', '.join(names)}); keep one per assignment")
            if names:
                notebooks[folder.name] = names[0]
    return {a: Expected(a, nb, tuple(name for task in TASKS.values() if task.assignment == a
                                     for name in (task.checkpoint, Path(task.checkpoint).with_suffix(".json").name,
                                                  *task.extra_files)))
            for a, nb in sorted(notebooks.items())}


def collect(source: Path, expected: dict[str, Expected], workdir: Path, *, limits: Limits = Limits()) -> list[Submission]:
    """One :class:`Submission` per (student, assignment) in ``source``, sorted by (student, assignment).

    ``source`` is a folder or a zip of ``<student>/<assignment>/<files>`` (a zip may wrap that in one
    top folder). Clean copies go to ``workdir/<student>/<assignment>/``; ``workdir`` is emptied first,
    so it must be new, empty, or made by an earlier ``collect``. Raises :class:`IntakeError` only when
    the input or the work folder cannot be used at all.
    """
    source, workdir = Path(source).resolve(), Path(workdir).resolve()
    _prepare(source, workdir)
    with ExitStack() as stack:
        opened = _Opened(limits, stack, workdir)
        root = _unwrapped(_open_source(source, opened), expected)
        pending: dict[tuple[str, str], list[_Pending]] = {}
        for item in _plan(root, expected, opened):
            pending.setdefault((item.student, item.assignment), []).append(item)
        return [_evaluate(group[0], expected, opened) if len(group) == 1 else
                Submission(*key, problem=f"found {len(group)} times ({', '.join(p.origin for p in group)}); "
                                         f"keep only one of them")
                for key, group in sorted(pending.items())]


# ----------------------------------------------------------------------------- the input as a tree

@dataclass(eq=False)
class _Entry:
    """A file or folder of the input, on disk or in a zip (a disk folder is listed on first use)."""
    name: str  # as shown: bytes that are not UTF-8 are escaped (\xe9)
    is_dir: bool
    size: int = 0  # declared bytes of a file
    flaw: str = ""  # why nothing below this entry's submission may be used (a problem sentence)
    nested: int = 0  # zips opened below the input to reach this entry
    opener: Callable[[], BinaryIO] | None = None
    lister: Callable[[], dict] | None = None
    entries: dict | None = None

    def children(self) -> dict[str, _Entry]:
        if self.entries is None:
            self.entries = {}
            try:
                self.entries = self.lister() if self.lister else {}
            except (OSError, _Refused) as error:
                self.flaw = self.flaw or (str(error) if isinstance(error, _Refused) else
                                          f"'{self.name}' cannot be read ({error.strerror}); make it readable")
        return self.entries

    @property
    def hidden(self) -> bool:
        return self.name.startswith(".") or self.name in HIDDEN_NAMES

    @property
    def is_zip(self) -> bool:
        return not self.is_dir and self.name.lower().endswith(".zip")

    @property
    def stem(self) -> str:
        return self.name[:-4] if self.is_zip else self.name


def _visible(entry: _Entry) -> list[_Entry]:
    return [child for _, child in sorted(entry.children().items()) if not child.hidden]


def _shown(raw: bytes) -> tuple[str, bool]:
    """The name to show and whether it was valid UTF-8 (else its bad bytes are escaped, e.g. \\xe9)."""
    try:
        return raw.decode("utf-8"), True
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace"), False


def _bad_name(shown: str) -> str:
    return f"file name is not valid UTF-8: '{shown}'; rename it with plain letters and digits and submit again"


def _unsafe(shown: str, why: str) -> str:
    return f"unsafe entry '{shown}' ({why}) was refused, so nothing of this submission was used; submit plain files"


def _add(children: dict, entry: _Entry) -> None:
    existing = children.setdefault(entry.name, entry)
    if existing is not entry:  # two names that differ only in their undecodable bytes
        existing.flaw = existing.flaw or entry.flaw or _unsafe(entry.name, "appears twice")


def _open_nofollow(path: str) -> BinaryIO:
    return os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb")


def _list_disk(path: str, limit: int) -> dict[str, _Entry]:
    children: dict[str, _Entry] = {}
    with os.scandir(path) as items:
        for item in items:
            if len(children) >= limit:
                raise _Refused(f"'{_shown(os.fsencode(os.path.basename(path)))[0]}' holds more than {limit:,} entries; "
                               f"submit only the notebook and its checkpoints")
            shown, valid = _shown(os.fsencode(item.name))
            entry = _Entry(shown, item.is_dir(follow_symlinks=False), flaw="" if valid else _bad_name(shown))
            if item.is_symlink():
                entry.flaw = _unsafe(shown, "a link")
            elif entry.is_dir:
                entry.lister = partial(_list_disk, item.path, limit)
            elif item.is_file(follow_symlinks=False):
                entry.size, entry.opener = item.stat(follow_symlinks=False).st_size, partial(_open_nofollow, item.path)
            else:
                entry.flaw = _unsafe(shown, "not a regular file")
            _add(children, entry)
    return children


_ABSOLUTE = re.compile(rb"^([/\\]|[A-Za-z]:)")
_PARENT = re.compile(rb"(^|[/\\])\.\.([/\\]|$)")


def _zip_tree(archive: zipfile.ZipFile, name: str, nested: int) -> _Entry:
    """The archive's members as a tree; unsafe members keep a flaw and can never be opened."""
    root = _Entry(name, True, nested=nested, entries={})
    for info in archive.infolist():
        raw = info.filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
        shown, valid = _shown(raw)
        mode = info.external_attr >> 16
        why = ("an absolute path" if _ABSOLUTE.match(raw) else "'..' in its path" if _PARENT.search(raw)
               else "a link" if stat.S_ISLNK(mode)
               else "not a regular file" if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR) else "")
        # in UTF-8 a backslash byte is always a separator; in other encodings it may be half a character
        parts = re.split(rb"[/\\]", raw) if valid else raw.split(b"/")
        names = [_shown(p)[0] for p in parts if p not in (b"", b".", b"..")] or [shown]
        is_dir = not why and raw.endswith((b"/", b"\\"))
        leaf = _Entry(names[-1], is_dir, size=info.file_size, nested=nested,
                      flaw=_unsafe(shown, why) if why else "" if valid else _bad_name(shown),
                      opener=None if is_dir or why else partial(archive.open, info), entries={} if is_dir else None)
        folder = root
        for part in names[:-1]:
            child = folder.entries.setdefault(part, _Entry(part, True, nested=nested, entries={}))
            if not child.is_dir:  # a file stands where a folder is needed: it holds this member, flawed
                child.flaw = child.flaw or _unsafe(shown, "both a file and a folder")
                child.is_dir, child.opener, child.entries = True, None, {}
            folder = child
        existing = folder.entries.setdefault(leaf.name, leaf)
        if existing is not leaf and not (existing.is_dir and leaf.is_dir):
            existing.flaw = existing.flaw or leaf.flaw or _unsafe(
                shown, "appears twice" if existing.is_dir == leaf.is_dir else "both a file and a folder")
        elif existing is not leaf:
            existing.flaw = existing.flaw or leaf.flaw
    return root


def _declared_entries(fileobj: BinaryIO) -> int:
    """An upper bound on the members of a zip, read from its end records before the central directory
    is parsed (each member takes at least 46 bytes there), so a zip of millions of members costs nothing."""
    fileobj.seek(0, os.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(max(0, size - 22 - 65535))
    tail = fileobj.read()
    at = len(tail) - 22 if tail[-22:-18] == b"PK\x05\x06" else tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return 0  # not a zip: ZipFile will say so
    count = int.from_bytes(tail[at + 10:at + 12], "little")
    directory = int.from_bytes(tail[at + 12:at + 16], "little")
    record = tail[max(0, at - 76):at - 20]
    if at >= 76 and tail[at - 20:at - 16] == b"PK\x06\x07" and record[:4] == b"PK\x06\x06":  # zip64
        count = max(count, int.from_bytes(record[32:40], "little"))
        directory = max(directory, int.from_bytes(record[40:48], "little"))
    return max(count, directory // 46)


def _read_zip(fileobj: BinaryIO, name: str, nested: int, limits: Limits) -> _Entry:
    if _declared_entries(fileobj) > limits.max_files:
        raise _Refused(f"{name} holds more than {limits.max_files:,} entries; zip only the notebook and its checkpoints")
    try:
        archive = zipfile.ZipFile(fileobj)
    except Exception as error:  # untrusted bytes: any failure to parse them is this zip's problem
        raise _Refused(f"{name} cannot be opened as a zip ({_short(error)}); submit the notebook itself") from None
    declared = sum(info.file_size for info in archive.infolist())
    if nested and declared > limits.zip_bytes:
        raise _Refused(f"{name} declares {_mb(declared)} of content, over the {_mb(limits.zip_bytes)} limit; "
                       f"submit only the notebook and its checkpoints")
    return _zip_tree(archive, name, nested)


@dataclass
class _Opened:
    """What one collect() run shares: the limits, open files (closed at the end), the work folder."""
    limits: Limits
    stack: ExitStack
    workdir: Path

    def zip_below(self, entry: _Entry) -> _Entry:
        """The tree of a zip found in the input, opened at most one level below it; raises _Refused."""
        if entry.nested:
            raise _Refused("the submission is a zip inside the zip; submit the notebook itself")
        if entry.size > self.limits.zip_bytes:
            raise _Refused(f"{entry.name} is {_mb(entry.size)}, over the {_mb(self.limits.zip_bytes)} limit; "
                           f"submit the notebook itself")
        copy = self.stack.enter_context(tempfile.TemporaryFile(dir=self.workdir))
        _read_into(entry, copy, self.limits.zip_bytes)
        tree = _read_zip(copy, entry.name, entry.nested + 1, self.limits)
        _check_tree(tree, self.limits)
        return tree


def _open_source(source: Path, opened: _Opened) -> _Entry:
    if source.is_dir():
        root = _Entry(source.name, True, lister=partial(_list_disk, str(source), opened.limits.max_files))
    elif source.is_file() and zipfile.is_zipfile(source):
        try:
            root = _read_zip(opened.stack.enter_context(open(source, "rb")), source.name, 0, opened.limits)
        except _Refused as refused:
            raise IntakeError(str(refused)) from None
    else:
        raise IntakeError(f"{source} is neither a folder nor a zip; pass the folder or zip of "
                          f"<student>/<assignment>/<files>")
    root.children()
    if root.flaw:
        raise IntakeError(root.flaw)
    return root


def _unwrapped(root: _Entry, expected: dict[str, Expected]) -> _Entry:
    """The folder holding the student folders: the input itself, or its single top folder when that
    holds student folders (their sub-folders are assignments) or student zips rather than assignments."""
    top = _visible(root)
    if len(top) != 1 or not top[0].is_dir:
        return root
    inner = _visible(top[0])
    if any(e.stem in expected for e in inner if e.is_dir or e.is_zip):
        return root  # the one top folder is a student
    holds_students = any(e.is_zip for e in inner) or any(
        g.stem in expected for e in inner if e.is_dir for g in _visible(e) if g.is_dir or g.is_zip)
    return top[0] if holds_students else root


def _check_tree(root: _Entry, limits: Limits) -> None:
    """Raise _Refused for the first flawed entry at or below ``root`` (hidden ones included), or when it
    holds more than ``limits.max_files`` entries."""
    todo, seen = [root], 0
    while todo:
        entry = todo.pop()
        children = entry.children() if entry.is_dir else {}
        if entry.flaw:
            raise _Refused(entry.flaw)
        seen += len(children)
        if seen > limits.max_files:
            raise _Refused(f"'{root.name}' holds more than {limits.max_files:,} files; "
                           f"submit only the notebook and its checkpoints")
        todo += [children[name] for name in sorted(children, reverse=True)]


# ----------------------------------------------------------------------------- students and assignments

@dataclass
class _Pending:
    """A (student, assignment) found in the input, before its files are checked and copied."""
    student: str
    assignment: str
    entry: _Entry | None  # the assignment folder or zip; None when there is nothing to grade
    origin: str  # where it was found, for messages
    problem: str = ""
    notes: list = field(default_factory=list)


def _plan(root: _Entry, expected: dict[str, Expected], opened: _Opened) -> list[_Pending]:
    found = []
    for entry in _visible(root):
        if entry.is_dir:
            found += _student(entry.name, entry, entry.name, expected, opened.limits, [])
        elif entry.is_zip:  # the whole student folder, zipped: <assignment>/... or <student>/<assignment>/...
            try:
                if entry.flaw:
                    raise _Refused(entry.flaw)
                tree = opened.zip_below(entry)
            except _Refused as refused:
                found.append(_Pending(entry.stem, "", None, entry.name, str(refused)))
                continue
            found += _student(entry.stem, _inside(tree, (entry.stem,)) or tree, entry.name, expected,
                              opened.limits, [f"unpacked {entry.name}; next time submit the folder itself"])
        else:
            found.append(_Pending(entry.name, "", None, entry.name, entry.flaw or
                                  "not inside a <student>/<assignment>/ folder; move it into its student's "
                                  "assignment folder"))
    return found


def _student(student: str, folder: _Entry, origin: str, expected: dict[str, Expected], limits: Limits,
             notes: list) -> list[_Pending]:
    """One pending row per assignment folder or zip; files beside them are noted, their flaws refuse all."""
    children = _visible(folder)
    loose = [c for c in children if not (c.is_dir or c.is_zip)]
    problem = folder.flaw
    for other in loose + [c for c in folder.children().values() if c.hidden]:
        try:
            _check_tree(other, limits)
        except _Refused as refused:
            problem = problem or str(refused)
    if loose:
        notes = notes + [f"files outside an assignment folder were ignored: {_listing(c.name for c in loose)}"]
    rows = [_Pending(student, c.stem, c, f"{origin}/{c.name}", problem, list(notes))
            for c in children if c.is_dir or c.is_zip]
    return rows or [_Pending(student, "", None, origin, problem or
                             f"no assignment folder: expected {student}/<assignment>/ with <assignment> one of "
                             f"{', '.join(sorted(expected))}", list(notes))]


def _evaluate(pending: _Pending, expected: dict[str, Expected], opened: _Opened) -> Submission:
    row = Submission(pending.student, pending.assignment, notes=list(pending.notes))
    exp = expected.get(pending.assignment)
    try:
        if pending.problem or pending.entry is None:
            raise _Refused(pending.problem)
        if pending.entry.flaw:
            raise _Refused(pending.entry.flaw)
        if exp is None:
            raise _Refused(f"unknown assignment '{pending.assignment}' (expected one of {', '.join(sorted(expected))})")
        folder = _submission_folder(pending.entry, pending.student, exp, opened, row.notes)
        row.folder = _accept(folder, exp, opened.limits, opened.workdir / pending.student / pending.assignment,
                             row.notes)
    except _Refused as refused:
        row.problem = str(refused)
    return row


def _submission_folder(entry: _Entry, student: str, exp: Expected, opened: _Opened, notes: list) -> _Entry:
    """The folder holding the submitted files: the entry itself, or the zip it is (or holds alone, without
    a notebook beside it) unpacked, taking ``<student>/<assignment>/`` or ``<assignment>/`` inside it."""
    while True:
        if not entry.is_dir:
            tree = opened.zip_below(entry)
            notes.append(f"unpacked {entry.name}; next time submit the files themselves")
            entry = _inside(tree, (student, exp.assignment)) or _inside(tree, (exp.assignment,)) or tree
        _check_tree(entry, opened.limits)
        files = [c for c in _visible(entry) if not c.is_dir]
        zips = [c for c in files if c.is_zip]
        if any(c.name.lower().endswith(".ipynb") for c in files) or len(zips) != 1:
            return entry
        entry = zips[0]


def _inside(tree: _Entry, names: tuple) -> _Entry | None:
    for name in names:
        tree = tree.children().get(name) if tree is not None and tree.is_dir else None
    return tree if tree is not None and tree.is_dir else None


def _pick_notebook(files: dict[str, _Entry], exp: Expected, notes: list) -> _Entry:
    if exp.notebook in files:
        return files[exp.notebook]
    candidates = [name for name in files if name.lower().endswith(".ipynb")]
    if not candidates:
        found = f"; found only {_listing(files)}" if files else ""
        raise _Refused(f"no notebook: expected {exp.notebook}{found}")
    if len(candidates) > 1:
        raise _Refused(f"several notebooks and none named {exp.notebook} ({_listing(candidates)}); "
                       f"submit only {exp.notebook}")
    notes.append(f"graded {candidates[0]} as {exp.notebook}; name your notebook {exp.notebook} next time")
    return files[candidates[0]]


def _accept(folder: _Entry, exp: Expected, limits: Limits, target: Path, notes: list) -> Path:
    """Check the submitted files and copy the accepted ones to ``target``; returns it."""
    files = {c.name: c for c in _visible(folder) if not c.is_dir}
    notebook = _pick_notebook(files, exp, notes)
    if notebook.size > limits.notebook_bytes:
        raise _Refused(f"notebook is {_mb(notebook.size)}, over the {_mb(limits.notebook_bytes)} limit; "
                       f"clear large outputs (Edit > Clear Outputs of All Cells), save and submit again")
    extras = {}
    for name in exp.extra_files:
        entry = files.get(name)
        if entry is None:
            notes.append(f"{name} is missing, so the checks that need it will fail; submit it with the notebook")
        elif entry.size > limits.checkpoint_bytes:
            notes.append(f"{name} is {_mb(entry.size)}, over the {_mb(limits.checkpoint_bytes)} limit, so it was "
                         f"not used; save only the model's state_dict")
        else:
            extras[name] = entry
    total = notebook.size + sum(e.size for e in extras.values())
    if total > limits.submission_bytes:
        raise _Refused(f"the notebook and checkpoints total {_mb(total)}, over the {_mb(limits.submission_bytes)} "
                       f"limit; submit smaller checkpoints")
    ignored = [c.name + ("/" if c.is_dir else "") for c in _visible(folder)
               if c is not notebook and c.name not in exp.extra_files]
    if ignored:
        notes.append(f"not graded and not kept: {_listing(ignored)}")
    data = io.BytesIO()
    _read_into(notebook, data, limits.notebook_bytes)
    invalid = _notebook_problem(data.getvalue())
    if invalid:
        raise _Refused(invalid)
    target.mkdir(parents=True)
    (target / exp.notebook).write_bytes(data.getvalue())
    for name, entry in extras.items():
        try:
            with open(target / name, "wb") as out:
                _read_into(entry, out, limits.checkpoint_bytes)
        except _Refused as refused:
            (target / name).unlink()
            notes.append(f"{refused}, so {name} was not used")
    return target


def _read_into(entry: _Entry, out: BinaryIO, limit: int) -> None:
    """Copy a file of the input to ``out``, stopping (and raising _Refused) before ``limit`` bytes are passed,
    whatever its declared size said."""
    written = 0
    try:
        with entry.opener() as source:
            while True:
                chunk = source.read(CHUNK)
                if not chunk:
                    return
                written += len(chunk)
                if written > limit:
                    raise _Refused(f"{entry.name} is over the {_mb(limit)} limit")
                out.write(chunk)
    except _Refused:
        raise
    except Exception as error:  # untrusted bytes (a corrupt or encrypted member): this file's problem
        raise _Refused(f"{entry.name} cannot be read ({_short(error)}); submit it again") from None


def _notebook_problem(data: bytes) -> str | None:
    """Why ``data`` is not a valid nbformat-4 notebook, or None."""
    try:
        content = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as error:
        return f"notebook is not valid JSON: {_short(error)}; open it in Jupyter, save it and submit again"
    version = content.get("nbformat") if isinstance(content, dict) else None
    if version != 4:
        return (f"notebook is not a Jupyter notebook: nbformat version {version!r}, expected 4; "
                f"open it in Jupyter, save it and submit again")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nbformat.validate(nbformat.from_dict(content))
    except Exception as error:  # nbformat raises more than ValidationError on odd structures
        return f"notebook is not a Jupyter notebook: {_short(error)}; open it in Jupyter, save it and submit again"
    return None


# ----------------------------------------------------------------------------- the work folder

def _prepare(source: Path, workdir: Path) -> None:
    """Empty the work folder (only one made by collect) and refuse any overlap with the input."""
    if not source.exists():
        raise IntakeError(f"{source} does not exist; pass the folder or zip of the submissions")
    if workdir == source or source in workdir.parents or workdir in source.parents:
        raise IntakeError(f"the work folder {workdir} overlaps the input {source}; choose a folder outside it")
    if workdir.exists():
        if not workdir.is_dir() or (any(workdir.iterdir()) and not (workdir / MARKER).is_file()):
            raise IntakeError(f"{workdir} is not empty and was not made by intake; choose a new or empty folder")
        for child in workdir.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            elif child.name != MARKER:
                child.unlink()
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / MARKER).write_text("made by autograder.intake.collect; emptied on every run\n")


def _listing(names, limit: int = SHOWN_NAMES) -> str:
    names = list(names)
    more = len(names) - limit
    return ", ".join(names[:limit]) + (f" and {more} more" if more > 0 else "")


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _short(error: BaseException) -> str:
    text = str(getattr(error, "message", "") or error).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    return line if len(line) <= 120 else line[:117] + "..."
