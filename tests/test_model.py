"""Tests for the equations of SPEC section 3: hand-computed figures, identities, n/a, the grid."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

import generator
from generator import model
from generator.scenario import Scenario, load, loads

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))
NA = "n/a"

# Small enough to compute by hand (below), with every feature switched on: two models, one
# with its own decline factor, a floor that binds, cache and batch discounts, reasoning,
# agent calls, growth everywhere, a payment fee and seats.
HAND = """\
name: Hand computed
start_year: 2026
years: 3
pricing:
  price_per_seat_month: 20
  annual_price_change: -0.5
  payment_fee_rate: 0.05
usage:
  queries_per_seat_month: 100
  agent_calls_per_query: 2
  input_tokens_per_call: 1000
  output_tokens_per_call: 500
  reasoning_multiplier: 2
  annual_usage_growth: 1.0
  cache_hit_rate: 0.5
  batch_share: 0.5
models:
  - name: a
    share: 0.5
    input_price: 4
    output_price: 8
    cached_input_discount: 0.5
    batch_discount: 0.5
    annual_decline_factor: 2
  - name: b
    share: 0.5
    input_price: 2
    output_price: 4
price_curve:
  annual_decline_factor: 4
  floor_input_price: 0.5
  floor_output_price: 0.2
costs:
  other_cogs_per_seat_month: 1
  annual_other_cogs_change: 1.0
target_gross_margin: 0.7
seats:
  start: 10
  annual_growth: 1.0
"""

# By hand, per year 2026, 2027, 2028. Input tokens 1000, billed output 500 x 2 = 1000.
# Model a: factor 2 -> $/Mtok in 4, 2, 1 and out 8, 4, 2 (floors 0.5 / 0.2 do not bind);
#   call = (1000 x in x (1 - 0.5 x 0.5) + 1000 x out) x (1 - 0.5 x 0.5) / 1e6
#        = 0.00825, 0.004125, 0.0020625
# Model b: the curve's factor 4 -> in 2, 0.5, max(0.5, 0.125) = 0.5 (floor binds);
#   out 4, 1, max(0.2, 0.25) = 0.25; no discounts: call = 0.006, 0.0015, 0.00075
# cost_per_query = 2 calls x (0.5 a + 0.5 b) = a + b
HAND_EXPECTED = {
    "cost_per_query": [0.01425, 0.005625, 0.0028125],
    "queries_per_seat": [100, 200, 400],
    "inference_cost_per_seat": [1.425, 1.125, 1.125],
    "revenue_per_seat": [20, 10, 5],
    "other_cogs": [1, 2, 4],
    "cogs_per_seat": [3.425, 3.625, 5.375],  # inference + other + 5% of revenue
    "gross_profit_per_seat": [16.575, 6.375, -0.375],
    "gross_margin": [0.82875, 0.6375, -0.075],
    "price_for_target_margin": [9.7, 12.5, 20.5],  # (inference + other) / (1 - 0.7 - 0.05)
    # max(0, revenue x 0.25 - other) / cost_per_query
    "max_queries_at_target": [4 / 0.01425, 0.5 / 0.005625, 0.0],
    "seats": [10, 20, 40],
    "annual_revenue": [2400, 2400, 2400],  # 12 x seats x revenue per seat
    "annual_cogs": [411, 870, 2580],
    "annual_gross_profit": [1989, 1530, -180],
}


def scenario(text: str) -> Scenario:
    return loads(text.encode(), Path("test.yaml"))


def close(a: float, b: float, scale: float = 1.0) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), scale)


def with_usage(text: str, **fields: object) -> str:
    """`text` with usage fields replaced or added."""
    lines = text.splitlines()
    start = lines.index("usage:")
    for key, value in fields.items():
        for index in range(start + 1, len(lines)):
            if not lines[index].startswith("  "):
                lines.insert(index, f"  {key}: {value}")
                break
            if lines[index].strip().startswith(f"{key}:"):
                lines[index] = f"  {key}: {value}"
                break
    return "\n".join(lines) + "\n"


SIMPLE = """\
name: Simple
years: 6
pricing:
  price_per_seat_month: 40
usage:
  queries_per_seat_month: 300
  input_tokens_per_call: 6000
  output_tokens_per_call: 800
models:
  - name: m
    input_price: 3
    output_price: 15
