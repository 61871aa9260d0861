"""Arithmetic on the terms of a gradient graph, for `microgrand.grad`'s ``create_graph``.

A term is a float when it depends on no node (a constant, a fixed partial, the helper
``is_zero(y)``) and a Node otherwise. `apply` is `microgrand.formula.evaluate`'s ``apply``:
it runs one op or helper of a derivative formula on terms. Numbers are combined as
numbers; an op on a Node is recorded as the op's Node method records it; and a few
identities keep the graph in the form a person writes by hand (x·1 = x, x + 0 = x,
-(-x) = x, a + (-b) = a - b, (-a)b = -(ab), a(1/v) = a/v), so that drawn or explained it
reads like the lecture: the gradient of the lecture's L with respect to a is the
lecture's da, (1 - y)/(1 - a) - y/a.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from microgrand import formula
from microgrand.engine import CONSTANT
from microgrand.node import Node, _binary, _unary
from microgrand.ops import DIV, NEG, TABLE

Value: TypeAlias = Node | float


def term(node: Node) -> Value:
    """A node as a formula sees it: constants as numbers, every other node as itself."""
    return node._v if node._op is CONSTANT else node


# Numbers are combined as numbers, and the identities x*1, x*0, x+0, x/1, x**1 are applied,
# so the gradient graph holds only the operations a hand derivation would write.


def apply(function: str, args: tuple[Value, ...]) -> Value:
    """`formula.evaluate`'s `apply`: one op or helper of a derivative formula, on terms."""
    helper = formula.HELPERS.get(function)
    if helper is not None:
        # Piecewise constant: its value is a number, with derivative 0 (see formula.HELPERS).
        return helper(args[0] if isinstance(args[0], float) else args[0]._v)
    if args[0].__class__ is float and (len(args) == 1 or args[1].__class__ is float):
        return float(TABLE[function].forward(*args))
    simplify = _IDENTITIES.get(function)
    if simplify is not None:
        result = simplify(*args)
        if result is not None:
            return result
    return _record(function, args)


def _record(function: str, args: tuple[Value, ...]) -> Node:
    """Record op `function` on args, at least one of them a Node, as its Node method does."""
    recorder = _RECORDERS.get(function)
    if recorder is None:
        op = TABLE[function]
        recorder = (_unary(op),) if op.arity == 1 else (_binary(op), _binary(op, reflected=True))
        _RECORDERS[function] = recorder
    if len(args) == 1:
        return recorder[0](args[0])
    x, y = args
    if isinstance(x, Node):
        return recorder[0](x, y)
    return recorder[1](y, x)


_RECORDERS: dict[str, tuple[Callable[..., Node], ...]] = {}


def add(a: Value, b: Value) -> Value:
    """a + b on terms (see `apply`)."""
    return apply("add", (a, b))


def mul(a: Value, b: Value) -> Value:
    """a · b on terms (see `apply`)."""
    return apply("mul", (a, b))


def _is(value: Value, number: float) -> bool:
    return value.__class__ is float and value == number


def _negated(value: Value) -> Value | None:
    """x when `value` is the node -x, else None."""
    if isinstance(value, Node) and value._op is NEG:
        return value._p0
    return None


def _reciprocal(value: Value) -> Value | None:
    """v when `value` is the node 1/v (log's and div's slope), else None."""
    if isinstance(value, Node) and value._op is DIV:
        top, bottom = value.parents
        if top._op is CONSTANT and top._v == 1.0:
            return term(bottom)
    return None


# The rewrites below keep a gradient graph in the form a person writes by hand, so that
# drawn or explained it reads like the lecture: -(-x) = x, a + (-b) = a - b, (-a)b = -(ab),
# a(1/v) = a/v. With them the gradient of the lecture's L with respect to a is the
# lecture's da: (1 - y)/(1 - a) - y/a.


def _identity_neg(a: Value) -> Value | None:
    return _negated(a)


def _identity_add(a: Value, b: Value) -> Value | None:
    if _is(a, 0.0):
        return b
    if _is(b, 0.0):
        return a
    if (minus := _negated(b)) is not None:
        return apply("sub", (a, minus))
    if (minus := _negated(a)) is not None:
        return apply("sub", (b, minus))
    return None


def _identity_sub(a: Value, b: Value) -> Value | None:
    if _is(b, 0.0):
        return a
    if _is(a, 0.0):
        return apply("neg", (b,))
    if (minus := _negated(b)) is not None:
        return apply("add", (a, minus))
    return None


def _identity_mul(a: Value, b: Value) -> Value | None:
    for one, other in ((a, b), (b, a)):
        if _is(one, 1.0):
            return other
        if _is(one, 0.0):
            return 0.0
        if _is(one, -1.0):
            return apply("neg", (other,))
    for one, other in ((a, b), (b, a)):
        if (minus := _negated(one)) is not None:
            return apply("neg", (apply("mul", (minus, other)),))
        if (denominator := _reciprocal(one)) is not None:
            return apply("div", (other, denominator))
    return None


def _identity_right_one(a: Value, b: Value) -> Value | None:
    return a if _is(b, 1.0) else None


_IDENTITIES: dict[str, Callable[..., Value | None]] = {
    "neg": _identity_neg,
    "add": _identity_add,
    "sub": _identity_sub,
    "mul": _identity_mul,
    "div": _identity_right_one,
    "pow": _identity_right_one,
}
