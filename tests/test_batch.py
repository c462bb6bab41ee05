"""Tests for `unitecon batch` and the library call behind it: parallel, partial, interruptible."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from generator import api, cli

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
EXAMPLE = SCENARIOS / "support_bot.yaml"


def run(*args: str | Path) -> Result:
    try:
        runner = CliRunner(mix_stderr=False)  # click 8.1
    except TypeError:
        runner = CliRunner()  # click 8.2+ always keeps stderr apart
    return runner.invoke(cli.cli, [str(arg) for arg in args])


def copy_example(folder: Path, name: str, source: Path = EXAMPLE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    shutil.copyfile(source, target)
    return target


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """Two valid scenarios and two bad ones, each named after what is wrong."""
    folder = tmp_path / "in"
    copy_example(folder, "support.yaml")
    copy_example(folder, "coding.yml", SCENARIOS / "coding_agent.yaml")
    text = EXAMPLE.read_text()
    assert "share: 0.85" in text
    (folder / "share_sum_not_one.yaml").write_text(text.replace("share: 0.85", "share: 0.95"))
    (folder / "unreadable_yaml.yaml").write_text("name: [unclosed\n")
    (folder / "notes.txt").write_text("not a scenario")
    return folder


def test_valid_files_are_written_and_each_bad_file_is_named(mixed: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"

    result = run("batch", mixed, "-o", out, "-j", "2")

    assert result.exit_code == 1
    assert sorted(p.name for p in out.iterdir()) == [
        "coding.xlsx",
        "portfolio.xlsx",
        "support.xlsx",
    ]
    for bad in ("share_sum_not_one.yaml", "unreadable_yaml.yaml"):
        validated = run("validate", mixed / bad)
        assert validated.exit_code == 1
        assert validated.stderr.strip() in result.stderr  # the same text validate gives
    assert "2 file(s) failed" in result.stderr
    assert "Helpdesk Support Bot" in result.stdout  # the table goes to stdout
    assert not list(out.glob(".*.tmp"))


def test_all_valid_exits_zero_and_reports_each_file(tmp_path: Path) -> None:
    out = tmp_path / "out"

    result = run("batch", SCENARIOS, "-o", out)

    assert result.exit_code == 0, result.stderr
    written = sorted(p.stem for p in out.glob("*.xlsx"))
    assert written == sorted([p.stem for p in SCENARIOS.glob("*.yaml")] + ["portfolio"])
    count = len(list(SCENARIOS.glob("*.yaml")))
    assert f"[{count}/{count}]" in result.stderr  # not a terminal: one line per file
    assert f"wrote {count} workbooks and {out / 'portfolio.xlsx'}" in result.stderr


def test_recursive_mirrors_sub_folders(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    copy_example(folder, "top.yaml")
    copy_example(folder / "fund_a", "a.yaml")
    copy_example(folder / "fund_a" / "seed", "b.yml")
    copy_example(folder / ".git", "ignored.yaml")  # hidden folders are skipped
    out = tmp_path / "out"

    flat = run("batch", folder, "-o", tmp_path / "flat")
    deep = run("batch", folder, "-o", out, "-r")

    assert flat.exit_code == 0 and deep.exit_code == 0, deep.stderr
    assert sorted(p.name for p in (tmp_path / "flat").iterdir()) == ["portfolio.xlsx", "top.xlsx"]
    found = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.xlsx"))
    assert found == ["fund_a/a.xlsx", "fund_a/seed/b.xlsx", "portfolio.xlsx", "top.xlsx"]


def test_a_portfolio_named_file_in_a_sub_folder_does_not_clash(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    copy_example(folder / "sub", "portfolio.yaml")
    out = tmp_path / "out"

    result = run("batch", folder, "-o", out, "-r")

    assert result.exit_code == 0, result.stderr
    assert (out / "sub" / "portfolio.xlsx").is_file() and (out / "portfolio.xlsx").is_file()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("jobs_zero", "0 is not in the range"),
        ("output_is_a_file", "the output folder is a file"),
        ("stem_portfolio", "would replace the portfolio workbook"),
        ("yaml_and_yml", "would both write"),
        ("dir_is_a_file", "is a file"),
        ("dir_missing", "does not exist"),
        ("no_scenarios", "no *.yaml or *.yml files"),
    ],
)
def test_usage_errors_exit_2_before_any_work(tmp_path: Path, case: str, message: str) -> None:
    folder = tmp_path / "in"
    copy_example(folder, "a.yaml")
    out = tmp_path / "out"
    args: list[str | Path] = ["batch", folder, "-o", out]
    if case == "jobs_zero":
        args += ["-j", "0"]
    elif case == "output_is_a_file":
        out.write_text("")
    elif case == "stem_portfolio":
        copy_example(folder, "portfolio.yaml")
    elif case == "yaml_and_yml":
        copy_example(folder, "a.yml")
    elif case == "dir_is_a_file":
        args[1] = folder / "a.yaml"
    elif case == "dir_missing":
        args[1] = tmp_path / "missing"
    elif case == "no_scenarios":
        (folder / "a.yaml").rename(folder / "a.txt")

    result = run(*args)

    assert result.exit_code == 2
    assert message in result.stderr
    assert not out.is_dir()  # nothing was written


def test_help_says_how_dir_problems_exit() -> None:
    result = run("batch", "--help")

    assert result.exit_code == 0
    assert "(exit 2)" in result.stdout and "portfolio.xlsx" in result.stdout


def test_library_call_yields_each_outcome_and_plans_before_work(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    copy_example(folder, "one.yaml")
    copy_example(folder, "two.yaml")
    (folder / "bad.yaml").write_text("name: x\n")
    sources = api.scenario_files(folder)

    outcomes = list(api.batch(sources, tmp_path / "out", jobs=2, root=folder))

    assert sorted(o.source.name for o in outcomes) == ["bad.yaml", "one.yaml", "two.yaml"]
    assert {o.source.name for o in outcomes if not o.ok} == {"bad.yaml"}
    assert all(o.output.is_file() for o in outcomes if o.ok)
    with pytest.raises(api.UsageError):
        api.batch(sources, tmp_path / "out", jobs=0)
    with pytest.raises(api.UsageError):
        api.batch([*sources, folder / "portfolio.yaml"], tmp_path / "out")


def test_one_job_runs_in_process_and_stop_returns_nothing_left(tmp_path: Path) -> None:
    run_ = api.batch([EXAMPLE], tmp_path / "out", jobs=4)

    outcomes = list(run_)

    assert [o.ok for o in outcomes] == [True]
    assert run_.stop() == []


def test_stop_ends_the_workers_and_returns_what_finished(tmp_path: Path) -> None:
    sources = [copy_example(tmp_path / "in", f"s{i}.yaml") for i in range(8)]
    run_ = api.batch(sources, tmp_path / "out", jobs=2)

    first = next(iter(run_))
    late = run_.stop()

    written = {p.stem for p in (tmp_path / "out").glob("*.xlsx")}
    assert first.ok
    assert {o.source.stem for o in [first, *late] if o.ok} == written
    assert len(written) < len(sources)
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_an_edited_workbook_fails_that_file_only(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    copy_example(folder, "a.yaml")
    copy_example(folder, "b.yaml")
    out = tmp_path / "out"
    assert run("batch", folder, "-o", out).exit_code == 0
    edited = out / "a.xlsx"
    workbook = openpyxl.load_workbook(edited)
    sheet, ref = next(iter(workbook.defined_names["price_per_seat_month"].destinations))
    workbook[sheet][ref.replace("$", "")].value = 999
    workbook.save(edited)

    refused = run("batch", folder, "-o", out)
    forced = run("batch", folder, "-o", out, "--force")

    assert refused.exit_code == 1
    assert "edited since it was generated" in refused.stderr
    assert forced.exit_code == 0, forced.stderr


def test_two_batches_give_identical_portfolios(tmp_path: Path, mixed: Path) -> None:
    copy_example(mixed, "copilot.yaml", SCENARIOS / "copilot_2023.yaml")

    run("batch", mixed, "-o", tmp_path / "one", "-j", "1")
    run("batch", mixed, "-o", tmp_path / "two", "-j", "3")

    one = (tmp_path / "one" / "portfolio.xlsx").read_bytes()
    two = (tmp_path / "two" / "portfolio.xlsx").read_bytes()
    assert one == two


def test_ctrl_c_stops_cleanly(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    count = 60
    for index in range(count):
        copy_example(folder, f"s{index:02d}.yaml")
    out = tmp_path / "out"
    # Its own session: the SIGINT a terminal would send to the whole foreground group
    # reaches the command and its workers, never pytest.
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "batch", str(folder), "-o", str(out), "-j", "2"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        first = process.stderr.readline()  # the first workbook is written: work is under way
        time.sleep(0.2)
        os.killpg(process.pid, signal.SIGINT)
        _, rest = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    assert process.returncode == 130, first + rest
    (line,) = [line for line in rest.splitlines() if line.startswith("interrupted:")]
    written = sorted(out.glob("*.xlsx"))
    assert f"interrupted: {len(written)} of {count} workbooks written" in line
    assert 0 < len(written) < count
    assert not (out / "portfolio.xlsx").exists()
    for path in written:
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None
        openpyxl.load_workbook(path, read_only=True).close()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    assert "Traceback" not in rest
