"""Training steps on a CPU: glibc's default memory handling and a plain AdamW (the naive setup) against
``configure_cpu()``'s memory reuse and ``fit``'s fused AdamW, for the networks of notebook 03.

Each case runs in a fresh process, since the memory setting lasts for the life of a process: warm-up steps,
then the median of several rounds of steps on a random batch of 256 (the shapes are what matter), with the
minor page faults per step. The networks come from the solution notebook, as in ``train_reference``.

    python -m benchmarks.bench_training_step [--tiny]

Results: a table on stdout and benchmarks/results/bench_training_step.json.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

from benchmarks.report import Report

NETWORKS = ("FastCNN", "FashionCNN", "LectureCNN")
# (memory, optimizer): the naive setup first, then one change at a time
CASES = (("default", "plain"), ("reuse", "plain"), ("reuse", "fused"))
BATCH = 256


def measure(network: str, memory: str, optimizer: str, steps: int, rounds: int) -> dict:
    """Seconds per training step (median of ``rounds``) and page faults per step, in this process."""
    from benchmarks.train_reference import notebook_namespace
    from data_tools.device import configure_cpu, set_cpu_threads

    if memory == "reuse":
        configure_cpu()
    else:
        set_cpu_threads()  # the same threads, glibc's default memory handling
    torch.manual_seed(0)
    model = notebook_namespace()[network]().to(memory_format=torch.channels_last).train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    adamw = torch.optim.AdamW(trainable, lr=1e-3, fused=optimizer == "fused")
    x = torch.randn(BATCH, 1, 28, 28).contiguous(memory_format=torch.channels_last)
    y = torch.randint(10, (BATCH,))

    def step():
        adamw.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y, label_smoothing=0.1).backward()
        adamw.step()

    for _ in range(steps):
        step()
    seconds, faults = [], []
    for _ in range(rounds):
        before, start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.perf_counter()
        for _ in range(steps):
            step()
        seconds.append((time.perf_counter() - start) / steps)
        faults.append((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / steps)
    return {"step_s": statistics.median(seconds), "faults_per_step": round(statistics.median(faults))}


def run_case(network: str, memory: str, optimizer: str, steps: int, rounds: int) -> dict:
    command = [sys.executable, "-m", "benchmarks.bench_training_step", "--worker", network, memory, optimizer,
               str(steps), str(rounds)]
    return json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def main(argv=None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiny", action="store_true", help="FastCNN only, a few steps (CI; numbers meaningless)")
    parser.add_argument("--worker", nargs=5, metavar=("NETWORK", "MEMORY", "OPTIMIZER", "STEPS", "ROUNDS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        network, memory, optimizer, steps, rounds = args.worker
        print(json.dumps(measure(network, memory, optimizer, int(steps), int(rounds))))
        return None
    report = Report("bench_training_step", tiny=args.tiny)
    for network in NETWORKS[:1] if args.tiny else NETWORKS:
        steps, rounds = (2, 1) if args.tiny else (5, 5) if network == "LectureCNN" else (30, 5)
        for memory, optimizer in CASES:
            result = run_case(network, memory, optimizer, steps, rounds)
            print(f"{network}: memory {memory}, {optimizer} AdamW: {1000 * result['step_s']:.1f} ms per step, "
                  f"{result['faults_per_step']:,} page faults per step", flush=True)
            report.add(network, f"{memory} memory, {optimizer} AdamW", result["step_s"],
                       baseline=(memory, optimizer) == CASES[0], faults_per_step=result["faults_per_step"],
                       steps=steps, rounds=rounds)
    return report.finish()


if __name__ == "__main__":
    main()
