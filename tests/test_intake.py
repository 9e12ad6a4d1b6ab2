"""Submission intake: honest layouts, and every kind of bad input gives that row a reason, nothing else."""
from __future__ import annotations

import hashlib
import io
import os
import pickle
import stat
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.intake import Expected, IntakeError, Limits, Submission, collect, expected_files
from autograder.paths import REPO_ROOT

MNIST, CIFAR = "03_mnist_cnn", "04_cifar10"
EXPECTED = {
    MNIST: Expected(MNIST, f"{MNIST}.ipynb", ("mnist_cnn.pt", "mnist_cnn.json", "fashion_cnn.pt", "fashion_cnn.json")),
    CIFAR: Expected(CIFAR, f"{CIFAR}.ipynb", ("cifar10_cnn.pt", "cifar10_cnn.json", "lr_experiment.json")),
}


def notebook(source: str = "x = 1") -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(source))
    return nbformat.writes(nb).encode()


NB = notebook()
MNIST_FILES = {f"{MNIST}.ipynb": NB, "mnist_cnn.pt": b"weights-1", "mnist_cnn.json": b'{"a": 1}',
               "fashion_cnn.pt": b"weights-2", "fashion_cnn.json": b'{"b": 2}'}
CIFAR_FILES = {f"{CIFAR}.ipynb": notebook("y = 2"), "cifar10_cnn.pt": b"weights-3", "cifar10_cnn.json": b"{}", "lr_experiment.json": b"{}"}


def under(prefix: str, files: dict) -> dict:
    return {f"{prefix}/{name}": data for name, data in files.items()}


HONEST = {**under(f"alice/{MNIST}", MNIST_FILES), **under(f"bob/{CIFAR}", CIFAR_FILES)}
BOB = under(f"bob/{CIFAR}", CIFAR_FILES)


