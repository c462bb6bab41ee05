"""The Calc sheet: the rows of SPEC section 3 for every case, one column per year."""

from __future__ import annotations

from functools import partial

from .. import model
from ..model import MONTHS, PER_MILLION, ZERO
from ..scenario import Case, Scenario
from .book import NOTE_FONT, SECTION_FONT, TITLE_FONT, Book
from .expr import ABS, IF, ISNUMBER, MAX, SUMPRODUCT, E
from .fields import suffix
from .models_sheet import FIELD_COL, CaseModels
from .models_sheet import SHEET as MODELS

SHEET = "Calc"
FIRST_COL = 3
YEARS_ROW, INDEX_ROW = 4, 5
NAMED_IN_CASES = ("gross_margin", "inference_cost_per_seat", "revenue_per_seat")
AGREEMENT = 1e-9

# (row key, label, unit, format); the defined names of the base case are the row keys
ROWS = (
    ("cost_per_query", "Cost per action", "{cur}/action", "money4"),
    ("queries_per_seat", "Actions per seat", "actions/seat/month", "count"),
    ("inference_cost_per_seat", "Inference cost per seat", "{cur}/seat/month", "money"),
    ("revenue_per_seat", "Revenue per seat", "{cur}/seat/month", "money"),
    ("other_cogs", "Other COGS per seat", "{cur}/seat/month", "money"),
    ("payment_fees", "Payment fees per seat", "{cur}/seat/month", "money"),
    ("cogs_per_seat", "COGS per seat", "{cur}/seat/month", "money"),
    ("gross_profit_per_seat", "Gross profit per seat", "{cur}/seat/month", "money"),
    ("gross_margin", "Gross margin", "of revenue", "pct"),
    ("price_for_target_margin", "Seat price for the target margin", "{cur}/seat/month", "money"),
    (
        "max_queries_at_target",
        "Most actions per seat at the target margin",
        "actions/seat/month",
        "count",
    ),
)
SEAT_ROWS = (
    ("seats", "Seats", "seats", "count"),
    ("annual_revenue", "Annual revenue", "{cur}/year", "count"),
    ("annual_cogs", "Annual COGS", "{cur}/year", "count"),
    ("annual_gross_profit", "Annual gross profit", "{cur}/year", "count"),
)
HELPER_ROWS = (
    ("year_at_target", "Year if at or above the target margin", "year", "year"),
    ("identity_ok", "Check: revenue - COGS = gross profit", "TRUE/FALSE", "bool"),
)


def write_years(book: Book, scenario: Scenario) -> None:
    """The `years` row and the year index row every other row builds on."""
    book.on = SHEET
    book.text(SHEET, 1, 1, "Calculations by year", font=TITLE_FONT)
    book.text(SHEET, 2, 1, scenario.name)
    book.text(SHEET, YEARS_ROW, 1, "Year", font=SECTION_FONT)
    book.text(SHEET, INDEX_ROW, 1, "Years since the start year (t)")
    last = FIRST_COL + scenario.years - 1
    for column in range(FIRST_COL, last + 1):
        previous = (
            book.name("start_year")
            if column == FIRST_COL
            else book.ref(SHEET, YEARS_ROW, column - 1, fix_col=False) + 1
        )
        book.formula(SHEET, YEARS_ROW, column, previous, "year")
        book.formula(
            SHEET,
            INDEX_ROW,
            column,
            book.ref(SHEET, YEARS_ROW, column, fix_col=False) - book.name("start_year"),
            "count",
        )
    book.define("years", SHEET, YEARS_ROW, FIRST_COL, YEARS_ROW, last)


def years_cell(book: Book, column: int) -> E:
    return book.ref(SHEET, YEARS_ROW, column, fix_col=False)


def index_cell(book: Book, column: int) -> E:
    return book.ref(SHEET, INDEX_ROW, column, fix_col=False)


def write(book: Book, scenario: Scenario, models: dict[str, CaseModels]) -> dict[str, dict]:
    """Every case's block; returns case -> row key -> row number."""
    book.on = SHEET
    row, placed = 7, {}
    for case in scenario.cases:
        placed[case.name], row = _case_block(book, scenario, case, models[case.name], row)
        row += 1
    book.sheets[SHEET].freeze_panes = "C6"
    book.widths(SHEET, {1: 44, 2: 20, **{FIRST_COL + t: 20 for t in range(scenario.years)}})
    return placed


