"""Markdown tables and their cells, one format for every report: the evaluation, the paper table, the model
sizes and the benchmarks."""
from __future__ import annotations


def cell(value, std=None, digits: int = 4, sign: bool = False) -> str:
    """A table cell: '—' without a value, else the value (with its sign: a difference), with ' ± std' when
    given."""
    if value is None:
        return "—"
    return f"{value:{'+' if sign else ''}.{digits}f}" + ("" if std is None else f" ± {std:.{digits}f}")


def markdown(header: list[str], rows: list[list[str]]) -> list[str]:
    """The lines of a markdown table: the first column (names) left-aligned, the others (numbers) right."""
    return ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1),
            *("| " + " | ".join(map(str, row)) + " |" for row in rows)]
