"""Atomic file output: write a hidden temporary file, then rename it into place."""

from __future__ import annotations

import errno
import os
import re
import secrets
from pathlib import Path

from generator.errors import OutputError

# ".<stem>.<pid>-<token>.tmp": the writer's PID lets a later run tell a crashed
# writer's leftovers from a file another run is still writing.
_TEMP_NAME = re.compile(r"^\..*\.(?P<pid>[0-9]+)-[0-9a-f]{8}\.tmp$")
# Keep temp names under the usual 255-byte file name limit even for long stems.
_MAX_STEM = 200

_REASONS = {
    errno.ENOENT: "folder {folder} does not exist",
    errno.ENOTDIR: "folder {folder} does not exist",
    errno.EACCES: "folder {folder} is not writable (permission denied)",
    errno.EPERM: "folder {folder} is not writable (permission denied)",
    errno.EROFS: "folder {folder} is on a read-only file system",
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EISDIR: "the path is a folder",
}


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so readers see the old file or the new one, never half of one."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: cannot write: the path is a folder")
    temp = path.with_name(f".{path.stem[:_MAX_STEM]}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as error:
        raise _output_error(path, error) from None
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException as error:
        temp.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _output_error(path, error) from None
        raise
    _sync_folder(path.parent)


def remove_stale_temps(folder: Path) -> int:
    """Remove temp files left in `folder` by writers that are gone; return how many."""
    removed = 0
    try:
        candidates = list(Path(folder).glob(".*.tmp"))
    except OSError:
        return 0
    for candidate in candidates:
        match = _TEMP_NAME.match(candidate.name)
        if match is None or _process_alive(int(match.group("pid"))):
            continue
        try:
            candidate.unlink()
        except FileNotFoundError:
            continue  # another run cleaned it up first
        except OSError:
            continue  # not ours to remove; leave it rather than fail the run
        removed += 1
    return removed


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":
        return _windows_process_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    except (OverflowError, OSError):
        return False  # not a PID this system could hold
    return True


def _windows_process_alive(pid: int) -> bool:
    # os.kill(pid, 0) would terminate the process on Windows; ask the kernel instead.
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    query_limited_information, still_active, invalid_parameter = 0x1000, 259, 87
    handle = kernel32.OpenProcess(query_limited_information, False, pid)
    if not handle:
        return kernel32.GetLastError() != invalid_parameter
    try:
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        return code.value == still_active
    finally:
        kernel32.CloseHandle(handle)


def _output_error(path: Path, error: OSError) -> OutputError:
    template = _REASONS.get(error.errno or 0)
    reason = template.format(folder=path.parent) if template else error.strerror or str(error)
    return OutputError(f"{path}: cannot write: {reason}")


def _sync_folder(folder: Path) -> None:
    # The rename is durable only once the folder entry is on disk; best effort.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
