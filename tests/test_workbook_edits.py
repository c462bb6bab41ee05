"""Edit named inputs of generated workbooks, recalculate in LibreOffice, and compare with the
model run on the same change; broken inputs turn `checks_ok` FALSE."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from agreement import agree, mismatches
from engine import name_values, read_names, set_cells
from openpyxl.utils import get_column_letter, range_boundaries
from test_workbook_e2e import recalc_all

from generator.scenario import Scenario, loads
from generator.workbook import build

EDITABLE = b"""
name: Edit target
start_year: 2026
years: 5
pricing: {price_per_seat_month: 50, annual_price_change: -0.05, payment_fee_rate: 0.03}
usage:
  queries_per_seat_month: 200
  agent_calls_per_query: 5
  input_tokens_per_call: 4000
  output_tokens_per_call: 600
  reasoning_multiplier: 3
  annual_usage_growth: 0.2
  annual_token_growth: 0.1
  cache_hit_rate: 0.5
  batch_share: 0.1
models:
  - {name: gpt-4o, share: 0.5, cached_input_discount: 0.5}
  - {name: frontier, share: 0.5, input_price: 3, output_price: 15, batch_discount: 0.5,
     floor_input_price: 0.3}
price_curve: {annual_decline_factor: 4, floor_input_price: 0.05, floor_output_price: 0.2}
costs: {other_cogs_per_seat_month: 2}
seats: {start: 400, annual_growth: 0.5}
cases:
  bear:
    usage: {reasoning_multiplier: 10}
    price_curve: {annual_decline_factor: [2, 1.5]}
  bull:
    models: {gpt-4o: {share: 0.3}, frontier: {share: 0.7, annual_decline_factor: 6}}
sensitivity: {year: 2028, decline_factors: [1, 2, 4, 8], reasoning_multipliers: [1, 5, 20]}
"""

LIST_CURVE = b"""
name: List curve
years: 6
pricing: {price_per_seat_month: 30}
usage: {queries_per_seat_month: 400, input_tokens_per_call: 3000, output_tokens_per_call: 500,
        reasoning_multiplier: 5}
models:
  - {name: gpt-4o-mini, share: 0.6}
  - {name: deepseek-v3, share: 0.4, annual_decline_factor: 2}
price_curve: {annual_decline_factor: [6, 3, 2], floor_output_price: 0.1}
cases:
  fast: {price_curve: {annual_decline_factor: 10}}
  same: {usage: {batch_share: 0.5}}
"""

SOURCES = {"editable": EDITABLE, "list_curve": LIST_CURVE}

Change = Callable[[Scenario], Scenario]


def _set(case, path: tuple[str, ...], value):
    if path == ("target_gross_margin",):
        return replace(case, target_gross_margin=value)
    section, key = path
    return replace(case, **{section: getattr(case, section).model_copy(update={key: value})})


def base_input(section: str, key: str, value) -> Change:
    """A base input changed: the base and every case that does not override it move."""
    path = (section, key) if key else (section,)

    def change(scenario: Scenario) -> Scenario:
        return replace(
            scenario,
            cases=tuple(
                _set(case, path, value)
                if case.name == "base" or path not in case.overrides
                else case
                for case in scenario.cases
            ),
        )

    return change


def case_input(name: str, section: str, key: str, value) -> Change:
    """One case's input changed; nothing else moves."""
    return lambda scenario: replace(
        scenario,
        cases=tuple(
            _set(case, (section, key), value) if case.name == name else case
            for case in scenario.cases
        ),
    )


def model_input(index: int, attr: str, value, *, cases_follow: bool = True) -> Change:
    """A base model's field changed; cases that do not override it follow when they link to
    the base cell (`cases_follow`)."""

    def change(scenario: Scenario) -> Scenario:
        cases = []
        for case in scenario.cases:
            follows = cases_follow and ("models", index, attr) not in case.overrides
            if case.name == "base" or follows:
                models = list(case.models)
                models[index] = replace(models[index], **{attr: value})
                case = replace(case, models=tuple(models))
            cases.append(case)
        return replace(scenario, cases=tuple(cases))

    return change


def both(*changes: Change) -> Change:
    def change(scenario: Scenario) -> Scenario:
        for one in changes:
            scenario = one(scenario)
        return scenario

    return change


def nth(names: dict[str, tuple[str, str]], name: str, index: int) -> str:
    """'Sheet!A1' of the index-th cell of a row or column name."""
    sheet, ref = names[name]
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    if min_col == max_col:
        row, column = min_row + index, min_col
        assert row <= max_row, f"{name} has no cell {index}"
    else:
        row, column = min_row, min_col + index
        assert column <= max_col, f"{name} has no cell {index}"
    return f"{sheet}!{get_column_letter(column)}{row}"


@dataclass(frozen=True)
class Edit:
    source: str  # key of SOURCES
    cells: Callable[[dict], dict]  # defined names -> {name or Sheet!A1: value}
    change: Change | None  # the same edit on the scenario; None: an invalid input


