"""Central finite differences of a graph's own forward pass, for `compare`'s third column.

A node's value is replaced by value ± h and every node after it is recomputed with the op
table's forward rules (`recompute`): no new graph is built. Where value ± h leaves an op's
domain (a within h of 0 or 1, where the lecture's loss takes log a and log(1 - a)) the step
shrinks. Near such an edge a difference is easily wrong rather than merely imprecise, so
there it must pass two checks; and with ``rounding=True`` every difference must change
the output by more than the forward pass's rounding does (at z = 30, σ(z ± 3e-5) is the
same float, and a difference in z would read 0 for a slope of 1). Otherwise `NoStepError`
says why: `compare` then shows "—" with that reason as a footnote, and keeps its other
columns.
"""

from __future__ import annotations

import math

from microgrand.checks import describe
from microgrand.define import ATOL, RTOL
from microgrand.engine import op_row
from microgrand.node import Node

_TRIES = 30  # second differences: shrinks by 4, from 1e-4 down to about 1e-22
# Once a step had to shrink, the edge is within a few steps of the value: the difference is
# taken with a step this many times smaller, so that its truncation error, (h/d)² for an
# edge at distance d, stays below ~1e-5 ...
_NEAR_EDGE = 256.0
# ... and it must agree with the differences of steps a little larger to this relative
# tolerance (the table shows 4 digits), or rounding, not the slope, is what it measures. The
# factors are not powers of 2: near 1, 1 - (a ± h) rounds to a multiple of 2**-53, and steps
# in the ratio 2 are rounded alike, so they would agree on the same wrong slope.
_STEPS = (1.0, 1.3, 1.7)
# Second differences divide rounding by h², not h: near an edge they step only this many
# times smaller ((h/d)² / 12 below ~3e-4), and rounding decides the rest (`_resolved`).
_NEAR_EDGE_SECOND = 16.0
_AGREE = 1e-3
# A second difference is shown where rounding can move it by at most this much of itself:
# its rounding bound is pessimistic (every node's rounding at its worst), and a 1 % check
# is what a second difference of 2e-4 at h = 1e-4 gives (x2 = 0.03: a(1-a)·x2²).
_RELATIVE = 1e-2
_ROUNDING = 2.0**-52  # a float op's relative rounding error, at most (with some margin)


class NoStepError(ValueError):
    """No finite-difference step gives a trustworthy slope here; the message says why."""


def recompute(order: list[Node], replaced: dict[Node, float]) -> float:
    """The value of the last node of `order` (a graph, parents first, as `engine.ancestors`
    gives it) with some nodes' values replaced and every other computed node recomputed by
    the forward rule of each node's own op row: finite differences without building a new
    graph. The row is the node's, not the table's by name: an op defined again since (a
    notebook cell run twice) leaves a graph built before it with the old forward."""
    values: dict[int, float] = {id(node): value for node, value in replaced.items()}
    for current in order:
        if id(current) in values:
            continue
        if current.is_leaf:
            values[id(current)] = current.value
        else:
            values[id(current)] = op_row(current).forward(*(values[id(p)] for p in current.parents))
    return values[id(order[-1])]


def rounding(order: list[Node], perturbed: tuple[Node, ...]) -> float:
    """About how far rounding can move the output between two runs of the forward pass that
    differ in the `perturbed` nodes' values.

    Every node computed downstream of them rounds its value by up to 2**-52 of it, which
    moves the output by that times d(output)/d(node): the ``grad`` backward() left in each
    node is the weight of its rounding in this bound (the differences themselves never use
    it). The perturbed nodes are set, not computed: value ± h is the step itself. A product
    with a factor that is exactly 0 and not perturbed (w2·x2 at x2 = 0) is 0 for every
    step: the step stops there, and nothing after it rounds differently.
    """
    total = sum(abs(node.grad) * abs(node.value) for node in reached(order, perturbed))
    return total * _ROUNDING


def reached(order: list[Node], perturbed: tuple[Node, ...]) -> list[Node]:
    """The computed nodes whose values a step in the `perturbed` nodes can change (see
    `rounding`: a product with an exact 0 stops it)."""
    downstream = set(perturbed)
    found = []
    for current in order:
        if (
            current not in downstream
            and any(p in downstream for p in current.parents)
            and not _zero_product(current, downstream)
        ):
            downstream.add(current)
            found.append(current)
    return found


def _zero_product(node: Node, downstream: set[Node]) -> bool:
    """True for x·y (the op whose slope in one input is the other: swap) where an input
    that the step does not reach is exactly 0."""
    if node.is_leaf or not op_row(node).swap:
        return False
    return any(p not in downstream and p.value == 0.0 for p in node.parents)


