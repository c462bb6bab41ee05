"""Tests of the Summary sheet (active case, case table, charts) and the Notes sheet."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from agreement import agree
from engine import name_values, read_values, recalc, set_cells
from openpyxl.utils import get_column_letter

from generator import __version__, model
from generator.scenario import Scenario, loads
from generator.workbook import build
from generator.workbook.summary import FIRST_COL, layout

HYPERLINK = '=HYPERLINK("http://x","y")'
SCENARIO = f"""\
name: '{HYPERLINK}'
years: 4
pricing:
  price_per_seat_month: 30
  annual_price_change: -0.05
usage:
  queries_per_seat_month: 400
  agent_calls_per_query: 3
  input_tokens_per_call: 4000
  output_tokens_per_call: 500
  reasoning_multiplier: 2
  annual_usage_growth: 0.3
models:
  - name: gpt-4o-mini
    share: 0.8
  - name: frontier
    share: 0.2
    input_price: 3
    output_price: 15
price_curve:
  annual_decline_factor: [3, 2, 2, 1.5, 1.5]
costs:
  other_cogs_per_seat_month: 1.5
cases:
  bear:
    usage: {{reasoning_multiplier: 20}}
    price_curve: {{annual_decline_factor: 1.2}}
  bull:
    price_curve: {{annual_decline_factor: 10}}
    target_gross_margin: 0.8
notes: |
  {HYPERLINK}
  Seat price from the pricing page.
