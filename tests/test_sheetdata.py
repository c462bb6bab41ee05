"""Cells written as XML directly read back as openpyxl would have written them."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook

from generator.workbook import sheetdata
from generator.workbook.book import INPUT_FONT, Book
from generator.workbook.expr import lift
from generator.workbook.xlsxfile import finalize


def _save(book: Book) -> bytes:
    from openpyxl.writer.excel import ExcelWriter

    prepared = sheetdata.prepare(book)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        ExcelWriter(book.wb, archive).write_data()
    return finalize(sheetdata.inject(buffer.getvalue(), book, prepared), {}, filled=prepared)


@pytest.fixture
def written() -> tuple[bytes, Book]:
    book = Book(["S"], fast=True)
    book.on = "S"
    book.text("S", 1, 1, '=HYPERLINK("http://x","y") & <b> ')
    book.input("S", 2, 1, 0.1, "pct", "rate")
    book.input("S", 2, 2, "curve", "factor", "factor")
    a = book.ref("S", 2, 1)
    book.formula("S", 3, 1, a * 3, "pct")
    book.formula("S", 3, 2, lift("n/a"))
    book.formula("S", 3, 3, a > 0)
    book.sheets["S"].row_dimensions[5].height = 30
    return _save(book), book


def test_values_types_and_formulas_read_back(written) -> None:
    data, _book = written
    sheet = load_workbook(io.BytesIO(data))["S"]
    cached = load_workbook(io.BytesIO(data), data_only=True)["S"]

    assert sheet["A1"].value == '=HYPERLINK("http://x","y") & <b> '
    assert sheet["A1"].data_type == "s"
    assert sheet["A2"].value == 0.1 and sheet["B2"].value == "curve"
    assert sheet["A3"].value == "=$A$2*3"
    assert cached["A3"].value == pytest.approx(0.3)
    assert cached["B3"].value == "n/a"
    assert cached["C3"].value is True
    assert sheet["A2"].font.color.rgb == INPUT_FONT.color.rgb
    assert sheet["A2"].number_format == "0.0%"
    assert sheet.row_dimensions[5].height == 30
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert '<dimension ref="A1:C3"/>' in xml


def test_the_same_cells_give_the_same_bytes(written) -> None:
    data, book = written
    assert _save(book) == data


def test_a_formula_without_a_value_is_refused() -> None:
    book = Book(["S"], fast=True)
    book.on = "S"
    book.formula("S", 1, 1, lift(1) + 1)
    book.records["S"][(1, 1)][2] = None  # as if a formula had lost its computed value

    with pytest.raises(ValueError, match="S!A1|A1"):
        sheetdata.prepare(book)
