"""``cnn-course``: the TA and instructor command line (release, grade, demo, env)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .paths import REPO_ROOT, SOLUTIONS


def cmd_release(args) -> int:
    from .release import ReleaseError, release

    try:
        written = release(args.assignments or None)
    except ReleaseError as error:
        print(error, file=sys.stderr)
        return 1
    print("\n".join(f"released {p}" for p in written))
    return 0


def grade(source: Path, out: Path, workers: int, limits, *, repo_root: Path = REPO_ROOT, progress: bool = True) -> list:
    """Intake, grade in parallel, write grades.csv and feedback; print the table. Returns the results."""
    from .export import assignment_max, summary, write_feedback, write_grades
    from .grader import grade_all
    from .intake import collect, expected_files

    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    submissions = collect(source, expected_files(repo_root), out / "intake")
    print(f"grading {len(submissions)} submissions with {workers} worker lanes")
    master, results = grade_all(submissions, out / "work", workers=workers, limits=limits, progress=progress,
                                hidden=(out / "intake",), sources=Path(repo_root) / SOLUTIONS)
    maxima = assignment_max(master)
    grades = write_grades(out / "grades.csv", results, maxima)
    pages = write_feedback(master, results, out / "feedback")
    print(summary(results, maxima))
    print(f"\ngrades:   {grades}\nfeedback: {out / 'feedback'} ({len(pages)} pages)\n"
          f"gradebook: {master.db_path} (open with nbgrader formgrader)")
    return results


def _limits(args):
    from .grader import Limits

    return Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout,
                  kernel_memory=int(args.memory_gb * (1 << 30)))


def cmd_grade(args) -> int:
    from .intake import IntakeError

    try:
        grade(Path(args.submissions), Path(args.out), args.workers, _limits(args))
    except IntakeError as error:
        print(f"cnn-course grade: {error}", file=sys.stderr)
        return 2
    return 0


def cmd_demo(args) -> int:
    from .demo import run_demo

    return run_demo(Path(args.out), workers=args.workers, limits=_limits(args))


def cmd_env(args) -> int:
    from data_tools.envcheck import check_environment

    return 1 if check_environment(args.notebook, tuple(args.datasets)) else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="cnn-course", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("release", help="regenerate course/ from solutions/ with nbgrader")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    p.set_defaults(run=cmd_release)

    for name, helptext in (("grade", "grade SUBMISSIONS (a folder or zip: <student>/<assignment>/<files>)"),
                           ("demo", "release, make sample submissions, grade them, show the results")):
        p = sub.add_parser(name, help=helptext)
        if name == "grade":
            p.add_argument("submissions")
        p.add_argument("--workers", type=int, default=2, help="parallel grading lanes (default 2)")
        p.add_argument("--out", default="grading" if name == "grade" else "demo-output",
                       help="output folder (grades.csv, feedback/, work/)")
        p.add_argument("--cell-timeout", type=int, default=120, help="seconds per cell")
        p.add_argument("--notebook-timeout", type=int, default=900, help="seconds per notebook")
        p.add_argument("--memory-gb", type=float, default=6.0, help="address-space limit per kernel")
        p.set_defaults(run=cmd_grade if name == "grade" else cmd_demo)

    p = sub.add_parser("env", help="check this machine: versions, device, data sources")
    p.add_argument("notebook", nargs="?")
    p.add_argument("--datasets", nargs="*", default=["mnist", "fashion_mnist", "cifar10"])
    p.set_defaults(run=cmd_env)

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
