"""Exact algebra on the Python expressions `microgrand.codegen` writes.

Generated code must compute what the engine computes bit for bit, so the only rewrites
allowed here are exact ones: a negation moved onto a factor (``-(-x * r)`` is ``x * r``),
products with 1.0 or -1.0 folded away, numbers read back from literals, and the sum of an
example's product over the examples (``dot``, ``total``) for the numpy version.
"""

from __future__ import annotations

import ast
import sys

# ast.unparse's operator precedences (ast._Precedence), for the operators generated code uses.
_TEST, _ARITH, _TERM, _FACTOR, _POWER = 4, 13, 14, 15, 16
_BINARY = {
    ast.Add: (" + ", _ARITH),
    ast.Sub: (" - ", _ARITH),
    ast.Mult: (" * ", _TERM),
    ast.Div: (" / ", _TERM),
    ast.Pow: (" ** ", _POWER),
}
_INFINITY = "1e" + repr(sys.float_info.max_10_exp + 1)  # as ast.unparse writes inf


class _Unknown(Exception):
    """An expression `unparse` leaves to ast.unparse."""


def unparse(expr: ast.expr) -> str:
    """``ast.unparse(expr)``, the same text, about five times faster for the names,
    numbers, operators and calls generated code is made of (it wrote each of a long
    graph's statements); anything else goes to ast.unparse itself."""
    try:
        return _text(expr, _TEST)
    except _Unknown:
        return ast.unparse(expr)


def _text(expr: ast.expr, context: int) -> str:
    # Recursion is over one expression's syntax, never over the graph.
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Constant) and expr.value.__class__ is float:
        number = repr(expr.value)
        return number.replace("inf", _INFINITY).replace("nan", f"({_INFINITY}-{_INFINITY})")
    if isinstance(expr, ast.BinOp) and expr.op.__class__ in _BINARY:
        operator, precedence = _BINARY[expr.op.__class__]
        right_first = precedence == _POWER  # ** groups from the right
        left = _text(expr.left, precedence + 1 if right_first else precedence)
        right = _text(expr.right, precedence if right_first else precedence + 1)
        text = left + operator + right
        return f"({text})" if context > precedence else text
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub):
        text = "-" + _text(expr.operand, _FACTOR)
        return f"({text})" if context > _FACTOR else text
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and not expr.keywords:
        return f"{expr.func.id}({', '.join(_text(arg, _TEST) for arg in expr.args)})"
    raise _Unknown


def literal(value: float) -> ast.expr:
    """A float literal; negative ones as -(v), so that unparse adds parentheses."""
    if value < 0.0 or (value == 0.0 and str(value).startswith("-")):
        return ast.UnaryOp(ast.USub(), ast.Constant(-value))
    return ast.Constant(value)


def negated_name(expr: ast.expr) -> bool:
    return (
        isinstance(expr, ast.UnaryOp)
        and isinstance(expr.op, ast.USub)
        and isinstance(expr.operand, ast.Name)
    )


def leads_with_minus(expr: ast.expr) -> bool:
    """-x, or a product or quotient whose left factor is -x."""
    while isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mult | ast.Div):
        expr = expr.left
    return isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub) and not is_literal(expr)


def negate(expr: ast.expr) -> ast.expr:
    """-expr, exactly, with the fewest operations: -(-x) is x, -(-x * r) is x * r."""
    value = literal_value(expr)
    if value is not None:
        return literal(-value)
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub):
        return expr.operand
    if (
        isinstance(expr, ast.BinOp)
        and isinstance(expr.op, ast.Mult | ast.Div)
        and (leads_with_minus(expr.left) or is_literal(expr.left))
    ):
        return ast.BinOp(negate(expr.left), expr.op, expr.right)
    return ast.UnaryOp(ast.USub(), expr)


