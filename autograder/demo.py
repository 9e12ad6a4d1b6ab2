"""``cnn-course demo``: the course's main job end to end, offline, on the embedded default data.

1. regenerate the release from the solutions (nbgrader generate_assignment);
2. run every solution notebook top to bottom in fast mode (this also trains the checkpoints);
3. build sample submissions: full marks, partial, blank, broken checkpoints, cheating attempts and
   bad input, zipped the way a TA downloads them;
4. grade them in parallel lanes, write grades.csv and feedback, and compare every row with what a
   correct grader must give.
"""
from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import attacks
from .measured import TASKS
from .paths import REPO_ROOT, SOLUTIONS, assignments, notebooks
from .samples import blank, solution_filled

CHEAT_TARGET = "02_conv_arithmetic"  # function exercises: every attack applies


@dataclass(frozen=True)
class Sample:
    student: str
    assignment: str
    expect: str  # "full", "partial", "zero", or "not graded"
    what: str


def run_solutions(out: Path, ids: list[str], timeout: int = 600) -> list[tuple[str, str, float]]:
    """Execute each solution notebook in a copy of its folder (fast mode); (assignment, status, seconds)."""
    from nbclient import NotebookClient

    rows = []
    for assignment in ids:
        folder = out / assignment
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(REPO_ROOT / SOLUTIONS / assignment, folder, ignore=shutil.ignore_patterns("*.pt", "*.json"))
        path = notebooks(assignment)[0]
        nb = nbformat.read(str(path), as_version=4)
        start = time.perf_counter()
        try:
            NotebookClient(nb, timeout=timeout, resources={"metadata": {"path": str(folder)}}).execute(
                stderr=subprocess.DEVNULL)  # the kernel's start-up log, not the notebook's output
            status = "ok"
        except Exception as error:  # report, keep going: the demo shows every notebook
            status = f"FAILED: {type(error).__name__}: {str(error).strip().splitlines()[-1][:120]}"
        nbformat.write(nb, str(folder / path.name))
        rows.append((assignment, status, time.perf_counter() - start))
    return rows


def _write(folder: Path, nb, files: dict | None = None, name: str | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if nb is not None:
        nbformat.write(nb, str(folder / name))
    for file_name, data in (files or {}).items():
        (folder / file_name).write_bytes(data)


def partial(assignment: str):
    """Solution-filled, but every second answer cell left as released (unanswered); None when the
    notebook has fewer than two code answers (notebook 04: its partial scores come from checkpoints)."""
    nb, empty = solution_filled(assignment), blank(assignment)
    answers = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution")
               and c.cell_type == "code"]
    if len(answers) < 2:
        return None
    for i in answers[1::2]:
        nb.cells[i] = copy.deepcopy(empty.cells[i])
    return nb


def build_samples(root: Path, trained: Path) -> list[Sample]:
    """Write sample submissions under ``root/<student>/<assignment>/``; return what each must score."""
    samples = []
    for assignment in assignments():
        name = notebooks(assignment)[0].name
        outputs = {p.name: p.read_bytes() for p in (trained / assignment).glob("*") if p.suffix in (".pt", ".json")}
        _write(root / "alice" / assignment, solution_filled(assignment), outputs, name)
        _write(root / "carol" / assignment, blank(assignment), {}, name)
        samples += [Sample("alice", assignment, "full", "the reference solution with its checkpoints"),
                    Sample("carol", assignment, "zero", "the release as handed out")]
        half = partial(assignment)
        if half is not None:
            _write(root / "bob" / assignment, half, outputs, name)
            samples.append(Sample("bob", assignment, "partial", "half of the answers"))
        for task in (t for t in TASKS.values() if t.assignment == assignment):
            report = Path(task.checkpoint).with_suffix(".json").name
            broken = dict(outputs, **{task.checkpoint: outputs.get(task.checkpoint, b"")[:100]})
            _write(root / "dave" / assignment, solution_filled(assignment), broken, name)
            evil = dict(outputs, **{task.checkpoint: _code_pickle()})
            _write(root / "erin" / assignment, solution_filled(assignment), evil, name)
            if report in outputs:
                inflated = json.loads(outputs[report])
                inflated["test_accuracy"] = min(100.0, inflated["test_accuracy"] + 5)
                _write(root / "frank" / assignment, solution_filled(assignment),
                       dict(outputs, **{report: json.dumps(inflated).encode()}), name)
                samples.append(Sample("frank", assignment, "partial", f"{task.key}: reports 5 points more than measured"))
            samples += [Sample("dave", assignment, "partial", f"{task.key}: truncated checkpoint"),
                        Sample("erin", assignment, "partial", f"{task.key}: checkpoint is a pickle that runs code")]
    if CHEAT_TARGET in assignments():
        name = notebooks(CHEAT_TARGET)[0].name
        empty, solved = blank(CHEAT_TARGET), solution_filled(CHEAT_TARGET)
        for attack in attacks.ATTACKS:
            _write(root / f"cheat-{attack.name}" / CHEAT_TARGET, attacks.build(attack, empty, solved), {}, name)
            samples.append(Sample(f"cheat-{attack.name}", CHEAT_TARGET,
                                  {"zero": "zero", "full": "full", "partial": "partial"}[attack.expect], attack.defeats))
        samples += _bad_input(root, CHEAT_TARGET, name, solved)
    return samples


