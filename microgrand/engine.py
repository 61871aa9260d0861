"""Reverse-mode differentiation: the order of a graph's nodes, `backward` and `zero_grad`.

The engine reads each node's op row (its `partials` rule) and never special-cases an op.
Nothing here recurses: graphs a million nodes deep are walked with an explicit stack,
and the topological order comes from the stamps nodes take when they are made (a node is
always made after its parents), so it is one sort instead of a recursive search.
"""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from microgrand.node import Node

_by_stamp = attrgetter("_stamp")


def _collect(root: Node) -> tuple[list[Node], list[Node]]:
    """The computed nodes of root's graph, newest first, and its leaves.

    Raises RuntimeError when a leaf's value was set after a node that uses it was made:
    that node's value, and every gradient through it, would be stale.
    """
    seen = {root}
    stack = [root]
    computed: list[Node] = []
    leaves: list[Node] = []
    while stack:
        node = stack.pop()
        parents = node._parents
        if not parents:
            leaves.append(node)
            continue
        computed.append(node)
        stamp = node._stamp
        for parent in parents:
            if parent._stamp > stamp:
                raise _stale(parent, node)
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    computed.sort(key=_by_stamp, reverse=True)
    return computed, leaves


def _stale(leaf: Node, user: Node) -> RuntimeError:
    from microgrand.node import describe

    return RuntimeError(
        f"the value of leaf {describe(leaf)} (now {leaf._v!r}) was set after "
        f"{describe(user)} was computed from it, so that node's value and any gradient "
        "through it would be stale. Build the graph again from the leaves after "
        "changing their values."
    )


def ancestors(root: Node) -> list[Node]:
    """Every node root depends on, root last, each after all of its parents."""
    computed, leaves = _collect(root)
    computed.reverse()
    return leaves + computed


def zero_grad(root: Node) -> None:
    """Set the grad of every node in root's graph to 0.0."""
    computed, leaves = _collect(root)
    for node in computed:
        node.grad = 0.0
    for node in leaves:
        node.grad = 0.0


def backward(root: Node) -> None:
    """Set every node's grad to d(root)/d(node); constants and data leaves keep 0.0.

    The grads are recomputed from zero each time (PyTorch adds into leaves instead), so
    calling this twice gives the same numbers.
    """
    computed, leaves = _collect(root)
    for node in computed:
        node.grad = 0.0
    for node in leaves:
        node.grad = 0.0
    root.grad = 1.0
    try:
        for node in computed:
            g = node.grad
            if g - g != 0.0:  # inf or nan: some product on the way here overflowed
                raise _gradient_overflow(node, computed)
            parents = node._parents
            try:
                if len(parents) == 2:
                    x, y = parents
                    dx, dy = node._op.partials(node._v, x._v, y._v)  # type: ignore[union-attr]
                    x.grad += g * dx
                    y.grad += g * dy
                else:
                    (x,) = parents
                    (dx,) = node._op.partials(node._v, x._v)  # type: ignore[union-attr]
                    x.grad += g * dx
            except (ArithmeticError, ValueError) as error:
                raise _partial_error(node, error) from None
        for node in leaves:
            g = node.grad
            if g - g != 0.0 and node.requires_grad:
                raise _gradient_overflow(node, computed)
    finally:
        # Constants and data leaves received products like any input; they hold no
        # gradient, so put them back to 0.0 (also when a check above raised).
        for node in leaves:
            if not node.requires_grad:
                node.grad = 0.0


def _partial_error(node: Node, error: Exception) -> Exception:
    """A local derivative could not be computed (0 ** 0.5 at 0 has an infinite slope)."""
    from microgrand.node import describe

    inputs = ", ".join(f"{describe(p)} = {p._v!r}" for p in node._parents)
    op = node.op
    return OverflowError(
        f"backward through {op} ({describe(node)}): the local derivative is infinite or "
        f"too large for a float at {inputs} ({type(error).__name__}: {error})"
    )


def _gradient_overflow(node: Node, computed: list[Node]) -> OverflowError:
    """Name the ops whose products made `node`'s gradient inf or nan."""
    from microgrand.node import describe

    users = sorted({user.op or "?" for user in computed if node in user._parents})
    return OverflowError(
        f"backward: the gradient of {describe(node)} is {node.grad!r}, not a finite float; "
        f"it overflowed in the chain-rule products through {', '.join(users)}. "
        "Values or derivatives this large usually mean an input or learning rate is far "
        "too big."
    )
