"""Interrupted and concurrent runs, investors' edits, and errors from the environment."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

import generator
from generator import cli, fsutil
from generator.errors import OutputError

ROOT = Path(__file__).parent.parent
SUPPORT = ROOT / "scenarios" / "support_bot.yaml"
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}

pytestmark = pytest.mark.skipif(os.name != "posix", reason="signals and /proc are POSIX")


def big_scenario(price: float) -> str:
    """20 models, 10 cases, 30 years: the largest workbook the limits allow, about 3 s."""
    models = "".join(
        f"  - name: model-{i}\n    share: 0.05\n    input_price: {1 + i}\n"
        f"    output_price: {2 + 2 * i}\n    cached_input_discount: 0.5\n"
        for i in range(20)
    )
    cases = "".join(
        f"  case{i}:\n    usage: {{reasoning_multiplier: {i + 2}}}\n"
        f"    price_curve: {{annual_decline_factor: [{i + 1.5}, 2]}}\n"
        f"    models: {{model-{i}: {{share: 0.1}}, model-{(i + 1) % 20}: {{share: 0}}}}\n"
        for i in range(10)
    )
    return (
        f"name: Big scenario\nyears: 30\npricing:\n  price_per_seat_month: {price}\n"
        "usage:\n  queries_per_seat_month: 300\n  agent_calls_per_query: 8\n"
        "  input_tokens_per_call: 6000\n  output_tokens_per_call: 800\n  cache_hit_rate: 0.5\n"
        f"models:\n{models}seats:\n  start: 100\n  annual_growth: 0.3\ncases:\n{cases}"
    )


def start(*args: str | Path, code: str | None = None) -> subprocess.Popen:
    """`python -m generator ARGS`, or the CLI after running `code` (to plant a fault)."""
    if code is None:
        command = [sys.executable, "-m", "generator", *map(str, args)]
    else:
        command = [
            sys.executable,
            "-c",
            code + "\nfrom generator.cli import main\nmain()",
            *map(str, args),
        ]
    return subprocess.Popen(
        command, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen, timeout: float = 120) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def run(*args: str | Path) -> Result:
    try:
        runner = CliRunner(mix_stderr=False)  # click 8.1
    except TypeError:
        runner = CliRunner()  # click 8.2+ keeps stderr apart
    return runner.invoke(cli.cli, [str(arg) for arg in args])


def temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def assert_complete(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
    load_workbook(path, read_only=True).close()


@pytest.fixture(scope="module")
def versions(tmp_path_factory) -> dict:
    """One source path with two versions of the big scenario (seat price 40, then 50) and
    the bytes of their workbooks (generation is deterministic for a given source path)."""
    folder = tmp_path_factory.mktemp("versions")
    source = folder / "big.yaml"
    built: dict = {"source": source}
    for label, price in (("old", 40), ("new", 50)):
        source.write_text(big_scenario(price))
        code, _, err = finish(start("generate", source, "-o", folder / label))
        assert code == 0, err
        built[label] = (folder / label / "big.xlsx").read_bytes()
    return built


def prepare(tmp_path: Path, versions: dict) -> tuple[Path, Path, Path]:
    """out/big.xlsx holds the old complete workbook; the source now holds the new version."""
    out = tmp_path / "out"
    out.mkdir()
    target = out / "big.xlsx"
    target.write_bytes(versions["old"])
    return versions["source"], out, target


# --- (a) interrupted runs -------------------------------------------------------------------


@pytest.mark.parametrize("delay", [0.05, 0.3, 0.8, 1.5, 2.2, 3.0])
def test_sigkill_at_any_moment_leaves_old_or_new_never_partial(delay, tmp_path, versions):
    source, out, target = prepare(tmp_path, versions)

    process = start("generate", source, "-o", out)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.communicate()

    assert target.read_bytes() in (versions["old"], versions["new"])
    left = temps(out)
    assert len(left) <= 1 and all(name.startswith(".big.") for name in left)
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == ["big.xlsx"]
    # The next run removes any leftover and writes the new version.
    code, _, err = finish(start("generate", source, "-o", out))
    assert code == 0, err
    assert temps(out) == []
    assert target.read_bytes() == versions["new"]


def test_sigkill_when_the_temporary_file_appears(tmp_path, versions):
    source, out, target = prepare(tmp_path, versions)
    process = start("generate", source, "-o", out)

    deadline = time.monotonic() + 60
    while not temps(out) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.0005)
    process.send_signal(signal.SIGKILL)
    process.communicate()

    assert target.read_bytes() in (versions["old"], versions["new"])
    assert_complete(target)


KILL_IN_WRITE = """
import os, signal
from generator import fsutil
real_write = os.write
def write_half_then_die(fd, data):
    if os.readlink(f"/proc/self/fd/{fd}").endswith(".tmp"):
        real_write(fd, bytes(data[: len(data) // 2]))
        os.kill(os.getpid(), signal.SIGKILL)
    return real_write(fd, data)
fsutil.os.write = write_half_then_die
"""

KILL_BEFORE_RENAME = """
import os, signal
from generator import fsutil
def die(src, dst):
    os.kill(os.getpid(), signal.SIGKILL)
fsutil.os.replace = die
"""


@pytest.mark.parametrize(
    "fault", [KILL_IN_WRITE, KILL_BEFORE_RENAME], ids=["mid-write", "pre-rename"]
)
def test_killed_writer_leaves_the_old_file_and_a_temp_the_next_run_removes(
    fault, tmp_path, versions
):
    source, out, target = prepare(tmp_path, versions)

    code, _, _ = finish(start("generate", source, "-o", out, code=fault))

    assert code == -signal.SIGKILL
    assert target.read_bytes() == versions["old"]  # untouched
    (left,) = temps(out)
    assert left.startswith(".big.") and left.endswith(".tmp")
    code, _, err = finish(start("generate", source, "-o", out))
    assert code == 0, err
    assert temps(out) == []
    assert target.read_bytes() == versions["new"]


# --- (b) concurrent runs --------------------------------------------------------------------


def test_concurrent_runs_into_one_folder_do_not_corrupt_each_other(tmp_path: Path) -> None:
    sources = {}
    for label, price in (("old", 40), ("new", 50)):  # same stem: both write out/big.xlsx
        sources[label] = tmp_path / label / "big.yaml"
        sources[label].parent.mkdir()
        sources[label].write_text(big_scenario(price))
    other = tmp_path / "other" / "support.yaml"
    other.parent.mkdir()
    other.write_bytes(SUPPORT.read_bytes())
    out = tmp_path / "out"
    expected = {}
    for label, source in sources.items():
        code, _, err = finish(start("generate", source, "-o", tmp_path / f"ref-{label}"))
        assert code == 0, err
        expected[label] = (tmp_path / f"ref-{label}" / "big.xlsx").read_bytes()

    for _ in range(3):
        processes = [
            start("generate", sources["old"], "-o", out),
            start("generate", sources["new"], "-o", out),
            start("generate", other, "-o", out),
            start("generate", sources["new"], other, "-o", out),
        ]
        results = [finish(process) for process in processes]

        for code, _, err in results:
            assert code == 0, err
        assert (out / "big.xlsx").read_bytes() in expected.values()
        assert_complete(out / "support.xlsx")
        assert temps(out) == []
        assert sorted(p.name for p in out.iterdir()) == ["big.xlsx", "support.xlsx"]


# --- (c) edited workbooks -------------------------------------------------------------------


def _edit_named_cell(path: Path, name: str, value: object) -> None:
    book = load_workbook(path)
    ((sheet, ref),) = book.defined_names[name].destinations
    book[sheet][ref.replace("$", "")].value = value
    book.save(path)


def test_edited_workbook_is_refused_and_kept_byte_for_byte(tmp_path: Path) -> None:
    assert run("generate", SUPPORT, "-o", tmp_path).exit_code == 0
    target = tmp_path / "support_bot.xlsx"
    _edit_named_cell(target, "price_per_seat_month", 99)
    edited = target.read_bytes()

    result = run("generate", SUPPORT, "-o", tmp_path)

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"{target}: edited since it was generated (changed inputs: price_per_seat_month); "
        "not replaced. Use --force to overwrite it, or -o to write elsewhere."
    )
    assert target.read_bytes() == edited
    assert temps(tmp_path) == []


def test_force_replaces_an_edited_workbook(tmp_path: Path) -> None:
    assert run("generate", SUPPORT, "-o", tmp_path).exit_code == 0
    target = tmp_path / "support_bot.xlsx"
    original = target.read_bytes()
    _edit_named_cell(target, "price_per_seat_month", 99)

    result = run("generate", SUPPORT, "-o", tmp_path, "--force")

    assert result.exit_code == 0, result.stderr
    assert target.read_bytes() == original


def test_an_edited_case_input_is_named(tmp_path: Path) -> None:
    scenario = ROOT / "scenarios" / "coding_agent.yaml"
    assert run("generate", scenario, "-o", tmp_path).exit_code == 0
    target = tmp_path / "coding_agent.xlsx"
    _edit_named_cell(target, "reasoning_multiplier_bear", 30)

    result = run("generate", scenario, "-o", tmp_path)

    assert result.exit_code == 1
    assert "changed inputs: reasoning_multiplier_bear" in result.stderr


def test_unedited_workbook_is_regenerated_silently(tmp_path: Path) -> None:
    assert run("generate", SUPPORT, "-o", tmp_path).exit_code == 0
    target = tmp_path / "support_bot.xlsx"
    # Opened and saved without a change (openpyxl drops the cached values): not an edit.
    load_workbook(target).save(target)

    result = run("generate", SUPPORT, "-o", tmp_path)

    assert result.exit_code == 0
    assert result.stderr.strip() == f"wrote {target}"


def test_a_changed_scenario_replaces_an_unedited_workbook(tmp_path: Path) -> None:
    scenario = tmp_path / "support_bot.yaml"
    scenario.write_text(SUPPORT.read_text())
    out = tmp_path / "out"
    assert run("generate", scenario, "-o", out).exit_code == 0
    target = out / "support_bot.xlsx"
    first = target.read_bytes()
    text = scenario.read_text()
    scenario.write_text(text.replace("name: ", "name: Renamed ", 1))

    result = run("generate", scenario, "-o", out)

    assert result.exit_code == 0, result.stderr
    assert target.read_bytes() != first
    assert "Renamed" in load_workbook(target)["Summary"]["B2"].value


def test_an_edit_is_kept_even_when_the_scenario_changed(tmp_path: Path) -> None:
    scenario = tmp_path / "support_bot.yaml"
    scenario.write_text(SUPPORT.read_text())
    out = tmp_path / "out"
    assert run("generate", scenario, "-o", out).exit_code == 0
    target = out / "support_bot.xlsx"
    _edit_named_cell(target, "cache_hit_rate", 0.5)
    edited = target.read_bytes()
    scenario.write_text(scenario.read_text().replace("name: ", "name: Renamed ", 1))

    result = run("generate", scenario, "-o", out)

    assert result.exit_code == 1
    assert "changed inputs: cache_hit_rate" in result.stderr
    assert target.read_bytes() == edited


@pytest.mark.parametrize("content", [b"", b"not a workbook", None], ids=["empty", "text", "xlsx"])
def test_a_file_unitecon_did_not_write_is_refused(content, tmp_path: Path) -> None:
    target = tmp_path / "support_bot.xlsx"
    if content is None:
        from openpyxl import Workbook

        Workbook().save(target)
    else:
        target.write_bytes(content)
    before = target.read_bytes()

    refused = run("generate", SUPPORT, "-o", tmp_path)

    assert refused.exit_code == 1
    (line,) = refused.stderr.strip().splitlines()
    assert line.startswith(f"{target}: ")
    assert "unitecon" in line and "--force" in line
    assert "edited since it was generated" not in line
    assert target.read_bytes() == before
    assert run("generate", SUPPORT, "-o", tmp_path, "--force").exit_code == 0
    assert_complete(target)


def test_a_folder_where_the_workbook_belongs(tmp_path: Path) -> None:
    (tmp_path / "support_bot.xlsx").mkdir()

    for args in ((), ("--force",)):
        result = run("generate", SUPPORT, "-o", tmp_path, *args)

        assert result.exit_code == 1
        assert result.stderr.strip() == (
            f"{tmp_path / 'support_bot.xlsx'}: cannot write: the path is a folder"
        )


# --- (d) errors from the environment ---------------------------------------------------------


def test_output_folder_under_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "some_file"
    blocker.write_text("x")

    code, out, err = finish(start("generate", SUPPORT, "-o", blocker / "sub"))

    assert code == 1
    assert "Traceback" not in out + err
    (line,) = err.strip().splitlines()
    assert line.startswith(f"{blocker / 'sub'}: cannot create the folder")


class _OsWith:
    """The os module with one function replaced, seen only by fsutil."""

    def __init__(self, **replaced):
        self.__dict__.update(replaced)

    def __getattr__(self, name):
        return getattr(os, name)


def test_unwritable_output_folder(tmp_path: Path, monkeypatch) -> None:
    # As root, chmod stops nothing: refuse where the OS would, creating the temporary file.
    def refuse(path, flags, *args):
        if flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return os.open(path, flags, *args)

    monkeypatch.setattr(fsutil, "os", _OsWith(open=refuse))

    result = run("generate", SUPPORT, "-o", tmp_path)

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"{tmp_path / 'support_bot.xlsx'}: cannot write: folder {tmp_path} is not writable "
        "(permission denied)"
    )
    assert list(tmp_path.iterdir()) == []


def test_disk_full_keeps_the_old_workbook_and_leaves_no_temp(tmp_path, monkeypatch) -> None:
    assert run("generate", SUPPORT, "-o", tmp_path).exit_code == 0
    target = tmp_path / "support_bot.xlsx"
    old = target.read_bytes()

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fsutil, "os", _OsWith(write=full))
    result = run("generate", ROOT / "scenarios" / "support_bot.yaml", "-o", tmp_path, "--force")

    assert result.exit_code == 1
    assert result.stderr.strip() == f"{target}: cannot write: disk full"
    assert "Traceback" not in result.output
    assert target.read_bytes() == old
    assert temps(tmp_path) == []


def test_disk_full_through_the_library(tmp_path: Path, monkeypatch) -> None:
    scenario = generator.load(SUPPORT)

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fsutil, "os", _OsWith(write=full))
    with pytest.raises(OutputError) as caught:
        generator.write_workbook(scenario, tmp_path / "bot.xlsx")

    assert str(caught.value) == f"{tmp_path / 'bot.xlsx'}: cannot write: disk full"
    assert list(tmp_path.iterdir()) == []


def test_unreadable_scenario(tmp_path: Path, monkeypatch) -> None:
    source = tmp_path / "bot.yaml"
    shutil.copy(SUPPORT, source)
    real = Path.open

    def refuse(self, *args, **kwargs):
        if self == source:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)

    result = run("generate", source, "-o", tmp_path / "out")

    assert result.exit_code == 1
    assert result.stderr.strip() == f"{source}: cannot read: Permission denied"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["folder", "missing"])
def test_scenario_path_is_a_folder_or_missing(kind: str, tmp_path: Path) -> None:
    source = tmp_path / "scenarios.yaml"
    if kind == "folder":
        source.mkdir()

    code, out, err = finish(start("generate", source, "-o", tmp_path / "out"))

    assert code == 1
    assert "Traceback" not in out + err
    (line,) = err.strip().splitlines()
    assert line.startswith(f"{source}: expected ")
    assert not (tmp_path / "out").exists()
