"""The workbook builder: cells, references, defined names and styles, with cached values."""

from __future__ import annotations

from copy import copy

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import coordinate_to_tuple, get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from .expr import E, ErrorValue

INPUT_FONT = Font(color="0000FF")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
LINK_FONT = Font(color="008000")  # a case cell inheriting from the base: green, by convention
CALC_FONT = Font(color="000000")
LABEL_FONT = Font(color="000000")
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
SECTION_FONT = Font(bold=True, color="1F4E78", size=12)
TITLE_FONT = Font(bold=True, size=14)
NOTE_FONT = Font(italic=True, color="595959")
CHECK_FILL = PatternFill("solid", fgColor="F2F2F2")
THIN = Side(style="thin", color="BFBFBF")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")

FORMATS = {
    "money": "#,##0.00",
    "money4": "#,##0.0000",
    "price": "#,##0.0000",
    "pct": "0.0%",
    "count": "#,##0",
    "tokens": "#,##0",
    "factor": "0.00",
    "year": "0",
    "number": "#,##0.00",
    "bool": "General",
    "general": "General",
}


def col(index: int) -> str:
    """1 -> 'A'."""
    return get_column_letter(index)


def cell(row: int, column: int, *, fix_row: bool = True, fix_col: bool = True) -> str:
    """(5, 3) -> '$C$5' (or relative parts)."""
    return f"{'$' if fix_col else ''}{col(column)}{'$' if fix_row else ''}{row}"


def area(row1: int, col1: int, row2: int, col2: int) -> str:
    """An absolute range such as '$C$5:$G$5'."""
    return f"{cell(row1, col1)}:{cell(row2, col2)}"


