"""The second table of `compare`: the lecture's second derivatives three ways.

d²L/da², d²L/dz² and the Hessian of L in (w1, w2, b), a(1-a)·x·xᵀ with x = (x1, x2, 1):
autograd's come from `microgrand.grad` of `microgrand.grad` (the gradient recorded as a
graph from the op table's derivative formulas, then differentiated), the lecture's from
`microgrand.lecture.second_derivatives`, and the finite differences are second
differences of the graph's own forward pass.
"""

from __future__ import annotations

import math

from microgrand import lecture
from microgrand.comparison import Row, make_row, missing_row
from microgrand.finite_differences import NoStepError, second_difference
from microgrand.gradients import grad
from microgrand.logreg import LectureGraph
from microgrand.node import Node

# (label, lecture formula, key of lecture.second_derivatives, the two nodes differentiated
# by, by name)
SECOND = (
    ("d²L/da²", "y/a² + (1-y)/(1-a)²", "d2a", "a", "a"),
    ("d²L/dz²", "a(1-a)", "d2z", "z", "z"),
    ("d²L/dw1²", "a(1-a) x1²", "d2w1", "w1", "w1"),
    ("d²L/dw1dw2", "a(1-a) x1 x2", "dw1dw2", "w1", "w2"),
    ("d²L/dw1db", "a(1-a) x1", "dw1db", "w1", "b"),
    ("d²L/dw2²", "a(1-a) x2²", "d2w2", "w2", "w2"),
    ("d²L/dw2db", "a(1-a) x2", "dw2db", "w2", "b"),
    ("d²L/db²", "a(1-a)", "d2b", "b", "b"),
)


def second_rows(
    graph: LectureGraph, order: list[Node], point: tuple[float, ...], eps: float = 1e-4
) -> tuple[Row, ...]:
    """The second-derivative rows: grad of grad, the lecture's formula, second differences.

    Where grad of grad overflows (at a within ~1e-154 of 0 or 1 the graph of da holds
    values like y/a²) or the lecture's formula is too large for a float, that value is "—"
    with the reason, in that row only: the other rows and columns stand.
    """
    nodes = graph._asdict()
    closed = lecture.second_derivatives(*point)
    firsts: dict[str, Node] = {}
    rows = []
    for label, formula, key, u, v in SECOND:
        reasons = []
        try:
            if u not in firsts:
                (firsts[u],) = grad(graph.L, nodes[u], create_graph=True)
            (autograd,) = grad(firsts[u], nodes[v], allow_unused=True)
        except OverflowError as error:
            autograd = math.nan
            reasons.append(f"grad of grad overflowed ({error})")
        lecture_value = closed[key]
        if math.isinf(lecture_value):
            lecture_value = math.nan
            where = ", ".join(f"{n} = {nodes[n].value:.4g}" for n in dict.fromkeys(("a", u, v)))
            reasons.append(f"the lecture's {formula} is too large for a float at {where}")
        if reasons:
            rows.append(missing_row(label, formula, autograd, lecture_value, "; ".join(reasons)))
            continue
        fd: float | NoStepError
        try:
            fd = second_difference(order, nodes[u], nodes[v], eps, rounding_check=True)
        except NoStepError as reason:
            fd = reason  # the cell shows "—", the reason a footnote
        rows.append(make_row(label, formula, autograd, closed[key], fd))
    return tuple(rows)
