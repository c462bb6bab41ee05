"""The Summary sheet: the active case's headline, every case side by side, native charts."""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.chart import LineChart, Reference, Series
from openpyxl.chart.data_source import StrRef
from openpyxl.chart.series import SeriesLabel
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from ..scenario import Scenario
from . import calc
from .book import (
    HEADER_FILL,
    HEADER_FONT,
    NOTE_FONT,
    SECTION_FONT,
    TITLE_FONT,
    WRAP,
    Book,
    area,
    cell,
    col,
)
from .expr import COLUMNS, COUNT, IF, INDEX, ISERROR, ISNUMBER, MATCH, MIN, E
from .fields import suffix

SHEET = "Summary"
FIRST_COL = calc.FIRST_COL  # years start in the same column as on Calc
ACTIVE_ROW, CHECKS_ROW = 4, 5
HEADLINE_ROW = 7  # header of the active case's block; its rows follow
NA, NEVER = "n/a", "never"
MEETS, BELOW = "meets target", "below target"
CHART_WIDTH_CM, CHART_HEIGHT_CM = 17.0, 8.5

# Per-case tables, years across: (Calc row key, title, unit, format). The first is the
# side-by-side table whose case-name column is also the dropdown's list.
TABLES = (
    ("gross_margin", "Gross margin", "of revenue", "pct"),
    ("inference_cost_per_seat", "Inference cost per seat", "{cur}/seat/month", "money"),
    ("cogs_per_seat", "COGS per seat", "{cur}/seat/month", "money"),
    ("revenue_per_seat", "Revenue per seat (seat price)", "{cur}/seat/month", "money"),
    ("price_for_target_margin", "Seat price for the target margin", "{cur}/seat/month", "money"),
)
COST_CHART_KEYS = ("revenue_per_seat", "cogs_per_seat", "inference_cost_per_seat")
RIGHT = Alignment(horizontal="right")
BELOW_FILL = PatternFill("solid", fgColor="FCE4D6")
BELOW_FONT = Font(color="9C0006")
MEETS_FILL = PatternFill("solid", fgColor="E2EFDA")
MEETS_FONT = Font(color="006100")


@dataclass(frozen=True)
class Layout:
    """Where everything sits: rows of the headline and of each per-case table."""

    years: int
    cases: int
    headline: dict[str, int]  # row key -> row of the active case's block
    target_row: int
    first_year_row: int
    status_row: int
    tables: dict[str, int]  # row key -> header row of its per-case table
    charts_row: int

    @property
    def last_col(self) -> int:
        return FIRST_COL + self.years - 1

    @property
    def first_year_col(self) -> int:  # side-by-side table: first year at target
        return self.last_col + 1

    @property
    def status_col(self) -> int:  # side-by-side table: last year vs target
        return self.last_col + 2

    def case_rows(self, key: str) -> range:
        first = self.tables[key] + 1
        return range(first, first + self.cases)


def layout(scenario: Scenario) -> Layout:
    """The Summary's rows for this scenario (tests read the sheet through it too)."""
    headline = {key: HEADLINE_ROW + 1 + i for i, (key, *_rest) in enumerate(TABLES)}
    after = HEADLINE_ROW + len(TABLES) + 1
    row = after + 5  # the status row, a gap, the section title, then the first header
    tables = {}
    for key, *_rest in TABLES:
        tables[key] = row
        row += len(scenario.cases) + 2
    return Layout(
        scenario.years, len(scenario.cases), headline, after, after + 1, after + 2, tables, row
    )


def write(book: Book, scenario: Scenario, calc_rows: dict[str, dict[str, int]]) -> None:
    """The Summary sheet: dropdown, headline for the active case, case tables and charts."""
    book.on = SHEET
    places = layout(scenario)
    sheet = book.sheets[SHEET]
    _top(book, scenario, places)
    for key, title, unit, fmt in TABLES:
        _case_table(
            book, scenario, places, calc_rows, key, title, unit.format(cur=scenario.currency), fmt
        )
    _headline(book, scenario, places)
    _fit_widths(book, places)
    _charts(book, scenario, places)
    sheet.freeze_panes = cell(CHECKS_ROW + 1, 2, fix_row=False, fix_col=False)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True  # one printed page, charts included


