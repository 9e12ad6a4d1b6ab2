"""Run every benchmark: ``python -m benchmarks.run [--tiny]`` (``./dev bench``). Each prints a table and
writes benchmarks/results/<name>.json; ``--tiny`` shrinks sizes so CI can keep the scripts working."""
from __future__ import annotations

import argparse
import importlib
import sys

BENCHMARKS = ("bench_loader", "bench_training_step", "train_reference", "bench_grading", "gpu_path")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("only", nargs="*", help=f"some of {', '.join(BENCHMARKS)}")
    args = parser.parse_args(argv)
    unknown = [name for name in args.only if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}: choose from {', '.join(BENCHMARKS)} "
                     "(a benchmark's own options: python -m benchmarks.train_reference --help, say)")
    for name in args.only or BENCHMARKS:
        module = importlib.import_module(f"benchmarks.{name}")
        module.main(["--tiny"] if args.tiny else [])
    return 0


if __name__ == "__main__":
    sys.exit(main())