def _code_pickle() -> bytes:
    """A "checkpoint" whose unpickling would run code (it would only write a marker file)."""
    import pickle

    class Payload:
        def __reduce__(self):
            return (open, ("/tmp/cnn-course-demo-pwned", "w"))

    return pickle.dumps({"weight": Payload()})


def _bad_input(root: Path, assignment: str, name: str, solved) -> list[Sample]:
    folder = root / "gina" / assignment
    folder.mkdir(parents=True)
    (folder / name).write_text('{"cells": [ this is not json')
    _write(root / "hank" / assignment, solved, {}, "Untitled (1).ipynb")
    _write(root / "ivan" / assignment, None, {"notes.txt": b"I forgot the notebook"})
    _write(root / "jack" / assignment, solved, {"scratch.bin": os.urandom(1000), "data.csv": b"1,2\n"}, name)
    inner = root / "judy" / assignment
    inner.mkdir(parents=True)
    with zipfile.ZipFile(inner / "submission.zip", "w") as z:
        z.writestr("inner.zip", b"PK\x05\x06" + b"\0" * 18)
    return [Sample("gina", assignment, "not graded", "malformed notebook JSON"),
            Sample("hank", assignment, "full", "wrong notebook name (graded under the right one, with a note)"),
            Sample("ivan", assignment, "not graded", "no notebook at all"),
            Sample("jack", assignment, "full", "extra files (ignored, with a note)"),
            Sample("judy", assignment, "not graded", "a zip inside the zip"),
            Sample("kim", assignment, "not graded", "a file name that is not UTF-8")]


class _RawName(zipfile.ZipInfo):
    """A zip entry whose name is stored as given bytes (as Windows tools store cp949 Korean names)."""

    def __init__(self, raw: bytes):
        super().__init__(raw.decode("cp437"))
        self.raw = raw

    def _encodeFilenameFlags(self):
        return self.raw, self.flag_bits


def add_non_utf8_submission(archive: Path, assignment: str, solved) -> Sample:
    """Append kim's submission, whose notebook name is cp949 bytes (과제.ipynb), to the zip."""
    with zipfile.ZipFile(archive, "a") as z:
        z.writestr(_RawName(f"submissions/kim/{assignment}/".encode() + "과제.ipynb".encode("cp949")),
                   nbformat.writes(solved))
    return Sample("kim", assignment, "not graded", "a file name that is not UTF-8 (cp949 from a Windows zip tool)")


def verdict(sample: Sample, result) -> bool:
    top = result.max_score
    auto = sum(c[2] for c in result.cells if c[1] is not None)  # autograded points available
    if sample.expect == "not graded":
        return bool(result.reason) and result.score == 0
    if sample.expect == "zero":
        return not result.reason and result.score == 0
    if sample.expect == "full":
        return not result.reason and result.score == auto and top > 0
    return not result.reason and 0 < result.score < auto


def run_demo(out: Path, *, workers: int = 2, limits=None) -> int:
    from .cli import grade
    from .grader import Limits
    from .release import release

    os.environ.setdefault("CNN_COURSE_FAST", "1")
    out = Path(out).resolve()
    shutil.rmtree(out, ignore_errors=True)
    print("== 1. release: course/ from solutions/ (nbgrader generate_assignment)")
    for path in release():
        print(f"   {path.relative_to(REPO_ROOT)}")
    print("== 2. solution notebooks, top to bottom, fast mode")
    rows = run_solutions(out / "solutions-run", assignments())
    for assignment, status, seconds in rows:
        print(f"   {assignment:22s} {seconds:6.1f} s  {status}")
    print("== 3. sample submissions (honest, partial, blank, broken, cheating, bad input)")
    samples = build_samples(out / "submissions", out / "solutions-run")
    archive = shutil.make_archive(str(out / "submissions"), "zip", out, "submissions")
    if CHEAT_TARGET in assignments():
        samples.append(add_non_utf8_submission(Path(archive), CHEAT_TARGET, solution_filled(CHEAT_TARGET)))
    print(f"   {len(samples)} submissions -> {archive}")
    print("== 4. grading")
    results = {(r.student, r.assignment): r for r in grade(Path(archive), out / "grading", workers,
                                                             limits or Limits())}
    wrong = [s for s in samples if not verdict(s, results[(s.student, s.assignment)])]
    failed_runs = [r for r in rows if r[1] != "ok"]
    print(f"\n== demo check: {len(samples) - len(wrong)}/{len(samples)} sample submissions graded as a correct "
          f"grader must; {len(rows) - len(failed_runs)}/{len(rows)} solution notebooks ran")
    for s in wrong:
        r = results[(s.student, s.assignment)]
        print(f"   UNEXPECTED {s.student}/{s.assignment} ({s.what}): expected {s.expect}, got "
              f"{r.score:g}/{r.max_score:g} {r.reason}")
    return 1 if wrong or failed_runs else 0
