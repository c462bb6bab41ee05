"""The workbook contract of SPEC section 4, read from the generated file without recalculating:
defined names and their shapes, input styling, cached values, portable formulas, text that
stays text, well-formed parts and byte-identical builds."""

from __future__ import annotations

import io
import math
import os
import re
import subprocess
import sys
import zipfile
from functools import cache
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import range_boundaries
from test_workbook_e2e import IDS, INJECTION, SCENARIOS, built, generated

from generator.scenario import Scenario
from generator.workbook import build

SCALARS = (
    ("price_per_seat_month", "pricing"),
    ("annual_price_change", "pricing"),
    ("payment_fee_rate", "pricing"),
    ("queries_per_seat_month", "usage"),
    ("agent_calls_per_query", "usage"),
    ("input_tokens_per_call", "usage"),
    ("output_tokens_per_call", "usage"),
    ("reasoning_multiplier", "usage"),
    ("annual_usage_growth", "usage"),
    ("annual_token_growth", "usage"),
    ("cache_hit_rate", "usage"),
    ("batch_share", "usage"),
    ("annual_decline_factor", "price_curve"),
    ("floor_input_price", "price_curve"),
    ("floor_output_price", "price_curve"),
    ("other_cogs_per_seat_month", "costs"),
    ("annual_other_cogs_change", "costs"),
    ("target_gross_margin", None),
)
SEAT_SCALARS = (("seats_start", "seats", "start"), ("annual_seat_growth", "seats", "annual_growth"))
MODEL_FIELDS = (
    ("model_share", "share"),
    ("model_input_price", "input_price"),
    ("model_output_price", "output_price"),
    ("model_cached_input_discount", "cached_input_discount"),
    ("model_batch_discount", "batch_discount"),
    ("model_decline_factor", "decline_factor"),
    ("model_floor_input_price", "floor_input_price"),
    ("model_floor_output_price", "floor_output_price"),
)
YEAR_ROWS = (
    "years",
    "cost_per_query",
    "queries_per_seat",
    "inference_cost_per_seat",
    "revenue_per_seat",
    "cogs_per_seat",
    "gross_profit_per_seat",
    "gross_margin",
    "price_for_target_margin",
    "max_queries_at_target",
)
SEAT_ROWS = ("seats", "annual_revenue", "annual_cogs", "annual_gross_profit")
CASE_ROWS = ("gross_margin", "inference_cost_per_seat", "revenue_per_seat")
NA_ROWS = {"gross_margin", "price_for_target_margin", "max_queries_at_target"}

# Functions Excel (without the _xlfn. prefix), LibreOffice and Google Sheets all share.
PORTABLE = {
    "ABS",
    "AND",
    "CHOOSE",
    "COLUMNS",
    "COUNT",
    "COUNTA",
    "COUNTIF",
    "HYPERLINK",
    "IF",
    "IFERROR",
    "INDEX",
    "INT",
    "ISERROR",
    "ISNUMBER",
    "MATCH",
    "MAX",
    "MIN",
    "NOT",
    "OR",
    "POWER",
    "PRODUCT",
    "ROUND",
    "ROWS",
    "SUM",
    "SUMPRODUCT",
}
NOT_INSIDE_SUMPRODUCT = {"IF", "MAX", "MIN"}
FUNCTION = re.compile(r"([A-Z][A-Z0-9.]*)\(")
STRING = re.compile(r'"(?:[^"]|"")*"')
ABSOLUTE = re.compile(
    r"^(?:'(?:[^']|'')+'|[A-Za-z0-9_]+)!\$[A-Z]{1,3}\$\d+(?::\$[A-Z]{1,3}\$\d+)?$"
)
INPUT_BLUE = "0000FF"  # RGB; openpyxl may prefix an alpha byte


@cache
def workbook(key: str, data_only: bool = False):
    return openpyxl.load_workbook(io.BytesIO(built(key)), data_only=data_only)