def _top(book: Book, scenario: Scenario, places: Layout) -> None:
    book.text(SHEET, 1, 1, "Gross margin summary", font=TITLE_FONT)
    book.text(SHEET, 2, 1, "Scenario")
    book.text(SHEET, 2, 2, scenario.name)
    book.text(SHEET, 3, 1, "Currency")
    book.text(SHEET, 3, 2, scenario.currency)
    book.text(SHEET, ACTIVE_ROW, 1, "Active case", font=SECTION_FONT)
    names = [case.name for case in scenario.cases]
    book.input(
        SHEET,
        ACTIVE_ROW,
        2,
        names[0],
        "general",
        "active_case",
    )
    book.define("active_case", SHEET, ACTIVE_ROW, 2)
    book.text(
        SHEET,
        ACTIVE_ROW,
        3,
        "Pick a case from the list (" + ", ".join(names) + "); a name not in the list shows n/a.",
        font=NOTE_FONT,
    )
    rows = places.case_rows("gross_margin")
    choice = DataValidation(type="list", formula1=area(rows[0], 1, rows[-1], 1), allow_blank=False)
    choice.errorTitle, choice.error = "Unknown case", "Choose one of the cases in the list."
    choice.promptTitle, choice.prompt = "Active case", "The case the headline shows."
    choice.showErrorMessage = choice.showInputMessage = True
    book.sheets[SHEET].add_data_validation(choice)
    choice.add(cell(ACTIVE_ROW, 2, fix_row=False, fix_col=False))
    book.text(SHEET, CHECKS_ROW, 1, "Checks", font=SECTION_FONT)
    if "checks_ok" in book.names:
        status = IF(book.name("checks_ok"), "All checks pass", "Some checks fail: see Checks")
        book.formula(SHEET, CHECKS_ROW, 2, status)


def _header(book: Book, row: int, texts: dict[int, str], places: Layout) -> None:
    """A header row: fixed texts, then the years as formulas over the `years` cells."""
    for column, text in texts.items():
        book.header(SHEET, row, column, text)
    for column in range(FIRST_COL, places.last_col + 1):
        book.formula(
            SHEET,
            row,
            column,
            book.ref(calc.SHEET, calc.YEARS_ROW, column, fix_col=False),
            "year",
            font=HEADER_FONT,
            fill=HEADER_FILL,
        )


def _case_table(
    book: Book,
    scenario: Scenario,
    places: Layout,
    calc_rows,
    key: str,
    title: str,
    unit: str,
    fmt: str,
) -> None:
    """One row per case, each year pointing at that case's Calc cell."""
    header = places.tables[key]
    margins = key == "gross_margin"
    texts = {1: title, 2: "Target margin" if margins else unit}
    if margins:
        texts |= {
            places.first_year_col: "First year at or above target",
            places.status_col: "Last year vs target",
        }
        book.text(SHEET, header - 1, 1, "Every case side by side", font=SECTION_FONT)
    _header(book, header, texts, places)
    for row, case in zip(places.case_rows(key), scenario.cases):
        book.text(SHEET, row, 1, case.name)
        calc_row = calc_rows[case.name][key]
        for column in range(FIRST_COL, places.last_col + 1):
            book.formula(
                SHEET, row, column, book.ref(calc.SHEET, calc_row, column, fix_col=False), fmt
            )
        if not margins:
            continue
        tag = suffix(case.name)
        target = book.formula(SHEET, row, 2, book.name("target_gross_margin" + tag), "pct")
        at_target = calc_rows[case.name]["year_at_target"]
        years = book.span(calc.SHEET, at_target, FIRST_COL, at_target, places.last_col)
        book.formula(
            SHEET, row, places.first_year_col, IF(COUNT(years).eq(0), NEVER, MIN(years)), "year"
        )
        _align_right(book, row, places.first_year_col)
        last = book.ref(SHEET, row, places.last_col, fix_col=False)
        book.formula(
            SHEET, row, places.status_col, IF(ISNUMBER(last), IF(last >= target, MEETS, BELOW), NA)
        )
    if margins:
        rows = places.case_rows(key)
        _status_colours(book, area(rows[0], places.status_col, rows[-1], places.status_col))


