"""Tests for atomic output and the removal of temporary files left by dead writers."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator import fsutil
from generator.errors import OutputError
from generator.fsutil import remove_stale_temps, write_atomic


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_writes_a_new_file(tmp_path):
    target = tmp_path / "acme.xlsx"
    write_atomic(target, b"data")
    assert target.read_bytes() == b"data"
    assert _leftovers(tmp_path) == []


def test_replaces_an_existing_file(tmp_path):
    target = tmp_path / "acme.xlsx"
    target.write_bytes(b"old contents")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert _leftovers(tmp_path) == []


def test_temp_name_is_hidden_and_holds_the_pid(tmp_path, monkeypatch):
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append(Path(src).name)
        real_replace(src, dst)

    monkeypatch.setattr(fsutil.os, "replace", spy)
    write_atomic(tmp_path / "acme.v2.xlsx", b"x")
    (name,) = seen
    assert name.startswith(".acme.v2.") and name.endswith(".tmp")
    assert f".{os.getpid()}-" in name


def test_disk_full_leaves_no_temp_and_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "acme.xlsx"
    target.write_bytes(b"old")

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fsutil.os, "write", full)
    with pytest.raises(OutputError) as caught:
        write_atomic(target, b"new")
    assert str(caught.value) == f"{target}: cannot write: disk full"
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_failed_rename_leaves_no_temp(tmp_path, monkeypatch):
    def refuse(src, dst):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(fsutil.os, "replace", refuse)
    with pytest.raises(OutputError, match="cannot write"):
        write_atomic(tmp_path / "acme.xlsx", b"x")
    assert _leftovers(tmp_path) == []


def test_interrupt_leaves_no_temp(tmp_path, monkeypatch):
    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(fsutil.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "acme.xlsx", b"x")
    assert _leftovers(tmp_path) == []


def test_missing_folder(tmp_path):
    target = tmp_path / "nope" / "acme.xlsx"
    with pytest.raises(OutputError) as caught:
        write_atomic(target, b"x")
    assert str(caught.value) == f"{target}: cannot write: folder {target.parent} does not exist"


def test_unwritable_folder(tmp_path, monkeypatch):
    # chmod does not stop root, so the refusal is simulated where the OS would give it.
    real_open = os.open

    def refuse(path, flags, *args):
        if flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(fsutil.os, "open", refuse)
    target = tmp_path / "acme.xlsx"
    with pytest.raises(OutputError) as caught:
        write_atomic(target, b"x")
    assert "not writable" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert _leftovers(tmp_path) == []


def test_path_is_a_folder(tmp_path):
    target = tmp_path / "acme.xlsx"
    target.mkdir()
    with pytest.raises(OutputError, match="the path is a folder"):
        write_atomic(target, b"x")
    assert _leftovers(tmp_path) == []


def test_stale_temp_is_removed_and_live_one_kept(tmp_path):
    stale = tmp_path / f".acme.{_dead_pid()}-0123abcd.tmp"
    live = tmp_path / f".beta.{os.getppid()}-0123abcd.tmp"
    own = tmp_path / f".gamma.{os.getpid()}-0123abcd.tmp"
    unrelated = [tmp_path / ".notes.tmp", tmp_path / "acme.xlsx", tmp_path / ".x.12.tmp"]
    for path in [stale, live, own, *unrelated]:
        path.write_bytes(b"")
    assert remove_stale_temps(tmp_path) == 1
    assert not stale.exists()
    assert all(path.exists() for path in [live, own, *unrelated])


def test_stale_temps_in_a_missing_folder(tmp_path):
    assert remove_stale_temps(tmp_path / "nope") == 0