"""


# --- hand-computed ---------------------------------------------------------------------------


def test_compute_matches_the_hand_computed_figures() -> None:
    table = generator.compute(scenario(HAND))

    for row, expected in HAND_EXPECTED.items():
        for year, value in zip(table.index, expected, strict=True):
            assert close(table.loc[year, row], value), (row, year, table.loc[year, row], value)


def test_compute_returns_a_dataframe_indexed_by_calendar_year() -> None:
    table = generator.compute(scenario(HAND))

    assert isinstance(table, pd.DataFrame)
    assert list(table.index) == [2026, 2027, 2028]
    assert table.index.name == "year"
    assert set(HAND_EXPECTED) <= set(table.columns)


def test_seat_rows_only_when_seats_are_given() -> None:
    table = generator.compute(scenario(SIMPLE))

    assert not {"seats", "annual_revenue", "annual_cogs", "annual_gross_profit"} & set(table)


def test_first_year_at_target() -> None:
    loaded = scenario(HAND)

    assert model.first_year_at_target(loaded) == 2026
    costly = scenario(HAND.replace("price_per_seat_month: 20", "price_per_seat_month: 2"))
    assert model.first_year_at_target(costly) == "never"


# --- identities ------------------------------------------------------------------------------


def test_decline_factor_one_and_no_growth_give_a_constant_margin() -> None:
    text = SIMPLE + "price_curve:\n  annual_decline_factor: 1\n"

    table = generator.compute(scenario(text))

    for row in (
        "cost_per_query",
        "inference_cost_per_seat",
        "gross_margin",
        "price_for_target_margin",
        "max_queries_at_target",
    ):
        assert table[row].nunique() == 1, row


def test_floors_bind_and_prices_never_go_under_them() -> None:
    text = SIMPLE + (
        "price_curve:\n  annual_decline_factor: 10\n"
        "  floor_input_price: 0.01\n  floor_output_price: 0.5\n"
    )
    case = scenario(text).base

    prices = [model.token_prices(case, 0, t) for t in range(6)]

    assert all(p_in >= 0.01 and p_out >= 0.5 for p_in, p_out in prices)
    assert prices[1] == (0.3, 1.5)
    assert prices[2] == (0.03, 0.5)  # output on its floor: 15 / 100 = 0.15 < 0.5
    assert prices[5] == (0.01, 0.5)  # both on their floors


def test_a_models_own_floor_overrides_the_curves() -> None:
    text = SIMPLE.replace(
        "    output_price: 15\n", "    output_price: 15\n    floor_output_price: 2\n"
    ) + ("price_curve:\n  annual_decline_factor: 10\n  floor_output_price: 0.5\n")

    assert model.token_prices(scenario(text).base, 0, 3)[1] == 2


def test_full_cache_hit_with_90_percent_discount_cuts_input_cost_by_90_percent() -> None:
    input_only = with_usage(SIMPLE, output_tokens_per_call=0)
    cached = with_usage(input_only, cache_hit_rate=1).replace(
        "    output_price: 15\n", "    output_price: 15\n    cached_input_discount: 0.9\n"
    )

    plain = generator.compute(scenario(input_only))["cost_per_query"]
    discounted = generator.compute(scenario(cached))["cost_per_query"]

    for full, cut in zip(plain, discounted, strict=True):
        assert close(cut, 0.1 * full)
    assert close(plain.iloc[0], 6000 * 3 / 1e6)


def test_batch_discount_scales_the_whole_call() -> None:
    batched = with_usage(SIMPLE, batch_share=0.5).replace(
        "    output_price: 15\n", "    output_price: 15\n    batch_discount: 0.5\n"
    )

    plain = generator.compute(scenario(SIMPLE))["cost_per_query"]
    cut = generator.compute(scenario(batched))["cost_per_query"]

    assert all(close(c, 0.75 * p) for p, c in zip(plain, cut, strict=True))


def test_reasoning_multiplier_scales_only_output() -> None:
    def cost(**usage: object) -> float:
        return generator.compute(scenario(with_usage(SIMPLE, **usage)))["cost_per_query"].iloc[0]

    assert close(
        cost(output_tokens_per_call=0, reasoning_multiplier=7), cost(output_tokens_per_call=0)
    )
    assert close(
        cost(input_tokens_per_call=0, reasoning_multiplier=7), 7 * cost(input_tokens_per_call=0)
    )
    # input 6000 x $3 + output 800 x 7 x $15, per million tokens
    assert close(cost(reasoning_multiplier=7), (6000 * 3 + 800 * 7 * 15) / 1e6)


def test_growth_compounds_per_year() -> None:
    text = with_usage(SIMPLE, annual_usage_growth=0.25, annual_token_growth=0.1)

    table = generator.compute(scenario(text))

    assert close(table["queries_per_seat"].iloc[3], 300 * 1.25**3)
    ratio = table["cost_per_query"].iloc[0] / 1e-6 / (6000 * 3 + 800 * 15)
    assert close(ratio, 1.0)


# --- n/a ------------------------------------------------------------------------------------


def test_target_plus_fee_of_one_gives_na_for_price_for_target_margin() -> None:
    text = SIMPLE.replace(
        "  price_per_seat_month: 40\n", "  price_per_seat_month: 40\n  payment_fee_rate: 0.3\n"
    )

    table = generator.compute(scenario(text))  # target 0.7 + fee 0.3: 1 - 0.7 - 0.3 = 5.6e-17

    assert list(table["price_for_target_margin"]) == [NA] * 6
    assert all(isinstance(m, float) for m in table["gross_margin"])


def test_target_plus_fee_above_one_gives_na() -> None:
    text = SIMPLE.replace(
        "  price_per_seat_month: 40\n", "  price_per_seat_month: 40\n  payment_fee_rate: 0.5\n"
    )

    table = generator.compute(scenario(text))

    assert list(table["price_for_target_margin"]) == [NA] * 6
    assert list(table["max_queries_at_target"]) == [0.0] * 6  # max(0, negative) / cost


def test_zero_cost_per_query_gives_na_for_max_queries_at_target() -> None:
    text = with_usage(SIMPLE, input_tokens_per_call=0, output_tokens_per_call=0)

    table = generator.compute(scenario(text))

    assert list(table["cost_per_query"]) == [0.0] * 6
    assert list(table["max_queries_at_target"]) == [NA] * 6
    assert list(table["gross_margin"]) == [1.0] * 6


def test_revenue_at_or_below_1e_12_counts_as_zero() -> None:
    text = SIMPLE.replace(
        "  price_per_seat_month: 40\n", "  price_per_seat_month: 40\n  annual_price_change: -0.99\n"
    )
    text = text.replace("years: 6", "years: 9")

    margins = list(generator.compute(scenario(text))["gross_margin"])

    # revenue 40 x 0.01^t: 4e-11 in year index 6, 4e-13 in year index 7
    assert isinstance(margins[6], float)
    assert margins[7:] == [NA, NA]


def test_ratio_helper() -> None:
    assert model.ratio(1, 2) == 0.5
    assert model.ratio(1, 1e-12) == NA
    assert model.ratio(1, -3) == NA


# --- decline factors -------------------------------------------------------------------------


def test_a_list_gives_one_factor_per_year_and_repeats_its_last() -> None:
    text = SIMPLE + "price_curve:\n  annual_decline_factor: [2, 3]\n"
    case = scenario(text).base

    declines = [model.cumulative_decline(case, 0, t) for t in range(6)]

    assert declines == [1, 2, 6, 18, 54, 162]  # d(k) = list[min(k, len) - 1]
    assert [case.decline_factor(k) for k in range(1, 6)] == [2, 3, 3, 3, 3]


def test_list_entries_past_the_horizon_are_ignored() -> None:
    short = SIMPLE.replace("years: 6", "years: 3")
    exact = scenario(short + "price_curve:\n  annual_decline_factor: [2, 3]\n")
    longer = scenario(short + "price_curve:\n  annual_decline_factor: [2, 3, 50, 0.5]\n")

    assert generator.compute(exact).equals(generator.compute(longer))


def test_a_models_own_factor_overrides_the_curve() -> None:
    text = SIMPLE.replace(
        "    output_price: 15\n", "    output_price: 15\n    annual_decline_factor: 1.5\n"
    ) + ("price_curve:\n  annual_decline_factor: [10, 2]\n")
    case = scenario(text).base

    assert [model.cumulative_decline(case, 0, t) for t in range(3)] == [1, 1.5, 2.25]


# --- sensitivity -----------------------------------------------------------------------------


def _curve_replaced(text: str, factor: float, multiplier: float) -> str:
    """HAND with the curve's factor and the reasoning multiplier set (by editing the file)."""
    text = text.replace("  annual_decline_factor: 4\n", f"  annual_decline_factor: {factor}\n")
    return with_usage(text, reasoning_multiplier=multiplier)