def _headline(book: Book, scenario: Scenario, places: Layout) -> None:
    """The active case, years across: every cell picks its case's row by MATCH."""
    book.text(SHEET, HEADLINE_ROW - 1, 1, "Headline for the active case", font=SECTION_FONT)
    _header(book, HEADLINE_ROW, {1: "Active case", 2: "Unit"}, places)
    names_rows = places.case_rows("gross_margin")
    names = book.span(SHEET, names_rows[0], 1, names_rows[-1], 1)

    def pick(table: E, column: E) -> E:
        match = MATCH(book.name("active_case"), names)
        return IF(ISERROR(match), NA, INDEX(table, match, column))

    for key, title, unit, fmt in TABLES:
        row = places.headline[key]
        book.text(SHEET, row, 1, title)
        book.text(SHEET, row, 2, unit.format(cur=scenario.currency), font=NOTE_FONT)
        rows = places.case_rows(key)
        table = book.span(SHEET, rows[0], FIRST_COL, rows[-1], places.last_col)
        for column in range(FIRST_COL, places.last_col + 1):
            position = COLUMNS(
                book.span(SHEET, HEADLINE_ROW, FIRST_COL, HEADLINE_ROW, column, fix_end=False)
            )
            book.formula(SHEET, row, column, pick(table, position), fmt)
    book.define(
        "summary_gross_margin",
        SHEET,
        places.headline["gross_margin"],
        FIRST_COL,
        places.headline["gross_margin"],
        places.last_col,
    )
    singles = (
        (places.target_row, "Target gross margin", "of revenue", 2, "pct"),
        (
            places.first_year_row,
            "First year at or above target",
            "year",
            places.first_year_col,
            "year",
        ),
        (places.status_row, "Last year vs target", "", places.status_col, "general"),
    )
    for row, label, unit, source_col, fmt in singles:
        book.text(SHEET, row, 1, label)
        if unit:
            book.text(SHEET, row, 2, unit, font=NOTE_FONT)
        column = book.span(SHEET, names_rows[0], source_col, names_rows[-1], source_col)
        book.formula(SHEET, row, FIRST_COL, pick(column, 1), fmt)
        _align_right(book, row, FIRST_COL)  # years, "never" and "n/a" line up with the numbers
    _status_colours(book, cell(places.status_row, FIRST_COL, fix_row=False, fix_col=False))


def _align_right(book: Book, row: int, column: int) -> None:
    book.restyle(SHEET, row, column, "right", alignment=RIGHT)


def _status_colours(book: Book, target: str) -> None:
    """Business warnings stand out: below target in red, meeting it in green."""
    rules = book.sheets[SHEET].conditional_formatting
    rules.add(
        target,
        CellIsRule(operator="equal", formula=[f'"{BELOW}"'], fill=BELOW_FILL, font=BELOW_FONT),
    )
    rules.add(
        target,
        CellIsRule(operator="equal", formula=[f'"{MEETS}"'], fill=MEETS_FILL, font=MEETS_FONT),
    )


