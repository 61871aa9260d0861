"""The second table of `compare`: the lecture's second derivatives three ways.

d²L/da², d²L/dz² and the Hessian of L in (w1, w2, b), a(1-a)·x·xᵀ with x = (x1, x2, 1):
autograd's come from `microgrand.grad` of `microgrand.grad` (the gradient recorded as a
graph from the op table's derivative formulas, then differentiated), the lecture's from
`microgrand.lecture.second_derivatives`, and the finite differences are second
differences of the graph's own forward pass.

Near saturation grad of grad can be right for the graph and wrong for the lecture: with
y = 1 and a tiny, the graph of da = -y/a makes d²L/dz² the sum (1-a)² - (1-a)(1-2a) of
terms near 1 that cancel to a(1-a), far below their rounding (at z = -74 it gives 0 for
7.3e-33; PyTorch's double backward on the same graph too). Such a value is shown with a
note (`cancelled`), never silently beside the lecture's.
"""

from __future__ import annotations

import math
import sys

from microgrand import lecture
from microgrand.comparison import Row, cancelled_row, make_row, missing_row
from microgrand.engine import collect
from microgrand.finite_differences import NoStepError, second_difference
from microgrand.gradients import grad, magnitudes
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
# grad of grad within this relative distance of the lecture's value is shown as it is: six
# significant digits, two more than the table prints, so no difference the printed digits
# could show goes without a note. At the lecture's points the two agree to ~1e-15.
AGREE = 1e-6
# Below the smallest normal float (2.2e-308) floats carry fewer digits, the lecture's
# formula as well: agreement is asked relative to this at least.
TINY = sys.float_info.min
# Each float operation rounds by up to 2⁻⁵³ of its result: a sum of chain-rule products,
# each a chain of n operations, is off by at most about n·2⁻⁵³ times the sum of their
# sizes (`gradients.magnitudes`; Higham's γₙ for sums of products).
ROUNDING = 2.0**-53
# ... and below the normal floats by up to half the smallest subnormal float, 2⁻¹⁰⁷⁴ (x2 =
# 2e-205: x2·a(1-a) = 9e-312 keeps 40 bits, then meets 1/a² = 6e212 in the gradient
# graph). The half, 2⁻¹⁰⁷⁵, is not a float: the bound takes the whole.
UNDERFLOW = 2.0**-1074


def cancelled(autograd: float, closed: float, bound: float) -> bool:
    """True when grad of grad disagrees with the lecture's value by more than `AGREE` and
    rounding explains it: it is within `bound` (`rounding_bound`) of it.

    Both conditions: the size bound alone is pessimistic (at z = 30, y = 0 the terms cancel
    too, but exactly, since 1 - a is a multiple of 2⁻⁵³ there), and a disagreement that
    rounding cannot explain is a wrong formula, which Δ lecture must show as it is.
    """
    return not agrees(autograd, closed) and abs(autograd - closed) <= bound


def rounding_bound(first: Node, v: Node) -> tuple[float, float]:
    """How far rounding can move grad(first, v) at most, and the sum of the sizes of the
    chain-rule products it adds.

    Every operation is off by up to 2⁻⁵³ of its result, and by up to `UNDERFLOW` where the
    result falls below the normal floats; a product or a sum at a node n reaches the
    result multiplied by how much n moves with v (`magnitudes` of n in v). The chains are
    at most n operations deep: twice the nodes of `first`'s graph, a product and a sum each.
    """
    (size,) = magnitudes(first, v)
    computed = collect(first)[0]
    moved = sum(magnitudes(node, v)[0] for node in computed if node is not v)
    depth = 2 * len(computed)
    return depth * (ROUNDING * size + UNDERFLOW * moved), size


def agrees(autograd: float, closed: float) -> bool:
    """True when grad of grad and the lecture's value agree to `AGREE` (relative to `TINY`
    at least)."""
    return abs(autograd - closed) <= AGREE * max(abs(closed), TINY)


def cancellation_note(a: float, size: float) -> str:
    """Why grad of grad lost its digits here, and what gives the lecture's value."""
    return (
        f"grad of grad lost its digits to cancellation at a = {a:.4g}: the chain-rule "
        f"products it adds up have sizes summing to {size:.2g}, and they cancel to less "
        "than their rounding (2⁻⁵³ of each), so rounding decides the value (the graph of "
        "da = -y/a is right, the floats are not). microgrand.bce_with_logits(z, y), whose "
        "gradient is σ(z) - y, gives a(1 - a) without cancelling"
    )


