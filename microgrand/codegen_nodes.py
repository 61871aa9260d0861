"""Which nodes the backward pass treats how: the analyses of a traced graph that
`microgrand.codegen.plan_backward` writes its statements from (which nodes take a
gradient, which receive one product only, which are folded into the expression that uses
them, which scalar gradients are summed over the examples as they arrive).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from microgrand.engine import PARAMETER, op_row
from microgrand.formula import Num
from microgrand.node import Node

if TYPE_CHECKING:
    from microgrand.codegen import Plan


def wants_grad(p: Plan) -> set[Node]:
    """Nodes whose gradient is computed: those on a path from the root to a node whose
    gradient is returned (a parameter input or a named node)."""
    wants = {leaf for leaf in p.inputs if leaf._op is PARAMETER}
    wants.update(p.named)
    for node in p.computed:
        if node in wants or any(parent in wants for parent in node.parents):
            wants.add(node)
    return wants


def arrivals(order: list[Node], wants: set[Node]) -> dict[Node, int]:
    """How many products reach each node that takes a gradient (one per use of it)."""
    count: dict[Node, int] = {}
    for node in order:
        if node in wants:
            for parent in node.parents:
                if parent in wants:
                    count[parent] = count.get(parent, 0) + 1
    return count


def summed_on_arrival(p: Plan, order: list[Node], wants: set[Node], arrays: set[Node]) -> set[Node]:
    """Scalar nodes whose gradient is summed over the examples as the one product that
    reaches it arrives (``dw1 = dot(dz, x1)``, ``db = total(dz)``).

    A node qualifies when it is used once and so is every node its gradient flows on into:
    then the sum is the engine's per-example gradients added up, only multiplied out in
    another order. A node that adds up several products keeps them one per example and is
    summed at the end: Σ(a + b) is not Σa + Σb in floats, and where a and b cancel in each
    example (1e43 - 1e43) the sums of each would lose the rest (-1.0) to rounding.
    """
    uses_of = arrivals(order, wants)
    summed: set[Node] = set()
    for node in [*p.inputs, *reversed(order)]:  # inputs before the nodes made from them
        used_once = node in wants and node not in arrays and uses_of.get(node, 0) == 1
        if used_once and all(parent in summed for parent in node.parents if parent in wants):
            summed.add(node)
    return summed


def foldable(p: Plan, order: list[Node], wants: set[Node]) -> set[Node]:
    """Nodes whose gradient is written into the one expression that uses it.

    A node qualifies when exactly one product reaches it, it passes its gradient on to at
    most one input through a constant partial (+, -, neg: so the expression does not grow
    along a chain), and its gradient is not returned: ``dt8 = -t6; dt7 = dt8 * (1.0 / t7);
    da = -dt7`` becomes ``da = t6 * (1.0 / t7)``, the same operations on the same numbers
    (a negation is exact), without the intermediate statements.
    """
    returned = {*p.inputs, *p.named, p.root}
    arrived = arrivals(order, wants)
    ops = {op_row(node) for node in order}
    constant = {op: all(isinstance(d, Num) for d in op.derivatives) for op in ops}
    return {
        node
        for node in order
        if node not in returned
        and arrived.get(node, 0) == 1
        and constant[op_row(node)]
        and sum(1 for parent in node.parents if parent in wants) <= 1
    }