def _resolved(slope: float, error: float, where: str, *, relative: bool = False) -> float:
    """`slope`, unless rounding (up to ± `error` in it) could decide it: gradcheck's rule,
    atol + rtol·|slope|; with `relative`, `_RELATIVE`·|slope| alone (a second derivative of
    1e-10 is not measured by a difference that could be off by 1e-6, which gradcheck's atol
    of 1e-5 would let through; an exact 0, with no rounding in it, stands)."""
    if error > (_RELATIVE * abs(slope) if relative else ATOL + RTOL * abs(slope)):
        raise NoStepError(
            f"the forward pass rounds more than a step in {where} changes it (the "
            f"difference {slope:.4g} could be off by {error:.1g}): it would measure rounding"
        )
    return slope


def finite_difference(
    order: list[Node], node: Node, eps: float = 1e-6, *, rounding_check: bool = False
) -> float:
    """d(last node of `order`)/d(node) by central differences, re-running the forward pass.

    `node` may be any node, not only a leaf (da, dz). The step is ``eps·max(1, |value|)``;
    where value ± h leaves an op's domain it shrinks, and then (near the edge of a domain)
    the difference is taken as `_near_edge` describes.

    Args:
        order: the graph, parents first (`engine.ancestors`).
        node: the node the output is differentiated by.
        eps: the relative step.
        rounding_check: refuse a difference that the forward pass's rounding could
            decide (`rounding`; needs the grads of a backward() from the output).

    Raises:
        NoStepError: no step keeps the forward pass defined, or none gives a difference
            that can be trusted (the message says which, for a footnote).
    """
    value = node.value
    noise = rounding(order, (node,)) if rounding_check else 0.0
    where = f"{describe(node)} = {value:.4g}"
    h = eps * max(1.0, abs(value))
    shrunk = False
    while value + h != value and value - h != value:  # until h is below the floats' spacing
        try:
            up = recompute(order, {node: value + h})
            down = recompute(order, {node: value - h})
        except (ArithmeticError, ValueError):
            # value ± h left the domain (a ± h outside (0, 1) once a is within h of 0 or
            # 1): a smaller step stays inside it.
            h /= 4.0
            shrunk = True
            continue
        if not shrunk:
            return _resolved((up - down) / (2.0 * h), noise / h, where)
        return _near_edge(order, node, h / _NEAR_EDGE, noise)
    raise NoStepError(
        f"no step around {describe(node)} = {value:.4g} keeps the forward pass defined: it "
        "sits on the edge of a domain (log at 0), closer than floats can step"
    )


def _near_edge(order: list[Node], node: Node, h: float, noise: float) -> float:
    """The central difference at a value within a few steps of a domain's edge.

    The step is the one value ± h really takes (h may be below half the value's spacing of
    floats), and the difference must change the output and agree with the differences of
    the steps in `_STEPS`: near 1, ``1 - a`` rounds, and a step that rounds away (1 - (a ± h)
    is exactly 1 - a) or is quantized to a few spacings measures rounding, not the slope.
    """
    value = node.value
    name = f"{describe(node)} = {value:.4g}"
    slopes: list[float] = []
    for step in (factor * h for factor in _STEPS):
        up_value, down_value = value + step, value - step
        if up_value == value or down_value == value:
            raise NoStepError(
                f"{name} is within rounding of the edge of a domain (log at 0 or 1): no "
                "step small enough to stay inside it can be written as a float"
            )
        try:
            up = recompute(order, {node: up_value})
            down = recompute(order, {node: down_value})
        except (ArithmeticError, ValueError):
            raise NoStepError(
                f"{name} sits on the edge of a domain (log at 0 or 1): no step keeps the "
                "forward pass defined"
            ) from None
        if up == down:
            raise NoStepError(
                f"a step small enough to stay inside the domain around {name} rounds away "
                "further on (1 - a rounds to the same float), so the forward pass cannot "
                "see it"
            )
        slope = (up - down) / (up_value - down_value)
        slopes.append(_resolved(slope, 2.0 * noise / (up_value - down_value), name))
    if not all(math.isclose(slopes[0], slope, rel_tol=_AGREE) for slope in slopes):
        shown = ", ".join(f"{slope:.4g}" for slope in slopes)
        raise NoStepError(
            f"near the edge of a domain around {name}, differences with slightly different "
            f"steps disagree ({shown}): rounding, not the slope, decides them"
        )
    return slopes[0]


