"""A workbook's record of its input cells, so that a re-run never overwrites an investor's edits."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .errors import EditedWorkbookError, OutputError

SHEET = "_fingerprint"
PROPERTY = "unitecon_fingerprint"
VIEW_INPUTS = {"active_case"}  # choosing what to look at is not an edit of the model


def digest(entries: list[tuple[str, str, str, object]]) -> str:
    """SHA-256 over (label, sheet, cell, content) of every input cell."""
    return hashlib.sha256(json.dumps(entries, sort_keys=True).encode()).hexdigest()


def write_sheet(book, entries: list[tuple[str, str, str, object]]) -> None:
    """A very hidden sheet listing each input cell and what it held when generated."""
    book.add_sheet(SHEET).sheet_state = "veryHidden"
    header = ("input", "sheet", "cell", "content as generated")
    for row, values in enumerate([header, *entries], start=1):
        for column, value in enumerate(values, start=1):
            if isinstance(value, str):
                book.text(SHEET, row, column, value)
            else:
                book.constant(SHEET, row, column, value, "general")


def entries_of(book) -> list[tuple[str, str, str, object]]:
    """What every input cell of a built workbook holds: its value, or its formula text."""
    out = []
    for sheet, ref, label in book.inputs:
        if label in VIEW_INPUTS:
            continue
        content = book.content(sheet, ref)
        out.append((label, sheet, ref, content))
    return out


_NOT_READABLE = "not a workbook unitecon wrote (it cannot be read as .xlsx)"
_NOT_OURS = "a workbook unitecon did not write (it has no record of its inputs)"


def edited_inputs(path: Path) -> list[str]:
    """The labels of input cells whose content differs from the record (empty: unedited).

    Raise EditedWorkbookError for a file unitecon did not write (nothing to compare)."""
    try:
        return _compare(path)
    except EditedWorkbookError:
        raise
    except Exception:  # noqa: BLE001 - zipfile, zlib, XML parsers, openpyxl: any of them
        raise EditedWorkbookError(path, [], foreign=_NOT_READABLE) from None


def _compare(path: Path) -> list[str]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=False)
    try:
        if SHEET not in wb.sheetnames:
            raise EditedWorkbookError(path, [], foreign=_NOT_OURS)
        cells: dict[str, dict[str, object]] = {}
        changed = []
        for row in wb[SHEET].iter_rows(min_row=2, values_only=True):
            label, sheet_title, ref, content = (tuple(row) + (None,) * 4)[:4]
            if sheet_title not in wb.sheetnames:
                changed.append(str(label))
                continue
            if sheet_title not in cells:
                cells[sheet_title] = _contents(wb[sheet_title])
            if not _same(cells[sheet_title].get(ref), content):
                changed.append(str(label))
        return changed
    finally:
        wb.close()


def check_replaceable(path: Path) -> None:
    """Raise EditedWorkbookError when `path` exists and was edited or is not ours;
    OutputError when it is a folder."""
    if path.is_dir():
        raise OutputError(f"{path}: cannot write: the path is a folder")
    if not path.exists():
        return
    changed = edited_inputs(path)
    if changed:
        raise EditedWorkbookError(path, changed)


def _contents(sheet) -> dict[str, object]:
    from openpyxl.utils import get_column_letter

    out = {}
    for row in sheet.iter_rows():
        for cell in row:
            if getattr(cell, "value", None) is not None:
                out[f"{get_column_letter(cell.column)}{cell.row}"] = cell.value
    return out


def _same(current: object, recorded: object) -> bool:
    if isinstance(current, (int, float)) and isinstance(recorded, (int, float)):
        return float(current) == float(recorded) and not isinstance(current, bool)
    return current == recorded
