"""Every example scenario and a set of scenarios written to SPEC edge cases, recalculated in
LibreOffice: named rows, case rows and the sensitivity grid equal the model; cached values
equal the recalculated ones; checks pass; no error values anywhere."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import openpyxl
import pytest
from agreement import agree, mismatches
from engine import name_values, recalc

from generator.scenario import Scenario, load, loads
from generator.workbook import build

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
EXAMPLES = sorted(SCENARIOS.glob("*.yaml"))
INJECTION = '=HYPERLINK("http://x","y")'


def _spec(**changes) -> dict:
    """A small valid scenario, with top-level keys replaced by `changes`."""
    spec = {
        "name": "Generated",
        "pricing": {"price_per_seat_month": 40},
        "usage": {
            "queries_per_seat_month": 300,
            "input_tokens_per_call": 6000,
            "output_tokens_per_call": 800,
        },
        "models": [{"name": "gpt-4o-mini"}],
    }
    spec.update(changes)
    return spec


FULL_USAGE = {
    "queries_per_seat_month": 250,
    "agent_calls_per_query": 6,
    "input_tokens_per_call": 5000,
    "output_tokens_per_call": 700,
    "reasoning_multiplier": 4,
    "annual_usage_growth": 0.3,
    "annual_token_growth": 0.1,
    "cache_hit_rate": 0.5,
    "batch_share": 0.2,
}
FULL_PRICING = {"price_per_seat_month": 60, "annual_price_change": -0.05, "payment_fee_rate": 0.03}
TWO_MODELS = [
    {"name": "gpt-4o", "share": 0.4, "cached_input_discount": 0.5},
    {
        "name": "frontier",
        "share": 0.6,
        "input_price": 3,
        "output_price": 15,
        "cached_input_discount": 0.9,
        "batch_discount": 0.5,
        "annual_decline_factor": 1.5,
        "floor_input_price": 0.5,
        "floor_output_price": 2,
    },
]
TWENTY_MODELS = [
    {
        "name": f"model-{i:02d}",
        "share": 0.05,
        "input_price": 0.1 * (i + 1),
        "output_price": 0.4 * (i + 1),
        "cached_input_discount": (i % 5) / 5,
        "batch_discount": (i % 3) / 4,
        **({"annual_decline_factor": 1 + i / 4} if i % 4 == 0 else {}),
        **({"floor_input_price": 0.05, "floor_output_price": 0.2} if i % 3 == 0 else {}),
    }
    for i in range(20)
]

# Scenarios nobody would write as an example, each aimed at a rule of SPEC sections 2-4.
GENERATED: dict[str, dict] = {
    "one_model_no_share": _spec(),
    "twenty_models": _spec(
        years=6,
        usage=FULL_USAGE,
        pricing=FULL_PRICING,
        models=TWENTY_MODELS,
        price_curve={
            "annual_decline_factor": 3,
            "floor_input_price": 0.02,
            "floor_output_price": 0.08,
        },
        seats={"start": 1000, "annual_growth": 0.5},
        cases={
            "bear": {
                "models": {
                    "model-00": {"share": 0.1},
                    "MODEL-01": {"share": 0.0},
                    "model-02": {"annual_decline_factor": 1.1},
                }
            },
            "c": {"price_curve": {"annual_decline_factor": [2, 1.5]}},
        },
    ),
    "thirty_years_short_list": _spec(
        years=30,
        usage=FULL_USAGE,
        pricing=FULL_PRICING,
        models=TWO_MODELS,
        price_curve={
            "annual_decline_factor": [10, 6, 4, 2],
            "floor_input_price": 0.01,
            "floor_output_price": 0.03,
        },
        seats={"start": 500, "annual_growth": 0.8},
        cases={
            "bull": {"price_curve": {"annual_decline_factor": 8}},
            "longer": {"price_curve": {"annual_decline_factor": [3] * 40}},
            "same": {"usage": {"cache_hit_rate": 0.9}},
        },
    ),
    "one_year": _spec(
        years=1,
        usage=FULL_USAGE,
        models=TWO_MODELS,
        seats={"start": 10},
        cases={"bear": {"usage": {"reasoning_multiplier": 20}, "seats": {"start": 5}}},
    ),
    "list_longer_than_horizon": _spec(
        years=3,
        models=TWO_MODELS,
        usage=FULL_USAGE,
        price_curve={"annual_decline_factor": [2, 3, 5, 7, 11, 13]},
        cases={"number": {"price_curve": {"annual_decline_factor": 2.5}}},
    ),
    "case_list_over_number": _spec(
        usage=FULL_USAGE,
        models=TWO_MODELS,
        price_curve={"annual_decline_factor": 4, "floor_output_price": 0.1},
        cases={
            "listy": {"price_curve": {"annual_decline_factor": [1.5, 3]}},
            "flat": {"price_curve": {"annual_decline_factor": 1}},
            "r1c1": {"usage": {"batch_share": 1}},
        },
    ),
    "case_number_over_list": _spec(
        years=7,
        usage=FULL_USAGE,
        models=TWO_MODELS,
        price_curve={"annual_decline_factor": [8, 4, 2]},
        cases={
            "fast": {"price_curve": {"annual_decline_factor": 10}},
            "slow": {"usage": {"reasoning_multiplier": 30}},
            "other_list": {"price_curve": {"annual_decline_factor": [1.2]}},
        },
    ),
    "case_model_fields_and_floors": _spec(
        usage=FULL_USAGE,
        pricing=FULL_PRICING,
        models=TWO_MODELS,
        price_curve={
            "annual_decline_factor": 6,
            "floor_input_price": 0.05,
            "floor_output_price": 0.2,
        },
        costs={"other_cogs_per_seat_month": 3, "annual_other_cogs_change": 0.05},
        cases={
            "models": {
                "models": {
                    "gpt-4o": {
                        "input_price": 2,
                        "output_price": 8,
                        "cached_input_discount": 0.75,
                        "batch_discount": 0.5,
                        "annual_decline_factor": 2,
                        "floor_input_price": 1,
                        "floor_output_price": 3,
                        "share": 0.9,
                    },
                    "Frontier": {"share": 0.1, "floor_input_price": 0, "floor_output_price": 0},
                }
            },
            "floors": {"price_curve": {"floor_input_price": 0.5, "floor_output_price": 5}},
            "target": {"target_gross_margin": 0.5, "costs": {"other_cogs_per_seat_month": 10}},
        },
    ),
    "seats_everything": _spec(
        usage=FULL_USAGE,
        pricing=FULL_PRICING,
        models=TWO_MODELS,
        seats={"start": 2500, "annual_growth": -0.2},
        cases={"growth": {"seats": {"annual_growth": 2}}, "small": {"seats": {"start": 0}}},
    ),
    "target_plus_fee_is_one": _spec(
        pricing={"price_per_seat_month": 40, "payment_fee_rate": 0.3},
        target_gross_margin=0.7,
        cases={
            "over": {"target_gross_margin": 0.9},
            "fine": {"pricing": {"payment_fee_rate": 0.1}},
        },
    ),
    "zero_usage": _spec(
        usage={
            "queries_per_seat_month": 0,
            "input_tokens_per_call": 0,
            "output_tokens_per_call": 0,
        },
        costs={"other_cogs_per_seat_month": 5},
        cases={
            "queries_only": {"usage": {"queries_per_seat_month": 50}},
            "tokens_only": {
                "usage": {"input_tokens_per_call": 1000, "output_tokens_per_call": 100}
            },
            "no_calls": {
                "usage": {
                    "queries_per_seat_month": 50,
                    "agent_calls_per_query": 0,
                    "input_tokens_per_call": 1000,
                }
            },
            "free": {
                "usage": {"queries_per_seat_month": 50, "input_tokens_per_call": 10},
                "models": {"gpt-4o-mini": {"input_price": 0, "output_price": 0}},
            },
        },
    ),
    "start_2000": _spec(start_year=2000, years=4, models=TWO_MODELS, sensitivity={"year": 2001}),
    "start_2100": _spec(
        start_year=2100,
        years=2,
        models=TWO_MODELS,
        seats={"start": 3},
        sensitivity={"year": 2100, "decline_factors": [2], "reasoning_multipliers": [1]},
    ),
    "price_erosion_30_years": _spec(
        years=30,
        pricing={
            "price_per_seat_month": 40,
            "annual_price_change": -0.99,
            "payment_fee_rate": 0.05,
        },
        costs={"other_cogs_per_seat_month": 1},
        seats={"start": 100, "annual_growth": 0.1},
        cases={"milder": {"pricing": {"annual_price_change": -0.5}}},
    ),
    "upper_bounds": _spec(
        years=30,
        pricing={"price_per_seat_month": 1e6, "annual_price_change": 10},
        usage={
            "queries_per_seat_month": 1e7,
            "agent_calls_per_query": 1e4,
            "input_tokens_per_call": 1e9,
            "output_tokens_per_call": 1e9,
            "reasoning_multiplier": 1000,
            "annual_usage_growth": 10,
            "annual_token_growth": 10,
            "cache_hit_rate": 1,
            "batch_share": 1,
        },
        models=[
            {
                "name": "max",
                "share": 1,
                "input_price": 1e4,
                "output_price": 1e4,
                "cached_input_discount": 1,
                "batch_discount": 1,
            }
        ],
        price_curve={
            "annual_decline_factor": 0.01,
            "floor_input_price": 1e4,
            "floor_output_price": 1e4,
        },
        costs={"other_cogs_per_seat_month": 1e6, "annual_other_cogs_change": 10},
        seats={"start": 1e9, "annual_growth": 10},
        cases={
            "fast": {
                "price_curve": {
                    "annual_decline_factor": 1000,
                    "floor_input_price": 0,
                    "floor_output_price": 0,
                }
            }
        },
        sensitivity={"decline_factors": [0.01, 1000], "reasoning_multipliers": [1, 1000]},
    ),
    "wide_sensitivity": _spec(
        years=8,
        usage=FULL_USAGE,
        models=TWO_MODELS,
        sensitivity={
            "year": 2030,
            "decline_factors": [0.5 + i for i in range(20)],
            "reasoning_multipliers": [1 + 2 * i for i in range(20)],
        },
    ),
    "injection": _spec(
        name=INJECTION,
        notes="=1+2\n@SUM(1)\n+cmd|' /C calc'!A0",
        models=[
            {"name": INJECTION, "share": 0.5, "input_price": 1, "output_price": 2},
            {"name": "-2+3", "share": 0.25, "input_price": 1, "output_price": 2},
            {"name": "@SUM(1)", "share": 0.25, "input_price": 1, "output_price": 2},
        ],
        cases={"bear": {"models": {INJECTION: {"share": 0.25}, "@sum(1)": {"share": 0.5}}}},
    ),
}


def generated(name: str) -> Scenario:
    """A GENERATED scenario, loaded as a file would be (JSON is YAML 1.2)."""
    return loads(json.dumps(GENERATED[name]).encode(), Path(f"{name}.yaml"))


def all_scenarios() -> dict[str, Scenario]:
    """Every example file and every generated scenario, by a unique id."""
    found = {path.stem: load(path) for path in EXAMPLES}
    found.update({f"generated_{name}": generated(name) for name in GENERATED})
    return found


SCENARIOS = all_scenarios()
IDS = list(SCENARIOS)


@cache
def built(key: str) -> bytes:
    """The workbook of SCENARIOS[key], built once for every module that reads it."""
    return build(SCENARIOS[key])


def recalc_all(paths: list[Path], outdir: Path, workers: int = 2) -> list[Path]:
    """recalc() in `workers` LibreOffice processes at once (each has its own profile): CI has
    two cores, and each process spends most of its time on one."""
    chunks = [paths[i::workers] for i in range(workers) if paths[i::workers]]
    with ThreadPoolExecutor(len(chunks)) as pool:
        done = list(pool.map(lambda chunk: recalc(chunk, outdir), chunks))
    by_name = {path.name: path for outputs in done for path in outputs}
    return [by_name[path.name] for path in paths]


@dataclass
class Run:
    scenario: Scenario
    built: Path  # as generated
    recalculated: Path  # after LibreOffice recalculated it


@pytest.fixture(scope="module")
def runs(libreoffice, tmp_path_factory) -> dict[str, Run]:
    """Build every workbook and recalculate them all in one LibreOffice call."""
    root = tmp_path_factory.mktemp("e2e")
    (root / "in").mkdir()
    paths = {}
    for key in IDS:
        paths[key] = root / "in" / f"{key}.xlsx"
        paths[key].write_bytes(built(key))
    outputs = recalc_all(list(paths.values()), root / "out")
    return {key: Run(SCENARIOS[key], paths[key], out) for key, out in zip(paths, outputs)}


@pytest.fixture(scope="module")
def names(runs) -> dict[str, dict[str, list]]:
    return {key: name_values(run.recalculated) for key, run in runs.items()}


def test_every_example_is_covered():
    assert EXAMPLES, "no example scenarios found"


@pytest.mark.parametrize("key", IDS)
def test_named_rows_case_rows_and_grid_equal_the_model(runs, names, key):
    assert mismatches(runs[key].scenario, names[key]) == []


@pytest.mark.parametrize("key", IDS)
def test_checks_pass_and_summary_shows_the_base_case(names, key):
    values = names[key]
    assert values["checks_ok"] == [True]
    assert values["active_case"] == ["base"]
    assert len(values["summary_gross_margin"]) == len(values["gross_margin"])
    for got, want in zip(values["summary_gross_margin"], values["gross_margin"], strict=True):
        assert agree(got, want)


@pytest.mark.parametrize(
    "key, name, years",
    [
        ("generated_target_plus_fee_is_one", "price_for_target_margin", range(5)),
        ("generated_zero_usage", "max_queries_at_target", range(5)),
        ("generated_price_erosion_30_years", "gross_margin", range(7, 30)),
    ],
)
def test_zero_denominators_show_n_a(names, key, name, years):
    """The scenarios aimed at n/a really reach it (their agreement with the model is above)."""
    values = names[key][name]
    assert [values[t] for t in years] == ["n/a"] * len(years)
    assert names[key]["checks_ok"] == [True]


def _kind(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


@pytest.mark.parametrize("key", IDS)
def test_cached_values_equal_recalculated_and_no_errors(runs, key):
    formulas = openpyxl.load_workbook(runs[key].built)
    cached = openpyxl.load_workbook(runs[key].built, data_only=True)
    engine = openpyxl.load_workbook(runs[key].recalculated, data_only=True)
    problems, count = [], 0
    for sheet in formulas.worksheets:
        for row in engine[sheet.title].iter_rows():
            for cell in row:
                if cell.data_type == "e":
                    problems.append(f"{sheet.title}!{cell.coordinate}: {cell.value}")
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                count += 1
                where = f"{sheet.title}!{cell.coordinate}"
                have = cached[sheet.title][cell.coordinate].value
                want = engine[sheet.title][cell.coordinate].value
                if have is None or _kind(have) != _kind(want) or not agree(have, want):
                    problems.append(
                        f"{where} ={cell.value[1:]}: cached {have!r}, LibreOffice {want!r}"
                    )
    assert count > 0
    assert problems == []


def test_text_that_looks_like_a_formula_survives_recalculation(runs):
    engine = openpyxl.load_workbook(runs["generated_injection"].recalculated)
    cells = [cell for sheet in engine.worksheets for row in sheet.iter_rows() for cell in row]
    texts = {cell.value for cell in cells if cell.data_type == "s"}
    assert {INJECTION, "@SUM(1)", "-2+3"} <= texts
    formulas = [cell.value for cell in cells if cell.data_type == "f"]
    assert [text for text in formulas if "HYPERLINK" in text or "SUM(1)" in text] == []
