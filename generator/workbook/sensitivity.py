"""The Sensitivity sheet: base-case gross margin in one year over decline factor x reasoning."""

from __future__ import annotations

from openpyxl.formatting.rule import CellIsRule, ColorScaleRule
from openpyxl.styles import Font

from ..model import PER_MILLION, ZERO
from ..scenario import Scenario
from .book import NOTE_FONT, SECTION_FONT, TITLE_FONT, Book, area, cell
from .expr import COLUMNS, IF, ISNUMBER, MAX, POWER, E
from .models_sheet import FIELD_COL
from .models_sheet import SHEET as MODELS

SHEET = "Sensitivity"
YEAR_ROW = 4
AXIS_ROW = 13  # reasoning multipliers across; decline factors down column B
GRID_COL = 3


def write(book: Book, scenario: Scenario) -> None:
    book.on = SHEET
    book.text(
        SHEET, 1, 1, "Sensitivity: gross margin by price decline and reasoning", font=TITLE_FONT
    )
    book.text(SHEET, 2, 1, scenario.name)
    book.text(
        SHEET,
        3,
        1,
        "Base case, in the year below, with the price curve's decline factor "
        "(every year) replaced by the row value and the reasoning multiplier "
        "by the column value; models with their own decline factor keep it.",
        font=NOTE_FONT,
    )
    year = _year_block(book, scenario)
    factors, multipliers = scenario.decline_factors, scenario.reasoning_multipliers
    first_row = AXIS_ROW + 1
    last_row = first_row + len(factors) - 1
    last_col = GRID_COL + len(multipliers) - 1
    book.text(
        SHEET, AXIS_ROW - 1, GRID_COL, "Reasoning multiplier (x billed output)", font=SECTION_FONT
    )
    book.text(SHEET, AXIS_ROW, 1, "Decline factor (x per year)", font=SECTION_FONT)
    for j, multiplier in enumerate(multipliers):
        book.input(
            SHEET,
            AXIS_ROW,
            GRID_COL + j,
            multiplier,
            "factor",
            f"sensitivity_reasoning_multipliers[{j}]",
        )
    for i, factor in enumerate(factors):
        book.input(SHEET, first_row + i, 2, factor, "factor", f"sensitivity_decline_factors[{i}]")
    book.define("sensitivity_reasoning_multipliers", SHEET, AXIS_ROW, GRID_COL, AXIS_ROW, last_col)
    book.define("sensitivity_decline_factors", SHEET, first_row, 2, last_row, 2)
    helper_col = last_col + 3
    parts = _per_factor_helpers(book, scenario, year, first_row, helper_col)
    for i in range(len(factors)):
        row = first_row + i
        for j in range(len(multipliers)):
            column = GRID_COL + j
            multiplier = book.ref(SHEET, AXIS_ROW, column, fix_col=False)
            cost = book.name("agent_calls_per_query") * (
                parts["input"](row) + multiplier * parts["output"](row)
            )
            revenue = year["revenue"]
            cogs = year["queries"] * cost + year["other"] + book.name("payment_fee_rate") * revenue
            margin = IF(revenue <= ZERO, "n/a", (revenue - cogs) / revenue)
            book.formula(SHEET, row, column, margin, "pct")
    book.define("sensitivity_margin", SHEET, first_row, GRID_COL, last_row, last_col)
    book.blocks[(SHEET, "base")] = (
        YEAR_ROW,
        2,
        last_row,
        helper_col + 3 * len(scenario.base.models) + 1,
    )
    grid = area(first_row, GRID_COL, last_row, last_col).replace("$", "")
    sheet = book.sheets[SHEET]
    sheet.conditional_formatting.add(
        grid,
        ColorScaleRule(
            start_type="num",
            start_value=0,
            start_color="F8696B",
            mid_type="num",
            mid_value=scenario.base.target_gross_margin,
            mid_color="FFEB84",
            end_type="num",
            end_value=1,
            end_color="63BE7B",
        ),
    )
    sheet.conditional_formatting.add(
        grid,
        CellIsRule(
            operator="greaterThanOrEqual",
            formula=["target_gross_margin"],
            font=Font(bold=True, underline="single"),
        ),
    )
    book.text(
        SHEET,
        last_row + 2,
        1,
        "Bold underlined: at or above the target gross margin (Inputs: target_gross_margin).",
        font=NOTE_FONT,
    )
    sheet.freeze_panes = cell(first_row, GRID_COL, fix_row=False, fix_col=False)
    helper_cols = range(helper_col, helper_col + 3 * len(scenario.base.models) + 2)
    book.widths(
        SHEET,
        {
            1: 34,
            2: 14,
            **{GRID_COL + j: 12 for j in range(len(multipliers))},
            **{column: 24 for column in helper_cols},
        },
    )


