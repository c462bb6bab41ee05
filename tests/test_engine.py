"""Tests proving the LibreOffice harness really recalculates and edits workbooks."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from engine import name_values, read_names, read_values, recalc, set_cells
from openpyxl.workbook.defined_name import DefinedName

from generator.workbook.xlsxfile import finalize


def _times_three(path: Path, a1: float, cached: float) -> Path:
    """=A1*3 with `cached` written as its value, right or wrong."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Model"
    sheet["A1"] = a1
    sheet["B1"] = "=A1*3"
    sheet["C1"] = '=IF(B1>10,"big","small")'
    sheet["D1"] = "=B1>10"
    workbook.defined_names["factor"] = DefinedName("factor", attr_text="Model!$A$1")
    workbook.defined_names["outputs"] = DefinedName("outputs", attr_text="Model!$B$1:$D$1")
    buffer = io.BytesIO()
    workbook.save(buffer)
    values = {"Model": {"B1": cached, "C1": "wrong", "D1": False}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(finalize(buffer.getvalue(), values))
    return path


def test_wrong_cached_value_is_recalculated(libreoffice, tmp_path):
    source = _times_three(tmp_path / "in" / "m.xlsx", 5, cached=999)
    assert read_values(source)["Model"]["B1"] == 999
    (out,) = recalc([source], tmp_path / "out")
    assert out == tmp_path / "out" / "m.xlsx"
    assert read_values(out)["Model"] == {"A1": 5, "B1": 15, "C1": "big", "D1": True}


def test_many_files_in_one_call(libreoffice, tmp_path):
    sources = [_times_three(tmp_path / "in" / f"m{i}.xlsx", i, cached=-1) for i in range(3)]
    outputs = recalc(sources, tmp_path / "out")
    assert [read_values(p)["Model"]["B1"] for p in outputs] == [0, 3, 6]


def test_edit_by_name_moves_the_dependent_formula(libreoffice, tmp_path):
    source = _times_three(tmp_path / "in" / "m.xlsx", 2, cached=6)
    assert read_names(source) == {"factor": ("Model", "A1"), "outputs": ("Model", "B1:D1")}
    edited = tmp_path / "edited" / "m.xlsx"
    edited.parent.mkdir()
    set_cells(source, edited, {"factor": 4, "Model!C2": "note"})
    (out,) = recalc([edited], tmp_path / "out")
    assert name_values(out) == {"factor": [4], "outputs": [12, "big", True]}
    assert read_values(out)["Model"]["C2"] == "note"


def test_set_cells_refuses_unknown_keys_and_ranges(tmp_path):
    source = _times_three(tmp_path / "in" / "m.xlsx", 2, cached=6)
    with pytest.raises(KeyError):
        set_cells(source, tmp_path / "x.xlsx", {"nope": 1})
    with pytest.raises(ValueError):
        set_cells(source, tmp_path / "x.xlsx", {"outputs": 1})


def test_clashing_file_names_are_refused(libreoffice, tmp_path):
    with pytest.raises(ValueError, match="share a file name"):
        recalc([tmp_path / "a" / "m.xlsx", tmp_path / "b" / "m.xlsx"], tmp_path / "out")
