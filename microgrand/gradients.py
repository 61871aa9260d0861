"""`grad`: gradients as return values, and gradients of gradients.

``grad(outputs, inputs)`` is ``torch.autograd.grad``: it returns d(sum of outputs)/d(input)
for each input and leaves every node's ``.grad`` as it was. With ``create_graph=True`` the
gradients are Nodes: the backward pass is itself recorded as a graph, built from the op
table's derivative formulas (``out * (1 - out)`` for sigmoid, evaluated on the sigmoid's
own node), so a gradient can be drawn, explained and differentiated again. That is how
`hessian` gets second derivatives, and Newton's method its curvature.

The walk is the engine's (iterative, stamps for the order): no recursion over the depth
of a graph, first or second order. Formulas recurse only over their own few characters.

relu's slope is the op ``step(x)``, recorded like any other op, whose own slope is 0: so
the gradient of relu's gradient is 0.0, as PyTorch's double backward gives (right away from
the kink; at the kink the first derivative's convention, the subgradient 0 of step(0) = 0).
The helper ``is_zero`` in pow's slope is taken as a number (its derivative is 0 too).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, overload

from microgrand import checks, engine, formula
from microgrand import gradient_terms as terms
from microgrand.engine import CONSTANT, DATA, op_row
from microgrand.gradient_terms import Value
from microgrand.node import Node, Number, constant

Nodes = Node | Sequence[Node]
Weights = Node | Number | Sequence[Node | Number]


@overload
def grad(
    outputs: Nodes,
    inputs: Nodes,
    *,
    grad_outputs: Weights | None = None,
    create_graph: Literal[False] = False,
    allow_unused: bool = False,
) -> tuple[float, ...]: ...


@overload
def grad(
    outputs: Nodes,
    inputs: Nodes,
    *,
    grad_outputs: Weights | None = None,
    create_graph: Literal[True],
    allow_unused: bool = False,
) -> tuple[Node, ...]: ...


@overload
def grad(
    outputs: Nodes,
    inputs: Nodes,
    *,
    grad_outputs: Weights | None = None,
    create_graph: bool,
    allow_unused: bool = False,
) -> tuple[float, ...] | tuple[Node, ...]: ...


def grad(
    outputs: Nodes,
    inputs: Nodes,
    *,
    grad_outputs: Weights | None = None,
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
        grad_outputs: one weight per output (numbers, or Nodes, which a gradient graph
            then depends on): the gradient of Σ weight·output, a vector-Jacobian product.
            None weighs every output 1.
        create_graph: return Nodes recorded from the op table's derivative formulas, so
            that they can be differentiated again (`grad` of a gradient), drawn and
            explained. A gradient that depends on no node is returned as a data leaf.
        allow_unused: give 0.0 for an input the outputs do not depend on (instead of
            raising ValueError; PyTorch gives None there).

    Returns:
        One gradient per input, in order: floats, or Nodes with ``create_graph=True``.
    """
    _refuse_non_bool(create_graph=create_graph, allow_unused=allow_unused)
    outs = _nodes(outputs, "outputs")
    ins = _nodes(inputs, "inputs")
    _refuse_non_parameters(ins)
    start = next(engine.clock)
    computed, leaves = engine.collect(*outs)
    engine.check_fresh(computed, leaves)
    in_graph = set(computed).union(leaves)
    unused = [i for i, node in enumerate(ins) if node not in in_graph]
    if unused and not allow_unused:
        raise ValueError(_unused_message(outs, ins, unused))
    needed = _depends_on(computed, ins)
    weights = _weights(grad_outputs, len(outs))
    if create_graph:
        seeds: dict[Node, Value] = {}
        for out, weight in zip(outs, weights, strict=True):
            if out in needed:  # d(Σ weight·output)/d(output) = weight
                seeds[out] = terms.add(seeds.get(out, 0.0), terms.term(weight))
        adjoint = _backward_graph(computed, needed, seeds)
        return tuple(_as_node(adjoint.get(node, 0.0), start) for node in ins)
    floats: dict[Node, float] = {}
    for out, weight in zip(outs, weights, strict=True):
        if out in needed:
            floats[out] = floats.get(out, 0.0) + weight._v
    floats = _backward_floats(computed, needed, floats)
    return tuple(floats.get(node, 0.0) for node in ins)