def expected_shapes(scenario: Scenario) -> dict[str, tuple[int, int]]:
    """Every defined name SPEC section 4 lists for this scenario, with (rows, columns)."""
    years, models = scenario.years, len(scenario.base.models)
    shapes = {name: (1, 1) for name, _section in SCALARS}
    shapes |= {
        "start_year": (1, 1),
        "sensitivity_year": (1, 1),
        "active_case": (1, 1),
        "checks_ok": (1, 1),
        "summary_gross_margin": (1, years),
        "curve_decline_factor": (1, years),
        "sensitivity_margin": (len(scenario.decline_factors), len(scenario.reasoning_multipliers)),
        "sensitivity_decline_factors": (len(scenario.decline_factors), 1),
        "sensitivity_reasoning_multipliers": (1, len(scenario.reasoning_multipliers)),
    }
    shapes |= {name: (models, 1) for name, _attr in MODEL_FIELDS}
    shapes |= {name: (1, years) for name in YEAR_ROWS}
    if scenario.base.seats is not None:
        shapes |= {name: (1, 1) for name, *_rest in SEAT_SCALARS}
        shapes |= {name: (1, years) for name in SEAT_ROWS}
    for case in scenario.cases[1:]:
        tag = f"_{case.name}"
        shapes |= {name + tag: (1, 1) for name, _section in SCALARS}
        if case.seats is not None:
            shapes |= {name + tag: (1, 1) for name, *_rest in SEAT_SCALARS}
        shapes |= {name + tag: (models, 1) for name, _attr in MODEL_FIELDS}
        shapes |= {name + tag: (1, years) for name in ("curve_decline_factor", *CASE_ROWS)}
    for case in scenario.cases:
        if isinstance(case.price_curve.annual_decline_factor, tuple):
            del shapes["annual_decline_factor" + _tag(case)]
    return shapes


def _tag(case) -> str:
    return "" if case.name == "base" else f"_{case.name}"


def _target(wb, name: str):
    """(sheet, min_col, min_row, max_col, max_row) of a workbook-scoped name."""
    ((sheet, ref),) = list(wb.defined_names[name].destinations)
    return (sheet, *range_boundaries(ref.replace("$", "")))


def _cells(wb, name: str) -> list:
    sheet, min_col, min_row, max_col, max_row = _target(wb, name)
    return [
        wb[sheet].cell(row=r, column=c)
        for r in range(min_row, max_row + 1)
        for c in range(min_col, max_col + 1)
    ]


def _formulas(wb) -> list[tuple[str, str]]:
    """(where, formula text) of every formula: cells, data validations, conditional formats
    and defined names."""
    found = []
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    found.append((f"{sheet.title}!{cell.coordinate}", cell.value[1:]))
        for rule in sheet.data_validations.dataValidation:
            found += [
                (f"{sheet.title} validation {rule.sqref}", text)
                for text in (rule.formula1, rule.formula2)
                if text
            ]
        for formatting in sheet.conditional_formatting:
            for rule in formatting.rules:
                found += [
                    (f"{sheet.title} format {formatting.sqref}", text)
                    for text in rule.formula or []
                ]
    found += [(f"name {name}", defined.attr_text) for name, defined in wb.defined_names.items()]
    return found


def _arguments(formula: str, start: int) -> str:
    """The text between the parenthesis at `start` and its match."""
    depth = 0
    for index in range(start, len(formula)):
        depth += {"(": 1, ")": -1}.get(formula[index], 0)
        if depth == 0:
            return formula[start + 1 : index]
    raise AssertionError(f"unbalanced parentheses in {formula}")


@pytest.mark.parametrize("key", IDS)
def test_every_spec_name_exists_workbook_scoped_with_its_shape(key):
    wb = workbook(key)
    shapes = expected_shapes(SCENARIOS[key])
    assert sorted(set(shapes) - set(wb.defined_names)) == []
    for name, shape in shapes.items():
        defined = wb.defined_names[name]
        assert defined.localSheetId is None, name
        assert ABSOLUTE.match(defined.attr_text), (name, defined.attr_text)
        _sheet, min_col, min_row, max_col, max_row = _target(wb, name)
        assert (max_row - min_row + 1, max_col - min_col + 1) == shape, name
    assert all(not sheet.defined_names for sheet in wb.worksheets)
    for name in wb.defined_names:  # a name that reads as a cell reference breaks formulas
        assert not re.fullmatch(r"[A-Za-z]{1,3}\d+|[RrCc]\d*|[Rr]\d*[Cc]\d*", name), name


