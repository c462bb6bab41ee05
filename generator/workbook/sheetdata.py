"""Write the cells of a sheet as XML directly: openpyxl's cell objects and serializer would
cost more than everything else in a workbook; the rest of each sheet stays openpyxl's."""

from __future__ import annotations

import io
import re
import zipfile
from xml.sax.saxutils import escape

from .book import Book, col
from .xlsxfile import encode

_SHEET_DATA = re.compile(r"<sheetData\s*/>|<sheetData>.*?</sheetData>", re.DOTALL)
_DIMENSION = re.compile(r'<dimension ref="[^"]*"\s*/>')


def prepare(book: Book) -> dict[str, tuple[str, str]]:
    """Sheet title -> (<sheetData> XML, used range) for every sheet `book` wrote itself.

    Run before openpyxl writes the styles, so that every style used here is registered.
    A book that wrote openpyxl cells instead (fast=False) has nothing to prepare."""
    if not book.fast:
        return {}
    return {
        title: render(book, records, book.sheets[title].row_dimensions)
        for title, records in book.records.items()
    }


def inject(xlsx: bytes, book: Book, prepared: dict[str, tuple[str, str]]) -> bytes:
    """The workbook with each prepared sheet's (empty) cell data replaced by its cells.

    Run after openpyxl wrote the file: it numbers the sheet parts while writing."""
    prepared = {book.sheets[title].path.lstrip("/"): xml for title, xml in prepared.items()}
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        for name, data in entries:
            if name in prepared:
                cells, dimension = prepared[name]
                xml, found = _SHEET_DATA.subn(lambda _, c=cells: c, data.decode("utf-8"), count=1)
                if not found:
                    raise ValueError(f"{name}: no sheetData element")
                xml = _DIMENSION.sub(f'<dimension ref="{dimension}"/>', xml, count=1)
                data = xml.encode("utf-8")
            target.writestr(name, data)
    return out.getvalue()


def render(book: Book, records: dict, row_dimensions) -> tuple[str, str]:
    """The <sheetData> element for `records`, and the used range."""
    style_ids: dict[int, int] = {}
    rows: dict[int, list[str]] = {}
    for (row, column), (kind, payload, cached, style, _fmt) in sorted(records.items()):
        sid = style_ids.get(id(style))
        if sid is None:
            sid = style_ids[id(style)] = book.wb._cell_styles.add(style)
        ref = f"{col(column)}{row}"
        rows.setdefault(row, []).append(_cell(ref, sid, kind, payload, cached))
    heights = {
        index: dimension.ht
        for index, dimension in row_dimensions.items()
        if dimension.ht is not None
    }
    out = ["<sheetData>"]
    for row in sorted(rows.keys() | heights.keys()):
        height = f' ht="{heights[row]}" customHeight="1"' if row in heights else ""
        cells = rows.get(row)
        if cells:
            out.append(f'<row r="{row}"{height}>{"".join(cells)}</row>')
        else:
            out.append(f'<row r="{row}"{height}/>')
    out.append("</sheetData>")
    if records:
        last_row = max(row for row, _ in records)
        last_col = max(column for _, column in records)
        dimension = f"A1:{col(last_col)}{last_row}"
    else:
        dimension = "A1"
    return "".join(out), dimension


def _cell(ref: str, sid: int, kind: str, payload, cached) -> str:
    if kind == "s":
        space = ' xml:space="preserve"' if payload != payload.strip() else ""
        return f'<c r="{ref}" s="{sid}" t="inlineStr"><is><t{space}>{escape(payload)}</t></is></c>'
    if kind == "n":
        return f'<c r="{ref}" s="{sid}"><v>{encode(payload, ref)[1]}</v></c>'
    cell_type, value = encode(cached, ref)  # the same encoding, and checks, as finalize()
    kind_attr = f' t="{cell_type}"' if cell_type else ""
    return f'<c r="{ref}" s="{sid}"{kind_attr}><f>{escape(payload)}</f><v>{value}</v></c>'