"""


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return loads(SCENARIO.encode(), Path("acme.yaml"))


@pytest.fixture(scope="module")
def workbook_path(scenario, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("summary") / "acme.xlsx"
    path.write_bytes(build(scenario))
    return path


@pytest.fixture(scope="module")
def cached(workbook_path):
    workbook = openpyxl.load_workbook(workbook_path, data_only=True)
    yield workbook
    workbook.close()


@pytest.fixture(scope="module")
def formulas(workbook_path):
    workbook = openpyxl.load_workbook(workbook_path)
    yield workbook
    workbook.close()


def _row(sheet, row: int, first: int, count: int) -> list:
    return [sheet.cell(row=row, column=first + i).value for i in range(count)]


def _all_agree(want: list, have: list) -> bool:
    return len(want) == len(have) and all(agree(w, h) for w, h in zip(want, have))


def test_summary_is_the_first_sheet_and_starts_at_base(formulas):
    assert formulas.sheetnames[0] == "Summary"
    sheet, ref = next(iter(formulas.defined_names["active_case"].destinations))
    assert sheet == "Summary"
    assert formulas[sheet][ref].value == "base"


def test_summary_gross_margin_is_the_base_case(scenario, workbook_path):
    names = name_values(workbook_path)
    want = model.rows(scenario, "base")["gross_margin"]
    assert _all_agree(want, names["summary_gross_margin"])
    assert names["checks_ok"] == [True]


def test_headline_formula_is_one_formula_across_the_row(scenario, formulas):
    places = layout(scenario)
    texts = _row(formulas["Summary"], places.headline["gross_margin"], FIRST_COL, scenario.years)
    assert all(t.startswith("=IF(ISERROR(MATCH(active_case,") for t in texts)
    # the same formula in every year: only the relative end of COLUMNS($C$7:C7) moves
    ends = [re.search(r"COLUMNS\(\$C\$\d+:([A-Z]+)\d+\)", t).group(1) for t in texts]
    assert ends == [get_column_letter(FIRST_COL + i) for i in range(scenario.years)]
    assert len({re.sub(r"(COLUMNS\(\$C\$\d+:)[A-Z]+", r"\1#", t) for t in texts}) == 1


def test_case_table_shows_every_case(scenario, cached):
    places = layout(scenario)
    sheet = cached["Summary"]
    rows = places.case_rows("gross_margin")
    assert [sheet.cell(row=r, column=1).value for r in rows] == ["base", "bear", "bull"]
    for row, case in zip(rows, scenario.cases):
        margins = model.rows(scenario, case.name)["gross_margin"]
        assert _all_agree(margins, _row(sheet, row, FIRST_COL, scenario.years))
        first = sheet.cell(row=row, column=places.first_year_col).value
        assert first == model.first_year_at_target(scenario, case.name)
        status = sheet.cell(row=row, column=places.status_col).value
        meets = margins[-1] >= case.target_gross_margin
        assert status == ("meets target" if meets else "below target")
    # bear never reaches the target; the others do
    assert sheet.cell(row=rows[1], column=places.first_year_col).value == "never"


def test_dropdown_lists_the_case_names(scenario, formulas):
    places = layout(scenario)
    sheet = formulas["Summary"]
    (validation,) = sheet.data_validations.dataValidation
    rows = places.case_rows("gross_margin")
    assert validation.type == "list"
    assert validation.formula1 == f"$A${rows[0]}:$A${rows[-1]}"
    _sheet, ref = next(iter(formulas.defined_names["active_case"].destinations))
    assert ref.replace("$", "") in str(validation.sqref)


def test_charts_exist(scenario, formulas):
    charts = formulas["Summary"]._charts
    assert len(charts) == 2
    assert len(charts[0].series) == len(scenario.cases)
    assert all(not chart.x_axis.delete and not chart.y_axis.delete for chart in charts)


def test_scenario_text_stays_text(formulas):
    name = formulas["Summary"]["B2"]
    assert (name.value, name.data_type) == (HYPERLINK, "s")
    notes = [c for c in formulas["Notes"]["A"] if c.value == HYPERLINK]
    assert notes and all(c.data_type == "s" for c in notes)
    every_cell = [c for row in formulas["Notes"].iter_rows() for c in row if c.value]
    assert all(c.data_type == "s" for c in every_cell)


def test_notes_state_prices_sources_and_provenance(scenario, cached):
    text = "\n".join(str(c.value) for c in cached["Notes"]["A"] if c.value)
    entry = scenario.base.models[0].catalog_entry
    assert entry.source in text and entry.price_date in text
    assert "frontier: 20% of calls; 3.00 input / 15.00 output USD per Mtok" in text
    assert scenario.sha256 in text
    assert "acme.yaml" in text
    assert f"unitecon {__version__}" in text
    assert "LLMflation" in text and "AI Inference Cost Reduction in 2026" in text
    assert "lists 5 decline factors" in text and "the last 2 are ignored" in text
    assert "target_gross_margin = 0.7" in text  # a default the file left out
    assert "Seat price from the pricing page." in text


def test_notes_are_deterministic(scenario):
    assert build(scenario) == build(scenario)


def test_active_case_follows_the_dropdown_after_recalculation(
    libreoffice, scenario, workbook_path, tmp_path
):
    edited = {}
    for case in ("bear", "nobody"):
        edited[case] = tmp_path / "edited" / f"{case}.xlsx"
        edited[case].parent.mkdir(exist_ok=True)
        set_cells(workbook_path, edited[case], {"active_case": case})
    base, bear, nobody = recalc([workbook_path, edited["bear"], edited["nobody"]], tmp_path / "out")

    names = name_values(base)
    assert _all_agree(model.rows(scenario, "base")["gross_margin"], names["summary_gross_margin"])

    names = name_values(bear)
    assert names["active_case"] == ["bear"]
    assert _all_agree(names["gross_margin_bear"], names["summary_gross_margin"])
    assert _all_agree(model.rows(scenario, "bear")["gross_margin"], names["summary_gross_margin"])
    places = layout(scenario)
    summary = read_values(bear)["Summary"]
    first = get_column_letter(FIRST_COL)
    assert summary[f"{first}{places.first_year_row}"] == "never"
    assert names["checks_ok"] == [True]

    names = name_values(nobody)
    assert names["summary_gross_margin"] == ["n/a"] * scenario.years
    summary = read_values(nobody)["Summary"]
    for row in [
        *places.headline.values(),
        places.target_row,
        places.first_year_row,
        places.status_row,
    ]:
        count = scenario.years if row in places.headline.values() else 1
        cells = [summary.get(f"{get_column_letter(FIRST_COL + i)}{row}") for i in range(count)]
        assert cells == ["n/a"] * count, row
    errors = [v for v in summary.values() if isinstance(v, str) and v.startswith("#")]
    assert errors == []
