"""The scenario file's schema (SPEC section 2): fields, defaults and ranges, as pydantic models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, create_model

_NO_CONTROL = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$"  # tab and newline are allowed


class Strict(BaseModel):
    """Unknown keys, booleans-as-numbers, strings-as-numbers, NaN and infinities are errors."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)


Rate = Annotated[float, Field(gt=-1, le=10)]
Fraction = Annotated[float, Field(ge=0, le=1)]
FractionBelowOne = Annotated[float, Field(ge=0, lt=1)]
Factor = Annotated[float, Field(ge=0.01, le=1000)]
TokenPrice = Annotated[float, Field(ge=0, le=1e4)]
Tokens = Annotated[float, Field(ge=0, le=1e9)]
SeatMoney = Annotated[float, Field(ge=0, le=1e6)]
Multiplier = Annotated[float, Field(ge=1, le=1000)]
FactorList = Annotated[tuple[Factor, ...], Field(min_length=1, max_length=1000)]
Text = Annotated[str, Field(pattern=_NO_CONTROL)]


def _curve_kind(value: object) -> str:
    return "list" if isinstance(value, (list, tuple)) else "number"


CurveFactor = Annotated[
    Annotated[Factor, Tag("number")] | Annotated[FactorList, Tag("list")],
    Discriminator(_curve_kind),
]

DEFAULT_DECLINE_FACTORS = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 10.0)
DEFAULT_REASONING_MULTIPLIERS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0)


class Pricing(Strict):
    price_per_seat_month: Annotated[float, Field(gt=0, le=1e6)]
    annual_price_change: Rate = 0.0
    payment_fee_rate: FractionBelowOne = 0.0


class Usage(Strict):
    queries_per_seat_month: Annotated[float, Field(ge=0, le=1e7)]
    agent_calls_per_query: Annotated[float, Field(ge=0, le=1e4)] = 1.0
    input_tokens_per_call: Tokens
    output_tokens_per_call: Tokens
    reasoning_multiplier: Multiplier = 1.0
    annual_usage_growth: Rate = 0.0
    annual_token_growth: Rate = 0.0
    cache_hit_rate: Fraction = 0.0
    batch_share: Fraction = 0.0


class ModelFields(Strict):
    """The per-model fields a case can override."""

    share: Fraction | None = None
    input_price: TokenPrice | None = None
    output_price: TokenPrice | None = None
    cached_input_discount: Fraction | None = None
    batch_discount: Fraction | None = None
    annual_decline_factor: Factor | None = None
    floor_input_price: TokenPrice | None = None
    floor_output_price: TokenPrice | None = None


class ModelSpec(ModelFields):
    name: Annotated[Text, Field(min_length=1, max_length=100)]


class PriceCurve(Strict):
    annual_decline_factor: CurveFactor = 4.0
    floor_input_price: TokenPrice = 0.0
    floor_output_price: TokenPrice = 0.0


class Costs(Strict):
    other_cogs_per_seat_month: SeatMoney = 0.0
    annual_other_cogs_change: Rate = 0.0


class Seats(Strict):
    start: Annotated[float, Field(ge=0, le=1e9)]
    annual_growth: Rate = 0.0


class Sensitivity(Strict):
    year: int | None = None
    decline_factors: Annotated[tuple[Factor, ...], Field(min_length=1, max_length=20)] = (
        DEFAULT_DECLINE_FACTORS
    )
    reasoning_multipliers: Annotated[tuple[Multiplier, ...], Field(min_length=1, max_length=20)] = (
        DEFAULT_REASONING_MULTIPLIERS
    )


def _override(model: type[Strict]) -> type[Strict]:
    """The same fields, all optional: what a case may override."""
    fields = {}
    for name, info in model.model_fields.items():
        kind = info.rebuild_annotation() if info.metadata or info.discriminator else info.annotation
        fields[name] = (kind | None, None)
    return create_model(f"{model.__name__}Override", __base__=Strict, **fields)


PricingOverride = _override(Pricing)
UsageOverride = _override(Usage)
PriceCurveOverride = _override(PriceCurve)
CostsOverride = _override(Costs)
SeatsOverride = _override(Seats)


class CaseSpec(Strict):
    pricing: PricingOverride | None = None
    usage: UsageOverride | None = None
    price_curve: PriceCurveOverride | None = None
    costs: CostsOverride | None = None
    seats: SeatsOverride | None = None
    target_gross_margin: FractionBelowOne | None = None
    models: dict[str, ModelFields] | None = None


class ScenarioSpec(Strict):
    """The file as written, validated field by field; cross-field rules live in scenario.py."""

    name: Annotated[Text, Field(min_length=1, max_length=100)]
    version: Literal[1] = 1
    start_year: Annotated[int, Field(ge=2000, le=2100)] = 2026
    years: Annotated[int, Field(ge=1, le=30)] = 5
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    pricing: Pricing
    usage: Usage
    models: Annotated[tuple[ModelSpec, ...], Field(min_length=1, max_length=20)]
    price_curve: PriceCurve = PriceCurve()
    costs: Costs = Costs()
    target_gross_margin: FractionBelowOne = 0.7
    seats: Seats | None = None
    cases: Annotated[dict[str, CaseSpec], Field(max_length=10)] = {}
    sensitivity: Sensitivity = Sensitivity()
    notes: Annotated[Text, Field(max_length=10_000)] = ""
