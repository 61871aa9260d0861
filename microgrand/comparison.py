"""`compare`: autograd, the lecture's formulas and finite differences, side by side.

For each quantity of the one-example lecture (L, da, dz, dw1, dw2, db) one row holds the
value backward() gives, the value of the lecture's hand-derived formula
(`microgrand.lecture`, which knows nothing of nodes) and a central finite difference of
the graph itself (`microgrand.finite_differences`). The table prints values with 4
significant digits, as the lecture does, and the differences from autograd computed on the
exact floats ("0": bit for bit). Where no finite difference can be trusted (a within
rounding of 0 or 1) its cell is "—" with a footnote saying why, and the other columns stay.
A second table does the same for the second derivatives (`microgrand.second_comparison`).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, overload

from microgrand import lecture, tables
from microgrand.checks import to_float
from microgrand.engine import ancestors
from microgrand.finite_differences import NoStepError, finite_difference
from microgrand.logreg import LectureGraph, compiled_loss, lecture_graph
from microgrand.node import Node
from microgrand.notation import number

if TYPE_CHECKING:
    from microgrand.lecture import Examples

__all__ = ["Comparison", "Row", "compare"]

FORMULAS = {
    "L": "-(y log a + (1-y) log(1-a))",
    "da": "-y/a + (1-y)/(1-a)",
    "dz": "a - y",
    "dw1": "x1 * dz",
    "dw2": "x2 * dz",
    "db": "dz",
}
HEADER = ("", "lecture formula", "autograd", "lecture", "finite diff", "Δ lecture", "Δ finite")
SECOND_TITLE = "Second derivatives: grad of grad vs the lecture's Hessian vs second differences"


@dataclass(frozen=True, slots=True)
class Row:
    """One quantity three ways; `finite_difference` is None for L (a value, not a slope)
    and where no finite difference can be trusted, `note` then saying why. Where autograd or
    the lecture's formula leaves the range of floats, that value is nan, shown as "—"
    (`missing_row`: `missing` is true, `note` says why, no finite difference is taken).
    Where autograd's value is off from the lecture's by its own rounding (grad of grad
    lost its digits to cancellation), `cancelled` is true: the value is shown with a mark,
    `note` says why, and no finite difference is taken (`cancelled_row`).

    `max_diff` is the largest difference between any two of the values there are.
    """

    quantity: str
    formula: str
    autograd: float
    closed_form: float
    finite_difference: float | None
    max_diff: float
    note: str = ""
    cancelled: bool = False

    @property
    def missing(self) -> bool:
        """True for a row whose autograd or lecture value left the range of floats."""
        return math.isnan(self.autograd) or math.isnan(self.closed_form)


def make_row(
    quantity: str, formula: str, autograd: float, closed: float, fd: float | NoStepError | None
) -> Row:
    """A row; `fd` is the finite difference, the reason there is none, or None (for L)."""
    value = fd if isinstance(fd, float) else None
    values = [autograd, closed] + ([] if value is None else [value])
    note = str(fd) if isinstance(fd, NoStepError) else ""
    return Row(quantity, formula, autograd, closed, value, max(values) - min(values), note)


def missing_row(quantity: str, formula: str, autograd: float, closed: float, note: str) -> Row:
    """A row where autograd or the lecture's formula (nan) left the range of floats."""
    return Row(quantity, formula, autograd, closed, None, math.nan, note)


def cancelled_row(quantity: str, formula: str, autograd: float, closed: float, note: str) -> Row:
    """A row where autograd's value is decided by rounding (`note` says why)."""
    return Row(quantity, formula, autograd, closed, None, abs(autograd - closed), note, True)


def _difference(order: list[Node], node: Node, eps: float) -> float | NoStepError:
    """`finite_difference`, or the reason there is none (a footnote of the table)."""
    try:
        return finite_difference(order, node, eps, rounding_check=True)
    except NoStepError as reason:
        return reason


def _text(cells: list[list[str]]) -> str:
    return tables.text(cells, text_columns=2)  # the quantity and its formula


class _Table:
    """Text and HTML for a table of cells whose first row is the header."""

    __slots__ = ()

    def table(self) -> list[list[str]]:
        raise NotImplementedError

    def __str__(self) -> str:
        return _text(self.table())

    def _repr_html_(self) -> str:
        return tables.html(self.table())


