"""The equations of SPEC section 3, on plain numbers, one case at a time."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from .scenario import Case, Scenario

if TYPE_CHECKING:
    import pandas as pd

NA = "n/a"
ZERO = 1e-12  # a denominator at or below this counts as zero, as in the workbook
PER_MILLION = 1e6
MONTHS = 12

ROWS = (
    "cost_per_query",
    "queries_per_seat",
    "inference_cost_per_seat",
    "revenue_per_seat",
    "other_cogs",
    "cogs_per_seat",
    "gross_profit_per_seat",
    "gross_margin",
    "price_for_target_margin",
    "max_queries_at_target",
)
SEAT_ROWS = ("seats", "annual_revenue", "annual_cogs", "annual_gross_profit")


def ratio(numerator: float, denominator: float) -> float | str:
    """numerator / denominator, or 'n/a' where the denominator is zero or negative."""
    return NA if denominator <= ZERO else numerator / denominator


def cumulative_decline(case: Case, model_index: int, t: int) -> float:
    """D_m(t): the product of the model's yearly factors up to year index t."""
    model = case.models[model_index]
    total = 1.0
    for k in range(1, t + 1):
        total *= (
            model.decline_factor if model.decline_factor is not None else case.decline_factor(k)
        )
    return total


def token_prices(case: Case, model_index: int, t: int) -> tuple[float, float]:
    """(input, output) $/Mtok of one model in year index t, floors applied."""
    model, curve = case.models[model_index], case.price_curve
    decline = cumulative_decline(case, model_index, t)
    floor_in = (
        curve.floor_input_price if model.floor_input_price is None else model.floor_input_price
    )
    floor_out = (
        curve.floor_output_price if model.floor_output_price is None else model.floor_output_price
    )
    return max(floor_in, model.input_price / decline), max(floor_out, model.output_price / decline)


def year_values(case: Case, t: int, with_seats: bool = True) -> dict[str, float | str]:
    """Every section-3 row of one case in year index t."""
    usage, pricing, costs = case.usage, case.pricing, case.costs
    growth = (1 + usage.annual_token_growth) ** t
    tokens_in = usage.input_tokens_per_call * growth
    tokens_out = usage.output_tokens_per_call * usage.reasoning_multiplier * growth
    cost_per_query = 0.0
    for index, model in enumerate(case.models):
        price_in, price_out = token_prices(case, index, t)
        call = (
            (
                tokens_in * price_in * (1 - usage.cache_hit_rate * model.cached_input_discount)
                + tokens_out * price_out
            )
            * (1 - usage.batch_share * model.batch_discount)
            / PER_MILLION
        )
        cost_per_query += model.share * call
    cost_per_query *= usage.agent_calls_per_query
    queries = usage.queries_per_seat_month * (1 + usage.annual_usage_growth) ** t
    inference = queries * cost_per_query
    revenue = pricing.price_per_seat_month * (1 + pricing.annual_price_change) ** t
    other = costs.other_cogs_per_seat_month * (1 + costs.annual_other_cogs_change) ** t
    cogs = inference + other + pricing.payment_fee_rate * revenue
    profit = revenue - cogs
    keep = 1 - case.target_gross_margin - pricing.payment_fee_rate
    row: dict[str, float | str] = {
        "cost_per_query": cost_per_query,
        "queries_per_seat": queries,
        "inference_cost_per_seat": inference,
        "revenue_per_seat": revenue,
        "other_cogs": other,
        "cogs_per_seat": cogs,
        "gross_profit_per_seat": profit,
        "gross_margin": ratio(profit, revenue),
        "price_for_target_margin": ratio(inference + other, keep),
        "max_queries_at_target": ratio(max(0.0, revenue * keep - other), cost_per_query),
    }
    if with_seats and case.seats is not None:
        seats = case.seats.start * (1 + case.seats.annual_growth) ** t
        row["seats"] = seats
        row["annual_revenue"] = MONTHS * seats * revenue
        row["annual_cogs"] = MONTHS * seats * cogs
        row["annual_gross_profit"] = MONTHS * seats * profit
    return row


def rows(scenario: Scenario, case: str = "base") -> dict[str, list[float | str]]:
    """Each section-3 row of one case as a list over the years (plain Python, fast)."""
    chosen = scenario.case(case)
    per_year = [year_values(chosen, t) for t in range(scenario.years)]
    return {key: [year[key] for year in per_year] for key in per_year[0]}


def compute(scenario: Scenario, case: str = "base") -> pd.DataFrame:
    """The section-3 rows of one case: a DataFrame indexed by calendar year."""
    import pandas as pd

    table = rows(scenario, case)
    index = pd.Index(range(scenario.start_year, scenario.start_year + scenario.years), name="year")
    return pd.DataFrame(table, index=index)


def first_year_at_target(
    scenario: Scenario, case: str = "base", margins: list | None = None
) -> int | str:
    """The first calendar year whose gross margin reaches the target, or 'never'.

    `margins`: the case's gross_margin row when the caller has it already."""
    target = scenario.case(case).target_gross_margin
    if margins is None:
        margins = rows(scenario, case)["gross_margin"]
    for t, margin in enumerate(margins):
        if margin != NA and margin >= target:
            return scenario.start_year + t
    return "never"


def sensitivity_margin(scenario: Scenario, factor: float, multiplier: float) -> float | str:
    """Base-case gross margin in the sensitivity year with the curve factor and reasoning set."""
    base = scenario.base
    case = replace(
        base,
        price_curve=base.price_curve.model_copy(update={"annual_decline_factor": factor}),
        usage=base.usage.model_copy(update={"reasoning_multiplier": multiplier}),
    )
    return year_values(case, scenario.sensitivity_year - scenario.start_year)["gross_margin"]


def sensitivity(scenario: Scenario) -> pd.DataFrame:
    """The sensitivity grid: decline factors down, reasoning multipliers across."""
    import pandas as pd

    grid = [
        [sensitivity_margin(scenario, f, r) for r in scenario.reasoning_multipliers]
        for f in scenario.decline_factors
    ]
    return pd.DataFrame(
        grid,
        index=pd.Index(scenario.decline_factors, name="decline_factor"),
        columns=pd.Index(scenario.reasoning_multipliers, name="reasoning_multiplier"),
    )
