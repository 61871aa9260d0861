"""Reverse-mode differentiation: the order of a graph's nodes, `backward` and `zero_grad`.

The engine reads each node's op row (its `partials` rule) and never special-cases an op.
Nothing here recurses: graphs a million nodes deep are walked with an explicit stack,
and the topological order comes from the stamps computed nodes take when they are made
(a node is always made after its parents), so it is one sort instead of a recursive
search. Leaves are stamped only when their value is set, which is how a backward pass
tells that a graph was built on a value that has changed since.
"""

from __future__ import annotations

import itertools
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


def op_row(node: Node) -> Op:
    """The op row a computed node was made with. Not the table's row by that name now: a
    user's op defined again (a notebook cell run twice) leaves graphs built before it with
    their old row, for backward, finite differences, explain and drawings alike."""
    return node._op  # type: ignore[return-value]  # a computed node's op slot holds its Op row


PARAMETER = Kind("parameter")  # a user's leaf that gets a gradient
DATA = Kind("data")  # a user's leaf marked requires_grad=False (x, y of the lecture)
CONSTANT = Kind("constant")  # a number combined with a node: immutable, no gradient

# A node's stamp orders events: making a computed node and setting a leaf's value each
# take the next tick (a leaf that was never set has stamp 0). Parents are always made
# before their children, so sorting by stamp is a topological order, and a leaf whose
# stamp is newer than a consumer's was set after that consumer was computed from it.
clock = itertools.count(1)
tick = clock.__next__  # next(clock) is a little faster where it is inlined
_by_stamp = attrgetter("_stamp")

# The marks of the backward passes running now, in any thread, and a count of the passes
# begun: on its error path a pass can tell whether another one ran at the same time.
_running: set[float] = set()
_begun = itertools.count()


class GraphTooLargeError(ValueError):
    """A graph has more nodes than the caller (a drawing) can handle."""


def collect(*roots: Node, limit: int | None = None) -> tuple[list[Node], list[Node]]:
    """The computed nodes of the roots' graph, newest first, and its leaves.

    With a `limit`, the walk stops with GraphTooLargeError as soon as it has seen more
    nodes than that, so a million-node graph is refused in microseconds.
    """
    seen = set(roots)
    stack = list(dict.fromkeys(roots))  # in the given order, each once
    computed: list[Node] = []
    leaves: list[Node] = []
    # Bound methods: this loop runs once per node, and attribute lookups add up.
    pop, push, mark = stack.pop, stack.append, seen.add
    add_computed, add_leaf = computed.append, leaves.append
    while stack:
        if limit is not None and len(seen) > limit:
            raise GraphTooLargeError(f"this graph has more than {limit} nodes")
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
        computed: the graph's computed nodes, newest first (as `collect` returns them).
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


def ancestors(root: Node, limit: int | None = None) -> list[Node]:
    """Every node root depends on, root last, each after all of its parents.

    Raises RuntimeError for a stale graph (see `check_fresh`): a copy would hide it, and
    GraphTooLargeError when `limit` is given and the graph has more nodes than that.
    """
    computed, leaves = collect(root, limit=limit)
    check_fresh(computed, leaves)
    computed.reverse()
    return leaves + computed


def zero_grad(root: Node) -> None:
    """Set the grad of every node in root's graph to 0.0."""
    computed, leaves = collect(root)
    for node in computed:
        node.grad = 0.0
    for node in leaves:
        node.grad = 0.0


