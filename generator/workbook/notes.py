"""The Notes sheet: method, formulas in words, catalog prices with sources, provenance."""

from __future__ import annotations

import textwrap

from .. import __version__
from ..resources import template_env
from ..scenario import Case, Model, Scenario
from .book import SECTION_FONT, TITLE_FONT, Book

SHEET = "Notes"
TEMPLATE = "notes.md.j2"
FIRST_ROW = 3
WIDTH = 80  # fits a printed portrait page
WRAP_AT = 72  # characters a line of the column holds, on the safe side
LINE_HEIGHT = 15  # points
HEADING = "## "
SOURCES = (
    (
        'Trace Cohen, Value Add VC, "AI Inference Cost Reduction in 2026: Down 95% in Two '
        'Years, ~$0.50 per Million Tokens, and What Happens Next" (June 2026).'
    ),
    (
        "An analysis of the inference cost curve (2026): GPT-4-class inference from about "
        "$60/Mtok (January 2023) to $10 (mid-2024) to under $3 (early 2026); a hardware floor "
        "of $0.10-0.30/Mtok for a 70B model."
    ),
)
# Scenario keys of the model fields whose Model attribute is named differently
MODEL_KEY = {"decline_factor": "annual_decline_factor"}


def write(book: Book, scenario: Scenario) -> None:
    """One line of the rendered notes per cell of column A, every line stored as text."""
    book.on = SHEET
    sheet = book.sheets[SHEET]
    book.text(SHEET, 1, 1, "Notes", font=TITLE_FONT)
    for row, line in enumerate(render(scenario).splitlines(), start=FIRST_ROW):
        if line.startswith(HEADING):
            book.text(SHEET, row, 1, line[len(HEADING) :], font=SECTION_FONT)
        elif line:
            book.text(SHEET, row, 1, line, wrap=True)
            lines = len(textwrap.wrap(line, WRAP_AT)) or 1
            if lines > 1:  # spreadsheet programs do not grow rows to fit wrapped text on load
                sheet.row_dimensions[row].height = LINE_HEIGHT * lines
    book.widths(SHEET, {1: WIDTH})


def render(scenario: Scenario) -> str:
    """The notes text (plain lines; '## ' starts a heading)."""
    base = scenario.base
    return (
        template_env()
        .get_template(TEMPLATE)
        .render(
            name=scenario.name,
            start_year=scenario.start_year,
            last_year=scenario.start_year + scenario.years - 1,
            years=scenario.years,
            currency=scenario.currency,
            seats=base.seats is not None,
            models=[_model(model, scenario.currency) for model in base.models],
            catalog_prices=any(model.catalog_entry is not None for model in base.models),
            case_overrides=[_overrides(case) for case in scenario.cases[1:]],
            sources=SOURCES,
            defaults=[(path, _value(value)) for path, value in scenario.defaults],
            ignored_factors=_ignored_factors(scenario),
            notes=scenario.notes.rstrip().splitlines(),
            source_name=scenario.source.name,
            sha256=scenario.sha256,
            version=__version__,
        )
    )


def _model(model: Model, currency: str) -> dict[str, str]:
    """A model's share and where its prices come from, in words."""
    entry = model.catalog_entry
    given = _given_prices(model)
    parts = []
    if entry is not None and not given:
        parts.append(
            f"catalog price ${_price(entry.input_price)} input / "
            f"${_price(entry.output_price)} output per Mtok"
        )
    else:
        parts.append(
            f"{_price(model.input_price)} input / {_price(model.output_price)} output "
            f"{currency} per Mtok"
        )
        if entry is None:
            parts.append("prices from the scenario (not a catalog model)")
        else:
            parts.append(
                f"{' and '.join(given)} from the scenario instead of the catalog's "
                f"${_price(entry.input_price)} / ${_price(entry.output_price)}"
            )
    if entry is not None:
        parts.append(
            f"catalog entry {entry.name}: price date {entry.price_date}, tier "
            f"{entry.tier}, source: {entry.source}"
        )
    for label, value in (
        ("cached-input discount", model.cached_input_discount),
        ("batch discount", model.batch_discount),
    ):
        if value:
            parts.append(f"{label} {_pct(value)}")
    if model.decline_factor is not None:
        parts.append(f"its own decline factor {_value(model.decline_factor)}x a year")
    for label, value in (("input", model.floor_input_price), ("output", model.floor_output_price)):
        if value is not None:
            parts.append(f"its own {label} floor {_price(value)} {currency} per Mtok")
    return {"name": model.name, "share": _pct(model.share), "prices": "; ".join(parts)}


def _given_prices(model: Model) -> list[str]:
    """Which of a catalog model's prices the scenario file sets itself."""
    entry = model.catalog_entry
    if entry is None:
        return ["input price", "output price"]
    return [
        f"{kind} price"
        for kind, mine, listed in (
            ("input", model.input_price, entry.input_price),
            ("output", model.output_price, entry.output_price),
        )
        if mine != listed
    ]


def _overrides(case: Case) -> str:
    """`Case bear overrides usage.reasoning_multiplier = 10, ...` in the file's terms."""
    items = []
    for key in sorted(case.overrides, key=lambda k: tuple(str(part) for part in k)):
        if key[0] == "models":
            model = case.models[key[1]]
            path = f"models.{model.name}.{MODEL_KEY.get(key[2], key[2])}"
            value = getattr(model, key[2])
        elif key == ("target_gross_margin",):
            path, value = "target_gross_margin", case.target_gross_margin
        else:
            path, value = ".".join(key), getattr(getattr(case, key[0]), key[1])
        items.append(f"{path} = {_value(value)}")
    if not items:
        return f"Case {case.name} overrides nothing: it equals the base case."
    return f"Case {case.name} overrides: " + ", ".join(items) + "."


def _ignored_factors(scenario: Scenario) -> list[str]:
    """Lines about decline-factor lists longer than the years they can apply to."""
    used = scenario.years - 1
    lines = []
    for case in scenario.cases:
        factors = case.price_curve.annual_decline_factor
        own = case is scenario.base or ("price_curve", "annual_decline_factor") in case.overrides
        if isinstance(factors, tuple) and len(factors) > used and own:
            kept = f"only the first {used} apply" if used else "none apply"
            lines.append(
                f"The price curve of case {case.name} lists {len(factors)} decline factors, one "
                f"per year after the first; with {scenario.years} year(s) {kept} and the last "
                f"{len(factors) - used} are ignored."
            )
    return lines


def _price(value: float) -> str:
    """0.6 -> '0.60', 0.075 -> '0.075', 30 -> '30.00'."""
    return f"{value:,.2f}" if round(value, 2) == value else f"{value:g}"


def _pct(value: float) -> str:
    return f"{value * 100:.4g}%"


def _value(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
