"""The Models sheet: per case, each model's inputs, the price curve and projected token prices."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..scenario import Case, Scenario
from .book import LINK_FONT, NOTE_FONT, SECTION_FONT, TITLE_FONT, Book
from .expr import IF, ISNUMBER, MAX, POWER, PRODUCT, E
from .fields import CURVE, MODEL_FIELDS, suffix

SHEET = "Models"
FIRST_COL = 3  # first field column and first year column
FIELD_COL = {field[0]: FIRST_COL + offset for offset, field in enumerate(MODEL_FIELDS)}
FLOOR_OF = {
    "model_floor_input_price": "floor_input_price",
    "model_floor_output_price": "floor_output_price",
}


@dataclass
class CaseModels:
    """Where one case's rows landed, for the Calc sheet."""

    first_row: int  # the first model's row in the field table
    input_price_rows: list[int]
    output_price_rows: list[int]


def write(
    book: Book, scenario: Scenario, years: Callable[[int], E], year_index: Callable[[int], E]
) -> dict[str, CaseModels]:
    """Write every case's block. `years(column)` and `year_index(column)` are Calc cells."""
    book.on = SHEET
    book.text(SHEET, 1, 1, "Models and token prices", font=TITLE_FONT)
    book.text(SHEET, 2, 1, scenario.name)
    book.text(
        SHEET,
        3,
        1,
        "Per case: each model's share, start-year prices, discounts, "
        "decline factor ('curve' = follows the price curve) and floors; then "
        "the price curve and each model's projected price per year.",
        font=NOTE_FONT,
    )
    row, placed = 5, {}
    for case in scenario.cases:
        base_first = placed["base"].first_row if placed else None
        placed[case.name], row = _case_block(
            book, scenario, case, row, base_first, years, year_index
        )
        row += 1
    book.sheets[SHEET].freeze_panes = "C5"
    book.widths(SHEET, {1: 40, 2: 22, **{FIRST_COL + i: 18 for i in range(max(8, scenario.years))}})
    return placed


def _case_block(
    book: Book, scenario: Scenario, case: Case, row: int, base_first: int | None, years, year_index
) -> tuple[CaseModels, int]:
    tag = suffix(case.name)
    book.text(SHEET, row, 1, f"Case: {case.name}", font=SECTION_FONT)
    row += 1
    book.header(SHEET, row, 1, "Model")
    book.header(SHEET, row, 2, "Price source")
    for name, column in FIELD_COL.items():
        title = next(f[3] for f in MODEL_FIELDS if f[0] == name)
        book.header(SHEET, row, column, title.format(cur=scenario.currency))
    first = row + 1
    for index, model in enumerate(case.models):
        row = first + index
        book.text(SHEET, row, 1, model.name)
        entry = model.catalog_entry
        overrides_price = entry is not None and (entry.input_price, entry.output_price) != (
            model.input_price,
            model.output_price,
        )
        source = "scenario" if entry is None or overrides_price else f"catalog, {entry.price_date}"
        book.text(SHEET, row, 2, source, font=NOTE_FONT)
        for name, attr, _key, _title, fmt, _lo, _hi in MODEL_FIELDS:
            _model_cell(book, case, tag, index, row, name, attr, fmt, base_first)
    last = first + len(case.models) - 1
    for name, column in FIELD_COL.items():
        book.define(name + tag, SHEET, first, column, last, column)
    row = last + 2
    row = _curve(book, scenario, case, tag, row, years)
    curve_row, cumulative_row = row - 1, row
    book.text(SHEET, row, 1, "Curve: cumulative decline since the start year")
    book.text(SHEET, row, 2, "x", font=NOTE_FONT)
    for t in range(scenario.years):
        column = FIRST_COL + t
        running = book.span(SHEET, curve_row, FIRST_COL, curve_row, column, fix_end=False)
        book.formula(SHEET, row, column, PRODUCT(running), "factor")
    row += 2
    price_rows: dict[str, list[int]] = {"input": [], "output": []}
    for kind in ("input", "output"):
        for index, model in enumerate(case.models):
            book.text(SHEET, row, 1, f"{model.name}: {kind} price")
            book.text(SHEET, row, 2, f"{scenario.currency}/Mtok", font=NOTE_FONT)
            factor = book.ref(SHEET, first + index, FIELD_COL["model_decline_factor"])
            price = book.ref(SHEET, first + index, FIELD_COL[f"model_{kind}_price"])
            floor = book.ref(SHEET, first + index, FIELD_COL[f"model_floor_{kind}_price"])
            for t in range(scenario.years):
                column = FIRST_COL + t
                cumulative = book.ref(SHEET, cumulative_row, column, fix_col=False)
                decline = IF(ISNUMBER(factor), POWER(factor, year_index(column)), cumulative)
                book.formula(SHEET, row, column, MAX(floor, price / decline), "price")
            price_rows[kind].append(row)
            row += 1
        row += 1
    book.blocks[(SHEET, case.name)] = (
        first,
        FIRST_COL,
        row - 1,
        FIRST_COL + max(len(FIELD_COL), scenario.years),
    )
    return CaseModels(first, price_rows["input"], price_rows["output"]), row


