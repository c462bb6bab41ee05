"""The workbook builder: cells, references, defined names and styles, with cached values."""

from __future__ import annotations

from copy import copy

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
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
    """Writes cells into an openpyxl workbook and remembers each formula's computed value."""

    def __init__(self, sheet_titles: list[str]):
        self.wb = Workbook()
        self.wb.remove(self.wb.active)
        self.sheets = {title: self.wb.create_sheet(title) for title in sheet_titles}
        self.values: dict[str, dict[str, object]] = {title: {} for title in sheet_titles}
        self.grid: dict[tuple[str, int, int], object] = {}  # every written cell's value
        self.names: dict[str, tuple[str, int, int, int, int]] = {}
        self.ranges: set[str] = set()
        self._styles: dict[tuple, object] = {}
        self.inputs: list[tuple[str, str, str]] = []  # (sheet, ref, label) of input cells
        # (sheet, case) -> a formula area the checks scan for error values
        self.blocks: dict[tuple[str, str], tuple[int, int, int, int]] = {}
        self.on = sheet_titles[0]

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
    def _style(self, target, key: tuple, **attributes) -> None:
        """Apply a style, reusing the first cell's style record: openpyxl hashes every style
        object it is given, which would otherwise dominate the time to build a workbook."""
        cached = self._styles.get(key)
        if cached is None:
            for attribute, value in attributes.items():
                setattr(target, attribute, value)
            self._styles[key] = copy(target._style)
        else:
            target._style = copy(cached)

    def input(
        self,
        sheet: str,
        row: int,
        column: int,
        value,
        fmt: str,
        label: str,
        note: str | None = None,
    ) -> E:
        """An input cell: blue on light yellow, remembered for the fingerprint."""
        target = self.sheets[sheet].cell(row=row, column=column)
        if isinstance(value, str):
            target.value = value
            target.data_type = "s"
        else:
            target.value = value
        self._style(
            target,
            ("input", fmt),
            font=INPUT_FONT,
            fill=INPUT_FILL,
            border=BOX,
            number_format=FORMATS[fmt],
        )
        if note:
            target.comment = Comment(note, "unitecon")
        self.grid[(sheet, row, column)] = value
        self.inputs.append((sheet, target.coordinate, label))
        return self.ref(sheet, row, column)

    def constant(self, sheet: str, row: int, column: int, value: float, fmt: str) -> None:
        """A fixed number that is part of the method, not an assumption (grey, not an input)."""
        target = self.sheets[sheet].cell(row=row, column=column, value=value)
        self._style(target, ("constant", fmt), font=NOTE_FONT, number_format=FORMATS[fmt])
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
        label: str | None = None,
    ) -> E:
        """A formula cell with its computed value; an error value is a bug, never shipped."""
        if isinstance(expr.value, ErrorValue) or expr.shape is not None:
            raise AssertionError(f"{sheet}!{col(column)}{row}: ={expr.text} gives {expr.value!r}")
        target = self.sheets[sheet].cell(row=row, column=column)
        target.value = "=" + expr.text
        self._style(target, ("formula", id(font), fmt), font=font, number_format=FORMATS[fmt])
        value = expr.value
        if isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        self.grid[(sheet, row, column)] = value
        self.values[sheet][target.coordinate] = value
        if label is not None:  # a case cell that inherits: an input-like cell to fingerprint
            self.inputs.append((sheet, target.coordinate, label))
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
        target = self.sheets[sheet].cell(row=row, column=column)
        target.value = text
        target.data_type = "s"
        attributes = {"font": font, "quotePrefix": text[:1] in "=+-@"}
        if fill is not None:
            attributes["fill"] = fill
        if wrap:
            attributes["alignment"] = WRAP
        self._style(
            target, ("text", id(font), id(fill), wrap, attributes["quotePrefix"]), **attributes
        )
        self.grid[(sheet, row, column)] = text

    def header(self, sheet: str, row: int, column: int, text: str) -> None:
        self.text(sheet, row, column, text, font=HEADER_FONT, fill=HEADER_FILL)

    def widths(self, sheet: str, widths: dict[int, float]) -> None:
        for column, width in widths.items():
            self.sheets[sheet].column_dimensions[col(column)].width = width