def backward(root: Node) -> None:
    """Set every node's grad to d(root)/d(node); constants and data leaves keep 0.0.

    The grads are recomputed from zero each time (PyTorch adds into leaves instead), so
    calling this twice gives the same numbers.

    A walk from the root finds the graph and marks each node it reaches by putting a mark
    in its grad slot (`_reach`); a sort by stamp puts the computed nodes in reverse
    topological order; one loop then applies the chain rule (`_chain_rule`), each node's
    first incoming product replacing the mark. The mark is a nan made for this call alone, so
    two threads walking graphs that share a constant never take each other's mark. Graphs
    that share a parameter cannot be backpropagated at once (the node has one grad): a pass
    that finds its sums disturbed says so rather than report an overflow.

    What the mark buys, measured (benchmarks/icount.py): the plain form, a walk with a set
    of seen nodes, a pass zeroing every grad and ``+=`` for every product, costs 14 % more
    instructions on the lecture's one-example step (138,815 against 121,787 per call) and
    2 % more on a long chain (11,566 against 11,366 per node).
    """
    if root._p0 is None:  # a leaf: d(root)/d(root) = 1, unless it holds no gradient
        root.grad = 1.0 if root._op is PARAMETER else 0.0
        return
    mark = float("nan")
    begun, crowded = next(_begun), bool(_running)
    stack = [root]
    computed: list[Node] = []
    leaves: list[Node] = []
    try:
        _running.add(mark)
        _reach(mark, stack, computed, leaves)
        computed.sort(key=_by_stamp, reverse=True)
        check_fresh(computed, leaves)
        root.grad = 1.0
        _chain_rule(computed, mark, crowded, begun)
        for leaf in leaves:
            if leaf._op is PARAMETER:
                g = leaf.grad
                if g - g != 0.0:
                    raise _not_finite(leaf, g, computed, crowded, begun)
            else:
                # Constants and data leaves received products like any input; they hold
                # no gradient, so they go back to 0.0.
                leaf.grad = 0.0
    except BaseException:
        # Leave no mark and no half-computed gradient behind.
        for other in (*computed, *leaves, *stack):
            other.grad = 0.0
        raise
    finally:
        _running.discard(mark)


def _reach(mark: float, stack: list[Node], computed: list[Node], leaves: list[Node]) -> None:
    """Walk from the nodes on `stack`, putting `mark` in the grad slot of each node reached.

    The same walk as `collect`, but it remembers where it has been in the grad slots
    instead of a set: cheaper, and the slots must be reset for the chain rule anyway. It
    fills the caller's lists, so that on an error the caller can clear every mark it left.
    """
    for node in stack:
        node.grad = mark
    # Bound methods: this loop runs once per node, and attribute lookups add up.
    pop, push, add_computed, add_leaf = stack.pop, stack.append, computed.append, leaves.append
    while stack:
        node = pop()
        x = node._p0
        if x is None:
            add_leaf(node)
            continue
        add_computed(node)
        if x.grad is not mark:
            x.grad = mark
            push(x)
        y = node._p1
        if y is not None and y.grad is not mark:
            y.grad = mark
            push(y)


def _chain_rule(computed: list[Node], mark: float, crowded: bool, begun: int) -> None:
    """Apply the chain rule through `computed` (newest first), adding into parents' grads.

    Every node's grad already holds d(root)/d(node) when the loop reaches it (all of its
    consumers are newer); a parent's grad still holding `mark` has had no product yet.
    """
    for node in computed:
        g = node.grad
        if g - g != 0.0:  # inf or nan: some product on the way here overflowed
            raise _not_finite(node, g, computed, crowded, begun)
        # The slots are typed for every kind of node; a computed one holds its op row and
        # has a first input (only the second may be None).
        op: Op = node._op  # type: ignore[assignment]
        x: Node = node._p0  # type: ignore[assignment]
        y = node._p1
        fixed = op.fixed
        try:
            if op.swap:
                dx = y._v  # type: ignore[union-attr]  # only two-input ops swap
                dy = x._v
            elif fixed is not None:
                if y is None:
                    (dx,) = fixed
                else:
                    dx, dy = fixed
            elif y is None:
                (dx,) = op.partials(node._v, x._v)
            elif y._op is CONSTANT or y._op is DATA:
                # y holds no gradient: its partial is not needed (pow's, out·log x,
                # is not even defined for x ** 2 at x < 0).
                dx = op.partial_of[0](node._v, x._v, y._v)
                dy = 0.0
            else:
                dx, dy = op.partials(node._v, x._v, y._v)
        except (ArithmeticError, ValueError) as error:
            raise checks.partial_error(node, error) from None
        if x.grad is mark:
            x.grad = g * dx
        else:
            x.grad += g * dx
        if y is not None:
            if y.grad is mark:
                y.grad = g * dy
            else:
                y.grad += g * dy


def _not_finite(
    node: Node, grad: float, computed: list[Node], crowded: bool, begun: int
) -> Exception:
    """The error for a gradient found inf or nan, in a pass begun as pass number `begun`.

    A node holds one grad, so two passes at once over graphs that share it add into each
    other's sums and leave a nan (a mark). That nan is not an overflow: when another pass
    was running as this one began, still runs, or began since, the error says so.
    """
    if grad != grad and (crowded or len(_running) > 1 or next(_begun) > begun + 1):
        return checks.concurrent_backward(node)
    return checks.gradient_overflow(node, grad, computed, gradient_of=_grad_of)


def _grad_of(node: Node) -> float:
    """A node's gradient so far in a backward pass, for the error that names an overflow."""
    return node.grad