def _refuse_non_bool(**flags: object) -> None:
    """Raise TypeError for a flag that is not True or False ("yes" would count as True)."""
    for name, value in flags.items():
        if value is not True and value is not False:
            raise TypeError(
                f"grad: {name} must be True or False, got {type(value).__name__} "
                f"{checks.short(repr(value))}"
            )


def _unused_message(outs: list[Node], ins: list[Node], unused: list[int]) -> str:
    """Why grad refuses inputs the outputs do not use, with the likely cause when known."""
    names = ", ".join(f"input {i} ({checks.describe(ins[i])})" for i in unused)
    message = f"grad: the outputs do not depend on {names}"
    if all(out._op is DATA and out._name is None for out in outs):
        # What grad(..., create_graph=True) returns for a gradient that came out a number.
        message += (
            ": the output is a plain number with no graph. grad(..., create_graph=True) "
            "returns one when the derivative is a constant (d(3v)/dv = 3), so the "
            "derivative of such a gradient is 0"
        )
    return message + "; pass allow_unused=True to get 0.0 for inputs the outputs do not use"


def _refuse_non_parameters(ins: list[Node]) -> None:
    """Raise ValueError for an input that holds no gradient (a data leaf or a constant)."""
    for i, node in enumerate(ins):
        if node._op is DATA or node._op is CONSTANT:
            kind = "a constant" if node._op is CONSTANT else "a data leaf (requires_grad=False)"
            raise ValueError(
                f"grad: input {i} ({checks.describe(node)}) is {kind}, which holds no gradient; "
                "make it Node(value, requires_grad=True) to differentiate with respect to it"
            )


def hessian(output: Node, inputs: Sequence[Node]) -> list[list[float]]:
    """The matrix of second derivatives d²output/d(inputs[i]) d(inputs[j]), as floats.

    Row i is the gradient of the first derivative with respect to inputs[i]: one `grad`
    with ``create_graph=True``, then one float `grad` per input.

    The entries are right for the graph, in floats: where the gradient graph adds large
    terms that cancel (the lecture's loss written with log a, at y = 1 and z = -74, gives 0
    for a(1 - a) = 7.3e-33, as PyTorch does), `magnitudes` says how large they were; a
    graph built with `bce_with_logits` has no such terms.
    """
    first = grad(output, inputs, create_graph=True, allow_unused=True)
    return [list(grad(g, inputs, allow_unused=True)) for g in first]


def magnitudes(output: Node, inputs: Nodes) -> tuple[float, ...]:
    """How large the terms are that `grad` adds up: for each input, the sum over the
    chain-rule products (every path from the output) of their sizes, Σ_paths Π |local
    derivative|.

    The gradient is the same sum with signs. Where it is far smaller than this, its terms
    cancelled, and their rounding (each product and sum is off by up to 2⁻⁵³ of itself)
    can be larger than the gradient: `second_comparison` uses this to say when grad of
    grad lost its digits. Terms too large for a float give inf.
    """
    outs = _nodes(output, "outputs")
    ins = _nodes(inputs, "inputs")
    _refuse_non_parameters(ins)
    computed, leaves = engine.collect(*outs)
    engine.check_fresh(computed, leaves)
    needed = _depends_on(computed, ins)
    sizes = dict.fromkeys((out for out in outs if out in needed), 1.0)
    try:
        sizes = _backward_floats(computed, needed, sizes, absolute=True)
    except OverflowError:
        return tuple(math.inf for _ in ins)
    return tuple(sizes.get(node, 0.0) for node in ins)


