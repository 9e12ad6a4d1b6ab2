"""Timing helpers and the table + JSON every benchmark writes."""
from __future__ import annotations

import json
import os
import platform
import time
from datetime import date
from pathlib import Path

import torch

RESULTS = Path(__file__).resolve().parent / "results"


def timed(fn, repeat: int = 1) -> float:
    """Best wall time of ``repeat`` calls (seconds)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or platform.machine()
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), platform.machine())


def machine() -> dict:
    return {"date": date.today().isoformat(), "python": platform.python_version(), "torch": torch.__version__,
            "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "threads": torch.get_num_threads(), "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "processor": _cpu_model()}


class Report:
    """Rows of (case, seconds, extra); ratios against the row named ``baseline`` of the same group."""

    def __init__(self, name: str, tiny: bool = False):
        self.name, self.tiny, self.rows = name, tiny, []

    def add(self, group: str, case: str, seconds: float, baseline: bool = False, **extra) -> None:
        self.rows.append({"group": group, "case": case, "seconds": seconds, "baseline": baseline, **extra})

    def finish(self) -> dict:
        for row in self.rows:
            base = next((r for r in self.rows if r["group"] == row["group"] and r["baseline"]), None)
            row["speedup_vs_baseline"] = base["seconds"] / row["seconds"] if base and row["seconds"] else None
        width = max(len(r["case"]) for r in self.rows)
        print(f"\n{self.name}" + (" (tiny mode: sizes reduced, ratios not meaningful)" if self.tiny else ""))
        for row in self.rows:
            ratio = row["speedup_vs_baseline"]
            extra = "  ".join(f"{k}={v}" for k, v in row.items()
                              if k not in ("group", "case", "seconds", "baseline", "speedup_vs_baseline"))
            print(f"  {row['group']:10s} {row['case']:{width}s} {row['seconds']:9.3f} s"
                  f"  {'baseline' if row['baseline'] else f'{ratio:8.1f}x faster' if ratio else '':>16s}  {extra}")
        result = {"benchmark": self.name, "tiny": self.tiny, "machine": machine(), "rows": self.rows}
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{self.name}{'-tiny' if self.tiny else ''}.json"
        path.write_text(json.dumps(result, indent=1))
        print(f"  -> {path}")
        return result
