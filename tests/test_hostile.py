"""Hostile text never becomes a formula; awkward scenario file names work end to end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from generator.api import generate_one
from generator.scenario import load

ROOT = Path(__file__).parent.parent

NAME = '=HYPERLINK("http://x","y")'
MODEL_NAMES = ["+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "=1+1"]
HOSTILE = [NAME, *MODEL_NAMES]

# Plain and quoted YAML scalars both: `-2+3` and `=1+1` must stay text, not numbers.
SCENARIO = """\
name: =HYPERLINK("http://x","y")
pricing:
  price_per_seat_month: 40
usage:
  queries_per_seat_month: 300
  input_tokens_per_call: 6000
  output_tokens_per_call: 800
models:
  - name: +cmd|' /C calc'!A0
    share: 0.25
    input_price: 3
    output_price: 15
  - name: "@SUM(1)"
    share: 0.25
    input_price: 1
    output_price: 2
  - name: -2+3
    share: 0.25
    input_price: 1
    output_price: 2
  - name: '=1+1'
    share: 0.25
    input_price: 1
    output_price: 2
seats:
  start: 10
cases:
  bear:
    models:
      "+CMD|' /C CALC'!A0": {share: 0.4}
      "@sum(1)": {share: 0.1}
notes: |
  =HYPERLINK("http://x","y")
  +cmd|' /C calc'!A0
  @SUM(1)
  -2+3
"""

FORMULA_HINTS = ("HYPERLINK", "cmd", "CMD", "@SUM", "-2+3", "=1+1")


@pytest.fixture(scope="module")
def hostile_workbook(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    source = folder / "hostile.yaml"
    source.write_text(SCENARIO, encoding="utf-8")
    outcome = generate_one(source, folder / "out" / "hostile.xlsx")
    assert outcome.ok, outcome.error
    return outcome.output


def test_hostile_names_load_as_text(tmp_path: Path) -> None:
    source = tmp_path / "hostile.yaml"
    source.write_text(SCENARIO, encoding="utf-8")

    loaded = load(source)

    assert loaded.name == NAME
    assert [model.name for model in loaded.base.models] == MODEL_NAMES
    assert [model.share for model in loaded.case("bear").models] == [0.4, 0.1, 0.25, 0.25]
    assert loaded.notes.splitlines() == [NAME, MODEL_NAMES[0], "@SUM(1)", "-2+3"]


def test_hostile_text_is_stored_as_the_same_characters(hostile_workbook: Path) -> None:
    book = load_workbook(hostile_workbook)
    shown: dict[str, set[str]] = {text: set() for text in HOSTILE}

    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value in shown:
                    assert cell.data_type == "s", (sheet.title, cell.coordinate, cell.value)
                    shown[cell.value].add(sheet.title)

    # The scenario name heads every sheet that shows it; model names are listed as written.
    assert {"Summary", "Inputs", "Models", "Calc", "Sensitivity"} <= shown[NAME]
    for name in MODEL_NAMES:
        assert "Models" in shown[name], name


def test_hostile_text_in_longer_labels_is_text_too(hostile_workbook: Path) -> None:
    book = load_workbook(hostile_workbook)
    sheets_with_text = set()

    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, str) and any(text in value for text in HOSTILE):
                    assert cell.data_type == "s", (sheet.title, cell.coordinate, value)
                    sheets_with_text.add(sheet.title)

    assert "Notes" in sheets_with_text


def test_no_formula_anywhere_is_built_from_hostile_text(hostile_workbook: Path) -> None:
    book = load_workbook(hostile_workbook)

    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formula = str(cell.value)
                    assert not any(hint in formula for hint in FORMULA_HINTS), (
                        sheet.title,
                        cell.coordinate,
                        formula,
                    )
    for name in book.defined_names.values():
        assert not any(hint in str(name.attr_text) for hint in FORMULA_HINTS)


def test_no_formula_element_in_the_file_holds_hostile_text(hostile_workbook: Path) -> None:
    # Below openpyxl: what Excel itself will read.
    element = re.compile(r"<(?:\w+:)?f\b[^>]*>(.*?)</(?:\w+:)?f>", re.DOTALL)
    formulas = []
    with zipfile.ZipFile(hostile_workbook) as archive:
        for member in archive.namelist():
            if member.endswith(".xml"):
                xml = archive.read(member).decode("utf-8")
                formulas += [(member, f) for f in element.findall(xml)]

    assert len(formulas) > 100  # the pattern does find the workbook's formulas
    for member, formula in formulas:
        assert "HYPERLINK" not in formula and "cmd" not in formula.lower(), (member, formula)


def test_hostile_text_survives_recalculation(hostile_workbook: Path, libreoffice, tmp_path):
    from engine import read_values, recalc

    (recalculated,) = recalc([hostile_workbook], tmp_path)
    values = read_values(recalculated)

    assert values["Summary"]["B2"] == NAME
    models = set(values["Models"].values())
    assert set(MODEL_NAMES) <= models


# --- file names -----------------------------------------------------------------------------

AWKWARD_STEMS = [
    'it\'s "quoted"',
    "=1+1 & co",
    "with spaces and ünïcödé – 価格",
    '=HYPERLINK("http:x","y")',
]


@pytest.mark.parametrize("stem", AWKWARD_STEMS)
def test_awkward_file_names_work_end_to_end(stem: str, tmp_path: Path) -> None:
    source = tmp_path / f"{stem}.yaml"
    source.write_bytes((ROOT / "scenarios" / "support_bot.yaml").read_bytes())
    out = tmp_path / "out & =more"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}

    result = subprocess.run(
        [sys.executable, "-m", "generator", "generate", str(source), "-o", str(out)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    target = out / f"{stem}.xlsx"
    assert sorted(p.name for p in out.iterdir()) == [target.name]
    assert str(target) in result.stderr
    book = load_workbook(target)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and stem in cell.value:
                    assert cell.data_type == "s"
                if cell.data_type == "f":
                    assert stem not in str(cell.value)


def test_awkward_file_name_error_names_the_file(tmp_path: Path) -> None:
    source = tmp_path / f"{AWKWARD_STEMS[1]}.yaml"
    source.write_text("name: x\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}

    result = subprocess.run(
        [sys.executable, "-m", "generator", "validate", str(source)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert result.stderr.startswith(f"{source}:1: pricing: expected a value (required)")


# --- the portfolio workbook of a batch ---------------------------------------------------------


def test_hostile_names_and_file_names_in_the_portfolio_are_text(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / f"{AWKWARD_STEMS[3]}.yaml").write_text(SCENARIO, encoding="utf-8")
    (folder / f"{AWKWARD_STEMS[1]}.yaml").write_bytes(
        (ROOT / "scenarios" / "support_bot.yaml").read_bytes()
    )
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}

    result = subprocess.run(
        [sys.executable, "-m", "generator", "batch", str(folder), "-o", str(out), "-j", "1"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    book = load_workbook(out / "portfolio.xlsx")
    texts = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert not any(hint in str(cell.value) for hint in FORMULA_HINTS), (
                        sheet.title,
                        cell.coordinate,
                        cell.value,
                    )
                elif isinstance(cell.value, str):
                    assert cell.data_type == "s"
                    texts.add(cell.value)
    assert NAME in texts
    assert any(AWKWARD_STEMS[1] in text for text in texts)