def _weights(grad_outputs: Weights | None, count: int) -> list[Node]:
    """One weight per output, as nodes (numbers become constants): 1 each by default."""
    if grad_outputs is None:
        return [constant(1.0, "grad")] * count
    items = [grad_outputs] if not isinstance(grad_outputs, Sequence) else list(grad_outputs)
    if isinstance(grad_outputs, (str, bytes)) or len(items) != count:
        raise ValueError(
            f"grad: grad_outputs must give one weight per output ({count}), got "
            f"{checks.short(repr(grad_outputs))}"
        )
    return [
        item
        if isinstance(item, Node)
        else constant(checks.to_float(item, f"grad: grad_outputs[{i}]"), "grad")
        for i, item in enumerate(items)
    ]


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
    computed: list[Node], needed: set[Node], adjoint: dict[Node, float], absolute: bool = False
) -> dict[Node, float]:
    """The chain rule on floats, like `engine.backward`, into `adjoint` instead of .grad.
    With `absolute`, every local derivative counts by its size (`magnitudes`).

    A parent outside `needed` gets nothing, and its partial is not even computed: it may
    not be defined (pow's slope in the exponent, out·log x, at a negative base).
    """
    get = adjoint.get  # this loop runs once per node: attribute lookups add up
    for node in computed:  # newest first: every consumer before the node it consumes
        if node not in needed:
            continue
        g = get(node, 0.0)
        if g - g != 0.0:
            raise checks.gradient_overflow(node, g, computed, "grad", lambda n: get(n, 0.0))
        op = op_row(node)
        x: Node = node._p0  # type: ignore[assignment]  # a computed node has a first input
        y = node._p1
        use_x = x in needed
        use_y = y is not None and y in needed
        if not (use_x or use_y):
            continue  # an input whose own inputs do not matter
        try:
            if y is None:
                dx = op.fixed[0] if op.fixed is not None else op.partial_of[0](node._v, x._v)
                adjoint[x] = get(x, 0.0) + g * (abs(dx) if absolute else dx)
                continue
            if op.fixed is not None:
                dx, dy = op.fixed
            elif op.swap:
                dx, dy = y._v, x._v
            elif use_x and use_y:
                dx, dy = op.partials(node._v, x._v, y._v)
            elif use_x:
                dx = op.partial_of[0](node._v, x._v, y._v)
            else:
                dy = op.partial_of[1](node._v, x._v, y._v)
        except (ArithmeticError, ValueError) as error:
            raise checks.partial_error(node, error) from None
        if use_x:
            adjoint[x] = get(x, 0.0) + g * (abs(dx) if absolute else dx)
        if use_y:
            adjoint[y] = get(y, 0.0) + g * (abs(dy) if absolute else dy)
    for node, g in adjoint.items():
        if g - g != 0.0:
            raise checks.gradient_overflow(node, g, computed, "grad", lambda n: get(n, 0.0))
    return adjoint


def _backward_graph(
    computed: list[Node], needed: set[Node], adjoint: dict[Node, Value]
) -> dict[Node, Value]:
    """The chain rule recorded as Nodes: each product g * (local partial) is a new node.

    The local partials are the op's derivative trees (`microgrand.formula`) evaluated on the
    graph's own nodes, so their dependence on the inputs is recorded too (the second
    derivative of sigmoid flows through ``out * (1 - out)``, on the sigmoid node).
    """
    for node in computed:
        if node not in needed:
            continue
        g = adjoint.get(node, 0.0)
        if g.__class__ is float and g == 0.0:
            continue
        op = op_row(node)
        x, y = node._p0, node._p1
        variables: dict[str, Value] | None = None
        for i, parent in enumerate((x, y)):
            if parent is None or parent not in needed:
                continue
            try:
                if op.fixed is not None:
                    d: Value = op.fixed[i]
                elif op.swap:  # mul: the slope in one input is the other input
                    # The ignore below: only two-input ops swap, so y is a Node
                    d = terms.term(y if i == 0 else x)  # type: ignore[arg-type]
                else:
                    if variables is None:
                        # The ignore below: a computed node has a first input
                        variables = {"out": node, "x": terms.term(x)}  # type: ignore[arg-type]
                        if y is not None:
                            variables["y"] = terms.term(y)
                    d = formula.evaluate(op.derivatives[i], variables, terms.apply, float)
                adjoint[parent] = terms.add(adjoint.get(parent, 0.0), terms.mul(g, d))
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