def write_tree(root: Path, files: dict) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def zip_bytes(files: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            if isinstance(name, zipfile.ZipInfo):
                name.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(name, data)
    return buffer.getvalue()


def write_zip(path: Path, files: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(zip_bytes(files))
    return path


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def rename_in_zip(data: bytes, old: bytes, new: bytes, members: int = 1) -> bytes:
    """Raw name bytes the zipfile module would not write (same length: offsets stay valid)."""
    assert len(old) == len(new) and data.count(old) == 2 * members  # local headers and central directory
    return data.replace(old, new)


def declare_size(data: bytes, name: str, size: int) -> bytes:
    """Make the central directory lie about a member's uncompressed size."""
    buffer, at = bytearray(data), data.find(b"PK\x01\x02")
    while at >= 0:
        length = int.from_bytes(buffer[at + 28:at + 30], "little")
        if bytes(buffer[at + 46:at + 46 + length]) == name.encode():
            buffer[at + 24:at + 28] = size.to_bytes(4, "little")
        at = buffer.find(b"PK\x01\x02", at + 1)
    return bytes(buffer)


def grade(source: Path, tmp_path: Path, limits: Limits = Limits()) -> dict:
    rows = collect(source, EXPECTED, tmp_path / "work", limits=limits)
    assert len({(r.student, r.assignment) for r in rows}) == len(rows)
    return {(r.student, r.assignment): r for r in rows}


def files_in(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def state(path: Path, skip: Path | None = None) -> dict:
    """Every name (as bytes), kind, mode and content hash below ``path``: proof that it did not change."""
    found = {}
    for top, dirs, names in os.walk(os.fsencode(path)):
        dirs[:] = [d for d in dirs if skip is None or os.path.join(top, d) != os.fsencode(skip)]
        for name in dirs + names:
            full = os.path.join(top, name)
            info = os.lstat(full)
            content = (os.readlink(full) if stat.S_ISLNK(info.st_mode) else
                       hashlib.sha256(open(full, "rb").read()).hexdigest() if stat.S_ISREG(info.st_mode) else b"")
            found[full] = (info.st_mode, info.st_mtime_ns, content)
    return found


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def assert_graded(row: Submission, files: dict) -> None:
    assert row.problem is None, row.problem
    assert files_in(row.folder) == files


# ----------------------------------------------------------------------------- honest layouts

def test_honest_folder_is_copied_clean(tmp_path):
    rows = grade(write_tree(tmp_path / "in", HONEST), tmp_path)
    assert list(rows) == [("alice", MNIST), ("bob", CIFAR)]
    assert_graded(rows["alice", MNIST], MNIST_FILES)
    assert_graded(rows["bob", CIFAR], CIFAR_FILES)
    assert rows["alice", MNIST].notes == [] and rows["bob", CIFAR].notes == []
    assert rows["alice", MNIST].folder == (tmp_path / "work" / "alice" / MNIST).resolve()


@pytest.mark.parametrize("wrapper", ["", "submissions/", "submitted/"])
def test_honest_zip_with_or_without_wrapping_folder(tmp_path, wrapper):
    source = write_zip(tmp_path / "subs.zip", {wrapper + name: data for name, data in HONEST.items()})
    rows = grade(source, tmp_path)
    assert list(rows) == [("alice", MNIST), ("bob", CIFAR)]
    assert_graded(rows["alice", MNIST], MNIST_FILES)
    assert_graded(rows["bob", CIFAR], CIFAR_FILES)


def test_single_student_zip_is_not_mistaken_for_a_wrapper(tmp_path):
    rows = grade(write_zip(tmp_path / "one.zip", under(f"alice/{MNIST}", MNIST_FILES)), tmp_path)
    assert list(rows) == [("alice", MNIST)]
    assert_graded(rows["alice", MNIST], MNIST_FILES)


def test_wrapper_of_student_zips(tmp_path):
    source = write_zip(tmp_path / "subs.zip", {"all/alice.zip": zip_bytes(under(MNIST, MNIST_FILES)),
                                               "all/bob.zip": zip_bytes(under(f"bob/{CIFAR}", CIFAR_FILES))})
    rows = grade(source, tmp_path)
    assert list(rows) == [("alice", MNIST), ("bob", CIFAR)]
    assert_graded(rows["alice", MNIST], MNIST_FILES)
    assert_graded(rows["bob", CIFAR], CIFAR_FILES)


def test_order_is_sorted_and_reruns_are_idempotent(tmp_path):
    source = write_tree(tmp_path / "in", {**under(f"zed/{MNIST}", MNIST_FILES), **HONEST,
                                          **under(f"alice/{CIFAR}", CIFAR_FILES), "carol/notes.txt": b"hi"})
    work = tmp_path / "work"
    first = collect(source, EXPECTED, work)
    assert [(r.student, r.assignment) for r in first] == [("alice", MNIST), ("alice", CIFAR), ("bob", CIFAR),
                                                          ("carol", ""), ("zed", MNIST)]
    listing = sorted(str(p.relative_to(work)) for p in work.rglob("*"))
    (work / "stale" / MNIST).mkdir(parents=True)
    (work / "stale" / MNIST / "old.ipynb").write_bytes(NB)
    (work / "alice" / MNIST / "leftover.pt").write_bytes(b"x")
    assert collect(source, EXPECTED, work) == first
    assert sorted(str(p.relative_to(work)) for p in work.rglob("*")) == listing


def test_workdir_that_intake_did_not_make_is_refused_and_kept(tmp_path):
    source = write_tree(tmp_path / "in", HONEST)
    precious = write_tree(tmp_path / "home", {"thesis.tex": b"years of work"})
    with pytest.raises(IntakeError, match="not made by intake"):
        collect(source, EXPECTED, precious)
    assert (precious / "thesis.tex").read_bytes() == b"years of work"
    with pytest.raises(IntakeError, match="overlaps"):
        collect(source, EXPECTED, source / "work")
    with pytest.raises(IntakeError, match="overlaps"):
        collect(write_zip(tmp_path / "w" / "subs.zip", HONEST), EXPECTED, tmp_path / "w")
    with pytest.raises(IntakeError, match="does not exist"):
        collect(tmp_path / "nowhere", EXPECTED, tmp_path / "work")
    with pytest.raises(IntakeError, match="neither a folder nor a zip"):
        collect(write_tree(tmp_path, {"subs.txt": b"hello"}) / "subs.txt", EXPECTED, tmp_path / "work")


def test_expected_files_from_the_course(tmp_path):
    write_tree(tmp_path, {f"course/{MNIST}/{MNIST}.ipynb": NB, f"solutions/{CIFAR}/{CIFAR}.ipynb": NB,
                          f"solutions/{MNIST}/draft.ipynb": NB,  # the release's name wins
                          f"course/{MNIST}/.ipynb_checkpoints/x-checkpoint.ipynb": NB,
                          "course/.ipynb_checkpoints/y.ipynb": NB, "course/README.md": b""})
    assert expected_files(tmp_path) == EXPECTED
    write_tree(tmp_path, {f"course/{MNIST}/other.ipynb": NB})
    with pytest.raises(ValueError, match="several notebooks"):
        expected_files(tmp_path)
    real = expected_files(REPO_ROOT)
    assert real and all(e.notebook == f"{a}.ipynb" and a == e.assignment for a, e in real.items())


# ----------------------------------------------------------------------------- names and notebooks

def test_unknown_assignment(tmp_path):
    rows = grade(write_tree(tmp_path / "in", {**BOB, **under("alice/hw3", MNIST_FILES)}), tmp_path)
    assert rows["alice", "hw3"].problem == f"unknown assignment 'hw3' (expected one of {MNIST}, {CIFAR})"
    assert rows["alice", "hw3"].folder is None
    assert_graded(rows["bob", CIFAR], CIFAR_FILES)


def test_missing_notebook(tmp_path):
    files = {name: data for name, data in MNIST_FILES.items() if not name.endswith(".ipynb")}
    rows = grade(write_tree(tmp_path / "in", {**BOB, **under(f"alice/{MNIST}", files)}), tmp_path)
    assert rows["alice", MNIST].problem.startswith(f"no notebook: expected {MNIST}.ipynb")
    assert rows["alice", MNIST].folder is None and not (tmp_path / "work" / "alice").exists()
    assert_graded(rows["bob", CIFAR], CIFAR_FILES)


@pytest.mark.parametrize("name", [f"{MNIST} (1).ipynb", "Untitled.ipynb", f"{MNIST.upper()}.IPYNB"])
def test_one_wrongly_named_notebook_is_graded_under_the_expected_name(tmp_path, name):
    files = {**MNIST_FILES, f"{MNIST}.ipynb": None, name: NB}
    rows = grade(write_tree(tmp_path / "in", under(f"alice/{MNIST}", {k: v for k, v in files.items() if v})), tmp_path)
    assert_graded(rows["alice", MNIST], MNIST_FILES)
    assert any(name in note and f"{MNIST}.ipynb" in note for note in rows["alice", MNIST].notes)


def test_several_notebooks_and_none_named_right(tmp_path):
    files = {"a.ipynb": NB, "b.ipynb": NB, "mnist_cnn.pt": b"w"}
    rows = grade(write_tree(tmp_path / "in", {**BOB, **under(f"alice/{MNIST}", files)}), tmp_path)
    problem = rows["alice", MNIST].problem
    assert "a.ipynb" in problem and "b.ipynb" in problem and f"{MNIST}.ipynb" in problem
    assert_graded(rows["bob", CIFAR], CIFAR_FILES)


def test_the_right_notebook_wins_over_other_notebooks(tmp_path):
    rows = grade(write_tree(tmp_path / "in", under(f"alice/{MNIST}", {**MNIST_FILES, "Untitled.ipynb": b"junk"})),
                 tmp_path)
    assert_graded(rows["alice", MNIST], MNIST_FILES)
    assert rows["alice", MNIST].notes == ["not graded and not kept: Untitled.ipynb"]


@pytest.mark.parametrize("content, start", [
    (b"{not json", "notebook is not valid JSON: "),
    (b"\xff\xfe\x00garbage", "notebook is not valid JSON: "),
    (b"[" * 100_000 + b"]" * 100_000, "notebook is not valid JSON: "),
    (b"[1, 2]", "notebook is not a Jupyter notebook: "),
    (b'{"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}', "notebook is not a Jupyter notebook: "),
    (b'{"nbformat": 4, "nbformat_minor": 5, "cells": []}', "notebook is not a Jupyter notebook: "),
    (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": "x"}', "notebook is not a Jupyter notebook: "),
    (b'{"nbformat": 4, "nbformat_minor": "x", "metadata": {}, "cells": []}', "notebook is not a Jupyter notebook: "),
])
def test_broken_notebooks_are_problems(tmp_path, content, start):
    files = {**MNIST_FILES, f"{MNIST}.ipynb": content}
    rows = grade(write_tree(tmp_path / "in", {**BOB, **under(f"alice/{MNIST}", files)}), tmp_path)
    row = rows["alice", MNIST]
    assert row.problem.startswith(start) and len(row.problem) < 250 and "\n" not in row.problem
    assert row.folder is None
    assert_graded(rows["bob", CIFAR], CIFAR_FILES)


def test_extra_files_are_noted_and_not_copied(tmp_path):
    extras = {f"extra{i}.png": b"x" for i in range(7)}
    files = {**MNIST_FILES, **extras, "data/train.npz": b"x", ".ipynb_checkpoints/a-checkpoint.ipynb": NB,
             ".DS_Store": b"x", "__MACOSX/._x": b"x", "other.zip": b"not graded"}
    rows = grade(write_tree(tmp_path / "in", under(f"alice/{MNIST}", files)), tmp_path)
    assert_graded(rows["alice", MNIST], MNIST_FILES)
    [note] = rows["alice", MNIST].notes
    assert note.startswith("not graded and not kept: data/, extra0.png") and note.endswith("and 4 more")


def test_missing_checkpoints_are_notes(tmp_path):
    files = {f"{MNIST}.ipynb": NB, "mnist_cnn.pt": b"w"}
    rows = grade(write_tree(tmp_path / "in", under(f"alice/{MNIST}", files)), tmp_path)
    assert_graded(rows["alice", MNIST], files)
    notes = rows["alice", MNIST].notes
    assert [n.split()[0] for n in notes] == ["mnist_cnn.json", "fashion_cnn.pt", "fashion_cnn.json"]
    assert all("missing" in n for n in notes)


def test_oversized_checkpoint_is_not_copied(tmp_path):
    files = {**MNIST_FILES, "mnist_cnn.pt": b"w" * 101}
    rows = grade(write_tree(tmp_path / "in", under(f"alice/{MNIST}", files)), tmp_path,
                 Limits(checkpoint_bytes=100))
    kept = {k: v for k, v in MNIST_FILES.items() if k != "mnist_cnn.pt"}
    assert_graded(rows["alice", MNIST], kept)
    assert any(n.startswith("mnist_cnn.pt is 0.0 MB, over") for n in rows["alice", MNIST].notes)


def test_huge_notebook_and_huge_submission_are_problems(tmp_path):
    source = write_tree(tmp_path / "in", {**BOB, **under(f"alice/{MNIST}", MNIST_FILES)})
    rows = grade(source, tmp_path, Limits(notebook_bytes=len(NB) - 1))
    assert rows["alice", MNIST].problem.startswith("notebook is ")
    assert "limit" in rows["alice", MNIST].problem and rows["alice", MNIST].folder is None
    total = sum(len(v) for v in MNIST_FILES.values())
    rows = grade(source, tmp_path, Limits(submission_bytes=total - 1))
    assert "total" in rows["alice", MNIST].problem and rows["alice", MNIST].folder is None
    assert rows["bob", CIFAR].problem is None


def test_files_outside_the_layout_get_rows(tmp_path):
    source = write_tree(tmp_path / "in", {**BOB, "stray.ipynb": NB, f"carol/{MNIST}.ipynb": NB,
                                          "bob/notes.txt": b"x"})
    rows = grade(source, tmp_path)
    assert "not inside a <student>/<assignment>/ folder" in rows["stray.ipynb", ""].problem
    assert rows["carol", ""].problem.startswith("no assignment folder: expected carol/<assignment>/")
    assert_graded(rows["bob", CIFAR], CIFAR_FILES)
    assert rows["bob", CIFAR].notes == ["files outside an assignment folder were ignored: notes.txt"]


def test_hidden_files_are_ignored_silently(tmp_path):
    files = {**HONEST, "__MACOSX/alice/._x": b"x", ".DS_Store": b"x", "alice/.DS_Store": b"x",
             f"alice/{MNIST}/.ipynb_checkpoints/{MNIST}-checkpoint.ipynb": b"old", f"bob/{CIFAR}/._model.pt": b"x"}
    for source in (write_tree(tmp_path / "in", files), write_zip(tmp_path / "in.zip", files)):
        rows = grade(source, tmp_path)
        assert list(rows) == [("alice", MNIST), ("bob", CIFAR)]
        assert_graded(rows["alice", MNIST], MNIST_FILES)
        assert rows["alice", MNIST].notes == [] and rows["bob", CIFAR].notes == []


def test_the_same_submission_twice_is_a_problem(tmp_path):
    source = write_tree(tmp_path / "in", {**BOB, **under(f"alice/{MNIST}", MNIST_FILES)})
    write_zip(source / "alice" / f"{MNIST}.zip", MNIST_FILES)
    rows = grade(source, tmp_path)
    assert rows["alice", MNIST].problem.startswith("found 2 times")
    assert rows["alice", MNIST].folder is None and not (tmp_path / "work" / "alice").exists()
    assert_graded(rows["bob", CIFAR], CIFAR_FILES)


def test_checkpoints_are_copied_never_unpickled(tmp_path):
    class Payload:
        def __reduce__(self):
            return (open, (str(tmp_path / "PWNED"), "w"))

    evil = pickle.dumps(Payload())
    pickle.loads(evil)  # the payload works ...
    (tmp_path / "PWNED").unlink()
    files = {**MNIST_FILES, "mnist_cnn.pt": evil}
    rows = grade(write_tree(tmp_path / "in", under(f"alice/{MNIST}", files)), tmp_path)
    assert_graded(rows["alice", MNIST], files)
    assert not (tmp_path / "PWNED").exists()  # ... and intake never ran it


# ----------------------------------------------------------------------------- nested zips

@pytest.mark.parametrize("prefix", ["", f"{MNIST}/", f"alice/{MNIST}/"])
def test_zip_inside_a_submission_folder_is_opened(tmp_path, prefix):
    inner = zip_bytes({prefix + name: data for name, data in MNIST_FILES.items()})
    for source in (write_tree(tmp_path / "in", {**BOB, f"alice/{MNIST}/handin.zip": inner}),
                   write_zip(tmp_path / "in.zip", {**BOB, f"alice/{MNIST}/handin.zip": inner})):
        rows = grade(source, tmp_path)
        assert_graded(rows["alice", MNIST], MNIST_FILES)
        assert rows["alice", MNIST].notes == ["unpacked handin.zip; next time submit the files themselves"]
        assert_graded(rows["bob", CIFAR], CIFAR_FILES)


@pytest.mark.parametrize("inside", [under(MNIST, MNIST_FILES), under(f"alice/{MNIST}", MNIST_FILES)])
def test_student_folder_as_a_zip_is_opened(tmp_path, inside):
    for source in (write_tree(tmp_path / "in", {**BOB, "alice.zip": zip_bytes(inside)}),
                   write_zip(tmp_path / "in.zip", {**BOB, "alice.zip": zip_bytes(inside)})):
        rows = grade(source, tmp_path)
        assert list(rows) == [("alice", MNIST), ("bob", CIFAR)]
        assert_graded(rows["alice", MNIST], MNIST_FILES)
        assert_graded(rows["bob", CIFAR], CIFAR_FILES)


def test_assignment_folder_as_a_zip_is_opened(tmp_path):
    rows = grade(write_tree(tmp_path / "in", {f"alice/{MNIST}.zip": zip_bytes(MNIST_FILES)}), tmp_path)
    assert_graded(rows["alice", MNIST], MNIST_FILES)


def test_never_more_than_one_level_of_zips(tmp_path):
    deep = zip_bytes({"inner.zip": zip_bytes(MNIST_FILES)})
    cases = [
        write_tree(tmp_path / "a", {**BOB, f"alice/{MNIST}/handin.zip": deep}),
        write_zip(tmp_path / "b.zip", {**BOB, f"alice/{MNIST}/handin.zip": deep}),
        write_zip(tmp_path / "c.zip", {**BOB, "alice.zip": zip_bytes({f"{MNIST}/handin.zip": zip_bytes(MNIST_FILES)})}),
    ]
    for source in cases:
        rows = grade(source, tmp_path)
        assert rows["alice", MNIST].problem == "the submission is a zip inside the zip; submit the notebook itself"
        assert_graded(rows["bob", CIFAR], CIFAR_FILES)


def test_zip_without_the_layout_or_not_a_zip(tmp_path):
    source = write_tree(tmp_path / "in", {**BOB, f"alice/{MNIST}/handin.zip": zip_bytes({"readme.txt": b"hi"}),
                                          f"carol/{MNIST}/handin.zip": b"PK\x03\x04 this is no zip",
                                          "dave.zip": b"garbage"})
    rows = grade(source, tmp_path)
    assert rows["alice", MNIST].problem.startswith(f"no notebook: expected {MNIST}.ipynb")
    assert rows["carol", MNIST].problem.startswith("handin.zip cannot be opened as a zip")
    assert rows["dave", ""].problem.startswith("dave.zip cannot be opened as a zip")
    assert_graded(rows["bob", CIFAR], CIFAR_FILES)


# ----------------------------------------------------------------------------- hostile zips and names

def test_zip_slip_names_and_links_are_rejected_and_nothing_escapes(tmp_path):
    link = zipfile.ZipInfo(f"carol/{MNIST}/mnist_cnn.pt")
    link.create_system, link.external_attr = 3, (stat.S_IFLNK | 0o777) << 16
    files = {**BOB, **under(f"alice/{MNIST}", MNIST_FILES), f"alice/{MNIST}/../../../../evil.txt": b"pwned",
             **under(f"carol/{MNIST}", {f"{MNIST}.ipynb": NB}), link: "/etc/passwd",
             f"/dave/{MNIST}/{MNIST}.ipynb": NB, "../../../evil2.txt": b"pwned",
             f"erin\\{MNIST}\\..\\..\\evil3.txt": b"pwned"}
    source = write_zip(tmp_path / "in" / "subs.zip", files)
    before = state(tmp_path, skip=tmp_path / "work")
    rows = grade(source, tmp_path)
    assert state(tmp_path, skip=tmp_path / "work") == before
    assert not list(tmp_path.rglob("evil*"))
    for key, why in [(("alice", MNIST), "'..' in its path"), (("carol", MNIST), "a link"),
                     (("dave", MNIST), "an absolute path"), (("evil2.txt", ""), "'..' in its path"),
                     (("erin", MNIST), "'..' in its path")]:
        assert rows[key].problem.startswith("unsafe entry") and why in rows[key].problem, rows[key]
        assert rows[key].folder is None
    assert_graded(rows["bob", CIFAR], CIFAR_FILES)


def test_names_that_are_not_utf8_in_a_zip(tmp_path):
    data = zip_bytes({**BOB, **under(f"stuX/{MNIST}", MNIST_FILES), **under(f"alice/{MNIST}", MNIST_FILES),
                      f"alice/{MNIST}/cafX.txt": b"x", **under(f"josXY/{MNIST}", MNIST_FILES)})
    data = rename_in_zip(data, b"cafX.txt", b"caf\xe9.txt")  # Latin-1, no UTF-8 flag
    data = rename_in_zip(data, b"stuX/", b"st\xffu/", members=5)
    data = rename_in_zip(data, b"josXY/", "jos\u00e9/".encode(), members=5)  # UTF-8 without the flag: fine
    rows = grade(write_bytes(tmp_path / "subs.zip", data), tmp_path)
    assert list(rows) == [("alice", MNIST), ("bob", CIFAR), ("jos\u00e9", MNIST), ("st\\xffu", MNIST)]
    assert rows["st\\xffu", MNIST].problem.startswith("file name is not valid UTF-8: 'st\\xffu/")
    assert rows["alice", MNIST].problem == ("file name is not valid UTF-8: 'alice/03_mnist_cnn/caf\\xe9.txt'; "
                                            "rename it with plain letters and digits and submit again")
    assert_graded(rows["jos\u00e9", MNIST], MNIST_FILES)
    assert_graded(rows["bob", CIFAR], CIFAR_FILES)


def test_names_that_are_not_utf8_on_disk(tmp_path):
    source = write_tree(tmp_path / "in", {**BOB, **under(f"alice/{MNIST}", MNIST_FILES),
                                          **under(f"jos\u00e9/{MNIST}", MNIST_FILES)})
    raw = os.fsencode(source)
    os.makedirs(os.path.join(raw, b"st\xffu", MNIST.encode()))
    for name, data in MNIST_FILES.items():
        write_bytes(Path(os.fsdecode(os.path.join(raw, b"st\xffu", MNIST.encode(), name.encode()))), data)
    write_bytes(Path(os.fsdecode(os.path.join(raw, b"alice", MNIST.encode(), b"caf\xe9.txt"))), b"x")
    before = state(source)
    rows = grade(source, tmp_path)
    assert state(source) == before
    assert rows["st\\xffu", MNIST].problem == ("file name is not valid UTF-8: 'st\\xffu'; "
                                               "rename it with plain letters and digits and submit again")
    assert rows["alice", MNIST].problem.startswith("file name is not valid UTF-8: 'caf\\xe9.txt'")
    assert_graded(rows["jos\u00e9", MNIST], MNIST_FILES)
    assert_graded(rows["bob", CIFAR], CIFAR_FILES)


def test_links_on_disk_are_refused(tmp_path):
    source = write_tree(tmp_path / "in", {**BOB, **under(f"alice/{MNIST}", {f"{MNIST}.ipynb": NB}),
                                          **under(f"dave/{MNIST}", MNIST_FILES)})
    (source / "alice" / MNIST / "mnist_cnn.pt").symlink_to("/etc/passwd")
    (source / "carol").symlink_to(source / "dave")
    before = state(source)
    rows = grade(source, tmp_path)
    assert state(source) == before
    assert "'mnist_cnn.pt' (a link)" in rows["alice", MNIST].problem and rows["alice", MNIST].folder is None
    assert "'carol' (a link)" in rows["carol", ""].problem
    assert_graded(rows["dave", MNIST], MNIST_FILES)
    assert_graded(rows["bob", CIFAR], CIFAR_FILES)


# ----------------------------------------------------------------------------- zip bombs

def test_member_declaring_a_huge_size_is_refused_unread(tmp_path):
    data = zip_bytes({**BOB, **under(f"alice/{MNIST}", MNIST_FILES), **under(f"carol/{MNIST}", MNIST_FILES)})
    data = declare_size(data, f"alice/{MNIST}/{MNIST}.ipynb", 4_000_000_000)
    data = declare_size(data, f"carol/{MNIST}/mnist_cnn.pt", 4_000_000_000)
    rows = grade(write_bytes(tmp_path / "subs.zip", data), tmp_path)
    assert rows["alice", MNIST].problem.startswith("notebook is 4000.0 MB, over the 20.0 MB limit")
    assert_graded(rows["carol", MNIST], {k: v for k, v in MNIST_FILES.items() if k != "mnist_cnn.pt"})
    assert any(n.startswith("mnist_cnn.pt is 4000.0 MB, over") for n in rows["carol", MNIST].notes)
    assert_graded(rows["bob", CIFAR], CIFAR_FILES)


def test_real_zip_bomb_is_refused_without_writing_it(tmp_path):
    bomb = b"\0" * 30_000_000
    source = write_zip(tmp_path / "subs.zip", {**BOB, **under(f"alice/{MNIST}", {**MNIST_FILES, "mnist_cnn.pt": bomb}),
                                               **under(f"carol/{MNIST}", {**MNIST_FILES, f"{MNIST}.ipynb": bomb})})
    assert source.stat().st_size < 200_000
    rows = grade(source, tmp_path, Limits(checkpoint_bytes=1_000_000))
    assert rows["carol", MNIST].problem.startswith("notebook is 30.0 MB, over the 20.0 MB limit")
    assert rows["alice", MNIST].problem is None and "mnist_cnn.pt" not in files_in(rows["alice", MNIST].folder)
    assert du(tmp_path / "work") < 100_000


def test_member_hiding_its_size_is_cut_at_the_limit(tmp_path):
    big = os.urandom(3_000_000)
    data = zip_bytes({**under(f"alice/{MNIST}", {**MNIST_FILES, "mnist_cnn.pt": big}),
                      **under(f"carol/{MNIST}", {**MNIST_FILES, f"{MNIST}.ipynb": notebook("z" * 3_000_000)})})
    data = declare_size(data, f"alice/{MNIST}/mnist_cnn.pt", 1000)
    data = declare_size(data, f"carol/{MNIST}/{MNIST}.ipynb", 1000)
    rows = grade(write_bytes(tmp_path / "subs.zip", data), tmp_path, Limits(checkpoint_bytes=100_000))
    assert "mnist_cnn.pt" not in files_in(rows["alice", MNIST].folder)
    assert any("mnist_cnn.pt cannot be read" in n for n in rows["alice", MNIST].notes)
    assert rows["carol", MNIST].problem.startswith(f"{MNIST}.ipynb cannot be read")
    assert du(tmp_path / "work") < 100_000


def test_reading_stops_at_the_limit_whatever_the_declared_size(tmp_path):
    from autograder import intake

    out = io.BytesIO()
    liar = intake._Entry("model.pt", False, size=10, opener=lambda: io.BytesIO(b"x" * 5_000_000))
    with pytest.raises(intake._Refused, match="model.pt is over the 1.0 MB limit"):
        intake._read_into(liar, out, 1_000_000)
    assert len(out.getvalue()) <= 1_000_000


def test_too_many_files(tmp_path):
    many = {f"f{i}.txt": b"x" for i in range(60)}
    limits = Limits(max_files=50)
    source = write_tree(tmp_path / "in", {**BOB, **under(f"alice/{MNIST}", {**MNIST_FILES, **many}),
                                          f"carol/{MNIST}/handin.zip": zip_bytes({**MNIST_FILES, **many})})
    rows = grade(source, tmp_path, limits)
    assert rows["alice", MNIST].problem.startswith("'03_mnist_cnn' holds more than 50 entries")
    assert rows["carol", MNIST].problem.startswith("handin.zip holds more than 50 entries")
    assert_graded(rows["bob", CIFAR], CIFAR_FILES)
    with pytest.raises(IntakeError, match="subs.zip holds more than 50 entries"):
        collect(write_zip(tmp_path / "subs.zip", {**BOB, **under(f"alice/{MNIST}", {**MNIST_FILES, **many})}),
                EXPECTED, tmp_path / "work", limits=limits)


def test_nested_zip_declaring_too_much_content(tmp_path):
    inner = declare_size(zip_bytes(MNIST_FILES), "mnist_cnn.pt", 4_000_000_000)
    source = write_tree(tmp_path / "in", {**BOB, f"alice/{MNIST}/handin.zip": inner})
    rows = grade(source, tmp_path)
    assert rows["alice", MNIST].problem.startswith("handin.zip declares 4000.0 MB of content, over the 1000.0 MB")
    rows = grade(source, tmp_path, Limits(zip_bytes=len(inner) - 1))
    assert rows["alice", MNIST].problem.startswith("handin.zip is 0.0 MB, over the 0.0 MB limit")
    assert_graded(rows["bob", CIFAR], CIFAR_FILES)


def test_messy_input_is_never_modified(tmp_path):
    files = {**HONEST, "stray.txt": b"x", f"carol/{MNIST}/handin.zip": zip_bytes(MNIST_FILES),
             "dave.zip": zip_bytes(under(MNIST, MNIST_FILES)), f"erin/{MNIST}/{MNIST}.ipynb": b"{bad",
             f"frank/{MNIST}/a.ipynb": NB, "__MACOSX/._x": b"x"}
    source = write_tree(tmp_path / "in", files)
    (source / "erin" / "link").symlink_to(source / "alice")
    packed = write_zip(tmp_path / "in.zip", files)
    for src in (source, packed):
        before = state(tmp_path, skip=tmp_path / "work")
        rows = grade(src, tmp_path)
        assert state(tmp_path, skip=tmp_path / "work") == before
        assert rows["alice", MNIST].problem is None and rows["dave", MNIST].problem is None


def test_member_count_is_checked_before_a_nested_zip_is_parsed(tmp_path, monkeypatch):
    many = {f"f{i}.txt": b"x" for i in range(60)}
    source = write_tree(tmp_path / "in", {f"alice/{MNIST}/handin.zip": zip_bytes({**MNIST_FILES, **many}),
                                          f"bob/{MNIST}/handin.zip": zip_bytes(MNIST_FILES)})
    parsed, real = [], zipfile.ZipFile
    monkeypatch.setattr(zipfile, "ZipFile", lambda *args, **kwargs: parsed.append(real(*args, **kwargs)) or parsed[-1])
    rows = grade(source, tmp_path, Limits(max_files=50))
    assert rows["alice", MNIST].problem.startswith("handin.zip holds more than 50 entries")
    assert_graded(rows["bob", MNIST], MNIST_FILES)
    assert [len(z.infolist()) for z in parsed] == [len(MNIST_FILES)]