@dataclass(frozen=True, slots=True)
class Comparison(_Table):
    """The rows of `compare` and the graph they were read from (grads filled in).

    `second` holds the second-derivative rows (a row of a quantity too large for a float,
    as d²L/da² at a within ~1e-154 of 0 or 1, has no values and a note saying so).
    """

    rows: tuple[Row, ...]
    graph: LectureGraph
    second: tuple[Row, ...] = ()

    @property
    def max_formula_diff(self) -> float:
        """The largest |autograd - formula| over the first-derivative rows."""
        return tables.max_formula_diff(self.rows)

    @property
    def max_second_formula_diff(self) -> float:
        """The largest |grad of grad - the lecture's formula| over the second derivatives
        (nan when there are none), leaving out the values rounding decided (marked, with a
        note: `Row.cancelled`)."""
        return tables.max_formula_diff(self.second)

    @property
    def max_second_numeric_diff(self) -> float:
        """The largest |grad of grad - second difference| over the second derivatives
        (nan when no second difference could be taken)."""
        return tables.max_numeric_diff(self.second)

    def text(self, *, second: bool = True) -> str:
        """The table as text, with its footnotes; with `second`, the second-derivative
        table under it."""
        text = "\n".join([_text(self.table()), *tables.footnotes(self.rows)])
        if second and self.second:
            text += f"\n\n{SECOND_TITLE}:\n" + self.second_text()
        return text

    def second_text(self) -> str:
        """The second-derivative table as text, with its footnotes."""
        return "\n".join([_text(self.second_table()), *tables.footnotes(self.second)])

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        html = tables.html(self.table()) + tables.footnotes_html(self.rows)
        if self.second:
            html += f"<p>{escape(SECOND_TITLE)}</p>" + tables.html(
                tables.cells(HEADER, self.second)
            )
            html += tables.footnotes_html(self.second)
        return html

    @property
    def max_numeric_diff(self) -> float:
        """The largest |autograd - finite difference| over the derivative rows (nan when
        no finite difference could be taken)."""
        return tables.max_numeric_diff(self.rows)

    def table(self) -> list[list[str]]:
        """The first-derivative rows as text cells, header first."""
        return tables.cells(HEADER, self.rows)

    def second_table(self) -> list[list[str]]:
        """The second-derivative rows as text cells, header first."""
        return tables.cells(HEADER, self.second)


BATCH_FORMULAS = {
    "J": "-(1/m) Σ (Y log A + (1-Y) log(1-A))",
    "dw1": "(1/m) X dZᵀ, row 1",
    "dw2": "(1/m) X dZᵀ, row 2",
    "db": "(1/m) Σ dZ",
}
BATCH_HEADER = (
    "",
    "lecture formula",
    "compiled",
    "vectorized",
    "mean of graphs",
    "Δ vectorized",
    "Δ graphs",
)


@dataclass(frozen=True, slots=True)
class BatchRow:
    """One quantity of the m-example step three ways (see `compare_examples`)."""

    quantity: str
    formula: str
    compiled: float
    vectorized: float
    graphs: float


@dataclass(frozen=True, slots=True)
class BatchComparison(_Table):
    """The rows of `compare` on m examples: J, dw1, dw2, db."""

    rows: tuple[BatchRow, ...]
    m: int

    @property
    def max_formula_diff(self) -> float:
        """The largest |compiled - vectorized formula| over all rows."""
        return max(abs(r.compiled - r.vectorized) for r in self.rows)

    @property
    def max_graphs_diff(self) -> float:
        """The largest |compiled - mean of the per-example graphs| over all rows."""
        return max(abs(r.compiled - r.graphs) for r in self.rows)

    def table(self) -> list[list[str]]:
        """The rows as text cells, header first."""
        cells = [list(BATCH_HEADER)]
        for r in self.rows:
            values = [number(v) for v in (r.compiled, r.vectorized, r.graphs)]
            diffs = [
                tables.difference(abs(r.compiled - r.vectorized)),
                tables.difference(abs(r.compiled - r.graphs)),
            ]
            cells.append([r.quantity, r.formula, *values, *diffs])
        return cells


