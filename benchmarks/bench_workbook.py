"""Per-workbook generation in-process, next to openpyxl alone writing the same content."""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

from common import median_seconds, write_scenario

RUNS = 21


def shape_of(data: bytes) -> dict:
    """What the generated workbook holds: cells (values and formula text), notes, names, charts."""
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheets = []
    for sheet in workbook.worksheets:
        cells = [
            (cell.row, cell.column, cell.value, cell.comment.text if cell.comment else None)
            for row in sheet.iter_rows()
            for cell in row
            if cell.value is not None
        ]
        sheets.append((sheet.title, cells, list(sheet._charts)))
    names = [(name, defined.attr_text) for name, defined in workbook.defined_names.items()]
    return {"sheets": sheets, "names": names}


def floor(shape: dict) -> bytes:
    """openpyxl alone: the same cells, notes, names and charts, no styles, no logic of ours."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.workbook.defined_name import DefinedName

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, cells, charts in shape["sheets"]:
        sheet = workbook.create_sheet(title)
        for row, column, value, note in cells:
            target = sheet.cell(row=row, column=column, value=value)
            if note:
                target.comment = Comment(note, "unitecon")
        for chart in charts:
            sheet.add_chart(chart)
    for name, text in shape["names"]:
        workbook.defined_names[name] = DefinedName(name, attr_text=text)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def measure(runs: int = RUNS) -> list[tuple[str, str, str, str]]:
    from generator.scenario import load
    from generator.workbook import build

    with tempfile.TemporaryDirectory() as folder:
        scenario = load(write_scenario(Path(folder) / "benchmark.yaml"))
    data = build(scenario)  # warm: imports, templates, caches
    shape = shape_of(data)
    floor(shape)
    ours, base = median_seconds([lambda: build(scenario), lambda: floor(shape)], runs)
    cells = sum(len(cells) for _, cells, _ in shape["sheets"])
    charts = sum(len(charts) for _, _, charts in shape["sheets"])
    what = f"{cells} cells, {len(shape['names'])} names, {charts} charts"
    return [
        ("workbook build (5 y, 3 models, 3 cases)", f"{ours * 1000:.1f} ms CPU", "", what),
        ("  floor: openpyxl alone, same content", f"{base * 1000:.1f} ms CPU", "", "no styles"),
        (
            "  ratio build / floor",
            f"{ours / base:.2f}x",
            "<= 1.5x",
            "met" if ours / base <= 1.5 else "missed",
        ),
    ]


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    for row in measure():
        print(" | ".join(row))