@pytest.mark.parametrize("curve", ["4", "[8, 1.5]"])
def test_sensitivity_grid_equals_compute_with_factor_and_reasoning_replaced(curve: str) -> None:
    text = HAND.replace("  annual_decline_factor: 4\n", f"  annual_decline_factor: {curve}\n")
    text += (
        "sensitivity:\n  year: 2027\n  decline_factors: [1, 3]\n  reasoning_multipliers: [1, 5]\n"
    )
    loaded = scenario(text)

    grid = generator.sensitivity(loaded)

    assert list(grid.index) == [1, 3] and list(grid.columns) == [1, 5]
    for factor in (1, 3):
        for multiplier in (1, 5):
            edited = text.replace(
                f"  annual_decline_factor: {curve}\n", f"  annual_decline_factor: {factor}\n"
            )
            edited = with_usage(edited, reasoning_multiplier=multiplier)
            expected = generator.compute(scenario(edited)).loc[2027, "gross_margin"]
            assert close(grid.loc[factor, multiplier], expected)


def test_sensitivity_keeps_a_models_own_factor() -> None:
    loaded = scenario(HAND)
    grid = generator.sensitivity(loaded)

    # model a keeps its factor 2; only model b follows the row's factor
    edited = scenario(_curve_replaced(HAND, 1, 1))
    assert close(grid.loc[1, 1], generator.compute(edited).loc[2028, "gross_margin"])
    assert edited.base.models[0].decline_factor == 2


