"""The safe subset of Python expressions that formulas and ``microgrand draw`` are written in.

Both languages are parsed by Python's own `ast` and then checked node by node against one
whitelist (`children`): numbers, names, ``+ - * / **``, unary ``-`` and ``+``, and calls by
name of a given set of functions, without keywords. Nothing is ever evaluated by Python.
`fold` computes a checked expression bottom-up without recursion (a formula's term tree in
`microgrand.formula`, a statement's Nodes in `microgrand.parse`), and every refusal is a
`ParseError` whose one-line message quotes the text and points at the column.

This module works on text only; from the package it takes only `checks.short`, the one way
messages cut long text.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import TypeVar

from microgrand.checks import short

__all__ = [
    "FORBIDDEN",
    "OPERATOR_OPS",
    "ParseError",
    "children",
    "error",
    "fold",
    "pop_args",
    "shorten",
]

T = TypeVar("T")

# Python's operators in a formula are these ops of the table.
OPERATOR_OPS: dict[type[ast.operator], str] = {
    ast.Add: "add",
    ast.Sub: "sub",
    ast.Mult: "mul",
    ast.Div: "div",
    ast.Pow: "pow",
}


class ParseError(ValueError):
    """Text in the formula (or `microgrand draw`) language is not valid; one-line message."""


FORBIDDEN: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "subscripts are not allowed",
    ast.Lambda: "lambdas are not allowed",
    ast.Import: "imports are not allowed",
    ast.ImportFrom: "imports are not allowed",
    ast.Starred: "starred arguments are not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "and/or is not allowed",
    ast.IfExp: "conditional expressions are not allowed",
    ast.NamedExpr: "the walrus operator is not allowed",
    ast.JoinedStr: "strings are not allowed",
    ast.List: "lists are not allowed",
    ast.Tuple: "tuples are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Set: "sets are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
}
_OPERATOR_SYMBOLS: dict[type[ast.operator], str] = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
}


def shorten(text: str, limit: int = 60) -> str:
    """Strip `text` and cut it to `limit` characters, marking the cut with an ellipsis."""
    return short(text.strip(), limit)


def error(statement: str, node: ast.AST | None, message: str) -> ParseError:
    """A ParseError quoting the statement and pointing at `node`'s column and text."""
    column = getattr(node, "col_offset", None)
    snippet = ast.get_source_segment(statement, node) if node is not None else None
    place = f" at column {column + 1}" if column is not None else ""
    shown = f" ({shorten(snippet, 40)!r})" if snippet and snippet != statement.strip() else ""
    return ParseError(f"{message} in {shorten(statement)!r}{place}{shown}")


def children(expr: ast.expr, statement: str, functions: Mapping[str, int]) -> list[ast.expr]:
    """The sub-expressions of `expr`, after checking it against the whitelist.

    Allowed: numbers, names, ``+ - * / **``, unary ``-`` and ``+``, and calls by name of
    the `functions` (name -> number of arguments), without keywords.

    Raises:
        ParseError: for anything else, quoting `statement`.
    """
    if isinstance(expr, ast.BinOp):
        if type(expr.op) not in OPERATOR_OPS:
            symbol = _OPERATOR_SYMBOLS.get(type(expr.op), type(expr.op).__name__)
            raise error(statement, expr, f"the operator {symbol} is not allowed (use + - * / **)")
        return [expr.left, expr.right]
    if isinstance(expr, ast.UnaryOp):
        if not isinstance(expr.op, (ast.USub, ast.UAdd)):
            raise error(statement, expr, "only unary - and + are allowed")
        return [expr.operand]
    if isinstance(expr, ast.Call):
        allowed = f"(allowed: {', '.join(sorted(functions))})"
        if not isinstance(expr.func, ast.Name):  # a.b(...), f(x)(y)
            message = f"this call is not allowed: only the op functions, by name {allowed}"
            raise error(statement, expr, message)
        name = expr.func.id
        if name not in functions:
            raise error(statement, expr, f"calls to {name!r} are not allowed {allowed}")
        if expr.keywords:
            raise error(statement, expr, "keyword arguments are not allowed")
        arity = functions[name]
        if len(expr.args) != arity:
            plural = "s" if arity > 1 else ""
            message = f"{name} takes {arity} argument{plural}, got {len(expr.args)}"
            raise error(statement, expr, message)
        return list(expr.args)
    if isinstance(expr, (ast.Name, ast.Constant)):
        return []
    raise error(statement, expr, FORBIDDEN.get(type(expr), f"{type(expr).__name__} is not allowed"))


def fold(
    tree: ast.expr,
    statement: str,
    functions: Mapping[str, int],
    combine: Callable[[ast.expr, list[T]], T],
) -> T:
    """Compute an expression bottom-up without recursion (a formula here, a statement in
    `microgrand.parse`), checking every node against the whitelist (`children`) first.

    `combine(item, results)` is called on each node after all of its children, whose
    values are the last ones in `results` (it pops them), and returns the node's value.
    """
    stack: list[tuple[ast.expr, bool]] = [(tree, False)]
    results: list[T] = []
    while stack:
        item, ready = stack.pop()
        if not ready:
            stack.append((item, True))
            stack.extend((c, False) for c in reversed(children(item, statement, functions)))
            continue
        results.append(combine(item, results))
    (value,) = results
    return value


def pop_args(item: ast.Call, results: list[T]) -> list[T]:
    """Take a call's arguments, in order, off the end of `results` (see `fold`)."""
    count = len(item.args)
    args = results[len(results) - count :]
    del results[len(results) - count :]
    return args
