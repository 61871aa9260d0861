"""Central finite differences of a graph's own forward pass, for `compare`'s third column.

A node's value is replaced by value ± h and every node after it is recomputed with the op
table's forward rules (`recompute`): no new graph is built. Where value ± h leaves an op's
domain (a within h of 0 or 1, where the lecture's loss takes log a and log(1 - a)) the step
shrinks. Near such an edge a difference is easily wrong rather than merely imprecise, so
there it must pass two checks, and otherwise `NoStepError` says why: `compare` then shows
"—" with that reason as a footnote, and keeps its other columns.
"""

from __future__ import annotations

import math

from microgrand.checks import describe
from microgrand.node import Node
from microgrand.ops import TABLE

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
_AGREE = 1e-3


class NoStepError(ValueError):
    """No finite-difference step gives a trustworthy slope here; the message says why."""


def recompute(order: list[Node], replaced: dict[Node, float]) -> float:
    """The value of the last node of `order` (a graph, parents first, as `engine.ancestors`
    gives it) with some nodes' values replaced and every other computed node recomputed by
    the op table's forward rules: finite differences without building a new graph."""
    values: dict[int, float] = {id(node): value for node, value in replaced.items()}
    for current in order:
        if id(current) in values:
            continue
        if current.op is None:
            values[id(current)] = current.value
        else:
            inputs = (values[id(p)] for p in current.parents)
            values[id(current)] = TABLE[current.op].forward(*inputs)
    return values[id(order[-1])]


def finite_difference(order: list[Node], node: Node, eps: float = 1e-6) -> float:
    """d(last node of `order`)/d(node) by central differences, re-running the forward pass.

    `node` may be any node, not only a leaf (da, dz). The step is ``eps·max(1, |value|)``;
    where value ± h leaves an op's domain it shrinks, and then (near the edge of a domain)
    the difference is taken as `_near_edge` describes.

    Raises:
        NoStepError: no step keeps the forward pass defined, or near the edge none gives a
            difference that can be trusted (the message says which, for a footnote).
    """
    value = node.value
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
            return (up - down) / (2.0 * h)
        return _near_edge(order, node, h / _NEAR_EDGE)
    raise NoStepError(
        f"no step around {describe(node)} = {value:.4g} keeps the forward pass defined: it "
        "sits on the edge of a domain (log at 0), closer than floats can step"
    )


def _near_edge(order: list[Node], node: Node, h: float) -> float:
    """The central difference at a value within a few steps of a domain's edge.

    The step is the one value ± h really takes (h may be below half the value's spacing of
    floats), and the difference must change the output and agree with the differences of
    the steps in `_STEPS`: near 1, ``1 - a`` rounds, and a step that rounds away (1 - (a ± h)
    is exactly 1 - a) or is quantized to a few spacings measures rounding, not the slope.
    """
    value = node.value
    name = f"{describe(node)} = {value:.4g}"
    slopes = []
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
        slopes.append((up - down) / (up_value - down_value))
    if not all(math.isclose(slopes[0], slope, rel_tol=_AGREE) for slope in slopes):
        shown = ", ".join(f"{slope:.4g}" for slope in slopes)
        raise NoStepError(
            f"near the edge of a domain around {name}, differences with slightly different "
            f"steps disagree ({shown}): rounding, not the slope, decides them"
        )
    return slopes[0]


def second_difference(order: list[Node], u: Node, v: Node, eps: float = 1e-4) -> float:
    """d²(last node of `order`)/du dv by central second differences of the forward pass.

    The step is larger than for first derivatives (rounding error grows like 1/h²) and
    shrinks, as in `finite_difference`, where value ± h would leave an op's domain. Near
    saturation (a within ~0.01 of 0 or 1, where d²L/da² has a pole) the truncation error
    (h/a)² shows: the column then agrees to fewer digits.

    Raises:
        NoStepError: no step keeps the forward pass defined.
    """
    hu = eps * max(1.0, abs(u.value))
    hv = eps * max(1.0, abs(v.value))
    for _ in range(_TRIES):
        try:
            if u is v:
                centre = recompute(order, {u: u.value})
                up = recompute(order, {u: u.value + hu})
                down = recompute(order, {u: u.value - hu})
                return (up - 2.0 * centre + down) / (hu * hu)
            corners = [
                recompute(order, {u: u.value + su * hu, v: v.value + sv * hv})
                for su, sv in ((1, 1), (1, -1), (-1, 1), (-1, -1))
            ]
            return (corners[0] - corners[1] - corners[2] + corners[3]) / (4.0 * hu * hv)
        except (ArithmeticError, ValueError):
            hu /= 4.0
            hv /= 4.0
    where = describe(u) if u is v else f"{describe(u)} and {describe(v)}"
    raise NoStepError(
        f"no step down to {hu:.1g} around {where} keeps the forward pass defined: a value "
        "sits that close to the edge of a domain (log at 0 or 1)"
    )
