"""Compare workbook numbers with the Python model under SPEC section 3's agreement rule."""

from __future__ import annotations

from generator import model
from generator.scenario import Scenario

MONEY_ROWS = {
    "cost_per_query",
    "inference_cost_per_seat",
    "revenue_per_seat",
    "other_cogs",
    "cogs_per_seat",
    "gross_profit_per_seat",
    "price_for_target_margin",
}
ANNUAL_ROWS = {"annual_revenue", "annual_cogs", "annual_gross_profit"}


def agree(a, b, scale: float = 1.0) -> bool:
    """|a - b| <= 1e-9 * max(|a|, |b|, scale); 'n/a' agrees only with 'n/a'."""
    if isinstance(a, str) or isinstance(b, str) or a is None or b is None:
        return a == b
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), scale)


def scale_of(row: str, expected: dict, t: int) -> float:
    if row in MONEY_ROWS:
        return abs(expected["revenue_per_seat"][t])
    if row in ANNUAL_ROWS:
        return abs(expected["annual_revenue"][t])
    return 1.0


def mismatches(scenario: Scenario, names: dict[str, list]) -> list[str]:
    """Every named row (base, cases, sensitivity) whose workbook value differs from the model."""
    problems = []
    for case in scenario.cases:
        expected = model.rows(scenario, case.name)
        if case.name == "base":
            wanted = [r for r in expected]
            suffix = ""
        else:
            wanted = ["gross_margin", "inference_cost_per_seat", "revenue_per_seat"]
            suffix = f"_{case.name}"
        for row in wanted:
            got = names.get(row + suffix)
            if got is None:
                problems.append(f"{row + suffix}: no such defined name")
                continue
            for t, (want, have) in enumerate(zip(expected[row], got, strict=True)):
                if not agree(want, have, scale_of(row, expected, t)):
                    problems.append(f"{row + suffix}[{t}]: model {want!r}, workbook {have!r}")
    grid = names.get("sensitivity_margin")
    if grid is not None:
        flat = [
            model.sensitivity_margin(scenario, f, r)
            for f in scenario.decline_factors
            for r in scenario.reasoning_multipliers
        ]
        for index, (want, have) in enumerate(zip(flat, grid, strict=True)):
            if not agree(want, have):
                problems.append(f"sensitivity_margin[{index}]: model {want!r}, workbook {have!r}")
    return problems