def _year_block(book: Book, scenario: Scenario) -> dict[str, E]:
    """The sensitivity year and the base case's per-seat figures in it."""
    book.text(SHEET, YEAR_ROW, 1, "Year")
    if scenario.sensitivity_year_given:
        year = book.input(SHEET, YEAR_ROW, 2, scenario.sensitivity_year, "year", "sensitivity_year")
    else:
        year = book.formula(
            SHEET, YEAR_ROW, 2, book.name("start_year") + COLUMNS(book.name("years")) - 1, "year"
        )
    book.define("sensitivity_year", SHEET, YEAR_ROW, 2)
    t = _helper(
        book,
        YEAR_ROW + 1,
        "Years since the start year (t)",
        "count",
        year - book.name("start_year"),
    )

    def grown(name: str, growth: str) -> E:
        return book.name(name) * (1 + book.name(growth)) ** t

    return {
        "t": t,
        "tokens_in": _helper(
            book,
            YEAR_ROW + 2,
            "Input tokens per call",
            "tokens",
            grown("input_tokens_per_call", "annual_token_growth"),
        ),
        "tokens_out": _helper(
            book,
            YEAR_ROW + 3,
            "Visible output tokens per call",
            "tokens",
            grown("output_tokens_per_call", "annual_token_growth"),
        ),
        "queries": _helper(
            book,
            YEAR_ROW + 4,
            "Actions per seat",
            "count",
            grown("queries_per_seat_month", "annual_usage_growth"),
        ),
        "revenue": _helper(
            book,
            YEAR_ROW + 5,
            "Revenue per seat",
            "money",
            grown("price_per_seat_month", "annual_price_change"),
        ),
        "other": _helper(
            book,
            YEAR_ROW + 6,
            "Other COGS per seat",
            "money",
            grown("other_cogs_per_seat_month", "annual_other_cogs_change"),
        ),
    }


def _helper(book: Book, row: int, label: str, fmt: str, expr: E) -> E:
    book.text(SHEET, row, 1, label)
    return book.formula(SHEET, row, 2, expr, fmt)


def _per_factor_helpers(
    book: Book, scenario: Scenario, year: dict[str, E], first_row: int, first_col: int
) -> dict:
    """Per decline factor: the share-weighted input and output cost of one call (before
    the agent multiplier), so each grid cell is one short formula."""
    base_row = book.names["model_share"][1]
    models = scenario.base.models
    book.text(
        SHEET, first_row - 2, first_col, "Helper: per decline factor and model", font=SECTION_FONT
    )
    columns = {}
    column = first_col
    for index, model in enumerate(models):
        for kind in ("decline", "input", "output"):
            book.header(SHEET, first_row - 1, column, f"{model.name}: {kind}")
            columns[(index, kind)] = column
            column += 1
    input_col, output_col = column, column + 1
    book.header(SHEET, first_row - 1, input_col, "Input cost per call")
    book.header(SHEET, first_row - 1, output_col, "Output cost per call at 1x")
    for i in range(len(scenario.decline_factors)):
        row = first_row + i
        factor_cell = book.ref(SHEET, row, 2, fix_col=True, fix_row=False)
        input_terms, output_terms = [], []
        for index in range(len(models)):
            model_row = base_row + index

            def field(name: str, r: int = model_row) -> E:
                return book.ref(MODELS, r, FIELD_COL[name])

            own = field("model_decline_factor")
            decline = book.formula(
                SHEET,
                row,
                columns[(index, "decline")],
                POWER(IF(ISNUMBER(own), own, factor_cell), year["t"]),
                "factor",
            )
            batch = 1 - book.name("batch_share") * field("model_batch_discount")
            price_in = MAX(field("model_floor_input_price"), field("model_input_price") / decline)
            price_out = MAX(
                field("model_floor_output_price"), field("model_output_price") / decline
            )
            cost_in = (
                year["tokens_in"]
                * price_in
                * (1 - book.name("cache_hit_rate") * field("model_cached_input_discount"))
                * batch
                / PER_MILLION
            )
            cost_out = year["tokens_out"] * price_out * batch / PER_MILLION
            input_terms.append(
                field("model_share")
                * book.formula(SHEET, row, columns[(index, "input")], cost_in, "money4")
            )
            output_terms.append(
                field("model_share")
                * book.formula(SHEET, row, columns[(index, "output")], cost_out, "money4")
            )
        book.formula(SHEET, row, input_col, _total(input_terms), "money4")
        book.formula(SHEET, row, output_col, _total(output_terms), "money4")
    return {
        "input": lambda r: book.ref(SHEET, r, input_col, fix_row=False),
        "output": lambda r: book.ref(SHEET, r, output_col, fix_row=False),
    }


def _total(terms: list[E]) -> E:
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total