def compare_examples(
    x1: Examples,
    x2: Examples,
    w1: float,
    w2: float,
    b: float,
    y: Examples,
) -> BatchComparison:
    """J and its gradients on m examples, three ways, side by side.

    - **compiled**: the one-example graph compiled once and run on the m examples as numpy
      arrays (`logreg.compiled_loss`, ``reduce="mean"``);
    - **vectorized**: the lecture's vectorized formulas (`lecture.vectorized`: X is
      n_x × m, ``Z = wᵀX + b``, ``dw = (1/m) X dZᵀ``), which know nothing of graphs;
    - **mean of graphs**: the lecture's graph built and backpropagated for each example
      (the dynamic engine), averaged.
    """
    import numpy as np

    m = len(y)
    if m == 0 or len(x1) != m or len(x2) != m:
        raise ValueError(
            f"compare: x1, x2 and y must have the same positive length, got "
            f"{len(x1)}, {len(x2)}, {m}"
        )
    # The graphs first: on inputs too large for floats they raise the one clear error
    # (naming the op and the values) before numpy could print RuntimeWarnings.
    sums = dict.fromkeys(BATCH_FORMULAS, 0.0)
    for i, (u, v, label) in enumerate(zip(x1, x2, y, strict=True)):
        try:
            graph = lecture_graph(u, v, w1, w2, b, label)
            graph.L.backward()
        except (ArithmeticError, ValueError) as error:
            raise type(error)(f"compare: example {i} of {m}: {error}") from None
        sums["J"] += graph.L.value
        sums["dw1"] += graph.w1.grad
        sums["dw2"] += graph.w2.grad
        sums["db"] += graph.b.grad
    X = np.array([x1, x2], dtype=np.float64)
    Y = np.array([y], dtype=np.float64)
    out = compiled_loss()(X[0], X[1], Y[0], w1, w2, b, reduce="mean")
    with np.errstate(all="ignore"):  # an inf or nan shows in the table as a disagreement
        formulas = lecture.vectorized(np.array([[w1], [w2]]), b, X, Y)
    compiled = {"J": out.value, **{k: out.grads[k[1:]] for k in ("dw1", "dw2", "db")}}
    vectorized = {
        "J": formulas.J,
        "dw1": float(formulas.dw[0, 0]),
        "dw2": float(formulas.dw[1, 0]),
        "db": formulas.db,
    }
    rows = tuple(
        BatchRow(q, f, compiled[q], vectorized[q], sums[q] / m) for q, f in BATCH_FORMULAS.items()
    )
    return BatchComparison(rows, m)


@overload
def compare(
    x1: float = ...,
    x2: float = ...,
    w1: float = ...,
    w2: float = ...,
    b: float = ...,
    y: float = ...,
    *,
    eps: float = ...,
) -> Comparison: ...


@overload
def compare(
    x1: Examples,
    x2: Examples,
    w1: float,
    w2: float,
    b: float,
    y: Examples,
    *,
    eps: float = ...,
) -> BatchComparison: ...


def compare(
    x1: float | Examples = 2.0,
    x2: float | Examples = -1.0,
    w1: float = 0.3,
    w2: float = 0.5,
    b: float = 0.1,
    y: float | Examples = 1.0,
    *,
    eps: float = 1e-6,
) -> Comparison | BatchComparison:
    """Build the lecture graph at this point, backpropagate and compare every quantity.

    Given sequences of m examples for x1, x2 and y instead of numbers, compares J and its
    gradients on the m examples (see `compare_examples`).
    """
    # Checked here, where the names are known: otherwise "Node: the value must be finite",
    # a ZeroDivisionError for eps=0, or "object of type 'float' has no len()".
    w1, w2, b = (to_float(v, f"compare: {n}") for n, v in (("w1", w1), ("w2", w2), ("b", b)))
    if not 0.0 < to_float(eps, "compare: eps") < 1.0:
        raise ValueError(f"compare: eps must be between 0 and 1, got {eps!r}")
    scalars = [isinstance(v, numbers.Real | str) for v in (x1, x2, y)]
    if (any(scalars) and not all(scalars)) or isinstance(x1, str):
        raise TypeError("compare: x1, x2 and y are numbers (one example) or sequences (m)")
    if not scalars[0]:
        # The ignore below: not numbers: sequences, which compare_examples checks
        return compare_examples(x1, x2, w1, w2, b, y)  # type: ignore[arg-type]
    x1, x2, y = (to_float(v, f"compare: {n}") for n, v in (("x1", x1), ("x2", x2), ("y", y)))
    return _compare_one_example(x1, x2, w1, w2, b, y, eps)


def _compare_one_example(
    x1: float, x2: float, w1: float, w2: float, b: float, y: float, eps: float
) -> Comparison:
    """`compare` on one example (its inputs checked): the two tables."""
    graph = lecture_graph(x1, x2, w1, w2, b, y)
    graph.L.backward()
    oracle = lecture.one_example(x1, x2, w1, w2, b, y)
    order = ancestors(graph.L)
    autograd = {
        "L": graph.L.value,
        "da": graph.a.grad,
        "dz": graph.z.grad,
        "dw1": graph.w1.grad,
        "dw2": graph.w2.grad,
        "db": graph.b.grad,
    }
    closed = {
        "L": oracle.L,
        "da": oracle.da,
        "dz": oracle.dz,
        "dw1": oracle.dw1,
        "dw2": oracle.dw2,
        "db": oracle.db,
    }
    wrt = {"da": graph.a, "dz": graph.z, "dw1": graph.w1, "dw2": graph.w2, "db": graph.b}
    rows = [
        make_row(
            quantity,
            formula,
            autograd[quantity],
            closed[quantity],
            _difference(order, wrt[quantity], eps) if quantity in wrt else None,
        )
        for quantity, formula in FORMULAS.items()
    ]
    from microgrand.second_comparison import second_rows  # it builds on this module

    return Comparison(tuple(rows), graph, second_rows(graph, order, (x1, x2, w1, w2, b, y)))
