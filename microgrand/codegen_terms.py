"""An op's derivative term tree written as a Python expression in the graph's names, for
the backward pass `microgrand.codegen` plans: the operators and float functions the engine's
partials use (`formula.compile_partials`), numbers folded, and each subexpression the
forward pass computed replaced by its name.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TYPE_CHECKING

from microgrand.codegen_exprs import literal, literal_value, renamed
from microgrand.engine import CONSTANT
from microgrand.formula import HELPERS, Num, Term, Var
from microgrand.node import Node
from microgrand.ops import ADD, DIV, MUL, SUB, TABLE, Op

if TYPE_CHECKING:
    from microgrand.codegen import Plan

BINARY = {ADD.name: ast.Add(), SUB.name: ast.Sub(), MUL.name: ast.Mult(), DIV.name: ast.Div()}
POWER = "power"  # the helper for a fractional exponent (a negative base is an error)


def safe_name(name: str) -> bool:
    # ASCII only: Python folds identifiers with NFKC, so "z₁" would become the name "z1".
    return name.isascii() and name.isidentifier() and not name.startswith("_")


def call_name(p: Plan, op: Op) -> str:
    """The code name of a function-call op: its own name (reserved for it), checked."""
    if not safe_name(op.name):
        raise ValueError(f"compile: the op name {op.name!r} is not a Python identifier")
    known = p.helpers.get(op.name)
    if known is not None and known is not op:
        raise ValueError(f"compile: two different ops are called {op.name!r}")
    p.helpers[op.name] = op
    return op.name


def partial_expr(
    p: Plan, node: Node, op: Op, slot: int, templates: dict[object, ast.expr]
) -> tuple[ast.expr, list[str]]:
    """d node / d its input number `slot`, from the op's derivative term tree, with each
    subexpression that the forward pass computed replaced by its name (a sigmoid's
    ``a * (1.0 - a)`` is ``a * t7`` when ``t7 = 1.0 - a``): the same number. Also returns
    the names used so, for a comment that shows what they are.

    The expression depends on the names of node and its inputs only as names: it is
    written once per op, slot and constant inputs (whose values are folded in), with
    placeholders for the names (`templates`), then copied with this node's names.
    """
    x, y = node._p0, node._p1
    x_value = repr(x._v) if x is not None and x._op is CONSTANT else None
    y_value = repr(y._v) if y is not None and y._op is CONSTANT else None
    template = templates.get((op, slot, x_value, y_value))
    if template is None:
        variables = {"out": node, "x": x, "y": y}
        operands = {
            k: ast.Name(f"<{k}>") if v is None or v._op is not CONSTANT else literal(v.value)
            for k, v in variables.items()
        }
        template = _code(p, op.derivatives[slot], operands)
        templates[op, slot, x_value, y_value] = template
    names = {"<out>": p.names[node]}
    if x_value is None and x is not None:
        names["<x>"] = p.names[x]
    if y_value is None and y is not None:
        names["<y>"] = p.names[y]
    reused: list[str] = []
    return renamed(template, names, p.reuse, reused), list(dict.fromkeys(reused))


def _code(p: Plan, term: Term, operands: dict[str, ast.expr]) -> ast.expr:
    """A term tree as a Python expression, computing what the engine's partials compute
    (`formula.compile_partials`): the same operators and functions, constants folded.

    Recursion is over the formula's syntax (a line of text), never over the graph.
    """
    if isinstance(term, Num):
        return literal(term.value)
    if isinstance(term, Var):
        return operands[term.name]
    args = [_code(p, a, operands) for a in term.args]
    name = term.function
    values = [literal_value(a) for a in args]
    if all(v is not None for v in values):  # all numbers: compute it now, the same way
        try:
            result = _function(name)(*values)
        except (ArithmeticError, ValueError):
            result = None
        if isinstance(result, float) and result - result == 0.0:
            return literal(result)
    if name in BINARY:
        return ast.BinOp(args[0], BINARY[name], args[1])
    if name == "neg":
        return ast.UnaryOp(ast.USub(), args[0])
    if name == "pow":
        base, exponent = term.args
        if exponent == Num(2.0) and isinstance(base, Var):
            return ast.BinOp(args[0], ast.Mult(), args[0])  # as the engine: x * x, not x**2
        whole = values[1] is not None and values[1].is_integer()
        if whole:
            return ast.BinOp(args[0], ast.Pow(), args[1])
        return ast.Call(ast.Name(POWER), args, [])
    if name in TABLE:
        call_name(p, TABLE[name])
    return ast.Call(ast.Name(name), args, [])


def _function(name: str) -> Callable[..., float]:
    """The float function the engine's partials call for op or helper `name`."""
    if name in HELPERS:
        return HELPERS[name]
    return TABLE[name].forward
