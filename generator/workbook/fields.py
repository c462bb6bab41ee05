"""Every input cell the workbook shows: its defined name, unit, format, range and note."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    """One scalar input; `path` is where it lives in the scenario (section, key)."""

    name: str  # the defined name of the base cell
    path: tuple[str, str] | tuple[str]
    unit: str
    fmt: str
    low: float
    high: float
    note: str
    low_open: bool = False  # the range excludes `low`
    high_open: bool = False
    whole: bool = False
    case: bool = True  # a case may override it

    @property
    def label(self) -> str:
        return ".".join(self.path)

    def range_text(self) -> str:
        low = f"{'>' if self.low_open else '>='} {self.low:g}"
        high = f"{'<' if self.high_open else '<='} {self.high:g}"
        return f"{low} and {high}" + (", whole" if self.whole else "")


RATE = {"low": -1, "high": 10, "low_open": True}
SCALARS: tuple[Field, ...] = (
    Field(
        "start_year",
        ("start_year",),
        "year",
        "year",
        2000,
        2100,
        "Calendar year of the first column; catalog prices are this year's list prices.",
        whole=True,
        case=False,
    ),
    Field(
        "price_per_seat_month",
        ("pricing", "price_per_seat_month"),
        "{cur}/seat/month",
        "money",
        0,
        1e6,
        "What a seat pays each month in the first year.",
        low_open=True,
    ),
    Field(
        "annual_price_change",
        ("pricing", "annual_price_change"),
        "per year",
        "pct",
        note="Seat price change each year (negative: price erosion).",
        **RATE,
    ),
    Field(
        "payment_fee_rate",
        ("pricing", "payment_fee_rate"),
        "of revenue",
        "pct",
        0,
        1,
        "Card and billing fees taken from revenue.",
        high_open=True,
    ),
    Field(
        "queries_per_seat_month",
        ("usage", "queries_per_seat_month"),
        "actions/seat/month",
        "count",
        0,
        1e7,
        "User actions a seat makes each month in the first year.",
    ),
    Field(
        "agent_calls_per_query",
        ("usage", "agent_calls_per_query"),
        "calls/action",
        "number",
        0,
        1e4,
        "Model calls one action fires (agents fire dozens).",
    ),
    Field(
        "input_tokens_per_call",
        ("usage", "input_tokens_per_call"),
        "tokens/call",
        "tokens",
        0,
        1e9,
        "Prompt and context tokens sent with each call.",
    ),
    Field(
        "output_tokens_per_call",
        ("usage", "output_tokens_per_call"),
        "tokens/call",
        "tokens",
        0,
        1e9,
        "Visible output tokens of each call.",
    ),
    Field(
        "reasoning_multiplier",
        ("usage", "reasoning_multiplier"),
        "x output",
        "factor",
        1,
        1000,
        "Billed output = visible output x this (reasoning models: 10-50x).",
    ),
    Field(
        "annual_usage_growth",
        ("usage", "annual_usage_growth"),
        "per year",
        "pct",
        note="Growth of actions per seat each year.",
        **RATE,
    ),
    Field(
        "annual_token_growth",
        ("usage", "annual_token_growth"),
        "per year",
        "pct",
        note="Growth of tokens per call each year.",
        **RATE,
    ),
    Field(
        "cache_hit_rate",
        ("usage", "cache_hit_rate"),
        "of input",
        "pct",
        0,
        1,
        "Share of input tokens served from the prompt cache.",
    ),
    Field(
        "batch_share",
        ("usage", "batch_share"),
        "of calls",
        "pct",
        0,
        1,
        "Share of calls sent through a batch API.",
    ),
    Field(
        "annual_decline_factor",
        ("price_curve", "annual_decline_factor"),
        "x per year",
        "factor",
        0.01,
        1000,
        "Token prices divide by this each year (seeds: 4x-10x).",
    ),
    Field(
        "floor_input_price",
        ("price_curve", "floor_input_price"),
        "{cur}/Mtok",
        "price",
        0,
        1e4,
        "Input price never falls below this (hardware floor).",
    ),
    Field(
        "floor_output_price",
        ("price_curve", "floor_output_price"),
        "{cur}/Mtok",
        "price",
        0,
        1e4,
        "Output price never falls below this (hardware floor).",
    ),
    Field(
        "other_cogs_per_seat_month",
        ("costs", "other_cogs_per_seat_month"),
        "{cur}/seat/month",
        "money",
        0,
        1e6,
        "Hosting, retrieval, support per seat.",
    ),
    Field(
        "annual_other_cogs_change",
        ("costs", "annual_other_cogs_change"),
        "per year",
        "pct",
        note="Change of other COGS each year.",
        **RATE,
    ),
    Field(
        "target_gross_margin",
        ("target_gross_margin",),
        "of revenue",
        "pct",
        0,
        1,
        "The margin the business aims for (70%+ is the healthy bar).",
        high_open=True,
    ),
)
SEAT_FIELDS: tuple[Field, ...] = (
    Field(
        "seats_start",
        ("seats", "start"),
        "seats",
        "count",
        0,
        1e9,
        "Paying seats in the first year.",
    ),
    Field(
        "annual_seat_growth",
        ("seats", "annual_growth"),
        "per year",
        "pct",
        note="Growth of seats each year.",
        **RATE,
    ),
)

# Per-model inputs: (defined name, Model attribute, scenario key, header, format, low, high)
MODEL_FIELDS = (
    ("model_share", "share", "share", "Share of calls", "pct", 0, 1),
    ("model_input_price", "input_price", "input_price", "Input {cur}/Mtok", "price", 0, 1e4),
    ("model_output_price", "output_price", "output_price", "Output {cur}/Mtok", "price", 0, 1e4),
    (
        "model_cached_input_discount",
        "cached_input_discount",
        "cached_input_discount",
        "Cache discount",
        "pct",
        0,
        1,
    ),
    ("model_batch_discount", "batch_discount", "batch_discount", "Batch discount", "pct", 0, 1),
    (
        "model_decline_factor",
        "decline_factor",
        "annual_decline_factor",
        "Decline factor",
        "factor",
        0.01,
        1000,
    ),
    (
        "model_floor_input_price",
        "floor_input_price",
        "floor_input_price",
        "Floor in {cur}/Mtok",
        "price",
        0,
        1e4,
    ),
    (
        "model_floor_output_price",
        "floor_output_price",
        "floor_output_price",
        "Floor out {cur}/Mtok",
        "price",
        0,
        1e4,
    ),
)
CURVE = "curve"  # a model's decline factor cell when the model follows the price curve


def suffix(case_name: str) -> str:
    """'' for the base case, '_bear' for case bear: the defined-name suffix."""
    return "" if case_name == "base" else f"_{case_name}"


def scalar_value(case, field: Field):
    """The value of one scalar input in a case (None for a list-valued curve factor)."""
    if field.path == ("start_year",):
        raise KeyError("start_year is not per case")
    if field.path == ("target_gross_margin",):
        return case.target_gross_margin
    section, key = field.path
    value = getattr(getattr(case, section), key)
    return None if isinstance(value, tuple) else value