def key(expr: ast.expr, names: dict[str, str] | None = None) -> object:
    """A hashable value equal for two expressions exactly when their `ast.dump` is (for
    the nodes generated code holds), made several times faster than `ast.dump`; with
    `names`, the key of the expression with its names replaced per `names`."""
    if isinstance(expr, ast.Name):
        return names.get(expr.id, expr.id) if names else expr.id
    if isinstance(expr, ast.Constant):
        return (ast.Constant, repr(expr.value))  # repr: 0.0 and -0.0, 1 and 1.0 differ
    if isinstance(expr, ast.BinOp):
        return (type(expr.op), key(expr.left, names), key(expr.right, names))
    if isinstance(expr, ast.UnaryOp):
        return (type(expr.op), key(expr.operand, names))
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and not expr.keywords:
        return (ast.Call, key(expr.func, names), *(key(arg, names) for arg in expr.args))
    return ast.dump(expr)


def flat(expr: ast.expr) -> bool:
    """One operation of names and literals (what a forward statement computes)."""
    if isinstance(expr, ast.BinOp):
        return _atom(expr.left) and _atom(expr.right)
    if isinstance(expr, ast.UnaryOp):
        return _atom(expr.operand)
    if isinstance(expr, ast.Call):
        return all(_atom(arg) for arg in expr.args)
    return False


def _atom(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Name | ast.Constant) or is_literal(expr)


def renamed(
    expr: ast.expr,
    names: dict[str, str],
    known: dict[object, str] | None = None,
    found: list[str] | None = None,
) -> ast.expr:
    """A copy of expr (names, numbers, operators, calls) with names replaced per `names`,
    and each subexpression whose `key` is in `known` replaced by the name it maps to (and
    that name appended to `found`), outermost first. Numbers are shared: generated code
    never changes an expression in place.

    Only an expression of one op of names and literals (`flat`) is looked up: `known` holds
    what forward statements compute, one op each. Recursion is over one expression's
    syntax, never over the graph.
    """
    if isinstance(expr, ast.Name):
        return ast.Name(names.get(expr.id, expr.id))
    if isinstance(expr, ast.Constant):
        return expr
    if known and flat(expr):
        name = known.get(key(expr, names))
        if name is not None:
            if found is not None:
                found.append(name)
            return ast.Name(name)
    if isinstance(expr, ast.BinOp):
        left = renamed(expr.left, names, known, found)
        return ast.BinOp(left, expr.op, renamed(expr.right, names, known, found))
    if isinstance(expr, ast.UnaryOp):
        return ast.UnaryOp(expr.op, renamed(expr.operand, names, known, found))
    if isinstance(expr, ast.Call):
        args = [renamed(arg, names, known, found) for arg in expr.args]
        return ast.Call(renamed(expr.func, names), args, expr.keywords)
    raise TypeError(f"renamed: {ast.dump(expr)} is not generated code")


def uses(expr: ast.expr, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(expr))


def sum_over_examples(product: ast.expr, array_names: set[str]) -> ast.expr:
    """The sum over the examples of one example's product: dot(a, b) for two arrays,
    total(...) for one, and examples * (...) for a product that is the same in all."""
    if not uses(product, array_names):
        return ast.BinOp(ast.Name("examples"), ast.Mult(), product)
    if isinstance(product, ast.BinOp) and isinstance(product.op, ast.Mult):
        left, right = product.left, product.right
        if uses(left, array_names) and uses(right, array_names):
            return ast.Call(ast.Name("dot"), [left, right], [])
    return ast.Call(ast.Name("total"), [product], [])


def is_literal(expr: ast.expr) -> bool:
    return isinstance(expr, ast.UnaryOp) and isinstance(expr.operand, ast.Constant)


def literal_value(expr: ast.expr) -> float | None:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, int | float):
        return float(expr.value) if not isinstance(expr.value, bool) else None
    if is_literal(expr):
        inner = literal_value(expr.operand)  # type: ignore[attr-defined]  # is_literal: a UnaryOp
        return None if inner is None else -inner
    return None


def times(g: ast.expr, partial: ast.expr) -> ast.expr:
    """g * partial, folding the exact cases g or partial = 1 or -1."""
    for a, b in ((g, partial), (partial, g)):
        value = literal_value(a)
        if value == 1.0:
            return b
        if value == -1.0:
            return negate(b)
    return ast.BinOp(g, ast.Mult(), partial)
