"""Tests for the post-save pass: cached values, fixed metadata, identical bytes."""

from __future__ import annotations

import io
import re
import time
import zipfile

import openpyxl
import pandas as pd
import pytest
from openpyxl.styles import Font

from generator.workbook.xlsxfile import finalize

TRICKY_TEXT = "a <b> & \"c\" 'd'"


def _saved(workbook: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _workbook() -> tuple[bytes, dict[str, dict[str, object]]]:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Calc & <Co>"
    sheet["A1"] = 2
    sheet["B1"] = "=A1*3"
    sheet["B2"] = "=A1/3"
    sheet["B2"].font = Font(bold=True)  # a styled formula cell carries s="..."
    sheet["B3"] = '="a <b> & ""c"" \'d\'"'
    sheet["B4"] = "=A1>1"
    sheet["B5"] = "=A1<1"
    other = workbook.create_sheet("Other")
    other["A1"] = "='Calc & <Co>'!B1+1"
    values = {
        "Calc & <Co>": {"B1": 6, "B2": 2 / 3, "B3": TRICKY_TEXT, "B4": True, "B5": False},
        "Other": {"A1": 7.0},
    }
    return _saved(workbook), values


def _part(xlsx: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        return archive.read(name).decode("utf-8")


def test_openpyxl_reads_cached_values():
    xlsx, values = _workbook()
    workbook = openpyxl.load_workbook(io.BytesIO(finalize(xlsx, values)), data_only=True)
    sheet = workbook["Calc & <Co>"]
    assert sheet["B1"].value == 6
    assert sheet["B2"].value == 2 / 3  # exact: repr round-trips
    assert sheet["B3"].value == TRICKY_TEXT
    assert sheet["B4"].value is True
    assert sheet["B5"].value is False
    assert workbook["Other"]["A1"].value == 7.0


def test_formulas_are_kept():
    xlsx, values = _workbook()
    workbook = openpyxl.load_workbook(io.BytesIO(finalize(xlsx, values)))
    assert workbook["Calc & <Co>"]["B1"].value == "=A1*3"
    assert workbook["Other"]["A1"].value == "='Calc & <Co>'!B1+1"


def test_pandas_reads_cached_values():
    xlsx, values = _workbook()
    frame = pd.read_excel(io.BytesIO(finalize(xlsx, values)), sheet_name=None, header=None)
    column = frame["Calc & <Co>"][1].tolist()
    assert column[:3] == [6, 2 / 3, TRICKY_TEXT]
    assert bool(column[3]) is True and bool(column[4]) is False
    assert frame["Other"][0].tolist() == [7.0]


def test_styled_cell_keeps_its_style():
    xlsx, values = _workbook()
    sheet_xml = _part(finalize(xlsx, values), "xl/worksheets/sheet1.xml")
    assert re.search(r'<c r="B2" s="\d+"><f>A1/3</f><v>0.6666666666666666</v></c>', sheet_xml)
    assert '<c r="B4" t="b"><f>A1&gt;1</f><v>1</v></c>' in sheet_xml


def test_two_runs_give_identical_bytes():
    xlsx, values = _workbook()
    time.sleep(1.1)  # openpyxl stamps the save time; the second save gets a later one
    xlsx_later, _ = _workbook()
    assert xlsx != xlsx_later
    custom = {"fingerprint": "abc", "source": "acme.yaml"}
    first = finalize(xlsx, values, title="Acme", custom=custom)
    assert first == finalize(xlsx_later, values, title="Acme", custom=custom)


def test_zip_entries_are_fixed_and_in_order():
    xlsx, values = _workbook()
    out = finalize(xlsx, values)
    with zipfile.ZipFile(io.BytesIO(xlsx)) as before, zipfile.ZipFile(io.BytesIO(out)) as after:
        assert after.namelist() == before.namelist()
        for info in after.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert info.external_attr >> 16 == 0o100644


def test_missing_value_raises_and_names_the_cells():
    xlsx, values = _workbook()
    del values["Calc & <Co>"]["B2"]
    del values["Other"]
    with pytest.raises(ValueError) as caught:
        finalize(xlsx, values)
    message = str(caught.value)
    assert "2 formula cell(s)" in message
    assert "'Calc & <Co>'!B2" in message and "'Other'!A1" in message


def test_unknown_sheet_raises():
    xlsx, values = _workbook()
    values["Nope"] = {"A1": 1}
    with pytest.raises(ValueError, match="Nope"):
        finalize(xlsx, values)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), None, [1]])
