"""The Checks sheet: integrity checks per case and the master check `checks_ok`."""

from __future__ import annotations

from ..scenario import SHARE_TOLERANCE, Scenario
from .book import CHECK_FILL, NOTE_FONT, SECTION_FONT, TITLE_FONT, Book
from .expr import (
    ABS,
    AND,
    COLUMNS,
    COUNT,
    COUNTIF,
    IF,
    IFERROR,
    INT,
    ISERROR,
    ISNUMBER,
    MAX,
    MIN,
    NOT,
    ROWS,
    SUM,
    E,
)
from .fields import CURVE, MODEL_FIELDS, Field, suffix
from .inputs import fields_for

SHEET = "Checks"
FIRST_ROW = 6
FIRST_COL = 2


def write(book: Book, scenario: Scenario, calc_rows: dict[str, dict[str, int]]) -> None:
    book.on = SHEET
    book.text(SHEET, 1, 1, "Checks", font=TITLE_FONT)
    book.text(
        SHEET,
        2,
        1,
        "Integrity checks: TRUE passes. Business warnings (a margin below "
        "target) are on the Summary, not here.",
        font=NOTE_FONT,
    )
    book.header(SHEET, FIRST_ROW - 1, 1, "Check")
    for index, case in enumerate(scenario.cases):
        book.header(SHEET, FIRST_ROW - 1, FIRST_COL + index, case.name)
    row = FIRST_ROW
    for label, build in _rows(book, scenario, calc_rows):
        book.text(SHEET, row, 1, label)
        for index, case in enumerate(scenario.cases):
            expr = build(case, index)
            if expr is not None:
                # a garbage input (text, a zero factor) fails its check instead of
                # turning it, and with it checks_ok, into an error value
                book.formula(
                    SHEET, row, FIRST_COL + index, IFERROR(expr, False), "bool", fill=CHECK_FILL
                )
        row += 1
    last_col = FIRST_COL + len(scenario.cases) - 1
    book.text(SHEET, 3, 1, "All checks pass", font=SECTION_FONT)
    book.formula(
        SHEET, 3, FIRST_COL, AND(book.span(SHEET, FIRST_ROW, FIRST_COL, row - 1, last_col)), "bool"
    )
    book.define("checks_ok", SHEET, 3, FIRST_COL)
    book.sheets[SHEET].freeze_panes = "B6"
    book.widths(SHEET, {1: 62, **{FIRST_COL + i: 14 for i in range(len(scenario.cases))}})


def _in_range(x: E, low: float, high: float, low_open=False, high_open=False, whole=False) -> E:
    tests = [x > low if low_open else x >= low, x < high if high_open else x <= high]
    if whole:
        tests.append(INT(x).eq(x))
    return IF(ISNUMBER(x), AND(*tests), False)


def _range_in(r: E, low: float, high: float, count: E) -> E:
    """Every cell of a range is a number inside [low, high]."""
    return IF(COUNT(r).ne(count), False, AND(MIN(r) >= low, MAX(r) <= high))


def _named_in(book: Book, name: str, low: float, high: float, count) -> E:
    """Every cell of a named row or column (`count`: ROWS or COLUMNS) is inside [low, high]."""
    r = book.name(name)
    return _range_in(r, low, high, count(r))


def _year_check(book: Book) -> E:
    year, first = book.name("sensitivity_year"), book.name("start_year")
    last = first + COLUMNS(book.name("years")) - 1
    return IF(ISNUMBER(year), AND(year >= first, year <= last, INT(year).eq(year)), False)


def _rows(book: Book, scenario: Scenario, calc_rows):
    names = book.names

    def named(name: str) -> E | None:
        return book.name(name) if name in names else None

    yield (
        "Model shares sum to 1 (within 1e-6)",
        lambda case, _: (
            ABS(SUM(book.name("model_share" + suffix(case.name))) - 1) <= SHARE_TOLERANCE
        ),
    )
    for field in fields_for(scenario):
        yield f"{field.label} is {field.range_text()}", _scalar_check(field, named)
    for name, _attr, key, _title, _fmt, low, high in MODEL_FIELDS:
        if name == "model_decline_factor":
            yield (
                f"models[].{key} is 'curve' or >= {low:g} and <= {high:g}",
                (lambda case, _, n=name: _decline_check(book.name(n + suffix(case.name)))),
            )
        else:
            yield (
                f"models[].{key} is >= {low:g} and <= {high:g}",
                (
                    lambda case, _, n=name, lo=low, hi=high: _named_in(
                        book, n + suffix(case.name), lo, hi, ROWS
                    )
                ),
            )
    yield (
        "price curve decline factors are >= 0.01 and <= 1000",
        lambda case, _: _named_in(
            book, "curve_decline_factor" + suffix(case.name), 0.01, 1000, COLUMNS
        ),
    )
    yield (
        "sensitivity decline factors are >= 0.01 and <= 1000",
        _base_only(lambda: _named_in(book, "sensitivity_decline_factors", 0.01, 1000, ROWS)),
    )
    yield (
        "sensitivity reasoning multipliers are >= 1 and <= 1000",
        _base_only(lambda: _named_in(book, "sensitivity_reasoning_multipliers", 1, 1000, COLUMNS)),
    )
    yield "sensitivity year is a year of the horizon", _base_only(lambda: _year_check(book))
    yield (
        "revenue - COGS = gross profit, every year",
        lambda case, _: AND(_calc_row(book, scenario, calc_rows[case.name]["identity_ok"])),
    )
    for sheet in dict.fromkeys(sheet for sheet, _case in book.blocks):
        yield (
            f"no error values on {sheet}",
            (
                lambda case, _, s=sheet: (
                    None
                    if (s, case.name) not in book.blocks
                    else NOT(ISERROR(SUM(book.span(s, *book.blocks[(s, case.name)]))))
                )
            ),
        )


def _scalar_check(field: Field, named):
    def build(case, index):
        if not field.case and index:
            return None
        x = named(field.name + ("" if not field.case else suffix(case.name)))
        if x is None:  # a decline-factor list: checked on its curve row
            return None
        return _in_range(x, field.low, field.high, field.low_open, field.high_open, field.whole)

    return build


def _decline_check(r: E) -> E:
    numbers = COUNT(r)
    return IF(
        (numbers + COUNTIF(r, CURVE)).ne(ROWS(r)),
        False,
        IF(numbers.eq(0), True, AND(MIN(r) >= 0.01, MAX(r) <= 1000)),
    )


def _base_only(build):
    return lambda _case, index: build() if index == 0 else None


def _calc_row(book: Book, scenario: Scenario, row: int) -> E:
    from .calc import FIRST_COL as CALC_COL
    from .calc import SHEET as CALC

    return book.span(CALC, row, CALC_COL, row, CALC_COL + scenario.years - 1)