def test_sensitivity_defaults_to_the_last_year() -> None:
    loaded = scenario(HAND)
    grid = generator.sensitivity(loaded)

    assert loaded.sensitivity_year == 2028
    assert grid.shape == (7, 6)


# --- every example ---------------------------------------------------------------------------


def reference(loaded: Scenario, case_name: str) -> dict[str, list]:
    """SPEC section 3 written out again, independently of generator.model."""
    case = loaded.case(case_name)
    usage, pricing, costs, curve = case.usage, case.pricing, case.costs, case.price_curve
    out: dict[str, list] = {}
    for t in range(loaded.years):
        call_sum = 0.0
        for m in case.models:
            decline = 1.0
            for k in range(1, t + 1):
                if m.decline_factor is not None:
                    decline *= m.decline_factor
                elif isinstance(curve.annual_decline_factor, tuple):
                    listed = curve.annual_decline_factor
                    decline *= listed[min(k, len(listed)) - 1]
                else:
                    decline *= curve.annual_decline_factor
            floor_in = (
                curve.floor_input_price if m.floor_input_price is None else m.floor_input_price
            )
            floor_out = (
                curve.floor_output_price if m.floor_output_price is None else m.floor_output_price
            )
            p_in = max(floor_in, m.input_price / decline)
            p_out = max(floor_out, m.output_price / decline)
            grow = (1 + usage.annual_token_growth) ** t
            tokens_in = usage.input_tokens_per_call * grow
            tokens_out = usage.output_tokens_per_call * usage.reasoning_multiplier * grow
            call = (
                (
                    tokens_in * p_in * (1 - usage.cache_hit_rate * m.cached_input_discount)
                    + tokens_out * p_out
                )
                * (1 - usage.batch_share * m.batch_discount)
                / 1e6
            )
            call_sum += m.share * call
        cpq = usage.agent_calls_per_query * call_sum
        queries = usage.queries_per_seat_month * (1 + usage.annual_usage_growth) ** t
        inference = queries * cpq
        revenue = pricing.price_per_seat_month * (1 + pricing.annual_price_change) ** t
        other = costs.other_cogs_per_seat_month * (1 + costs.annual_other_cogs_change) ** t
        cogs = inference + other + pricing.payment_fee_rate * revenue
        keep = 1 - case.target_gross_margin - pricing.payment_fee_rate
        row = {
            "cost_per_query": cpq,
            "queries_per_seat": queries,
            "inference_cost_per_seat": inference,
            "revenue_per_seat": revenue,
            "cogs_per_seat": cogs,
            "gross_profit_per_seat": revenue - cogs,
            "gross_margin": (revenue - cogs) / revenue if revenue > 1e-12 else NA,
            "price_for_target_margin": (inference + other) / keep if keep > 1e-12 else NA,
            "max_queries_at_target": (
                max(0.0, revenue * keep - other) / cpq if cpq > 1e-12 else NA
            ),
        }
        if case.seats is not None:
            seats = case.seats.start * (1 + case.seats.annual_growth) ** t
            row.update(
                seats=seats,
                annual_revenue=12 * seats * revenue,
                annual_cogs=12 * seats * cogs,
                annual_gross_profit=12 * seats * (revenue - cogs),
            )
        for key, value in row.items():
            out.setdefault(key, []).append(value)
    return out


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_compute_matches_spec_section_3_on_every_example(path: Path) -> None:
    loaded = load(path)

    for case in loaded.cases:
        table = generator.compute(loaded, case.name)
        expected = reference(loaded, case.name)
        for row, values in expected.items():
            for t, value in enumerate(values):
                got = table[row].iloc[t]
                # SPEC section 3's agreement: ratios and counts at scale 1, money at the
                # scale of that year's revenue
                if row in ("gross_margin", "queries_per_seat", "max_queries_at_target", "seats"):
                    scale = 1.0
                else:
                    scale = expected[
                        "annual_revenue" if row.startswith("annual_") else "revenue_per_seat"
                    ][t]
                if value == NA:
                    assert got == NA, (case.name, row, t)
                else:
                    assert close(got, value, scale), (case.name, row, t, got, value)
                    assert math.isfinite(got)
