"""Run many scenario files through worker processes, yielding each outcome as it finishes."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

    from .api import Outcome

SUFFIXES = (".yaml", ".yml")


def scenario_files(folder: Path, *, recursive: bool = False) -> list[Path]:
    """The *.yaml and *.yml files of `folder` (and its sub-folders), sorted by path.

    Hidden files and folders (a leading dot) are skipped, as are symbolic links to folders.
    """
    folder = Path(folder)
    found = []
    for parent, folders, files in os.walk(folder):
        folders[:] = [] if not recursive else sorted(f for f in folders if not f.startswith("."))
        found += [
            Path(parent, name)
            for name in files
            if name.endswith(SUFFIXES) and not name.startswith(".")
        ]
    return sorted(found, key=lambda path: path.relative_to(folder).parts)


def default_jobs() -> int:
    """One worker per core this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Batch:
    """Outcomes of (source, target) pairs, in the order they finish.

    Iterating starts the workers; `stop()` ends them early (after the files they are
    writing, so no workbook is cut short) and returns the outcomes that finished meanwhile.
    """

    def __init__(self, pairs: list[tuple[Path, Path]], jobs: int, *, force: bool = False):
        self.pairs = pairs
        self.jobs = max(1, min(jobs, len(pairs)))
        self.force = force
        self._pool: ProcessPoolExecutor | None = None
        self._pending: dict[Future, Path] = {}
        self._order: dict[Future, int] = {}
        self._late: list[Outcome] = []
        self._iterator: Iterator[Outcome] | None = None

    def __len__(self) -> int:
        return len(self.pairs)

    def __iter__(self) -> Iterator[Outcome]:
        if self._iterator is None:
            self._iterator = self._in_process() if self.jobs == 1 else self._in_workers()
        return self._iterator

    def stop(self) -> list[Outcome]:
        """Cancel the files not started, wait for those being written; return their outcomes."""
        self._end_workers()
        late, self._late = self._late, []
        return late

    def _in_process(self) -> Iterator[Outcome]:
        from .api import generate_one

        for source, target in self.pairs:
            yield generate_one(source, target, force=self.force)

    def _in_workers(self) -> Iterator[Outcome]:
        from concurrent.futures import FIRST_COMPLETED, wait

        self._start()
        try:
            while self._pending:
                done, _ = wait(self._pending, return_when=FIRST_COMPLETED)
                # Within one wake-up, yield in submission order: runs differ less.
                for future in sorted(done, key=self._order.__getitem__):
                    source = self._pending.pop(future)
                    yield _outcome(future, source)
        finally:
            # Normally nothing is pending; after a break or Ctrl-C, end the workers now
            # (a caller that does not call stop() would otherwise wait for the whole batch
            # when the program exits).
            self._end_workers()

    def _end_workers(self) -> None:
        if self._pool is None:
            return
        for future in self._pending:
            future.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None
        self._late += [
            _outcome(future, source)
            for future, source in self._pending.items()
            if not future.cancelled()
        ]
        self._pending.clear()

    def _start(self) -> None:
        import gc
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # Forked workers share what the parent has imported, so import it once, here.
        _preload()
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context(
            "fork" if "fork" in methods and sys.platform != "darwin" else None
        )
        self._pool = ProcessPoolExecutor(self.jobs, mp_context=context, initializer=_ignore_sigint)
        # The first submission forks every worker; they start out ignoring Ctrl-C (before
        # the initializer could run) and so finish the file they are writing, then leave
        # when the pool shuts down. gc.freeze keeps what the parent made shared with them
        # instead of copied by their first garbage collection.
        in_main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main_thread else None
        gc.freeze()
        try:
            self._submit(*self.pairs[0])
        finally:
            gc.unfreeze()
            if in_main_thread:
                signal.signal(signal.SIGINT, previous)
        for source, target in self.pairs[1:]:
            self._submit(source, target)

    def _submit(self, source: Path, target: Path) -> None:
        future = self._pool.submit(_generate, str(source), str(target), self.force)
        self._order[future] = len(self._order)
        self._pending[future] = source


def _preload() -> None:
    import importlib
    import pkgutil

    from . import api, fingerprint, fsutil, model, workbook  # noqa: F401

    # The sheet modules are imported inside build(); import every one of them here.
    for module in pkgutil.iter_modules(workbook.__path__, f"{workbook.__name__}."):
        importlib.import_module(module.name)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _generate(source: str, target: str, force: bool) -> Outcome:
    from .api import generate_one

    return generate_one(Path(source), Path(target), force=force)


def _outcome(future: Future, source: Path) -> Outcome:
    """The worker's outcome; a crash in a worker fails that file, not the whole batch."""
    from concurrent.futures.process import BrokenProcessPool

    from .api import Outcome

    try:
        return future.result()
    except BrokenProcessPool:
        return Outcome(
            source=source,
            error=f"{source}: the worker process died (out of memory?); the file was not generated",
        )
    except Exception as error:  # noqa: BLE001 - a bug, not a user error: keep the batch going
        return Outcome(
            source=source,
            error=f"{source}: internal error (please report it): {type(error).__name__}: {error}",
        )
