"""Run every benchmark in one go, so that the ratios compare runs on the same machine state."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    sys.path[:0] = [str(HERE), str(HERE.parent)]  # the benchmarks, then this checkout
    import bench_batch
    import bench_startup
    import bench_workbook

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {platform.python_version()}, {cores} cores, load average {load:.2f}")
    rows = [*bench_workbook.measure(), *bench_startup.measure(), *bench_batch.measure()]
    headers = ("measure", "result", "goal", "note")
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(4)]
    for row in [headers, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


if __name__ == "__main__":
    main()
