"""Cold start of the command line next to importing the libraries it cannot do without."""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

from common import run_seconds, script, write_scenario

RUNS = 10


def measure(runs: int = RUNS) -> list[tuple[str, str, str, str]]:
    unitecon = script("unitecon")
    python = [sys.executable, "-c"]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        scenario = str(write_scenario(Path(folder) / "benchmark.yaml"))
        pairs = [
            (
                "unitecon --help",
                [*unitecon, "--help"],
                "import click",
                [*python, "import click"],
                2.0,
            ),
            (
                "unitecon validate FILE",
                [*unitecon, "validate", scenario],
                "import click, ruamel.yaml, pydantic",
                [*python, "import click, ruamel.yaml, pydantic"],
                1.5,
            ),
        ]
        for label, command, base_label, base_command, goal in pairs:
            run_seconds(command)  # warm the file cache
            run_seconds(base_command)
            ours, base = [], []
            for _ in range(runs):  # interleaved, so that load changes hit both alike
                ours.append(run_seconds(command))
                base.append(run_seconds(base_command))
            (ours_wall, ours_cpu), (base_wall, base_cpu) = _medians(ours), _medians(base)
            ratio = ours_cpu / base_cpu
            rows += [
                (
                    label,
                    f"{ours_cpu * 1000:.0f} ms CPU",
                    "",
                    f"median of {runs}; wall {ours_wall * 1000:.0f} ms",
                ),
                (
                    f"  python -c '{base_label}'",
                    f"{base_cpu * 1000:.0f} ms CPU",
                    "",
                    f"wall {base_wall * 1000:.0f} ms",
                ),
                (
                    "  ratio",
                    f"{ratio:.2f}x",
                    f"<= {goal}x",
                    ("met" if ratio <= goal else "missed")
                    + f" (wall: {ours_wall / base_wall:.2f}x)",
                ),
            ]
    return rows


def _medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


if __name__ == "__main__":
    for row in measure():
        print(" | ".join(row))
