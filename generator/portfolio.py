"""The portfolio workbook of a batch: one row per scenario, a snapshot linking to each workbook."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .api import Outcome
    from .workbook.book import Book

FILE_NAME = "portfolio.xlsx"
SHEET = "Portfolio"
CHART_SHEET = "Chart"
HEADER_ROW = 5
FIRST_ROW = HEADER_ROW + 1
MAX_CHART_SERIES = 30  # more lines than this make an unreadable chart
SNAPSHOT_NOTE = (
    "A snapshot of the generated workbooks: plain values copied from each scenario when "
    "this batch ran, not live formulas. Each company's live model is its own workbook "
    "(follow the link in the Workbook column); edit that one, then run unitecon batch "
    "again to refresh this sheet."
)

# Columns before the years and after them: (header, width, number format).
LEADING = (
    ("Scenario", 32, None),
    ("File", 28, None),
    ("Workbook", 28, None),
    ("Currency", 9, None),
    ("Seat price / month", 12, "#,##0.00"),
    ("Target margin", 10, "0.0%"),
)
TRAILING = (
    ("First year at target", 11, "0"),
    ("Last year", 9, "0"),
    ("Worst case (last year)", 14, None),
    ("Worst-case margin (last year)", 12, "0.0%"),
    ("Inference cost / revenue (last year)", 13, "0.0%"),
)
TARGET_COLUMN = 6
YEAR_WIDTH = 8
MARGIN_FORMAT = "0.0%"


def build(outcomes: Iterable[Outcome], out_dir: Path, root: Path | None = None) -> bytes:
    """The portfolio workbook for `outcomes` (any order), linking to workbooks in `out_dir`.

    Files are named relative to `root`, the folder the scenarios were found in."""
    import io

    from .workbook.book import Book
    from .workbook.xlsxfile import finalize

    def key(outcome: Outcome) -> tuple[str, ...]:
        return _relative(outcome.source, root).split("/")

    ordered = sorted(outcomes, key=key)
    done = [outcome for outcome in ordered if outcome.ok]
    failed = [outcome for outcome in ordered if not outcome.ok]
    years = _calendar(done)

    book = Book([SHEET, CHART_SHEET])
    _heading(book, len(done), len(failed))
    _table(book, done, years, Path(out_dir), root)
    _failures(book, failed, FIRST_ROW + len(done) + 1, root)
    _chart(book, len(done), years)
    buffer = io.BytesIO()
    book.wb.properties.creator = "unitecon"
    book.wb.save(buffer)
    # No formulas, so no cached values to add; finalize fixes timestamps and zip dates.
    return finalize(buffer.getvalue(), {}, title="Portfolio")


def write(outcomes: Iterable[Outcome], out_dir: Path, root: Path | None = None) -> Path:
    """Write OUT/portfolio.xlsx atomically; return its path."""
    from .errors import OutputError
    from .fsutil import remove_stale_temps, write_atomic

    out_dir = Path(out_dir)
    data = build(outcomes, out_dir, root)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot create the folder: {exc.strerror}") from None
    path = out_dir / FILE_NAME
    remove_stale_temps(out_dir)
    write_atomic(path, data)
    return path


def _calendar(done: list[Outcome]) -> list[int]:
    """Every calendar year any scenario covers, without gaps, so that columns line up."""
    if not done:
        return []
    first = min(outcome.years[0] for outcome in done)
    last = max(outcome.years[-1] for outcome in done)
    return list(range(first, last + 1))


def _heading(book: Book, generated: int, failed: int) -> None:
    from .workbook.book import NOTE_FONT, TITLE_FONT

    book.text(SHEET, 1, 1, "Portfolio: gross margin by year", font=TITLE_FONT)
    book.text(SHEET, 2, 1, SNAPSHOT_NOTE, font=NOTE_FONT)
    summary = (
        f"{generated} scenario(s) generated, {failed} failed. Margins are each scenario's "
        "base case; green: at or above that scenario's target margin, red: below."
    )
    book.text(SHEET, 3, 1, summary, font=NOTE_FONT)


def _table(
    book: Book, done: list[Outcome], years: list[int], out_dir: Path, root: Path | None
) -> None:
    from openpyxl.styles import Alignment, Font

    from .workbook.book import HEADER_FILL, HEADER_FONT

    sheet = book.sheets[SHEET]
    first_year_column = len(LEADING) + 1
    trailing_column = first_year_column + len(years)
    for column, (header, width, _) in enumerate(LEADING, start=1):
        book.header(SHEET, HEADER_ROW, column, header)
        book.widths(SHEET, {column: width})
    for offset, year in enumerate(years):
        target = sheet.cell(row=HEADER_ROW, column=first_year_column + offset, value=year)
        target.font, target.fill, target.number_format = HEADER_FONT, HEADER_FILL, "0"
        book.widths(SHEET, {first_year_column + offset: YEAR_WIDTH})
    for offset, (header, width, _) in enumerate(TRAILING):
        book.header(SHEET, HEADER_ROW, trailing_column + offset, header)
        book.widths(SHEET, {trailing_column + offset: width})
    header_alignment = Alignment(wrap_text=True, vertical="center")
    for target in sheet[HEADER_ROW]:
        target.alignment = header_alignment
    sheet.row_dimensions[HEADER_ROW].height = 45

    link_font = Font(color="0563C1", underline="single")
    for row, outcome in enumerate(done, start=FIRST_ROW):
        details = outcome.details
        base = dict(outcome.margins)["base"]
        worst = details["worst_case"]
        link = _link(outcome.output, out_dir)
        leading = (
            outcome.name,
            _relative(outcome.source, root),
            link,
            details["currency"],
            details["price_per_seat_month"],
            details["target_gross_margin"],
        )
        _put_row(book, row, 1, leading, LEADING)
        sheet.cell(row=row, column=3).hyperlink = _quote(link)
        sheet.cell(row=row, column=3).font = link_font
        for year, margin in zip(outcome.years, base, strict=True):
            _put(book, row, first_year_column + year - years[0], margin, MARGIN_FORMAT)
        trailing = (
            dict(outcome.first_at_target)["base"],
            outcome.years[-1],
            worst[0] if worst else "n/a",
            worst[1] if worst else "n/a",
            details["inference_share_last_year"],
        )
        _put_row(book, row, trailing_column, trailing, TRAILING)
    if done:
        last_row = FIRST_ROW + len(done) - 1
        margin_columns = [(first_year_column, trailing_column - 1)] if years else []
        margin_columns.append((trailing_column + 3, trailing_column + 3))
        _against_target(sheet, margin_columns, last_row)
        sheet.auto_filter.ref = (
            f"A{HEADER_ROW}:{_letter(trailing_column + len(TRAILING) - 1)}{last_row}"
        )
    sheet.freeze_panes = f"B{FIRST_ROW}"
    # Printed (or exported to PDF), the table is one page wide.
    sheet.page_setup.orientation = "landscape"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0


def _put_row(book: Book, row: int, column: int, values: tuple, layout: tuple) -> None:
    for offset, (value, (_, _, number_format)) in enumerate(zip(values, layout, strict=True)):
        _put(book, row, column + offset, value, number_format)


def _put(book: Book, row: int, column: int, value: object, number_format: str | None) -> None:
    """A plain value: text stays text (even '=...'), numbers get their format."""
    if isinstance(value, str):
        book.text(SHEET, row, column, value)
        if number_format:  # "n/a" or "never" in a column of numbers: line up with them
            from openpyxl.styles import Alignment

            book.sheets[SHEET].cell(row=row, column=column).alignment = Alignment(
                horizontal="right"
            )
        return
    target = book.sheets[SHEET].cell(row=row, column=column, value=value)
    if number_format:
        target.number_format = number_format


def _against_target(sheet, column_spans: list[tuple[int, int]], last_row: int) -> None:
    """Green at or above the row's own target margin, red below; text such as n/a stays plain."""
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Font, PatternFill

    good = {"font": Font(color="006100"), "fill": PatternFill("solid", bgColor="C6EFCE")}
    bad = {"font": Font(color="9C0006"), "fill": PatternFill("solid", bgColor="FFC7CE")}
    target = f"${_letter(TARGET_COLUMN)}{FIRST_ROW}"
    for first, last in column_spans:
        corner = f"{_letter(first)}{FIRST_ROW}"
        area = f"{corner}:{_letter(last)}{last_row}"
        sheet.conditional_formatting.add(
            area, FormulaRule(formula=[f"AND(ISNUMBER({corner}),{corner}>={target})"], **good)
        )
        sheet.conditional_formatting.add(
            area, FormulaRule(formula=[f"AND(ISNUMBER({corner}),{corner}<{target})"], **bad)
        )


