"""Tests for the portfolio workbook: rows, calendar alignment, links, failures, a snapshot."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest
from engine import read_values, recalc

from generator import api, portfolio

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
HOSTILE = '=HYPERLINK("http://x","y")'
HEADERS = 5
# openpyxl writes numbers with 16 significant digits, so a snapshot may differ in the last one.
DIGITS = 1e-15


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[api.Outcome]]:
    """Every example, a hostile name, a file name starting with '=' and a broken file."""
    folder = tmp_path_factory.mktemp("in")
    for source in SCENARIOS.glob("*.yaml"):
        shutil.copyfile(source, folder / source.name)
    text = (SCENARIOS / "support_bot.yaml").read_text()
    hostile = re.sub(r"(?m)^name: .*$", f"name: '{HOSTILE}'", text)
    assert hostile != text
    (folder / "hostile.yaml").write_text(hostile)
    (folder / "=sum(1).yaml").write_text(text)
    (folder / "two words.yaml").write_text(text)
    (folder / "broken.yaml").write_text("name: broken\nyears: 0\n")
    out = tmp_path_factory.mktemp("out")
    outcomes = list(api.batch(api.scenario_files(folder), out, jobs=2, root=folder))
    api.write_portfolio(outcomes, out, root=folder)
    return folder, out, outcomes


def table(path: Path) -> tuple[list, list[list]]:
    """(header row, data rows up to the first empty row) of the Portfolio sheet."""
    sheet = openpyxl.load_workbook(path)[portfolio.SHEET]
    rows = list(sheet.iter_rows(min_row=HEADERS))
    data = []
    for row in rows[1:]:
        if row[0].value is None:
            break
        data.append(row)
    return rows[0], data


def test_one_row_per_scenario_sorted_by_file(generated) -> None:
    _, out, outcomes = generated
    header, rows = table(out / "portfolio.xlsx")

    done = sorted((o for o in outcomes if o.ok), key=lambda o: o.source.name)
    assert [row[1].value for row in rows] == [o.source.name for o in done]
    assert [row[0].value for row in rows] == [o.name for o in done]
    assert header[0].value == "Scenario"


def test_margins_line_up_on_calendar_years(generated) -> None:
    _, out, outcomes = generated
    header, rows = table(out / "portfolio.xlsx")
    columns = {cell.value: cell.column - 1 for cell in header if isinstance(cell.value, int)}
    by_file = {row[1].value: row for row in rows}

    assert min(columns) == 2023 and max(columns) == 2030  # copilot_2023 starts earlier
    for outcome in (o for o in outcomes if o.ok):
        row = by_file[outcome.source.name]
        margins = dict(zip(outcome.years, dict(outcome.margins)["base"], strict=True))
        for year, column in columns.items():
            expected = margins.get(year)  # None: the scenario has no such year
            assert row[column].value == (expected and pytest.approx(expected, rel=DIGITS))


def test_worst_case_first_year_and_inference_share(generated) -> None:
    _, out, outcomes = generated
    header, rows = table(out / "portfolio.xlsx")
    titles = [cell.value for cell in header]
    (coding,) = [row for row in rows if row[1].value == "coding_agent.yaml"]
    outcome = next(o for o in outcomes if o.source.name == "coding_agent.yaml")

    def value(title: str):
        return coding[titles.index(title)].value

    worst_case, worst_margin = outcome.details["worst_case"]
    assert value("Worst case (last year)") == worst_case
    assert value("Worst-case margin (last year)") == pytest.approx(worst_margin, rel=DIGITS)
    assert worst_margin == min(m[-1] for _, m in outcome.margins)
    assert value("First year at target") == dict(outcome.first_at_target)["base"]
    assert value("Inference cost / revenue (last year)") == pytest.approx(
        outcome.details["inference_share_last_year"], rel=DIGITS
    )
    assert value("Seat price / month") == 100
    assert value("Target margin") == 0.7


def test_scenario_text_stays_text(generated) -> None:
    _, out, _ = generated
    _, rows = table(out / "portfolio.xlsx")
    (hostile,) = [row for row in rows if row[1].value == "hostile.yaml"]
    (equals,) = [row for row in rows if row[1].value == "=sum(1).yaml"]

    assert hostile[0].value == HOSTILE and hostile[0].data_type == "s"
    assert equals[1].data_type == "s" and equals[2].value == "=sum(1).xlsx"
    with zipfile.ZipFile(out / "portfolio.xlsx") as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any(re.search(rb"<f\b", archive.read(name)) for name in sheets)


def test_links_are_cell_hyperlinks_to_existing_workbooks(generated) -> None:
    _, out, outcomes = generated
    _, rows = table(out / "portfolio.xlsx")

    assert len(rows) == sum(o.ok for o in outcomes)
    for row in rows:
        link = row[2].hyperlink
        assert link is not None and not link.target.startswith(("/", "file:"))
        assert (out / unquote(link.target)).is_file()
        assert Path(unquote(link.target)).stem == Path(row[1].value).stem
    (spaced,) = [row for row in rows if row[1].value == "two words.yaml"]
    assert spaced[2].hyperlink.target == "two%20words.xlsx"


def test_failed_files_get_a_row_saying_why(generated) -> None:
    _, out, outcomes = generated
    sheet = openpyxl.load_workbook(out / "portfolio.xlsx")[portfolio.SHEET]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    (failed,) = [row for row in rows if row[0] == "not generated"]
    error = next(o.error for o in outcomes if not o.ok)

    assert failed[1] == "broken.yaml"
    assert failed[2].startswith(error.splitlines()[0])
    assert f"(+{len(error.splitlines()) - 1} more)" in failed[2]
    assert ["Files not generated"] == [row[0] for row in rows if row[0] == "Files not generated"]


def test_states_it_is_a_snapshot(generated) -> None:
    _, out, _ = generated
    sheet = openpyxl.load_workbook(out / "portfolio.xlsx")[portfolio.SHEET]

    assert "snapshot" in sheet["A2"].value and "live" in sheet["A2"].value


def test_margins_are_formatted_against_each_rows_target(generated) -> None:
    _, out, _ = generated
    sheet = openpyxl.load_workbook(out / "portfolio.xlsx")[portfolio.SHEET]
    formulas = [rule.formula[0] for cf in sheet.conditional_formatting for rule in cf.rules]

    assert formulas and all("$F6" in formula for formula in formulas)
    assert any(">=$F6" in formula for formula in formulas)
    assert any("<$F6" in formula for formula in formulas)


def test_chart_has_a_line_per_scenario(generated) -> None:
    _, out, outcomes = generated
    with zipfile.ZipFile(out / "portfolio.xlsx") as archive:
        chart = archive.read("xl/charts/chart1.xml").decode()

    assert "<lineChart>" in chart
    assert chart.count("<ser>") == sum(o.ok for o in outcomes)
    assert "'Portfolio'!$A$6" in chart


def test_chart_is_capped_and_says_so(tmp_path: Path) -> None:
    outcome = api.generate_one(SCENARIOS / "support_bot.yaml", tmp_path / "one.xlsx")
    many = [
        replace(outcome, source=tmp_path / f"s{i:03d}.yaml", output=tmp_path / f"s{i:03d}.xlsx")
        for i in range(40)
    ]

    data = portfolio.build(many, tmp_path, tmp_path)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        chart = archive.read("xl/charts/chart1.xml").decode()
        note = archive.read("xl/worksheets/sheet2.xml").decode()
    assert chart.count("<ser>") == portfolio.MAX_CHART_SERIES
    assert f"first {portfolio.MAX_CHART_SERIES} of 40" in note


def test_bytes_do_not_depend_on_completion_order(generated) -> None:
    folder, out, outcomes = generated

    forward = portfolio.build(outcomes, out, folder)
    backward = portfolio.build(list(reversed(outcomes)), out, folder)

    assert forward == backward == (out / "portfolio.xlsx").read_bytes()


def test_an_empty_or_all_failed_batch_still_gives_a_workbook(tmp_path: Path) -> None:
    failed = api.Outcome(source=tmp_path / "bad.yaml", error="bad.yaml: name: missing")

    path = portfolio.write([failed], tmp_path / "out", tmp_path)

    sheet = openpyxl.load_workbook(path)[portfolio.SHEET]
    rows = [[cell.value for cell in row[:3]] for row in sheet.iter_rows()]
    assert ["not generated", "bad.yaml", "bad.yaml: name: missing"] in rows
    assert not list((tmp_path / "out").glob(".*.tmp"))


@pytest.mark.usefixtures("libreoffice")
def test_libreoffice_opens_it_with_the_numbers(generated, tmp_path: Path) -> None:
    _, out, outcomes = generated
    (converted,) = recalc([out / "portfolio.xlsx"], tmp_path)

    values = read_values(converted)[portfolio.SHEET]
    names = {values.get(f"B{row}"): row for row in range(HEADERS + 1, HEADERS + 40)}
    header = (re.fullmatch(rf"([A-Z]+){HEADERS}", ref) for ref in values)
    years = {
        values[m.group(0)]: m.group(1) for m in header if m and isinstance(values[m.group(0)], int)
    }
    for outcome in (o for o in outcomes if o.ok):
        row = names[outcome.source.name]
        assert values[f"A{row}"] == outcome.name
        for year, margin in zip(outcome.years, dict(outcome.margins)["base"], strict=True):
            assert values[f"{years[year]}{row}"] == pytest.approx(margin, rel=1e-12)
    with zipfile.ZipFile(converted) as archive:
        assert any(name.startswith("xl/charts/") for name in archive.namelist())