EDITS = {
    "unchanged": Edit("editable", lambda n: {}, lambda s: s),
    "seat_price": Edit(
        "editable",
        lambda n: {"price_per_seat_month": 75},
        base_input("pricing", "price_per_seat_month", 75.0),
    ),
    "reasoning_multiplier": Edit(
        "editable",
        lambda n: {"reasoning_multiplier": 12},
        base_input("usage", "reasoning_multiplier", 12.0),
    ),
    "cache_hit_rate": Edit(
        "editable", lambda n: {"cache_hit_rate": 0.9}, base_input("usage", "cache_hit_rate", 0.9)
    ),
    "decline_factor": Edit(
        "editable",
        lambda n: {"annual_decline_factor": 7},
        base_input("price_curve", "annual_decline_factor", 7.0),
    ),
    "curve_floor": Edit(
        "editable",
        lambda n: {"floor_output_price": 0.5},
        base_input("price_curve", "floor_output_price", 0.5),
    ),
    "target_margin": Edit(
        "editable",
        lambda n: {"target_gross_margin": 0.8},
        base_input("target_gross_margin", "", 0.8),
    ),
    "fee_makes_target_unreachable": Edit(
        "editable",
        lambda n: {"payment_fee_rate": 0.3},
        base_input("pricing", "payment_fee_rate", 0.3),
    ),
    "seats_start": Edit(
        "editable", lambda n: {"seats_start": 1000}, base_input("seats", "start", 1000.0)
    ),
    "model_input_price": Edit(
        "editable",
        lambda n: {nth(n, "model_input_price", 1): 5},
        model_input(1, "input_price", 5.0),
    ),
    "model_shares": Edit(
        "editable",
        lambda n: {nth(n, "model_share", 0): 0.2, nth(n, "model_share", 1): 0.8},
        both(model_input(0, "share", 0.2), model_input(1, "share", 0.8)),
    ),
    "model_decline_factor": Edit(
        "editable",
        lambda n: {nth(n, "model_decline_factor", 0): 2},
        model_input(0, "decline_factor", 2.0),
    ),
    # a model without its own floor follows its case's curve floor, not the base model cell
    "model_floor": Edit(
        "editable",
        lambda n: {nth(n, "model_floor_output_price", 0): 1},
        model_input(0, "floor_output_price", 1.0, cases_follow=False),
    ),
    "case_override": Edit(
        "editable",
        lambda n: {"reasoning_multiplier_bear": 33},
        case_input("bear", "usage", "reasoning_multiplier", 33.0),
    ),
    "case_inherited_cell": Edit(
        "editable",
        lambda n: {"cache_hit_rate_bull": 0.2},
        case_input("bull", "usage", "cache_hit_rate", 0.2),
    ),
    "base_input_cases_inherit": Edit(
        "editable",
        lambda n: {"input_tokens_per_call": 9000},
        base_input("usage", "input_tokens_per_call", 9000.0),
    ),
    "case_list_entry": Edit(
        "editable",
        lambda n: {nth(n, "curve_decline_factor_bear", 2): 3},
        case_input("bear", "price_curve", "annual_decline_factor", (2.0, 3.0)),
    ),
    "case_list_past_its_end": Edit(
        "editable",
        lambda n: {nth(n, "curve_decline_factor_bear", 4): 5},
        case_input("bear", "price_curve", "annual_decline_factor", (2.0, 1.5, 1.5, 5.0)),
    ),
    "sensitivity_axes_and_year": Edit(
        "editable",
        lambda n: {
            nth(n, "sensitivity_decline_factors", 1): 3,
            nth(n, "sensitivity_reasoning_multipliers", 2): 50,
            "sensitivity_year": 2030,
        },
        lambda s: replace(
            s,
            decline_factors=(1.0, 3.0, 4.0, 8.0),
            reasoning_multipliers=(1.0, 5.0, 50.0),
            sensitivity_year=2030,
        ),
    ),
    "list_entry": Edit(
        "list_curve",
        lambda n: {nth(n, "curve_decline_factor", 2): 5},
        base_input("price_curve", "annual_decline_factor", (6.0, 5.0, 2.0)),
    ),
    "list_past_its_end": Edit(
        "list_curve",
        lambda n: {nth(n, "curve_decline_factor", 5): 1.5},
        base_input("price_curve", "annual_decline_factor", (6.0, 3.0, 2.0, 2.0, 1.5)),
    ),
    "sensitivity_year_by_default": Edit(
        "list_curve",
        lambda n: {"sensitivity_year": 2027},
        lambda s: replace(s, sensitivity_year=2027),
    ),
    "active_case": Edit("editable", lambda n: {"active_case": "bear"}, lambda s: s),
    "unknown_active_case": Edit("editable", lambda n: {"active_case": "nobody"}, lambda s: s),
}