def _failures(book: Book, failed: list[Outcome], row: int, root: Path | None) -> None:
    from .workbook.book import SECTION_FONT

    if not failed:
        return
    book.text(SHEET, row + 1, 1, "Files not generated", font=SECTION_FONT)
    book.header(SHEET, row + 2, 1, "Problem")
    book.header(SHEET, row + 2, 2, "File")
    book.header(SHEET, row + 2, 3, "Why (first error; run unitecon validate for all)")
    for offset, outcome in enumerate(failed, start=row + 3):
        lines = (outcome.error or "").splitlines() or ["unknown error"]
        more = f" (+{len(lines) - 1} more)" if len(lines) > 1 else ""
        book.text(SHEET, offset, 1, "not generated")
        book.text(SHEET, offset, 2, _relative(outcome.source, root))
        book.text(SHEET, offset, 3, lines[0] + more)


def _chart(book: Book, count: int, years: list[int]) -> None:
    from openpyxl.chart import LineChart, Reference, Series
    from openpyxl.chart.data_source import StrRef
    from openpyxl.chart.series import SeriesLabel

    from .workbook.book import NOTE_FONT, TITLE_FONT

    book.text(CHART_SHEET, 1, 1, "Base-case gross margin by year", font=TITLE_FONT)
    shown = min(count, MAX_CHART_SERIES)
    note = (
        f"One line per scenario, from the {SHEET} sheet (a snapshot)."
        if shown == count
        else f"The first {shown} of {count} scenarios by file; every scenario is on the "
        f"{SHEET} sheet (a snapshot)."
    )
    book.text(CHART_SHEET, 2, 1, note, font=NOTE_FONT)
    if not shown or not years:
        return
    source = book.sheets[SHEET]
    first_year_column = len(LEADING) + 1
    last_year_column = first_year_column + len(years) - 1
    chart = LineChart()
    chart.title = "Base-case gross margin by year"
    chart.y_axis.title, chart.x_axis.title = "Gross margin", "Year"
    chart.y_axis.number_format = "0%"
    for row in range(FIRST_ROW, FIRST_ROW + shown):
        values = Reference(source, min_col=first_year_column, max_col=last_year_column, min_row=row)
        series = Series(values)
        series.tx = SeriesLabel(strRef=StrRef(f"'{SHEET}'!$A${row}"))
        series.smooth = False  # one point a year; a smoothed line would invent the rest
        chart.series.append(series)
    chart.set_categories(
        Reference(source, min_col=first_year_column, max_col=last_year_column, min_row=HEADER_ROW)
    )
    # openpyxl marks axes as deleted by default; Excel and LibreOffice would hide them.
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.x_axis.number_format = "0"
    chart.x_axis.tickLblPos = "low"  # year labels under the plot, even below 0%
    chart.legend.position = "b"
    chart.width, chart.height = 22, 13
    book.sheets[CHART_SHEET].add_chart(chart, "A4")
    book.sheets[CHART_SHEET].page_setup.orientation = "landscape"
    book.sheets[CHART_SHEET].sheet_properties.pageSetUpPr.fitToPage = True


def _relative(path: Path, root: Path | None) -> str:
    """`path` below `root`, with forward slashes whatever the system."""
    if root is not None:
        try:
            return Path(path).relative_to(root).as_posix()
        except ValueError:
            pass
    return Path(path).as_posix()


def _link(output: Path, out_dir: Path) -> str:
    """The workbook as seen from the portfolio's folder (links stay valid when OUT moves)."""
    return Path(os.path.relpath(output, out_dir)).as_posix()


def _quote(relative: str) -> str:
    """A relative URI: spaces, '#', '%' and non-ASCII characters escaped."""
    from urllib.parse import quote

    return quote(relative, safe="/")


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(column)