def second_difference(
    order: list[Node], u: Node, v: Node, eps: float = 1e-4, *, rounding_check: bool = False
) -> float:
    """d²(last node of `order`)/du dv by central second differences of the forward pass.

    The step is larger than for first derivatives (rounding error grows like 1/h²) and
    shrinks, as in `finite_difference`, where value ± h would leave an op's domain; after a
    shrink (an edge within a few steps) it is taken `_NEAR_EDGE_SECOND` times smaller (and
    exact in floats), so that the truncation error (h/d)² of an edge at distance d stays
    small. With ``rounding_check`` (see `finite_difference`) a difference that rounding
    could move by more than 1 % of itself is refused (rounding errors are divided by h²
    here, so near an edge that is the usual outcome), and the step halves until the
    difference settles (`_settled`: a step large next to the distance to an edge is off by
    a factor).

    Raises:
        NoStepError: no step keeps the forward pass defined, or rounding could decide it.
    """
    noise = rounding(order, (u, v)) if rounding_check else 0.0
    if u is not v and not (reached(order, (u,)) and reached(order, (v,))):
        # A step in one of them changes nothing: each pair of corners is one run, and
        # the mixed difference is exactly 0, with no rounding in it.
        noise = 0.0
    where = describe(u) if u is v else f"{describe(u)} and {describe(v)}"
    hu = eps * max(1.0, abs(u.value))
    hv = eps * max(1.0, abs(v.value))
    for tries in range(_TRIES):
        try:
            second, error = _second(order, u, v, hu, hv, noise)
        except (ArithmeticError, ValueError):
            hu /= 4.0
            hv /= 4.0
            continue
        if tries > 0:
            hu, hv = _exact_step(u, hu / _NEAR_EDGE_SECOND), _exact_step(v, hv / _NEAR_EDGE_SECOND)
            if not (hu and hv):
                raise NoStepError(
                    f"{where} is within rounding of the edge of a domain (log at 0 or 1): no "
                    "step small enough to stay inside it can be written as a float"
                )
            second, error = _second(order, u, v, hu, hv, noise)
        if rounding_check:
            return _settled(order, u, v, (hu, hv), noise, where)
        return _resolved(second, error, where)
    raise NoStepError(
        f"no step down to {hu:.1g} around {where} keeps the forward pass defined: a value "
        "sits that close to the edge of a domain (log at 0 or 1)"
    )


def _settled(
    order: list[Node], u: Node, v: Node, steps: tuple[float, float], noise: float, where: str
) -> float:
    """The second difference, once the difference with steps half as large agrees with it.

    A step inside the domain can still be large next to the distance to its edge (a =
    1.01e-4 and a step of 1e-4: log(a - h) at 1e-6), and the difference is then off by a
    factor, not a digit. Halving the step leaves a quarter of its truncation error (which
    goes as h²), so the two differences are apart by three quarters of it: where they
    disagree by more than `_AGREE` (and their rounding), the step shrinks by 4, until they
    agree or rounding could decide the difference (`_resolved` refuses it).
    """
    hu, hv = steps
    while True:
        second = _resolved(*_second(order, u, v, hu, hv, noise), where, relative=True)
        # steps that value ± step takes exactly: near 1, a + h/2 rounds by a few % of h/2
        halves = _exact_step(u, hu / 2.0), _exact_step(v, hv / 2.0)
        if not all(halves):
            raise NoStepError(
                f"no step small enough to settle the difference around {where} can be "
                "written as a float: an edge of a domain (log at 0 or 1) is that close"
            )
        half, error = _second(order, u, v, *halves, noise)
        if abs(half - second) <= _AGREE * abs(half) + 2.0 * error:
            return second
        hu, hv = _exact_step(u, hu / 4.0), _exact_step(v, hv / 4.0)


def _exact_step(node: Node, h: float) -> float:
    """A step near h that value ± step takes exactly (value + h rounds), or 0.0 if none.
    Either side may have the coarser spacing (at -1, -1 - h rounds to 2⁻⁵², -1 + h to
    2⁻⁵³): a step on the coarser side's grid is exact on both."""
    value = node.value
    for step in ((value + h) - value, value - (value - h)):
        if step and (value + step) - value == step and value - (value - step) == step:
            return step
    return 0.0


def _second(
    order: list[Node], u: Node, v: Node, hu: float, hv: float, noise: float
) -> tuple[float, float]:
    """The second difference with steps hu, hv, and how far rounding could move it."""
    if u is v:
        centre = recompute(order, {u: u.value})
        up = recompute(order, {u: u.value + hu})
        down = recompute(order, {u: u.value - hu})
        # three runs, each off by up to ± noise: 4·noise in up - 2·centre + down
        return (up - 2.0 * centre + down) / (hu * hu), 4.0 * noise / (hu * hu)
    corners = [
        recompute(order, {u: u.value + su * hu, v: v.value + sv * hv})
        for su, sv in ((1, 1), (1, -1), (-1, 1), (-1, -1))
    ]
    second = (corners[0] - corners[1] - corners[2] + corners[3]) / (4.0 * hu * hv)
    return second, noise / (hu * hv)