@pytest.mark.parametrize("key", IDS)
def test_names_that_do_not_apply_are_absent(key):
    scenario, wb = SCENARIOS[key], workbook(key)
    for case in scenario.cases:
        if isinstance(case.price_curve.annual_decline_factor, tuple):
            assert "annual_decline_factor" + _tag(case) not in wb.defined_names
    if scenario.base.seats is None:
        present = {*SEAT_ROWS, "seats_start", "annual_seat_growth"} & set(wb.defined_names)
        assert present == set()


def _blue(cell) -> bool:
    color = cell.font.color
    return color is not None and isinstance(color.rgb, str) and color.rgb[-6:] == INPUT_BLUE


def _is_input(cell, value=None) -> bool:
    styled = _blue(cell)
    filled = cell.fill.fill_type == "solid"
    constant = cell.data_type != "f"
    return styled and filled and constant and (value is None or _same(cell.value, value))


def _same(stored, value) -> bool:
    """openpyxl writes numbers with 16 significant digits: 0.1 * 3 is stored as 0.3."""
    if isinstance(value, float) and isinstance(stored, (int, float)):
        return math.isclose(stored, value, rel_tol=1e-15)
    return stored == value


def _value(case, section: str | None, key: str):
    if section is None:
        return case.target_gross_margin
    return getattr(getattr(case, section), key)


def _points_at(wb, cell, target) -> bool:
    """`cell` is a formula that is nothing but a reference to the cell `target`, directly or
    through a defined name."""
    if cell.data_type != "f":
        return False
    text = cell.value[1:]
    if text in wb.defined_names:
        (found,) = _cells(wb, text)
    else:
        sheet, _, ref = text.rpartition("!")
        found = wb[sheet.strip("'") or cell.parent.title][ref.replace("$", "")]
    return (found.parent.title, found.coordinate) == (target.parent.title, target.coordinate)


@pytest.mark.parametrize("key", IDS)
def test_inputs_are_styled_inputs_and_inheriting_cells_point_at_what_they_inherit(key):
    scenario, wb = SCENARIOS[key], workbook(key)
    problems = []

    def expect(ok: bool, what: str) -> None:
        if not ok:
            problems.append(what)

    def one(name: str):
        (cell,) = _cells(wb, name)
        return cell

    scalars = [(name, section, name) for name, section in SCALARS]
    if scenario.base.seats is not None:
        scalars += list(SEAT_SCALARS)
    for case in scenario.cases:
        tag = _tag(case)
        for name, section, field in scalars:
            if name + tag not in wb.defined_names:
                continue
            cell = one(name + tag)
            path = (section, field) if section else ("target_gross_margin",)
            if not tag or path in case.overrides:
                expect(_is_input(cell, _value(case, section, field)), f"{name + tag}: input")
            else:
                expect(_points_at(wb, cell, one(name)), f"{name + tag}: ={name}")
        for name, attr in MODEL_FIELDS:
            base_cells = _cells(wb, name)
            for index, cell in enumerate(_cells(wb, name + tag)):
                value = getattr(case.models[index], attr)
                own = not tag or ("models", index, attr) in case.overrides
                where = f"{name + tag}[{index}]"
                if own and value is not None:
                    expect(_is_input(cell, value), f"{where}: input {value}")
                elif own and attr == "decline_factor":
                    expect(_is_input(cell, "curve"), f"{where}: input 'curve'")
                elif attr.startswith("floor_") and value is None:  # the case's curve floor
                    expect(_points_at(wb, cell, one(attr + tag)), f"{where}: ={attr + tag}")
                else:
                    expect(_points_at(wb, cell, base_cells[index]), f"{where}: ={name}")
        factor = case.price_curve.annual_decline_factor
        inherits = tag and ("price_curve", "annual_decline_factor") not in case.overrides
        curve, base_curve = (
            _cells(wb, "curve_decline_factor" + tag),
            _cells(wb, "curve_decline_factor"),
        )
        expect(curve[0].value == 1, f"curve_decline_factor{tag}[0] is 1")
        for t, cell in enumerate(curve[1:], start=1):
            where = f"curve_decline_factor{tag}[{t}]"
            if not isinstance(factor, tuple):
                target = one("annual_decline_factor" + tag)
                expect(_points_at(wb, cell, target), f"{where}: =annual_decline_factor{tag}")
            elif inherits:
                expect(_points_at(wb, cell, base_curve[t]), f"{where}: =the base curve")
            elif t <= len(factor):
                expect(_is_input(cell, factor[t - 1]), f"{where}: input {factor[t - 1]}")
            else:
                expect(_points_at(wb, cell, curve[t - 1]), f"{where}: =the year before")
    axes = (
        ("sensitivity_decline_factors", scenario.decline_factors),
        ("sensitivity_reasoning_multipliers", scenario.reasoning_multipliers),
    )
    for name, values in axes:
        for index, (cell, value) in enumerate(zip(_cells(wb, name), values, strict=True)):
            expect(_is_input(cell, value), f"{name}[{index}]: input")
    year = one("sensitivity_year")
    if scenario.sensitivity_year_given:
        expect(_is_input(year, scenario.sensitivity_year), "sensitivity_year: input")
    else:
        expect(year.data_type == "f", "sensitivity_year: a formula")
    expect(_is_input(one("start_year"), scenario.start_year), "start_year: input")
    expect(_is_input(one("active_case"), "base"), "active_case: input 'base'")
    assert problems == []


