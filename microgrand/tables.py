"""The tables of `compare` and `compare_network`, as aligned text and as HTML.

A table is a list of rows of text cells, the header first. In text, the first columns
(names and formulas) are aligned left and the numbers right, so that their decimal points
and exponents line up; in HTML, every cell is escaped (names and formulas are user text).
`compare`'s rows (`comparison.Row`) become cells here, a missing value "—" with a footnote
mark, and their footnotes say why.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from microgrand.notation import number

if TYPE_CHECKING:
    from microgrand.comparison import Row

__all__ = [
    "cells",
    "difference",
    "footnotes",
    "footnotes_html",
    "html",
    "max_formula_diff",
    "max_numeric_diff",
    "text",
]


def difference(value: float) -> str:
    """A difference: exactly "0" when the floats are equal, else 2 significant digits."""
    return "0" if value == 0.0 else f"{value:.1e}"


def text(cells: list[list[str]], text_columns: int) -> str:
    """The table as text: the first `text_columns` columns aligned left, the others right."""
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    lines = []
    for row in cells:
        parts = [c.ljust(w) for c, w in zip(row[:text_columns], widths, strict=False)]
        parts += [
            c.rjust(w) for c, w in zip(row[text_columns:], widths[text_columns:], strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def html(cells: list[list[str]]) -> str:
    """The table as an HTML table, its first row the header."""
    head = "".join(f"<th>{escape(c)}</th>" for c in cells[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in cells[1:]
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def max_formula_diff(rows: tuple[Row, ...]) -> float:
    """The largest |autograd - lecture| over the rows with values (nan if none), leaving out
    rows whose autograd value rounding decided (`Row.cancelled`: their note says so)."""
    differences = [abs(r.autograd - r.closed_form) for r in rows if not (r.missing or r.cancelled)]
    return max(differences) if differences else math.nan


def max_numeric_diff(rows: tuple[Row, ...]) -> float:
    """The largest |autograd - finite difference| over the rows (nan if none)."""
    differences = [
        abs(r.autograd - r.finite_difference)
        for r in rows
        if not r.missing and r.finite_difference is not None
    ]
    return max(differences) if differences else math.nan


_MARKS = "¹²³⁴⁵⁶⁷⁸⁹"


def _notes(rows: tuple[Row, ...]) -> dict[str, str]:
    """Each distinct reason for a missing finite difference -> its footnote mark."""
    notes: dict[str, str] = {}
    for r in rows:
        if r.note and r.note not in notes:
            notes[r.note] = _MARKS[min(len(notes), len(_MARKS) - 1)]
    return notes


def footnotes(rows: tuple[Row, ...]) -> list[str]:
    """One line per reason: which rows have no finite difference, and why."""
    lines = []
    for note, mark in _notes(rows).items():
        which = [r for r in rows if r.note == note]
        names = ", ".join(r.quantity for r in which)
        if which[0].cancelled:
            what = f"autograd for {names}:"
        else:
            what = f"{names}:" if which[0].missing else f"no finite difference for {names}:"
        lines.append(f"{mark} {what} {note}.")
    if any(r.note and not (r.missing or r.cancelled) for r in rows):
        but = ", but for autograd's marked values" if any(r.cancelled for r in rows) else ""
        lines.append(
            f"  Autograd and the lecture's formula need no step: their columns stand{but}."
        )
    return lines


def footnotes_html(rows: tuple[Row, ...]) -> str:
    """`footnotes` as one small HTML paragraph (empty without footnotes)."""
    lines = footnotes(rows)
    return f"<p><small>{'<br>'.join(escape(line) for line in lines)}</small></p>" if lines else ""


def cells(header: Sequence[str], rows: tuple[Row, ...]) -> list[list[str]]:
    """The rows of `compare` as text cells under `header`: "—" with a footnote mark where a
    value is missing."""
    cells = [list(header)]
    marks = _notes(rows)
    for r in rows:
        mark = "—" + marks.get(r.note, "")
        if r.missing:
            values = [mark if math.isnan(v) else number(v) for v in (r.autograd, r.closed_form)]
            cells.append([r.quantity, r.formula, *values, "—", "—", "—"])
            continue
        if r.cancelled:  # autograd's value, marked: rounding decided it
            values = [number(r.autograd) + marks[r.note], number(r.closed_form)]
            difference_ = difference(abs(r.autograd - r.closed_form))
            cells.append([r.quantity, r.formula, *values, "—", difference_, "—"])
            continue
        fd, fd_diff = mark, "—"
        if r.finite_difference is not None:
            fd = number(r.finite_difference)
            fd_diff = difference(abs(r.autograd - r.finite_difference))
        cells.append(
            [
                r.quantity,
                r.formula,
                number(r.autograd),
                number(r.closed_form),
                fd,
                difference(abs(r.autograd - r.closed_form)),
                fd_diff,
            ]
        )
    return cells
