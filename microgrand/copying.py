"""Copying and pickling graphs without recursion.

Python's default ``deepcopy`` and ``pickle`` follow references recursively, so a chain a
few thousand nodes deep would exceed the recursion limit. Here the first node copied or
pickled lists its whole graph, parents before children, so when any node is handled its
parents are already done. Nodes of one graph copied or pickled together stay connected,
as ordinary Python objects do, and a copy never shares a node with the original.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from microgrand import checks, engine

if TYPE_CHECKING:
    from microgrand.node import Node
    from microgrand.ops import Op

_KINDS = {kind.label: kind for kind in (engine.PARAMETER, engine.DATA, engine.CONSTANT)}
_pickling = threading.local()


def _op_key(op: Op | engine.Kind) -> str:
    return op.label if isinstance(op, engine.Kind) else op.name


def _record(node: Node) -> tuple[float, float, str | None, str, tuple[Node, ...]]:
    return (node._v, node.grad, node._name, _op_key(node._op), node.parents)


def rebuild(
    value: float, grad: float, name: str | None, op: str, parents: tuple[Node, ...]
) -> Node:
    """Make a node from its record; computed nodes take a fresh stamp as they are rebuilt."""
    from microgrand.node import make

    p0 = parents[0] if parents else None
    p1 = parents[1] if len(parents) > 1 else None
    node = make(value, _KINDS[op] if op in _KINDS else _row(op), p0, p1)
    node._stamp = 0 if p0 is None else engine.tick()
    node.grad, node._name = grad, name
    return node


def _row(name: str) -> Op:
    from microgrand.ops import TABLE  # here: the table imports node, which imports this

    row = TABLE.get(name)
    if row is None:
        raise ValueError(
            f"the graph uses the op {name!r}, which is not defined here: define it with "
            "microgrand.define_op before loading the graph"
        )
    return row


def copy_node(node: Node) -> Node:
    """``copy.copy``: a new node with the same value, name, op and (shared) parents."""
    for parent in node.parents:
        if parent._stamp > node._stamp:  # the copy's new stamp would hide the staleness
            raise checks.stale(parent, node)
    copy = rebuild(*_record(node))
    if copy._p0 is None:
        copy._stamp = node._stamp
    return copy


def deepcopy_node(node: Node, memo: dict[int, Any]) -> Node:
    """``copy.deepcopy``: copy the node's whole graph; nodes already in `memo` are reused."""
    if id(node) not in memo:
        for old in engine.ancestors(node):
            if id(old) not in memo:
                value, grad, name, op, parents = _record(old)
                memo[id(old)] = rebuild(value, grad, name, op, tuple(memo[id(p)] for p in parents))
    copy: Node = memo[id(node)]
    return copy


def reduce_node(node: Node) -> tuple[Any, ...]:
    """``pickle``: the first node pickled lists its graph, parents first; the others
    (pickled while that list is) are plain records whose parents are pickled already."""
    pending: dict[int, bool] | None = getattr(_pickling, "pending", None)
    if pending is not None and pending.pop(id(node), False):
        return (rebuild, _record(node))
    graph = engine.ancestors(node)[:-1]
    mine = {id(old): True for old in graph}
    done = _PicklingDone(mine, pending)
    _pickling.pending = mine
    return (_rebuild_last, (graph, done, *_record(node)))


class _PicklingDone:
    """Pickled right after a graph's list of nodes: forgets which nodes were pending.

    A dump can stop part-way (a full disk, a ``reducer_override`` that raises), and then
    nothing is pickled after the list. Left behind, the pending ids would make a later
    dump pickle those nodes as records, recursing once per node. So this object restores
    the state however the dump ends: when it is pickled (the list is done) or, failing
    that, when the pickler drops it (CPython frees it as the exception unwinds the dump).
    """

    __slots__ = ("mine", "outer")

    def __init__(
        self, mine: dict[int, bool] | None = None, outer: dict[int, bool] | None = None
    ) -> None:
        self.mine = mine
        self.outer = outer  # the dump this one runs inside, if any

    def restore(self) -> None:
        """Put back the state from before this graph's list, unless that happened already."""
        if self.mine is not None and getattr(_pickling, "pending", None) is self.mine:
            _pickling.pending = self.outer
        self.mine = self.outer = None

    def __reduce__(self) -> tuple[Any, ...]:
        self.restore()
        return (_PicklingDone, ())

    def __del__(self) -> None:
        self.restore()


def _rebuild_last(graph: list[Node], done: object, *record: Any) -> Node:
    """Rebuild the node pickled first; its `graph` of ancestors is rebuilt already."""
    return rebuild(*record)