@pytest.mark.parametrize("key", IDS)
def test_formula_cells_are_not_styled_as_inputs(key):
    blue = [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in workbook(key).worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f" and _blue(cell)
    ]
    assert blue == []


@pytest.mark.parametrize("key", IDS)
def test_base_inputs_carry_data_validation(key):
    wb = workbook(key)
    unchecked = []
    for name, *_rest in (*SCALARS, *SEAT_SCALARS):
        if name not in wb.defined_names:
            continue
        (cell,) = _cells(wb, name)
        rules = cell.parent.data_validations.dataValidation
        if not any(cell.coordinate in rule.sqref for rule in rules):
            unchecked.append(name)
    assert unchecked == []


@pytest.mark.parametrize("key", IDS)
def test_every_formula_cell_carries_its_value(key):
    formulas, cached = workbook(key), workbook(key, data_only=True)
    empty = [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in formulas.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f" and cached[sheet.title][cell.coordinate].value is None
    ]
    assert empty == []


@pytest.mark.parametrize("key", IDS)
def test_pandas_reads_numbers_before_any_recalculation(key):
    scenario, wb = SCENARIOS[key], workbook(key)
    # pandas reads the text "n/a" as NaN unless told otherwise
    calc = pd.read_excel(
        io.BytesIO(built(key)), sheet_name="Calc", header=None, keep_default_na=False
    )
    rows = [*YEAR_ROWS, *(SEAT_ROWS if scenario.base.seats is not None else ())]
    for name in rows:
        sheet, min_col, min_row, max_col, _max_row = _target(wb, name)
        assert sheet == "Calc"
        values = calc.iloc[min_row - 1, min_col - 1 : max_col].tolist()
        allowed = (int, float) if name not in NA_ROWS else (int, float, str)
        numbers = [v for v in values if not isinstance(v, str)]
        assert all(isinstance(v, allowed) for v in values), (name, values)
        assert not [v for v in numbers if math.isnan(v)], (name, values)
        assert all(v == "n/a" for v in values if isinstance(v, str)), (name, values)


