"""Plain-text tables for the terminal, with columns padded to line up."""

from __future__ import annotations

from collections.abc import Sequence


def render_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    right_aligned: Sequence[int] = (),
) -> str:
    """The table as lines of text; columns listed in `right_aligned` (numbers) align right."""
    widths = [len(header) for header in headers]
    for row in rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = (
            cell.rjust(width) if index in right_aligned else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def percent(value: object) -> str:
    """0.6123 -> '61.2%'; text such as 'n/a' as it is."""
    return f"{value:.1%}" if isinstance(value, float) else str(value)


def margin_table(outcome) -> str:
    """Gross margin by year for every case of one generated scenario."""
    headers = ["case", *(str(year) for year in outcome.years), "first year at target"]
    first = dict(outcome.first_at_target)
    rows = [
        [case, *(percent(m) for m in margins), str(first[case])]
        for case, margins in outcome.margins
    ]
    title = f"{outcome.name} ({outcome.source} -> {outcome.output}): gross margin"
    return title + "\n" + render_table(headers, rows, right_aligned=range(1, len(headers)))