def overflow_note(which: list[str], graph: LectureGraph, divides: bool) -> str:
    """One sentence for a cell whose grad of grad or lecture formula (`which`) overflowed:
    what overflowed, at which value, and what to do. The long story (the op, the node, the
    chain-rule product) is what `grad` and `hessian` raise, not repeated in each footnote.

    At a saturated sigmoid (y/a² beyond floats: a below ~1e-154 with y = 1) it is y/a²,
    which grad of grad of the loss written with log(a) holds (d(da)/da), and the lecture's
    d²L/da² too (`divides`: every value in `which` holds y/a²); `bce_with_logits` never
    divides by a.
    """
    a, y = graph.a.value, graph.y.value
    what = " and ".join(which)
    if divides and a > 0.0 and math.isinf(y / a / a):
        return (
            f"{what} overflowed: y/a² is beyond floats at a = {a:.4g} (a saturated sigmoid); "
            "use microgrand.bce_with_logits(z, y) for the loss, which never divides by a"
        )
    x1, x2 = graph.x1.value, graph.x2.value  # a(1-a)·x·xᵀ: the inputs make it large
    return f"{what} overflowed: too large for a float at a = {a:.4g}, x1 = {x1:.4g}, x2 = {x2:.4g}"


def second_rows(
    graph: LectureGraph, order: list[Node], point: tuple[float, ...], eps: float = 1e-4
) -> tuple[Row, ...]:
    """The second-derivative rows: grad of grad, the lecture's formula, second differences.

    Where grad of grad overflows (at a within ~1e-154 of 0 or 1 the graph of da holds
    values like y/a²) or the lecture's formula is too large for a float, that value is "—"
    with the reason, in that row only: the other rows and columns stand. Where grad of grad
    lost its digits to cancellation (`cancelled`), its value has a mark and a note (one for
    all such rows) and no finite difference is taken.
    """
    nodes = graph._asdict()
    closed = lecture.second_derivatives(*point)
    firsts: dict[str, Node] = {}
    rows: list[Row | tuple[str, str, float, float, float]] = []
    for label, formula, key, u, v in SECOND:
        reasons = []
        try:
            if u not in firsts:
                (firsts[u],) = grad(graph.L, nodes[u], create_graph=True)
            (autograd,) = grad(firsts[u], nodes[v], allow_unused=True)
        except OverflowError:
            autograd = math.nan  # the cell's footnote is short: grad raises the whole story
            reasons.append("grad of grad")
        lecture_value = closed[key]
        if math.isinf(lecture_value):
            lecture_value = math.nan
            reasons.append(f"the lecture's {formula}")
        if reasons:
            # of the lecture's formulas only d²L/da²'s holds y/a²; grad of grad's all do
            divides = key == "d2a" or not math.isnan(lecture_value)
            note = overflow_note(reasons, graph, divides)
            rows.append(missing_row(label, formula, autograd, lecture_value, note))
            continue
        size = _size(firsts[u], nodes[v], autograd, lecture_value)
        if size is not None:
            rows.append((label, formula, autograd, lecture_value, size))
            continue
        fd: float | NoStepError
        try:
            fd = second_difference(order, nodes[u], nodes[v], eps, rounding_check=True)
        except NoStepError as reason:
            fd = reason  # the cell shows "—", the reason a footnote
        rows.append(make_row(label, formula, autograd, lecture_value, fd))
    # One note for every row that lost its digits, so that they share one footnote.
    worst = max((row[4] for row in rows if isinstance(row, tuple)), default=0.0)
    note = cancellation_note(graph.a.value, worst)
    return tuple(cancelled_row(*row[:4], note) if isinstance(row, tuple) else row for row in rows)


def _size(first: Node, v: Node, autograd: float, closed: float) -> float | None:
    """The size of the chain-rule products behind grad of grad if they `cancelled`, else
    None (the value stands; the size is computed only where the two disagree)."""
    if agrees(autograd, closed):
        return None
    bound, size = rounding_bound(first, v)
    return size if cancelled(autograd, closed, bound) else None