def test_unusable_value_raises(bad):
    xlsx, values = _workbook()
    values["Other"]["A1"] = bad
    with pytest.raises(ValueError, match="'Other'!A1"):
        finalize(xlsx, values)


@pytest.mark.parametrize("empty_value", ["<v></v>", "<v/>", ""])
def test_other_writer_forms_of_an_empty_value(empty_value):
    # openpyxl's lxml writer, and other tools, spell the empty cached value differently.
    xlsx, values = _workbook()
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = data.replace(b"<v />", empty_value.encode())
            target.writestr(info, data)
    workbook = openpyxl.load_workbook(
        io.BytesIO(finalize(buffer.getvalue(), values)), data_only=True
    )
    assert workbook["Calc & <Co>"]["B1"].value == 6


def test_finalize_twice_replaces_values():
    xlsx, values = _workbook()
    once = finalize(xlsx, values)
    values["Calc & <Co>"].update({"B1": "n/a", "B3": 5})
    sheet = openpyxl.load_workbook(io.BytesIO(finalize(once, values)), data_only=True).active
    assert sheet["B1"].value == "n/a"
    assert sheet["B3"].value == 5


def test_full_calc_on_load_is_kept():
    xlsx, values = _workbook()
    workbook_xml = _part(finalize(xlsx, values), "xl/workbook.xml")
    assert len(re.findall(r'fullCalcOnLoad="1"', workbook_xml)) == 1


def test_metadata_title_and_custom_properties():
    xlsx, values = _workbook()
    out = finalize(xlsx, values, title='Acme <"Agent"> & Co', custom={"fingerprint": "x<&>y"})
    workbook = openpyxl.load_workbook(io.BytesIO(out))
    assert workbook.properties.title == 'Acme <"Agent"> & Co'
    assert workbook.properties.created.isoformat() == "2000-01-01T00:00:00"
    assert workbook.properties.modified.isoformat() == "2000-01-01T00:00:00"
    assert {p.name: p.value for p in workbook.custom_doc_props} == {"fingerprint": "x<&>y"}


def test_custom_properties_merge_with_existing_ones():
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = 1
    workbook.custom_doc_props.append(openpyxl.packaging.custom.StringProperty("kept", "1"))
    workbook.custom_doc_props.append(openpyxl.packaging.custom.StringProperty("replaced", "old"))
    out = finalize(_saved(workbook), {}, custom={"replaced": "new", "added": "2"})
    reread = openpyxl.load_workbook(io.BytesIO(out))
    props = {p.name: p.value for p in reread.custom_doc_props}
    assert props == {"kept": "1", "replaced": "new", "added": "2"}


def test_five_thousand_formula_cells_are_quick():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    values = {}
    for row in range(1, 1001):
        sheet.cell(row, 1, row)
        for column in range(2, 7):
            cell = sheet.cell(row, column, f"=A{row}*{column}/7")
            values[cell.coordinate] = row * column / 7
    xlsx = _saved(workbook)
    start = time.perf_counter()
    out = finalize(xlsx, {sheet.title: values})
    # A cap that only catches a pathological slowdown; speed is measured in benchmarks/.
    assert time.perf_counter() - start < 5
    reread = openpyxl.load_workbook(io.BytesIO(out), data_only=True).active
    assert reread["F1000"].value == 1000 * 6 / 7
