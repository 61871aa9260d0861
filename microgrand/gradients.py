"""`grad`: gradients as return values, and gradients of gradients.

``grad(outputs, inputs)`` is ``torch.autograd.grad``: it returns d(sum of outputs)/d(input)
for each input and leaves every node's ``.grad`` as it was. With ``create_graph=True`` the
gradients are Nodes: the backward pass is itself recorded as a graph, built from the op
table's derivative formulas (``out * (1 - out)`` for sigmoid, evaluated on the sigmoid's
own node), so a gradient can be drawn, explained and differentiated again. That is how
`hessian` gets second derivatives, and Newton's method its curvature.

The walk is the engine's (iterative, stamps for the order): no recursion over the depth
of a graph, first or second order. Formulas recurse only over their own few characters.

A formula may use ``step`` (relu's derivative): it is not differentiable at 0 and is
treated as a number, so its own derivative is 0 everywhere (right away from the kink; at
the kink it follows the first derivative's convention, the subgradient 0 of step(0) = 0).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Sequence
from typing import Literal, TypeAlias, overload

from microgrand import checks, engine
from microgrand.engine import CONSTANT, DATA
from microgrand.node import Node
from microgrand.ops import FORMULA_FUNCTIONS, TABLE, Op

# A term during the backward pass: a float when it depends on no node (a constant, a fixed
# partial, step(x)), else a Node of the gradient graph.
Value: TypeAlias = Node | float

Nodes = Node | Sequence[Node]


@overload
def grad(
    outputs: Nodes,
    inputs: Nodes,
    *,
    create_graph: Literal[False] = False,
    allow_unused: bool = False,
) -> tuple[float, ...]: ...


@overload
def grad(
    outputs: Nodes, inputs: Nodes, *, create_graph: Literal[True], allow_unused: bool = False
) -> tuple[Node, ...]: ...


@overload
def grad(
    outputs: Nodes, inputs: Nodes, *, create_graph: bool, allow_unused: bool = False
) -> tuple[float, ...] | tuple[Node, ...]: ...


def grad(
    outputs: Nodes,
    inputs: Nodes,
    *,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[float, ...] | tuple[Node, ...]:
    """The gradients of the outputs' sum with respect to each input, as return values.

    Like ``torch.autograd.grad``: nothing is stored in any ``.grad`` (neither the graph's
    nor the inputs'), and an input may be any parameter or computed node (``z`` gives the
    lecture's ``dz``). Data leaves and constants hold no gradient and are refused as inputs.

    Args:
        outputs: a Node, or a sequence of Nodes whose sum is differentiated.
        inputs: a Node, or a sequence of Nodes.
        create_graph: return Nodes recorded from the op table's derivative formulas, so
            that they can be differentiated again (`grad` of a gradient), drawn and
            explained. A gradient that depends on no node is returned as a data leaf.
        allow_unused: give 0.0 for an input the outputs do not depend on (instead of
            raising ValueError; PyTorch gives None there).

    Returns:
        One gradient per input, in order: floats, or Nodes with ``create_graph=True``.
    """
    outs = _nodes(outputs, "outputs")
    ins = _nodes(inputs, "inputs")
    for i, node in enumerate(ins):
        if node._op is DATA or node._op is CONSTANT:
            kind = "a constant" if node._op is CONSTANT else "a data leaf (requires_grad=False)"
            raise ValueError(
                f"grad: input {i} ({checks.describe(node)}) is {kind}, which holds no gradient; "
                "make it Node(value, requires_grad=True) to differentiate with respect to it"
            )
    start = next(engine.clock)
    computed, leaves = engine._collect(*outs)
    engine.check_fresh(computed, leaves)
    in_graph = set(computed).union(leaves)
    unused = [i for i, node in enumerate(ins) if node not in in_graph]
    if unused and not allow_unused:
        names = ", ".join(f"input {i} ({checks.describe(ins[i])})" for i in unused)
        raise ValueError(
            f"grad: the outputs do not depend on {names}; pass allow_unused=True to get 0 "
            "for inputs the outputs do not use"
        )
    needed = _depends_on(computed, ins)
    seeds: dict[Node, float] = {}
    for out in outs:
        if out in needed:
            seeds[out] = seeds.get(out, 0.0) + 1.0  # d(sum of outputs)/d(output)
    if create_graph:
        terms = _backward_graph(computed, needed, dict(seeds))
        return tuple(_as_node(terms.get(node, 0.0), start) for node in ins)
    floats = _backward_floats(computed, needed, seeds)
    return tuple(floats.get(node, 0.0) for node in ins)


def hessian(output: Node, inputs: Sequence[Node]) -> list[list[float]]:
    """The matrix of second derivatives d²output/d(inputs[i]) d(inputs[j]), as floats.

    Row i is the gradient of the first derivative with respect to inputs[i]: one `grad`
    with ``create_graph=True``, then one float `grad` per input.
    """
    first = grad(output, inputs, create_graph=True, allow_unused=True)
    return [list(grad(g, inputs, allow_unused=True)) for g in first]


def _nodes(value: Nodes, what: str) -> list[Node]:
    items = [value] if isinstance(value, Node) else value
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence) or not items:
        raise TypeError(f"grad: {what} must be a Node or a non-empty sequence of Nodes")
    for i, item in enumerate(items):
        if not isinstance(item, Node):
            raise TypeError(f"grad: {what}[{i}] must be a Node, got {type(item).__name__}")
    return list(items)


def _depends_on(computed: list[Node], inputs: list[Node]) -> set[Node]:
    """The inputs and every computed node with an input among its ancestors.

    Gradients flow only into these: the rest of the graph (data-only subgraphs, the
    other branches) gets no derivative nodes and costs nothing.
    """
    needed = set(inputs)
    for node in reversed(computed):  # oldest first: parents before children
        if node._p0 in needed or (node._p1 is not None and node._p1 in needed):
            needed.add(node)
    return needed


def _backward_floats(
    computed: list[Node], needed: set[Node], adjoint: dict[Node, float]
) -> dict[Node, float]:
    """The chain rule on floats, like `engine.backward`, into `adjoint` instead of .grad."""
    for node in computed:  # newest first: every consumer before the node it consumes
        if node not in needed:
            continue
        g = adjoint.get(node, 0.0)
        if g - g != 0.0:
            raise checks.gradient_overflow(node, g, computed, "grad")
        x, y = node._p0, node._p1
        try:
            partials = _float_partials(node)
        except (ArithmeticError, ValueError) as error:
            raise checks.partial_error(node, error) from None
        for parent, d in zip((x, y), partials, strict=False):
            if parent in needed:
                adjoint[parent] = adjoint.get(parent, 0.0) + g * d
    for node, g in adjoint.items():
        if g - g != 0.0:
            raise checks.gradient_overflow(node, g, computed, "grad")
    return adjoint


def _float_partials(node: Node) -> tuple[float, ...]:
    op: Op = node._op  # type: ignore[assignment]
    x: Node = node._p0  # type: ignore[assignment]
    y = node._p1
    if op.fixed is not None:
        return op.fixed
    if y is None:
        return op.partials(node._v, x._v)
    return op.partials(node._v, x._v, y._v)


def _backward_graph(
    computed: list[Node], needed: set[Node], adjoint: dict[Node, Value]
) -> dict[Node, Value]:
    """The chain rule recorded as Nodes: each product g * (local partial) is a new node.

    The local partials come from the op table's formula text evaluated on the graph's own
    nodes, so their dependence on the inputs is recorded too (the second derivative of
    sigmoid flows through ``out * (1 - out)``).
    """
    for node in computed:
        if node not in needed:
            continue
        g = adjoint.get(node, 0.0)
        if g.__class__ is float and g == 0.0:
            continue
        x, y = node._p0, node._p1
        try:
            partials = _node_partials(node)
            for parent, d in zip((x, y), partials, strict=False):
                if parent in needed:
                    adjoint[parent] = _add(adjoint.get(parent, 0.0), _mul(g, d))
        except (ArithmeticError, ValueError) as error:
            raise checks.partial_error(node, error) from None
    return adjoint


def _as_node(value: Value, start: int) -> Node:
    """A gradient as a node the caller may name and differentiate, distinct from the graph's."""
    if isinstance(value, float):
        # It depends on no node: a data leaf, like PyTorch's tensor without a grad_fn.
        return Node(value, requires_grad=False)
    if value._p0 is None or value._stamp < start:
        # A node of the original graph (d(w x)/dw is x itself): naming the gradient must not
        # rename x, so it gets a node of its own.
        return value * 1.0
    return value


# --- arithmetic on terms, folding numbers ------------------------------------------------
# Numbers are combined as numbers and the identities x*1, x*0, x+0 are applied, so the
# gradient graph holds only the operations a hand derivation would write.


def _add(a: Value, b: Value) -> Value:
    if b.__class__ is float and b == 0.0:
        return a
    if a.__class__ is float and a == 0.0:
        return b
    return a + b


def _sub(a: Value, b: Value) -> Value:
    if b.__class__ is float and b == 0.0:
        return a
    if a.__class__ is float and a == 0.0:
        return -b
    return a - b


def _mul(a: Value, b: Value) -> Value:
    for one, other in ((a, b), (b, a)):
        if one.__class__ is float:
            if one == 1.0:
                return other
            if one == -1.0:
                return -other
            if one == 0.0:
                return 0.0
    return a * b


def _div(a: Value, b: Value) -> Value:
    if b.__class__ is float and b == 1.0:
        return a
    return a / b


def _pow(a: Value, b: Value) -> Value:
    if isinstance(b, Node):
        raise ValueError("a formula raised to a power that depends on a node")
    if b == 1.0:
        return a
    if isinstance(a, float):
        return TABLE["pow"].forward(a, b)
    return a**b


_BINARY = {ast.Add: _add, ast.Sub: _sub, ast.Mult: _mul, ast.Div: _div, ast.Pow: _pow}
_FLOAT_CALLS = FORMULA_FUNCTIONS
_NODE_CALLS = {"sigmoid": Node.sigmoid, "exp": Node.exp, "log": Node.log, "tanh": Node.tanh}


@functools.cache
def _parsed(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


def _node_partials(node: Node) -> tuple[Value, ...]:
    """The op's partials at `node`, its formula text evaluated on out, x and y.

    Constants enter as numbers; parameters, data and computed nodes as themselves.
    """
    op: Op = node._op  # type: ignore[assignment]
    if op.fixed is not None:
        return op.fixed
    variables: dict[str, Value] = {"out": _term(node)}
    variables["x"] = _term(node._p0)  # type: ignore[arg-type]
    if node._p1 is not None:
        variables["y"] = _term(node._p1)
    return tuple(_evaluate(_parsed(text), variables) for text in op.formulas)


def _term(node: Node) -> Value:
    return node._v if node._op is CONSTANT else node


def _evaluate(tree: ast.expr, variables: dict[str, Value]) -> Value:
    """One formula on terms. Recursion over the formula's syntax only (a few levels)."""
    if isinstance(tree, ast.Constant) and isinstance(tree.value, (int, float)):
        return float(tree.value)
    if isinstance(tree, ast.Name) and tree.id in variables:
        return variables[tree.id]
    if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.USub):
        return _mul(-1.0, _evaluate(tree.operand, variables))
    if isinstance(tree, ast.BinOp) and type(tree.op) in _BINARY:
        left = _evaluate(tree.left, variables)
        # 0 * anything is 0 without evaluating it: pow's y * x ** (y - 1) at y = 0 would
        # otherwise divide by zero at x = 0, where its slope is 0 (the engine's rule).
        if isinstance(tree.op, ast.Mult) and left.__class__ is float and left == 0.0:
            return 0.0
        return _BINARY[type(tree.op)](left, _evaluate(tree.right, variables))
    if isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and len(tree.args) == 1:
        name = tree.func.id
        argument = _evaluate(tree.args[0], variables)
        if isinstance(argument, float) or name not in _NODE_CALLS:
            # A number, or a helper with no derivative (step): its derivative is 0.
            value = argument if isinstance(argument, float) else argument._v
            return float(_FLOAT_CALLS[name](value))
        return _NODE_CALLS[name](argument)
    raise ValueError(f"cannot evaluate the formula {ast.unparse(tree)!r} on nodes")
