"""The one exception hierarchy: every error a user can fix."""

from __future__ import annotations

from pathlib import Path


class UnitEconError(Exception):
    """Base for every error a user can fix; the CLI prints it without a traceback."""


class ScenarioError(UnitEconError):
    """One problem in one scenario file, located by field path and YAML line."""

    def __init__(self, file: Path | str, path: str, line: int | None, problem: str):
        super().__init__(problem)
        self.file = Path(file)
        self.path = path
        self.line = line
        self.problem = problem

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: {self.path}: {self.problem}" if self.path else f"{where}: {self.problem}"


class ScenarioErrors(UnitEconError):
    """Every problem found in one scenario file (at most MAX_ERRORS of them)."""

    MAX_ERRORS = 20

    def __init__(self, errors: list[ScenarioError]):
        self.errors = errors[: self.MAX_ERRORS]
        self.truncated = len(errors) > self.MAX_ERRORS
        super().__init__(str(self))

    @property
    def file(self) -> Path:
        return self.errors[0].file

    def __str__(self) -> str:
        lines = [str(error) for error in self.errors]
        if self.truncated:
            lines.append(f"{self.file}: (more errors not shown; fix these first)")
        return "\n".join(lines)


class OutputError(UnitEconError):
    """A workbook could not be written (folder missing, not writable, disk full...)."""


class EditedWorkbookError(UnitEconError):
    """The workbook to replace was edited since it was generated, or unitecon never wrote it."""

    def __init__(self, path: Path, changed: list[str], foreign: str | None = None):
        self.path = path
        self.changed = changed
        self.foreign = foreign  # why the file is not one of ours, e.g. "not a workbook"
        if foreign:
            what = foreign
        else:
            more = len(changed) - 10
            shown = ", ".join(changed[:10]) + (f" and {more} more" if more > 0 else "")
            what = f"edited since it was generated (changed inputs: {shown})"
        super().__init__(
            f"{path}: {what}; not replaced. Use --force to overwrite it, or -o to write elsewhere."
        )
