"""The tables of `compare` and `compare_network`, as aligned text and as HTML.

A table is a list of rows of text cells, the header first. In text, the first columns
(names and formulas) are aligned left and the numbers right, so that their decimal points
and exponents line up; in HTML, every cell is escaped (names and formulas are user text).
"""

from __future__ import annotations

from html import escape

__all__ = ["difference", "html", "text"]


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