class Book:
    """Writes cells into an openpyxl workbook and remembers each formula's computed value.

    With fast=True the cells are kept as records and written as XML by sheetdata (much
    faster); openpyxl still holds everything else: styles, names, validation, charts."""

    def __init__(self, sheet_titles: list[str], *, fast: bool = False):
        self.wb = Workbook()
        self._scratch = self.wb.active  # parent of detached style cells; removed below
        self.wb.remove(self.wb.active)
        # fast: cells live here and sheetdata.render() writes them, instead of openpyxl cells
        self.fast = fast
        self.records: dict[str, dict[tuple[int, int], list]] = {t: {} for t in sheet_titles}
        self.sheets = {title: self.wb.create_sheet(title) for title in sheet_titles}
        self.grid: dict[tuple[str, int, int], object] = {}  # every written cell's value
        self.names: dict[str, tuple[str, int, int, int, int]] = {}
        self.ranges: set[str] = set()
        self._styles: dict[tuple, object] = {}
        self.inputs: list[tuple[str, str, str]] = []  # (sheet, ref, label) of input cells
        # (sheet, case) -> a formula area the checks scan for error values
        self.blocks: dict[tuple[str, str], tuple[int, int, int, int]] = {}
        self.on = sheet_titles[0]

    def add_sheet(self, title: str):
        """One more sheet after those given at the start."""
        self.sheets[title] = self.wb.create_sheet(title)
        self.records[title] = {}
        return self.sheets[title]

    # -- references ----------------------------------------------------------------
    def ref(
        self, sheet: str, row: int, column: int, *, fix_row: bool = True, fix_col: bool = True
    ) -> E:
        """A reference to one written cell, qualified when it is on another sheet."""
        text = cell(row, column, fix_row=fix_row, fix_col=fix_col)
        if sheet != self.on:
            text = f"{sheet}!{text}"
        return E(text, self.grid[(sheet, row, column)])

    def span(
        self,
        sheet: str,
        row1: int,
        col1: int,
        row2: int,
        col2: int,
        *,
        fix_end: bool = True,
        relative: bool = False,
    ) -> E:
        """A reference to a block of written cells (value: list of rows).

        `fix_end=False` leaves the end relative, for running totals such as $C$9:E9."""
        text = area(row1, col1, row2, col2)
        if not fix_end:
            text = f"{cell(row1, col1)}:{cell(row2, col2, fix_row=False, fix_col=False)}"
        if relative:  # moves with the formula, e.g. one year's column of a block
            text = (
                f"{cell(row1, col1, fix_row=False, fix_col=False)}:"
                f"{cell(row2, col2, fix_row=False, fix_col=False)}"
            )
        if sheet != self.on:
            text = f"{sheet}!{text}"
        value = [
            [self.grid.get((sheet, r, c)) for c in range(col1, col2 + 1)]
            for r in range(row1, row2 + 1)
        ]
        return E(text, value, shape=(row2 - row1 + 1, col2 - col1 + 1))

    def name(self, name: str) -> E:
        """A defined name as a formula operand, with its current value."""
        sheet, row1, col1, row2, col2 = self.names[name]
        if name not in self.ranges:
            return E(name, self.grid[(sheet, row1, col1)])
        return E(
            name,
            self.span(sheet, row1, col1, row2, col2).value,
            shape=(row2 - row1 + 1, col2 - col1 + 1),
        )

    def define(
        self,
        name: str,
        sheet: str,
        row1: int,
        col1: int,
        row2: int | None = None,
        col2: int | None = None,
    ) -> None:
        """A workbook-scoped defined name over one contiguous absolute range."""
        if row2 is not None or col2 is not None:
            self.ranges.add(name)  # a row or column, even when it holds one cell
        row2, col2 = row1 if row2 is None else row2, col1 if col2 is None else col2
        self.names[name] = (sheet, row1, col1, row2, col2)
        target = cell(row1, col1) if (row1, col1) == (row2, col2) else area(row1, col1, row2, col2)
        self.wb.defined_names[name] = DefinedName(name, attr_text=f"{sheet}!{target}")

    # -- writing -------------------------------------------------------------------
    def _style_of(self, key: tuple, base=None, **attributes):
        """A style record for `attributes` (on top of `base`), made once per key: openpyxl
        hashes every style object it is given, which would otherwise dominate build time."""
        cached = self._styles.get(key)
        if cached is None:
            scratch = Cell(self._scratch)  # a detached cell: registers the style, holds nothing
            if base is not None:
                scratch._style = copy(base)
            for attribute, value in attributes.items():
                setattr(scratch, attribute, value)
            cached = self._styles[key] = copy(scratch._style)
        return cached

    def _put(
        self, sheet: str, row: int, column: int, kind: str, payload, cached, style, fmt: str
    ) -> str:
        """Store one cell; returns its coordinate. `kind`: 'f' formula, 'n' number, 's' text."""
        if self.fast:
            self.records[sheet][(row, column)] = [kind, payload, cached, style, fmt]
        else:
            target = self.sheets[sheet].cell(row=row, column=column)
            target.value = "=" + payload if kind == "f" else payload
            if kind == "s":
                target.data_type = "s"
            target._style = copy(style)
        return f"{col(column)}{row}"

    def restyle(self, sheet: str, row: int, column: int, key: str, **attributes) -> None:
        """Change the style of a written cell (a fill or an alignment on top of its style)."""
        if not self.fast:
            target = self.sheets[sheet].cell(row=row, column=column)
            for attribute, value in attributes.items():
                setattr(target, attribute, value)
            return
        record = self.records[sheet][(row, column)]
        record[3] = self._style_of((key, id(record[3])), record[3], **attributes)

    def number_format(self, sheet: str, row: int, column: int) -> str:
        if not self.fast:
            return self.sheets[sheet].cell(row=row, column=column).number_format
        return FORMATS[self.records[sheet][(row, column)][4]]

    def content(self, sheet: str, ref: str):
        """What a written cell holds: its value, or its formula text starting with '='."""
        if not self.fast:
            return self.sheets[sheet][ref].value
        row_col = coordinate_to_tuple(ref)
        kind, payload, *_ = self.records[sheet][row_col]
        return "=" + payload if kind == "f" else payload

    def input(
        self,
        sheet: str,
        row: int,
        column: int,
        value,
        fmt: str,
        label: str,
    ) -> E:
        """An input cell: blue on light yellow, remembered for the fingerprint."""
        style = self._style_of(
            ("input", fmt), font=INPUT_FONT, fill=INPUT_FILL, border=BOX, number_format=FORMATS[fmt]
        )
        kind = "s" if isinstance(value, str) else "n"
        ref = self._put(sheet, row, column, kind, value, None, style, fmt)
        self.grid[(sheet, row, column)] = value
        self.inputs.append((sheet, ref, label))
        return self.ref(sheet, row, column)

    def constant(self, sheet: str, row: int, column: int, value: float, fmt: str) -> None:
        """A fixed number that is part of the method, not an assumption (grey, not an input)."""
        style = self._style_of(("constant", fmt), font=NOTE_FONT, number_format=FORMATS[fmt])
        self._put(sheet, row, column, "n", value, None, style, fmt)
        self.grid[(sheet, row, column)] = value

    def formula(
        self,
        sheet: str,
        row: int,
        column: int,
        expr: E,
        fmt: str = "general",
        *,
        font: Font = CALC_FONT,
        fill: PatternFill | None = None,
        label: str | None = None,
    ) -> E:
        """A formula cell with its computed value; an error value is a bug, never shipped."""
        if isinstance(expr.value, ErrorValue) or expr.shape is not None:
            raise AssertionError(f"{sheet}!{col(column)}{row}: ={expr.text} gives {expr.value!r}")
        value = expr.value
        if isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        attributes = {"font": font, "number_format": FORMATS[fmt]}
        if fill is not None:
            attributes["fill"] = fill
        style = self._style_of(("formula", id(font), id(fill), fmt), **attributes)
        ref = self._put(sheet, row, column, "f", expr.text, value, style, fmt)
        self.grid[(sheet, row, column)] = value
        if label is not None:  # a case cell that inherits: an input-like cell to fingerprint
            self.inputs.append((sheet, ref, label))
        return self.ref(sheet, row, column)

    def text(
        self,
        sheet: str,
        row: int,
        column: int,
        text: str,
        *,
        font: Font = LABEL_FONT,
        fill: PatternFill | None = None,
        wrap: bool = False,
    ) -> None:
        """Text from anywhere (scenario names included) stored as text, never as a formula."""
        attributes = {"font": font, "quotePrefix": text[:1] in "=+-@"}
        if fill is not None:
            attributes["fill"] = fill
        if wrap:
            attributes["alignment"] = WRAP
        style = self._style_of(
            ("text", id(font), id(fill), wrap, attributes["quotePrefix"]), **attributes
        )
        self._put(sheet, row, column, "s", text, None, style, "general")
        self.grid[(sheet, row, column)] = text

    def header(self, sheet: str, row: int, column: int, text: str) -> None:
        self.text(sheet, row, column, text, font=HEADER_FONT, fill=HEADER_FILL)

    def widths(self, sheet: str, widths: dict[int, float]) -> None:
        for column, width in widths.items():
            self.sheets[sheet].column_dimensions[col(column)].width = width