def _charts(book: Book, scenario: Scenario, places: Layout) -> None:
    sheet = book.sheets[SHEET]
    margin_rows = places.case_rows("gross_margin")
    margins = _line_chart(
        "Gross margin by year",
        "Gross margin",
        "0%",
        places,
        places.tables["gross_margin"],
        list(margin_rows),
    )
    costs = _line_chart(
        f"Inference cost vs price per seat (active case, {scenario.currency}/seat/month)",
        scenario.currency,
        "#,##0.00",
        places,
        HEADLINE_ROW,
        [places.headline[k] for k in COST_CHART_KEYS],
    )
    sheet.add_chart(margins, f"A{places.charts_row}")
    sheet.add_chart(costs, f"{col(_column_after(book, CHART_WIDTH_CM + 0.5))}{places.charts_row}")


def _line_chart(
    title: str, y_title: str, y_format: str, places: Layout, years_row: int, rows: list[int]
) -> LineChart:
    """One series per row (named by its column-A cell), the years along the x axis."""
    sheet_ref = f"'{SHEET}'"
    chart = LineChart()
    chart.title = title
    chart.y_axis.title, chart.x_axis.title = y_title, "Year"
    chart.y_axis.number_format = y_format
    for row in rows:
        values = Reference(range_string=f"{sheet_ref}!{area(row, FIRST_COL, row, places.last_col)}")
        series = Series(values)
        series.tx = SeriesLabel(strRef=StrRef(f"{sheet_ref}!{area(row, 1, row, 1)}"))
        series.marker.symbol = "circle"
        series.smooth = False
        chart.series.append(series)
    chart.set_categories(
        Reference(
            range_string=f"{sheet_ref}!{area(years_row, FIRST_COL, years_row, places.last_col)}"
        )
    )
    # openpyxl marks axes as deleted by default; Excel and LibreOffice then hide them
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.x_axis.number_format = "0"
    chart.x_axis.tickLblPos = "low"  # year labels under the plot, even when margins go negative
    chart.legend.position = "b"
    chart.width, chart.height = CHART_WIDTH_CM, CHART_HEIGHT_CM
    return chart


def _column_after(book: Book, width_cm: float) -> int:
    """The first column starting at least `width_cm` from the sheet's left edge."""
    dimensions = book.sheets[SHEET].column_dimensions
    used, column = 0.0, 1
    while used < width_cm:
        width = dimensions[col(column)].width if col(column) in dimensions else None
        used += ((width or 8.43) * 7 + 5) / 37.8  # character widths -> pixels -> cm
        column += 1
    return column


def _fit_widths(book: Book, places: Layout) -> None:
    """Columns wide enough for every label and number below the top block (no ###)."""
    sheet = book.sheets[SHEET]
    widths: dict[int, int] = {1: 30, 2: 16}
    for (title, row, column), value in book.grid.items():
        if title != SHEET or row < HEADLINE_ROW or row == places.tables["gross_margin"] - 1:
            continue  # the top block and section titles overflow into empty cells instead
        shown = _shown(value, book.number_format(SHEET, row, column))
        widths[column] = max(widths.get(column, 0), len(shown) + 2)
    for column in range(FIRST_COL, places.status_col + 1):
        widths[column] = max(widths.get(column, 0), 12)
    # the header texts of the last two columns wrap rather than widen their columns
    header = places.tables["gross_margin"]
    for column in (places.first_year_col, places.status_col):
        widths[column] = max(
            16,
            max(
                len(_shown(book.grid.get((SHEET, r, column)), "General")) + 2
                for r in places.case_rows("gross_margin")
            ),
        )
        book.restyle(SHEET, header, column, "wrap", alignment=WRAP)
    sheet.row_dimensions[header].height = 30
    book.widths(SHEET, {column: min(width, 60) for column, width in widths.items()})


def _shown(value, number_format: str) -> str:
    """Roughly the text a spreadsheet shows for `value` under `number_format`."""
    if isinstance(value, bool):
        return "FALSE"
    if isinstance(value, (int, float)):
        if "%" in number_format:
            return f"{value * 100:.1f}%"
        decimals = len(number_format.split(".")[1]) if "." in number_format else 0
        return f"{value:,.{decimals}f}" if "," in number_format else f"{value:.{decimals}f}"
    return "" if value is None else str(value)
