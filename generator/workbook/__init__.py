"""The .xlsx writer: one module per sheet, assembled here into live-formula workbook bytes."""

from __future__ import annotations

from ..scenario import Scenario

SHEETS = ["Summary", "Inputs", "Models", "Calc", "Sensitivity", "Checks", "Notes"]


def build(scenario: Scenario) -> bytes:
    """The finished workbook (formulas, cached values, fixed metadata) as bytes."""
    import io
    import zipfile

    from openpyxl.writer.excel import ExcelWriter

    from .. import fingerprint
    from . import calc, checks, inputs, models_sheet, notes, sensitivity, sheetdata, summary
    from .book import Book
    from .xlsxfile import finalize

    book = Book(SHEETS, fast=True)
    inputs.write(book, scenario)
    calc.write_years(book, scenario)
    placed_models = models_sheet.write(
        book, scenario, lambda c: calc.years_cell(book, c), lambda c: calc.index_cell(book, c)
    )
    calc_rows = calc.write(book, scenario, placed_models)
    sensitivity.write(book, scenario)
    checks.write(book, scenario, calc_rows)
    summary.write(book, scenario, calc_rows)
    notes.write(book, scenario)
    entries = fingerprint.entries_of(book)
    fingerprint.write_sheet(book, entries)
    book.wb.properties.creator = "unitecon"
    prepared = sheetdata.prepare(book)
    buffer = io.BytesIO()
    # Stored, not deflated: finalize() rewrites every part and compresses once.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        ExcelWriter(book.wb, archive).write_data()
    return finalize(
        sheetdata.inject(buffer.getvalue(), book, prepared),
        {},
        filled=prepared.keys(),
        title=scenario.name,
        custom={fingerprint.PROPERTY: fingerprint.digest(entries)},
    )
