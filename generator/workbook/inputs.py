"""The Inputs sheet: every scalar input, one column per case, base inputs named as in the SPEC."""

from __future__ import annotations

from openpyxl.worksheet.datavalidation import DataValidation

from ..scenario import Scenario
from .book import LINK_FONT, NOTE_FONT, SECTION_FONT, TITLE_FONT, Book, cell
from .fields import SCALARS, SEAT_FIELDS, Field, scalar_value, suffix

SHEET = "Inputs"
FIRST_ROW = 5
VALUE_COL = 3  # base case; case k in VALUE_COL + k
LIST_CURVE = "by year (Models sheet)"


def fields_for(scenario: Scenario) -> list[Field]:
    return list(SCALARS) + (list(SEAT_FIELDS) if scenario.base.seats is not None else [])


def write(book: Book, scenario: Scenario) -> None:
    """Write the Inputs sheet and define every scalar input name (base and per case)."""
    book.on = SHEET
    cases = scenario.cases
    note_col = VALUE_COL + len(cases)
    book.text(SHEET, 1, 1, "Inputs", font=TITLE_FONT)
    book.text(SHEET, 2, 1, scenario.name)
    book.text(
        SHEET,
        3,
        1,
        "Blue on yellow: inputs. Green: a case cell that follows the base "
        "case. Change any input and every sheet recalculates.",
        font=NOTE_FONT,
    )
    for title, column in (("Input", 1), ("Unit", 2), ("Note", note_col)):
        book.header(SHEET, 4, column, title)
    for index, case in enumerate(cases):
        book.header(SHEET, 4, VALUE_COL + index, case.name)
    row = FIRST_ROW
    section = None
    for field in fields_for(scenario):
        if field.path[0] != section and len(field.path) == 2:
            section = field.path[0]
            book.text(SHEET, row, 1, section, font=SECTION_FONT)
            row += 1
        _field_row(book, scenario, field, row, note_col)
        row += 1
    book.sheets[SHEET].freeze_panes = "C5"
    book.widths(
        SHEET, {1: 38, 2: 20, **{VALUE_COL + i: 14 for i in range(len(cases))}, note_col: 70}
    )


def _field_row(book: Book, scenario: Scenario, field: Field, row: int, note_col: int) -> None:
    unit = field.unit.format(cur=scenario.currency)
    book.text(SHEET, row, 1, field.label)
    book.text(SHEET, row, 2, unit)
    book.text(SHEET, row, note_col, f"{field.note} Range: {field.range_text()}.", font=NOTE_FONT)
    if not field.case:
        book.input(SHEET, row, VALUE_COL, getattr(scenario, field.name), field.fmt, field.name)
        book.define(field.name, SHEET, row, VALUE_COL)
        _validate(book, field, row, VALUE_COL, VALUE_COL)
        return
    base_cell = None
    for index, case in enumerate(scenario.cases):
        column = VALUE_COL + index
        name = field.name + suffix(case.name)
        value = scalar_value(case, field)
        if value is None:  # a decline-factor list: the curve row on the Models sheet holds it
            book.text(SHEET, row, column, LIST_CURVE, font=NOTE_FONT)
            continue
        if index == 0 or field.path in case.overrides or base_cell is None:
            book.input(SHEET, row, column, value, field.fmt, name)
        else:
            book.formula(
                SHEET,
                row,
                column,
                book.ref(SHEET, *base_cell),
                field.fmt,
                font=LINK_FONT,
                label=name,
            )
        if index == 0:
            base_cell = (row, column)
        book.define(name, SHEET, row, column)
    _validate(book, field, row, VALUE_COL, VALUE_COL + len(scenario.cases) - 1)


def validation_formula(
    target: str,
    low: float,
    high: float,
    low_open: bool = False,
    high_open: bool = False,
    whole: bool = False,
) -> str:
    """An Excel data-validation rule keeping `target` inside [low, high]."""
    parts = [
        f"ISNUMBER({target})",
        f"{target}{'>' if low_open else '>='}{low:g}",
        f"{target}{'<' if high_open else '<='}{high:g}",
    ]
    if whole:
        parts.append(f"INT({target})={target}")
    return f"AND({','.join(parts)})"


def _validate(book: Book, field: Field, row: int, first: int, last: int) -> None:
    rule = DataValidation(
        type="custom",
        formula1=validation_formula(
            cell(row, first, fix_row=False, fix_col=False),
            field.low,
            field.high,
            field.low_open,
            field.high_open,
            field.whole,
        ),
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle="Out of range",
        error=f"{field.label}: expected a number {field.range_text()}.",
    )
    rule.add(
        f"{cell(row, first, fix_row=False, fix_col=False)}:"
        f"{cell(row, last, fix_row=False, fix_col=False)}"
    )
    book.sheets[SHEET].add_data_validation(rule)
