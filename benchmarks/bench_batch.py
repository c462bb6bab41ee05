"""Batch throughput and peak memory: 200 scenario files with two workers, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import script, write_portfolio

FILES = 200
JOBS = 2
# Runs the batch, then reports (getrusage counts every descendant that was waited for) the
# largest resident set among the batch and its workers and the CPU seconds they used.
WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,\n"
    "                      stderr=subprocess.DEVNULL).returncode\n"
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(usage.ru_maxrss, usage.ru_utime + usage.ru_stime, code)\n"
)


def tree_memory(root: int) -> tuple[int, int]:
    """(RSS, PSS) in KiB summed over `root` and its descendants; Linux only."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier += children
    rss = pss = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            continue
    return rss, pss


def measure(files: int = FILES, jobs: int = JOBS) -> list[tuple[str, str, str, str]]:
    with tempfile.TemporaryDirectory() as folder:
        sources = Path(folder) / "in"
        write_portfolio(sources, files)
        command = [
            *script("unitecon"),
            "batch",
            str(sources),
            "-o",
            str(Path(folder) / "out"),
            "-j",
            str(jobs),
        ]
        peak = [0, 0]
        start = time.perf_counter()
        wrapper = subprocess.Popen(
            [sys.executable, "-c", WRAPPER, *command], stdout=subprocess.PIPE, text=True
        )
        sampling = os.path.isdir("/proc")

        def sample() -> None:
            while wrapper.poll() is None:
                rss, pss = tree_memory(wrapper.pid)
                peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        if sampling:
            sampler.start()
        output, _ = wrapper.communicate()
        seconds = time.perf_counter() - start
        if sampling:
            sampler.join()
        largest, cpu, code = output.split()
        largest_kib, cpu_seconds, code = int(largest), float(cpu), int(code)
        written = len(list((Path(folder) / "out").glob("company_*.xlsx")))
    if code != 0 or written != files:
        raise RuntimeError(f"batch exited {code} and wrote {written} of {files} workbooks")
    rate = files / seconds
    rows = [
        (
            f"batch of {files} files, -j {jobs}",
            f"{seconds:.2f} s",
            "",
            "wall clock, start-up and portfolio.xlsx included",
        ),
        ("  throughput", f"{rate:.1f} workbooks/s", ">= 40/s", "met" if rate >= 40 else "missed"),
        (
            "  CPU time per workbook",
            f"{cpu_seconds / files * 1000:.0f} ms",
            "",
            f"all processes; {jobs / (cpu_seconds / files):.1f}/s if {jobs} cores were free",
        ),
        ("  peak memory, largest process", f"{largest_kib / 1024:.0f} MiB", "", "getrusage"),
    ]
    if sampling:
        rows.append(
            (
                "  peak memory, all processes",
                f"{peak[1] / 1024:.0f} MiB PSS",
                "",
                f"{peak[0] / 1024:.0f} MiB RSS (shared pages counted per process)",
            )
        )
    return rows


if __name__ == "__main__":
    for row in measure():
        print(" | ".join(row))