def _model_cell(
    book: Book,
    case: Case,
    tag: str,
    index: int,
    row: int,
    name: str,
    attr: str,
    fmt: str,
    base_first: int | None,
) -> None:
    """An input where the base or this case gives the value; else a link to what it follows."""
    model = case.models[index]
    column = FIELD_COL[name]
    label = f"{name}{tag}[{model.name}]"
    value = getattr(model, attr)
    own = base_first is None or ("models", index, attr) in case.overrides
    if own and value is not None:
        book.input(SHEET, row, column, value, fmt, label)
    elif own and name == "model_decline_factor":
        book.input(SHEET, row, column, CURVE, fmt, label)
    elif own or (name in FLOOR_OF and value is None):
        # no floor of its own: the (case's) curve floor
        book.formula(
            SHEET, row, column, book.name(FLOOR_OF[name] + tag), fmt, font=LINK_FONT, label=label
        )
    else:
        book.formula(
            SHEET,
            row,
            column,
            book.ref(SHEET, base_first + index, column),
            fmt,
            font=LINK_FONT,
            label=label,
        )


def _curve(book: Book, scenario: Scenario, case: Case, tag: str, row: int, years) -> int:
    """The year header and the curve's decline factor row; returns the row after it."""
    book.text(SHEET, row, 1, "Year", font=SECTION_FONT)
    for t in range(scenario.years):
        book.formula(SHEET, row, FIRST_COL + t, years(FIRST_COL + t), "year")
    row += 1
    book.text(SHEET, row, 1, "Curve: decline factor in the year")
    book.text(SHEET, row, 2, "x vs the year before", font=NOTE_FONT)
    factor = case.price_curve.annual_decline_factor
    inherits = tag and ("price_curve", "annual_decline_factor") not in case.overrides
    base_row = book.names["curve_decline_factor"][1] if tag else row
    for t in range(scenario.years):
        column = FIRST_COL + t
        label = f"curve_decline_factor{tag}[{t}]"
        if t == 0:
            book.constant(SHEET, row, column, 1, "factor")  # no decline in the first year
        elif not isinstance(factor, tuple):
            book.formula(
                SHEET,
                row,
                column,
                book.name("annual_decline_factor" + tag),
                "factor",
                font=LINK_FONT,
                label=label,
            )
        elif inherits:
            book.formula(
                SHEET,
                row,
                column,
                book.ref(SHEET, base_row, column),
                "factor",
                font=LINK_FONT,
                label=label,
            )
        elif t <= len(factor):
            book.input(SHEET, row, column, factor[t - 1], "factor", label)
        else:
            book.formula(
                SHEET,
                row,
                column,
                book.ref(SHEET, row, column - 1, fix_col=False),
                "factor",
                font=LINK_FONT,
                label=label,
            )
    book.define(
        "curve_decline_factor" + tag, SHEET, row, FIRST_COL, row, FIRST_COL + scenario.years - 1
    )
    return row + 1
