"""Shared inputs of the benchmarks: the measured scenario, a portfolio of files, timing helpers."""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

# 5 years, 3 models, 3 cases (base, bear, bull): the shape the goals are stated for.
SCENARIO = """\
name: Benchmark Agent
start_year: 2026
years: 5
pricing:
  price_per_seat_month: 100
  annual_price_change: -0.05
  payment_fee_rate: 0.03
usage:
  queries_per_seat_month: 300
  agent_calls_per_query: 8
  input_tokens_per_call: 6000
  output_tokens_per_call: 800
  reasoning_multiplier: 5
  annual_usage_growth: 0.25
  annual_token_growth: 0.10
  cache_hit_rate: 0.6
  batch_share: 0.1
models:
  - name: gpt-4o-mini
    share: 0.5
  - name: deepseek-v3
    share: 0.2
  - name: frontier
    share: 0.3
    input_price: 3.0
    output_price: 15.0
    cached_input_discount: 0.9
    batch_discount: 0.5
price_curve:
  annual_decline_factor: 4
  floor_input_price: 0.02
  floor_output_price: 0.08
costs:
  other_cogs_per_seat_month: 2.0
target_gross_margin: 0.70
seats:
  start: 500
  annual_growth: 0.8
cases:
  bear:
    price_curve: {annual_decline_factor: 1.5}
    usage: {reasoning_multiplier: 20}
  bull:
    price_curve: {annual_decline_factor: 10}
"""


def write_scenario(path: Path) -> Path:
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def write_portfolio(folder: Path, count: int) -> list[Path]:
    """`count` scenario files: the examples in turn, each with its own name and seat price."""
    examples = sorted(SCENARIOS.glob("*.yaml"))
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        text = examples[index % len(examples)].read_text(encoding="utf-8")
        lines = [
            f"name: Company {index:04d}" if line.startswith("name:") else line
            for line in text.splitlines()
        ]
        path = folder / f"company_{index:04d}.yaml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def script(name: str) -> list[str]:
    """The installed console script next to this interpreter (not a pyenv shim in between)."""
    candidate = Path(sys.executable).with_name(name)
    if candidate.exists():
        return [str(candidate)]
    return [sys.executable, "-m", "generator"]


def median_seconds(functions: list, runs: int) -> list[float]:
    """The median CPU time of each function, run in turn so that load changes hit all alike.

    CPU time of this process, not wall time: other programs on a busy machine then
    change the figures less."""
    times: list[list[float]] = [[] for _ in functions]
    for _ in range(runs):
        for function, spent in zip(functions, times, strict=True):
            start = time.process_time()
            function()
            spent.append(time.process_time() - start)
    return [statistics.median(spent) for spent in times]


def run_seconds(command: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of `command`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu
