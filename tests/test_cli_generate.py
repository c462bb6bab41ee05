"""Tests for `unitecon generate` and `unitecon validate`: outputs, streams and exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from generator import __version__, cli

ROOT = Path(__file__).parent.parent
SCENARIOS = ROOT / "scenarios"
SUPPORT = SCENARIOS / "support_bot.yaml"
CODING = SCENARIOS / "coding_agent.yaml"
INVALID = Path(__file__).parent / "invalid" / "share_sum_not_one.yaml"


def run(*args: str | Path) -> Result:
    try:
        runner = CliRunner(mix_stderr=False)  # click 8.1
    except TypeError:
        runner = CliRunner()  # click 8.2+ keeps stderr apart
    return runner.invoke(cli.cli, [str(arg) for arg in args])


def run_module(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "generator", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# --- generate -------------------------------------------------------------------------------


def test_generate_writes_output_stem_xlsx_by_default(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)

    result = run("generate", SUPPORT)

    assert result.exit_code == 0, result.stderr
    assert files_in(tmp_path) == ["output", "output/support_bot.xlsx"]
    book = load_workbook(tmp_path / "output" / "support_bot.xlsx")
    assert "price_per_seat_month" in book.defined_names


def test_generate_prints_the_margin_table_on_stdout_and_messages_on_stderr(tmp_path) -> None:
    result = run("generate", CODING, "-o", tmp_path)

    lines = result.stdout.splitlines()
    assert lines[0].startswith("Acme Code Agent (")
    assert lines[1].split() == [
        "case",
        "2026",
        "2027",
        "2028",
        "2029",
        "2030",
        "first",
        "year",
        "at",
        "target",
    ]
    assert [line.split()[0] for line in lines[3:]] == ["base", "bear", "bull"]
    assert all(cell.endswith("%") for cell in lines[3].split()[1:6])
    assert "wrote" not in result.stdout
    assert result.stderr.strip() == f"wrote {tmp_path / 'coding_agent.xlsx'}"


def test_generate_several_files_into_a_new_nested_folder(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b"

    result = run("generate", SUPPORT, CODING, "-o", out)

    assert result.exit_code == 0
    assert files_in(out) == ["coding_agent.xlsx", "support_bot.xlsx"]
    assert result.stdout.count("gross margin") == 2


def test_generate_invalid_file_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    result = run("generate", INVALID, "-o", tmp_path / "out")

    assert result.exit_code == 1
    assert result.stderr.startswith(f"{INVALID}:9: models: expected model shares summing to 1")
    assert result.stdout == ""
    assert not (tmp_path / "out").exists()


def test_generate_keeps_going_after_a_bad_file(tmp_path: Path) -> None:
    result = run(
        "generate", INVALID, tmp_path / "missing.yaml", SUPPORT, tmp_path, "-o", tmp_path / "out"
    )

    assert result.exit_code == 1
    assert files_in(tmp_path / "out") == ["support_bot.xlsx"]
    assert f"{tmp_path / 'missing.yaml'}: expected a scenario file, found no such file" in (
        result.stderr
    )
    assert f"{tmp_path}: expected a file, found a folder" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Missing argument"),
        (("--no-such-option", SUPPORT), "No such option"),
    ],
)
def test_generate_usage_errors_exit_2(args: tuple, message: str, tmp_path: Path) -> None:
    result = run("generate", *args)

    assert result.exit_code == 2
    assert message in result.stderr


def test_generate_output_naming_a_file_exits_2(tmp_path: Path) -> None:
    taken = tmp_path / "taken.txt"
    taken.write_text("mine")

    result = run("generate", SUPPORT, "-o", taken)

    assert result.exit_code == 2
    assert f"{taken}: the output folder is a file" in result.stderr
    assert taken.read_text() == "mine"
    assert files_in(tmp_path) == ["taken.txt"]


def test_two_inputs_with_the_same_output_exit_2_before_any_work(tmp_path: Path) -> None:
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "bot.yaml").write_bytes(SUPPORT.read_bytes())

    result = run(
        "generate",
        tmp_path / "one" / "bot.yaml",
        tmp_path / "two" / "bot.yaml",
        "-o",
        tmp_path / "out",
    )

    assert result.exit_code == 2
    assert "would both write" in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_same_file_twice_is_a_usage_error(tmp_path: Path) -> None:
    result = run("generate", SUPPORT, SUPPORT, "-o", tmp_path)

    assert result.exit_code == 2
    assert files_in(tmp_path) == []


# --- validate -------------------------------------------------------------------------------


def test_validate_prints_one_line_per_file_and_writes_nothing(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)

    result = run("validate", *sorted(SCENARIOS.glob("*.yaml")))

    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == len(list(SCENARIOS.glob("*.yaml")))
    assert result.stdout.splitlines()[0].startswith(f"{SCENARIOS / 'coding_agent.yaml'}: ok (")
    assert files_in(tmp_path) == []


def test_validate_reports_every_bad_file_and_exits_1(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)

    result = run("validate", SUPPORT, INVALID, tmp_path / "nope.yaml")

    assert result.exit_code == 1
    assert result.stdout.startswith(f"{SUPPORT}: ok")
    assert str(INVALID) in result.stderr
    assert f"{tmp_path / 'nope.yaml'}: " in result.stderr
    assert files_in(tmp_path) == []


def test_validate_needs_a_file() -> None:
    assert run("validate").exit_code == 2


# --- through python -m generator --------------------------------------------------------------


def test_module_version(tmp_path: Path) -> None:
    result = run_module("--version", cwd=tmp_path)

    assert result.returncode == 0
    assert result.stdout.strip() == f"unitecon {__version__}"


def test_module_exit_codes(tmp_path: Path) -> None:
    ok = run_module("generate", SUPPORT, "-o", "out", cwd=tmp_path)
    invalid = run_module("generate", INVALID, "-o", "out2", cwd=tmp_path)
    no_file = run_module("generate", cwd=tmp_path)
    unknown = run_module("generate", "--frobnicate", SUPPORT, cwd=tmp_path)
    folder = run_module("validate", tmp_path, cwd=tmp_path)

    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "out" / "support_bot.xlsx").is_file()
    assert "Helpdesk Support Bot" in ok.stdout
    assert (invalid.returncode, no_file.returncode, unknown.returncode) == (1, 2, 2)
    assert folder.returncode == 1
    assert folder.stderr.strip() == f"{tmp_path}: expected a file, found a folder"
    for result in (ok, invalid, no_file, unknown, folder):
        assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "out2").exists()