def _case_block(
    book: Book, scenario: Scenario, case: Case, placed_models: CaseModels, row: int
) -> tuple[dict, int]:
    tag = suffix(case.name)
    cur = scenario.currency

    def name(key: str) -> E:
        return book.name(key + tag)

    book.text(SHEET, row, 1, f"Case: {case.name}", font=SECTION_FONT)
    row += 1
    rows: dict[str, int] = {}
    labels = [
        ("tokens_in", "Input tokens per call", "tokens/call", "tokens"),
        ("tokens_out", "Billed output tokens per call", "tokens/call", "tokens"),
    ]
    labels += [
        (f"call_{i}", f"Cost per call: {m.name}", f"{cur}/call", "money4")
        for i, m in enumerate(case.models)
    ]
    labels += list(ROWS) + (list(SEAT_ROWS) if case.seats is not None else []) + list(HELPER_ROWS)
    for offset, (key, *_rest) in enumerate(labels):
        rows[key] = row + offset
    for key, label, unit, _fmt in labels:
        book.text(SHEET, rows[key], 1, label)
        book.text(SHEET, rows[key], 2, unit.format(cur=cur), font=NOTE_FONT)
    for t in range(scenario.years):
        column = FIRST_COL + t
        formulas = _year_formulas(book, case, placed_models, column, name, rows)
        for key, _label, _unit, fmt in labels:
            book.formula(SHEET, rows[key], column, formulas[key](), fmt)
    last = FIRST_COL + scenario.years - 1
    for key, *_rest in labels:
        named = key in model.ROWS or key in model.SEAT_ROWS
        if named and (not tag or key in NAMED_IN_CASES):
            book.define(key + tag, SHEET, rows[key], FIRST_COL, rows[key], last)
    book.blocks[(SHEET, case.name)] = (row, FIRST_COL, row + len(labels) - 1, last)
    return rows, row + len(labels)


def _year_formulas(
    book: Book, case: Case, placed_models: CaseModels, column: int, name, rows: dict[str, int]
) -> dict:
    """Row key -> a builder of that row's formula in one year's column (built in row order)."""
    t = index_cell(book, column)

    def here(key: str) -> E:
        return book.ref(SHEET, rows[key], column, fix_col=False)

    def keep() -> E:
        return 1 - name("target_gross_margin") - name("payment_fee_rate")

    def call(index: int) -> E:
        first = placed_models.first_row + index
        cached = book.ref(MODELS, first, FIELD_COL["model_cached_input_discount"])
        batch = book.ref(MODELS, first, FIELD_COL["model_batch_discount"])
        price_in = book.ref(MODELS, placed_models.input_price_rows[index], column, fix_col=False)
        price_out = book.ref(MODELS, placed_models.output_price_rows[index], column, fix_col=False)
        tokens = (
            here("tokens_in") * price_in * (1 - name("cache_hit_rate") * cached)
            + here("tokens_out") * price_out
        )
        return tokens * (1 - name("batch_share") * batch) / PER_MILLION

    def cost_per_query() -> E:
        block = book.span(
            SHEET,
            rows["call_0"],
            column,
            rows[f"call_{len(case.models) - 1}"],
            column,
            relative=True,
        )
        return name("agent_calls_per_query") * SUMPRODUCT(name("model_share"), block)

    def seats_total(key: str):
        return lambda: MONTHS * here("seats") * here(key)

    formulas = {
        "tokens_in": lambda: name("input_tokens_per_call") * (1 + name("annual_token_growth")) ** t,
        "tokens_out": lambda: (
            name("output_tokens_per_call")
            * name("reasoning_multiplier")
            * (1 + name("annual_token_growth")) ** t
        ),
        "cost_per_query": cost_per_query,
        "queries_per_seat": lambda: (
            name("queries_per_seat_month") * (1 + name("annual_usage_growth")) ** t
        ),
        "inference_cost_per_seat": lambda: here("queries_per_seat") * here("cost_per_query"),
        "revenue_per_seat": lambda: (
            name("price_per_seat_month") * (1 + name("annual_price_change")) ** t
        ),
        "other_cogs": lambda: (
            name("other_cogs_per_seat_month") * (1 + name("annual_other_cogs_change")) ** t
        ),
        "payment_fees": lambda: name("payment_fee_rate") * here("revenue_per_seat"),
        "cogs_per_seat": lambda: (
            here("inference_cost_per_seat") + here("other_cogs") + here("payment_fees")
        ),
        "gross_profit_per_seat": lambda: here("revenue_per_seat") - here("cogs_per_seat"),
        "gross_margin": lambda: IF(
            here("revenue_per_seat") <= ZERO,
            "n/a",
            here("gross_profit_per_seat") / here("revenue_per_seat"),
        ),
        "price_for_target_margin": lambda: IF(
            keep() <= ZERO, "n/a", (here("inference_cost_per_seat") + here("other_cogs")) / keep()
        ),
        "max_queries_at_target": lambda: IF(
            here("cost_per_query") <= ZERO,
            "n/a",
            MAX(0, here("revenue_per_seat") * keep() - here("other_cogs")) / here("cost_per_query"),
        ),
        "seats": lambda: name("seats_start") * (1 + name("annual_seat_growth")) ** t,
        "annual_revenue": seats_total("revenue_per_seat"),
        "annual_cogs": seats_total("cogs_per_seat"),
        "annual_gross_profit": seats_total("gross_profit_per_seat"),
        "year_at_target": lambda: IF(
            ISNUMBER(here("gross_margin")),
            IF(here("gross_margin") >= name("target_gross_margin"), years_cell(book, column), "-"),
            "-",
        ),
        "identity_ok": lambda: (
            ABS(here("revenue_per_seat") - here("cogs_per_seat") - here("gross_profit_per_seat"))
            <= AGREEMENT * MAX(ABS(here("revenue_per_seat")), 1)
        ),
    }
    for index in range(len(case.models)):
        formulas[f"call_{index}"] = partial(call, index)
    return formulas