def lint(formula: str) -> list[str]:
    """What makes a formula unportable: unknown functions, _xlfn., array constants, and
    IF, MAX or MIN inside SUMPRODUCT."""
    code = STRING.sub('""', formula)  # text inside quotes is not code
    problems = [f"prefix {p}" for p in ("_xlfn.", "_xll.") if p in code]
    if "{" in code:
        problems.append("array constant")
    problems += [f"function {f}" for f in sorted(set(FUNCTION.findall(code)) - PORTABLE)]
    for match in re.finditer(r"SUMPRODUCT\(", code):
        nested = set(FUNCTION.findall(_arguments(code, match.end() - 1)))
        problems += [f"{f} inside SUMPRODUCT" for f in sorted(nested & NOT_INSIDE_SUMPRODUCT)]
    return problems


@pytest.mark.parametrize(
    "formula, problems",
    [
        ("SUMPRODUCT(model_share,C9:C10)*MAX(0,A1)", []),
        ('IF(A1>0,"LET(x) is text",1)', []),
        ("_xlfn.XLOOKUP(1,A1:A3,B1:B3)", ["prefix _xlfn.", "function XLOOKUP"]),
        ("LET(x,1,x)+LAMBDA(y,y)(1)", ["function LAMBDA", "function LET"]),
        ("SUM(SEQUENCE(3))", ["function SEQUENCE"]),
        ("SUMPRODUCT(IF(A1:A3>0,A1:A3,0),B1:B3)", ["IF inside SUMPRODUCT"]),
        ("SUMPRODUCT((MAX(A1:A3)-A1:A3)*B1:B3)", ["MAX inside SUMPRODUCT"]),
        ("SUM({1,2})", ["array constant"]),
    ],
)
def test_the_formula_lint_catches_what_it_forbids(formula, problems):
    assert lint(formula) == problems


@pytest.mark.parametrize("key", IDS)
def test_formulas_use_only_portable_functions(key):
    found = [(where, formula, lint(formula)) for where, formula in _formulas(workbook(key))]
    assert len(found) > 100
    assert [item for item in found if item[2]] == []


@pytest.mark.parametrize("key", IDS)
def test_parts_are_well_formed_without_array_formulas_or_data_tables(key):
    with zipfile.ZipFile(io.BytesIO(built(key))) as archive:
        for info in archive.infolist():
            data = archive.read(info)
            if info.filename.endswith((".xml", ".rels")):
                ElementTree.fromstring(data)  # also refuses an undeclared namespace prefix
            if info.filename.startswith("xl/worksheets/"):
                assert not re.search(rb'<f\b[^>]*\bt="(?:array|dataTable)"', data), info.filename
                assert b"_xlfn." not in data
        assert b'fullCalcOnLoad="1"' in archive.read("xl/workbook.xml")


@pytest.mark.parametrize("key", ["coding_agent", "generated_thirty_years_short_list"])
def test_two_builds_give_identical_bytes(key):
    assert build(SCENARIOS[key]) == built(key)


def test_builds_in_other_processes_give_identical_bytes(tmp_path):
    """Hash seeds differ between processes; set and dict order must not reach the file."""
    path = Path(__file__).resolve().parent.parent / "scenarios" / "coding_agent.yaml"
    script = (
        "import sys; from generator.scenario import load; "
        "from generator.workbook import build; "
        "sys.stdout.buffer.write(build(load(sys.argv[1])))"
    )
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script, str(path)],
            env=env,
            capture_output=True,
            check=True,
            timeout=120,
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] == built("coding_agent")


def test_scenario_text_is_stored_as_text_never_as_a_formula():
    scenario = generated("injection")
    wb = openpyxl.load_workbook(io.BytesIO(build(scenario)))
    cells = [cell for sheet in wb.worksheets for row in sheet.iter_rows() for cell in row]
    shown = [cell for cell in cells if cell.value == INJECTION]
    assert len(shown) >= 2  # the scenario name and the model name at least
    assert all(cell.data_type == "s" for cell in shown)
    assert all(cell.quotePrefix for cell in shown)
    assert [c.value for c in cells if c.data_type == "s" and c.value == "@SUM(1)"]
    assert [c.value for c in cells if c.data_type == "s" and c.value == "-2+3"]
    assert not [
        c for c in cells if c.data_type == "f" and ("HYPERLINK" in c.value or "SUM(1)" in c.value)
    ]