BROKEN = {
    "cache_hit_rate_above_one": lambda n: {"cache_hit_rate": 1.2},
    "shares_not_summing_to_one": lambda n: {nth(n, "model_share", 0): 0.9},
    "case_shares_not_summing_to_one": lambda n: {nth(n, "model_share_bull", 1): 0.6},
    "decline_factor_zero": lambda n: {"annual_decline_factor": 0},
    "case_list_entry_zero": lambda n: {nth(n, "curve_decline_factor_bear", 1): 0},
    "model_decline_factor_text": lambda n: {nth(n, "model_decline_factor", 0): "fast"},
    "text_for_a_number": lambda n: {"reasoning_multiplier": "abc"},
    "negative_seat_price": lambda n: {"price_per_seat_month": -5},
    "sensitivity_factor_zero": lambda n: {nth(n, "sensitivity_decline_factors", 0): 0},
    "sensitivity_year_outside": lambda n: {"sensitivity_year": 2040},
}


@dataclass
class Runs:
    scenarios: dict[str, Scenario]
    originals: dict[str, dict[str, list]]  # source -> recalculated names, unedited
    edited: dict[str, dict[str, list]]  # edit id -> recalculated names


@pytest.fixture(scope="module")
def runs(libreoffice, tmp_path_factory) -> Runs:
    """Every edit in its own file; all of them recalculated in one LibreOffice call."""
    root = tmp_path_factory.mktemp("edits")
    (root / "in").mkdir()
    scenarios, names, paths = {}, {}, {}
    for key, raw in SOURCES.items():
        scenarios[key] = loads(raw, Path(f"{key}.yaml"))
        paths[f"original_{key}"] = root / f"{key}.xlsx"
        paths[f"original_{key}"].write_bytes(build(scenarios[key]))
        names[key] = read_names(paths[f"original_{key}"])
    edits = {key: (edit.source, edit.cells) for key, edit in EDITS.items()}
    edits |= {f"broken_{key}": ("editable", cells) for key, cells in BROKEN.items()}
    for key, (source, cells) in edits.items():
        paths[key] = root / "in" / f"{key}.xlsx"
        set_cells(root / f"{source}.xlsx", paths[key], cells(names[source]))
    outputs = dict(zip(paths, recalc_all(list(paths.values()), root / "out")))
    values = {key: name_values(path) for key, path in outputs.items()}
    return Runs(scenarios, {key: values[f"original_{key}"] for key in SOURCES}, values)


@pytest.mark.parametrize("key", list(EDITS))
def test_edit_recalculates_to_the_model_on_the_same_change(runs, key):
    edit = EDITS[key]
    expected = edit.change(runs.scenarios[edit.source])
    got = runs.edited[key]
    assert mismatches(expected, got) == []
    assert got["checks_ok"] == [True]
    if key not in ("unchanged", "active_case", "unknown_active_case"):
        assert got != runs.originals[edit.source], "the edit moved nothing"


def _moved(runs: Runs, key: str, name: str) -> bool:
    before = runs.originals[EDITS[key].source][name]
    return not all(agree(a, b) for a, b in zip(before, runs.edited[key][name], strict=True))


def test_a_case_follows_the_base_input_it_does_not_override(runs):
    for name in (
        "gross_margin",
        "gross_margin_bear",
        "gross_margin_bull",
        "inference_cost_per_seat_bear",
        "inference_cost_per_seat_bull",
    ):
        assert _moved(runs, "base_input_cases_inherit", name), name


def test_a_case_keeps_its_own_override_when_the_base_changes(runs):
    assert _moved(runs, "reasoning_multiplier", "gross_margin")
    assert _moved(runs, "reasoning_multiplier", "gross_margin_bull")
    assert not _moved(runs, "reasoning_multiplier", "gross_margin_bear")
    assert not _moved(runs, "decline_factor", "gross_margin_bear")  # its curve is a list
    assert _moved(runs, "decline_factor", "gross_margin_bull")


def test_a_case_edit_moves_only_that_case(runs):
    assert _moved(runs, "case_override", "gross_margin_bear")
    assert not _moved(runs, "case_override", "gross_margin")
    assert not _moved(runs, "case_override", "gross_margin_bull")
    assert not _moved(runs, "case_inherited_cell", "gross_margin")


def test_a_base_list_entry_moves_cases_that_inherit_the_list(runs):
    assert _moved(runs, "list_entry", "gross_margin")
    assert _moved(runs, "list_entry", "gross_margin_same")
    assert not _moved(runs, "list_entry", "gross_margin_fast")


def test_unreachable_target_shows_n_a(runs):
    assert runs.edited["fee_makes_target_unreachable"]["price_for_target_margin"] == ["n/a"] * 5


def test_active_case_drives_the_summary(runs):
    chosen = runs.edited["active_case"]
    assert chosen["summary_gross_margin"] == chosen["gross_margin_bear"]
    assert runs.edited["unknown_active_case"]["summary_gross_margin"] == ["n/a"] * 5


@pytest.mark.parametrize("key", list(BROKEN))
def test_a_broken_input_turns_checks_false(runs, key):
    assert runs.originals["editable"]["checks_ok"] == [True]
    assert runs.edited[f"broken_{key}"]["checks_ok"] == [False]
