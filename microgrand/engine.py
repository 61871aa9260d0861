"""Reverse-mode differentiation: the order of a graph's nodes, `backward` and `zero_grad`.

The engine reads each node's op row (its `partials` rule) and never special-cases an op.
Nothing here recurses: graphs a million nodes deep are walked with an explicit stack,
and the topological order comes from the stamps computed nodes take when they are made
(a node is always made after its parents), so it is one sort instead of a recursive
search. Leaves are stamped only when their value is set, which is how a backward pass
tells that a graph was built on a value that has changed since.
"""

from __future__ import annotations

import gc
import itertools
from heapq import heappop, heappush
from operator import attrgetter
from typing import TYPE_CHECKING

from microgrand import checks

if TYPE_CHECKING:
    from microgrand.node import Node
    from microgrand.ops import Op


class Kind:
    """What sort of leaf a node is. A node keeps it in its op slot, so it costs no memory."""

    __slots__ = ("label",)

    def __init__(self, label: str) -> None:
        self.label = label

    def __repr__(self) -> str:
        return self.label


PARAMETER = Kind("parameter")  # a user's leaf that gets a gradient
DATA = Kind("data")  # a user's leaf marked requires_grad=False (x, y of the lecture)
CONSTANT = Kind("constant")  # a number combined with a node: immutable, no gradient

# A node's stamp orders events: making a computed node and setting a leaf's value each
# take the next tick (a leaf that was never set has stamp 0). Parents are always made
# before their children, so sorting by stamp is a topological order, and a leaf whose
# stamp is newer than a consumer's was set after that consumer was computed from it.
tick = itertools.count(1).__next__
_by_stamp = attrgetter("_stamp")


def _collect(root: Node) -> tuple[list[Node], list[Node]]:
    """The computed nodes of root's graph, newest first, and its leaves."""
    seen = {root}
    stack = [root]
    computed: list[Node] = []
    leaves: list[Node] = []
    # Bound methods: this loop runs once per node, and attribute lookups add up.
    pop, push, mark = stack.pop, stack.append, seen.add
    add_computed, add_leaf = computed.append, leaves.append
    while stack:
        node = pop()
        x = node._p0
        if x is None:
            add_leaf(node)
            continue
        add_computed(node)
        if x not in seen:
            mark(x)
            push(x)
        y = node._p1
        if y is not None and y not in seen:
            mark(y)
            push(y)
    computed.sort(key=_by_stamp, reverse=True)
    return computed, leaves


def check_fresh(computed: list[Node], leaves: list[Node]) -> None:
    """Raise RuntimeError when a leaf's value was set after a node that uses it was made:
    that node's value, and every gradient through it, would be stale.

    Args:
        computed: the graph's computed nodes, newest first (as `_collect` returns them).
        leaves: the graph's leaves.
    """
    # A leaf's stamp is 0 until its value is set. When no leaf was set after the oldest
    # computed node was made, nothing can be stale; only otherwise check edge by edge.
    if not leaves or not computed or max(map(_by_stamp, leaves)) < computed[-1]._stamp:
        return
    for node in computed:
        for parent in (node._p0, node._p1):
            if parent is not None and parent._stamp > node._stamp:
                raise checks.stale(parent, node)


def ancestors(root: Node) -> list[Node]:
    """Every node root depends on, root last, each after all of its parents.

    Raises RuntimeError for a stale graph (see `check_fresh`): a copy would hide it.
    """
    computed, leaves = _collect(root)
    check_fresh(computed, leaves)
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

    One pass does it all. Computed nodes wait in a heap keyed by their stamp and come out
    newest first: a node is always newer than its parents, so by the time a node comes
    out, every node that uses it has passed its gradient on (reverse topological order,
    without a separate sort). A node's grad starts from 0.0 the first time it is reached.
    """
    if root._p0 is None:  # a leaf: d(root)/d(root) = 1, unless it holds no gradient
        root.grad = 1.0 if root._op is PARAMETER else 0.0
        return
    root.grad = 1.0
    seen = {root}
    leaves: list[Node] = []
    heap = [(-root._stamp, root)]
    pop, push, mark, add_leaf = heappop, heappush, seen.add, leaves.append
    node = root
    # The pass makes no reference cycles, only short-lived tuples; without this pause the
    # cyclic collector would walk the whole (large, live) graph again and again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        while heap:
            node = pop(heap)[1]
            g = node.grad
            if g - g != 0.0:  # inf or nan: some product on the way here overflowed
                raise checks.gradient_overflow(node, _collect(root)[0])
            x: Node = node._p0  # type: ignore[assignment]
            y = node._p1
            op: Op = node._op  # type: ignore[assignment]
            fixed = op.fixed
            try:
                if op.swap:
                    dx = y._v  # type: ignore[union-attr]
                    dy = x._v
                elif fixed is not None:
                    if y is None:
                        (dx,) = fixed
                    else:
                        dx, dy = fixed
                elif y is None:
                    (dx,) = op.partials(node._v, x._v)
                else:
                    dx, dy = op.partials(node._v, x._v, y._v)
            except (ArithmeticError, ValueError) as error:
                raise checks.partial_error(node, error) from None
            if x in seen:
                x.grad += g * dx
            else:
                mark(x)
                x.grad = g * dx
                if x._p0 is None:
                    add_leaf(x)
                else:
                    push(heap, (-x._stamp, x))
            if y is not None:
                if y in seen:
                    y.grad += g * dy
                else:
                    mark(y)
                    y.grad = g * dy
                    if y._p0 is None:
                        add_leaf(y)
                    else:
                        push(heap, (-y._stamp, y))
        # `node` is now the oldest computed node. Leaves are stamped only when set: if
        # none was set after it was made, no node of the graph can be stale.
        if leaves and max(map(_by_stamp, leaves)) > node._stamp:
            check_fresh(*_collect(root))
        for leaf in leaves:
            if leaf._op is PARAMETER:
                g = leaf.grad
                if g - g != 0.0:
                    raise checks.gradient_overflow(leaf, _collect(root)[0])
            else:
                # Constants and data leaves received products like any input; they hold
                # no gradient, so they go back to 0.0.
                leaf.grad = 0.0
    except BaseException:
        # Leave no half-computed gradients behind.
        for other in seen:
            other.grad = 0.0
        raise
    finally:
        if collecting:
            gc.enable()
