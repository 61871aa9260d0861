"""A safe parser for graphs typed on the command line: ``"u = b*c; v = a + u; J = 3*v"``.

Each statement is ``name = expression``. A statement whose right side is a plain number
(``a = 5``, ``x2 = -1``) makes a leaf; any other makes a named node. Expressions allow
numbers, names defined earlier (leaves may be given anywhere), ``+ - * / **``, parentheses
and calls by name of the op table's ops that are not operators (``sigmoid(z)``,
``log(a)``, ``bce_with_logits(z, y)``, and any op defined with `microgrand.define_op`).

The text is parsed with Python's `ast` and checked against the whitelist the formula
language uses too (`microgrand.whitelist`); nothing is ever evaluated by Python (no `eval`):
the checked tree is folded bottom-up with an explicit stack, and each node of it is turned
into a `Node` operation. Anything else (attribute access, calls
to other functions, imports, lambdas, subscripts, strings, ...) is a `ParseError` with a
one-line message that quotes the statement and points at the offending part.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Collection, Sequence
from typing import Any, NamedTuple

from microgrand.checks import clean_name
from microgrand.node import Node, constant
from microgrand.ops import TABLE, function_ops
from microgrand.whitelist import FORBIDDEN, ParseError, fold, pop_args
from microgrand.whitelist import error as _error
from microgrand.whitelist import shorten as _short

__all__ = ["ParseError", "Parsed", "build", "function_ops", "parse_graph"]

Value = Node | float

MAX_STATEMENT = 2000
MAX_TOTAL = 20000


_BINARY: dict[type[ast.operator], Callable[[Any, Any], Value]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}


def _split(texts: Sequence[str]) -> list[str]:
    total = sum(len(t) for t in texts)
    if total > MAX_TOTAL:
        raise ParseError(f"the graph text is too long ({total} characters, at most {MAX_TOTAL})")
    statements = []
    for text in texts:
        for piece in text.replace("\n", ";").split(";"):
            if piece.strip():
                statements.append(piece.strip())
    return statements


def _parse(statement: str) -> tuple[str, ast.expr]:
    if len(statement) > MAX_STATEMENT:
        raise ParseError(
            f"a statement is too long ({len(statement)} characters, at most {MAX_STATEMENT}): "
            f"{_short(statement)!r}"
        )
    try:
        module = ast.parse(statement, mode="exec")
    except SyntaxError as error:
        from microgrand.syntax_errors import syntax_error  # on the error path only

        raise ParseError(syntax_error(statement, error)) from None
    except (RecursionError, MemoryError, ValueError):
        raise ParseError(f"{_short(statement, 40)!r} is too deeply nested or invalid") from None
    if len(module.body) != 1:
        raise ParseError(f"expected one 'name = expression' in {_short(statement)!r}")
    (stmt,) = module.body
    if type(stmt) in FORBIDDEN:
        raise _error(statement, stmt, FORBIDDEN[type(stmt)])
    if not isinstance(stmt, ast.Assign):
        raise _error(statement, stmt, "expected 'name = expression' (like 'u = b*c' or 'a = 5')")
    if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
        raise _error(statement, stmt.targets[0], "the left side must be a single name")
    name = stmt.targets[0].id
    if name in function_ops():
        raise _error(statement, stmt.targets[0], f"{name!r} is a function, not a name")
    return name, stmt.value


def _number(expr: ast.expr) -> float | None:
    """The value of a plain number (``5``, ``-1``, ``+0.5``, ``1e-3``), else None."""
    sign = 1.0
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, (ast.USub, ast.UAdd)):
        sign = -1.0 if isinstance(expr.op, ast.USub) else 1.0
        expr = expr.operand
    if isinstance(expr, ast.Constant) and isinstance(expr.value, (int, float)):
        if isinstance(expr.value, bool):
            return None
        try:
            value = sign * float(expr.value)
        except OverflowError:
            return None
        return value if value - value == 0.0 else None
    return None


def _call(name: str, args: list[Value]) -> Value:
    """Call the op function `name`. On numbers alone the engine computes it all the same,
    on a constant node, so that its checks and messages apply (``log(0)``, ``exp(1000)``,
    a label outside [0, 1]), and the result is a number again."""
    op = TABLE[name]
    folded = not any(isinstance(a, Node) for a in args)
    first, rest = args[0], args[1:]
    if isinstance(first, float):
        first = constant(first, name)
    result: Node = op.function(first, *rest)
    return result.value if folded else result


def _binary(item: ast.BinOp, left: Value, right: Value) -> Value:
    """``left op right``; on two numbers computed by the engine, as in `_call`."""
    operation: Callable[[Value, Value], Value] = _BINARY[type(item.op)]
    if isinstance(left, float) and isinstance(right, float):
        result = operation(constant(left, "number"), right)
        assert isinstance(result, Node)
        return result.value
    return operation(left, right)


def _evaluate(expr: ast.expr, env: dict[str, Node], statement: str, later: set[str]) -> Value:
    """Turn a checked expression into Nodes, iteratively (deep expressions cannot recurse)."""

    def combine(item: ast.expr, results: list[Value]) -> Value:
        try:
            return _apply(item, results, env, statement, later)
        except ParseError:
            raise
        except (ArithmeticError, ValueError, TypeError) as error:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            message = message.rstrip(".")
            raise _error(statement, item, message) from None

    return fold(expr, statement, function_ops(), combine)


def _apply(
    item: ast.expr, results: list[Value], env: dict[str, Node], statement: str, later: set[str]
) -> Value:
    if isinstance(item, ast.Constant):
        if not isinstance(item.value, (int, float)) or isinstance(item.value, bool):
            raise _error(statement, item, f"only numbers are allowed, got {item.value!r}")
        try:
            value = float(item.value)
        except OverflowError:
            raise _error(statement, item, "the number is too large for a float") from None
        if value - value != 0.0:  # a literal like 1e400 reads as inf
            raise _error(statement, item, "the number is too large for a float")
        return value
    if isinstance(item, ast.Name):
        if item.id in env:
            return env[item.id]
        if item.id in function_ops():
            raise _error(statement, item, f"{item.id} is a function: call it, {item.id}(z)")
        if item.id in later:
            raise _error(
                statement, item, f"{item.id!r} is used before it is defined (order matters)"
            )
        raise _error(statement, item, f"unknown name {item.id!r} (give it a value: {item.id}=1.0)")
    if isinstance(item, ast.UnaryOp):
        operand = results.pop()
        return -operand if isinstance(item.op, ast.USub) else operand
    if isinstance(item, ast.BinOp):
        right = results.pop()
        left = results.pop()
        return _binary(item, left, right)
    assert isinstance(item, ast.Call) and isinstance(item.func, ast.Name)
    return _call(item.func.id, pop_args(item, results))


class Parsed(NamedTuple):
    """What the statements describe: the node to draw and every result nothing else uses.

    Attributes:
        root: the last computed node.
        results: the computed nodes no later statement uses, in order (root last). More
            than one means the statements describe separate graphs, and only `root`'s is
            drawn.
        names: every name the statements use, leaves and computed nodes alike, in the
            order they are first typed (``microgrand code`` orders its inputs so).
    """

    root: Node
    results: list[Node]
    names: list[str]


def build(texts: str | Sequence[str], *, data: Collection[str] = ()) -> Node:
    """Build the graph the statements describe and return its last computed node.

    Args:
        texts: statements separated by ``;`` or newlines, in one string or several
            (the command line passes ``"u = b*c; v = a + u; J = 3*v" a=5 b=3 c=2``).
        data: names of leaves that are data (``requires_grad=False``, no red arrow).

    Raises:
        ParseError: with a one-line message naming the statement and the problem.
    """
    return parse_graph(texts, data=data).root


def parse_graph(
    texts: str | Sequence[str],
    *,
    data: Collection[str] = (),
    purpose: str = "draw",
    unvalued: float | None = None,
) -> Parsed:
    """Like `build`, and also say which results are left unused (see `Parsed`).

    `purpose` is what the caller does with the graph ("draw", "compile"), said in the
    error for statements that make no graph. `unvalued` is the value of a leaf that no
    statement gives one (``microgrand code`` traces at 0.5); None makes it an error.
    """
    statements = _split([texts] if isinstance(texts, str) else list(texts))
    if not statements:
        raise ParseError(
            f"nothing to {purpose}: give statements like 'u = b*c; J = 3*u' a=5 b=3 c=2"
        )
    parsed = [(statement, *_parse(statement)) for statement in statements]
    names = _first_uses(parsed)
    defined = {name for _, name, _ in parsed}  # every name a statement gives a value
    data_names = set(data) | _labels(parsed)
    env = _leaves(parsed, data_names)
    if unvalued is not None:
        for name in names:
            if name not in defined:
                env[name] = Node(unvalued, name, requires_grad=name not in data_names)
    unknown_data = set(data) - set(env)
    if unknown_data:
        # Not a leaf: computed by a statement, or not in the statements at all (a typo).
        first = sorted(unknown_data)[0]
        why = "computed by a statement" if first in defined else "not in the statements"
        listed = _short(", ".join(map(clean_name, sorted(unknown_data))), 80)  # user text
        raise ParseError(
            f"--data names {listed}: {clean_name(first)} is {why}; --data "
            "marks the leaves that are data, like x1 in 'z = w1*x1 + b'"
        )
    computed = [(s, n, e) for s, n, e in parsed if n not in env]
    if not computed:
        raise ParseError(
            f"nothing to {purpose}: every statement only gives a value; add one like J = 3*a"
        )
    _check_values(computed, defined, env)
    nodes, used = _computed_nodes(computed, env, data)
    results = [node for name, node in nodes[:-1] if name not in used] + [nodes[-1][1]]
    return Parsed(nodes[-1][1], results, names)


def _computed_nodes(
    computed: list[tuple[str, str, ast.expr]], env: dict[str, Node], data: Collection[str]
) -> tuple[list[tuple[str, Node]], set[str]]:
    """Each computed statement's node (also put into `env`), in order; and the names the
    statements use."""
    later = {name for _, name, _ in computed}
    used: set[str] = set()
    nodes: list[tuple[str, Node]] = []
    for statement, name, expr in computed:
        later.discard(name)
        used.update(item.id for item in ast.walk(expr) if isinstance(item, ast.Name))
        result = _evaluate(expr, env, statement, later)
        if isinstance(result, float):
            node = Node(result, name, requires_grad=name not in data)
        elif result.name is not None or result.is_leaf:
            raise ParseError(
                f"{_short(statement)!r} only renames {result.name or 'a leaf'}: write an expression"
            )
        else:
            node = result.named(name)
        env[name] = node
        nodes.append((name, node))
    return nodes, used


def _first_uses(parsed: list[tuple[str, str, ast.expr]]) -> list[str]:
    """Every name the statements use (not the functions they call), in the order typed."""
    seen: dict[str, None] = {}
    for _, name, expr in parsed:
        used = [item for item in ast.walk(expr) if isinstance(item, ast.Name)]
        for item in sorted(used, key=lambda item: item.col_offset):  # left to right
            if item.id not in function_ops():
                seen.setdefault(item.id)
        seen.setdefault(name)
    return list(seen)


def _leaves(parsed: list[tuple[str, str, ast.expr]], data: set[str]) -> dict[str, Node]:
    """The leaves: statements whose right side is a plain number (``a = 5``)."""
    env: dict[str, Node] = {}
    defined: set[str] = set()
    for statement, name, expr in parsed:
        if name in defined:
            raise ParseError(f"{name!r} is defined twice (again in {_short(statement)!r})")
        defined.add(name)
        value = _number(expr)
        if value is not None:
            env[name] = Node(value, name, requires_grad=name not in data)
    return env


def _labels(parsed: list[tuple[str, str, ast.expr]]) -> set[str]:
    """Names used only as the label y of ``bce_with_logits(z, y)``: data, like the lecture's y.

    A name used elsewhere too is left as it is (its gradient is real there).
    """
    as_label: dict[str, int] = {}
    uses: dict[str, int] = {}
    for _, _, expr in parsed:
        for item in ast.walk(expr):
            if isinstance(item, ast.Name):
                uses[item.id] = uses.get(item.id, 0) + 1
            elif (
                isinstance(item, ast.Call)
                and isinstance(item.func, ast.Name)
                and item.func.id == "bce_with_logits"
                and len(item.args) == 2
                and isinstance(item.args[1], ast.Name)
            ):
                label = item.args[1].id
                as_label[label] = as_label.get(label, 0) + 1
    return {name for name, count in as_label.items() if uses.get(name) == count}


def _check_values(
    computed: list[tuple[str, str, ast.expr]], defined: set[str], leaves: Collection[str]
) -> None:
    """A leaf given a value that is not a usable number (``v=abc``, ``v=nan``, ``v=1e400``)
    says so first, before a statement using it could call it undefined."""
    for statement, name, expr in computed:
        literal = expr
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub | ast.UAdd):
            literal = expr.operand  # a sign, as `_number` reads it (not `not a`, `~a`)
        number = isinstance(literal, ast.Constant) and type(literal.value) in (int, float)
        if number:
            problem = "is too large for a float"  # `_number` takes every other number
        elif isinstance(literal, ast.Constant):
            problem = "is not a number (only numbers are allowed)"
        elif isinstance(literal, ast.Name) and literal.id not in defined | set(function_ops()):
            finite = literal.id.lower() not in ("nan", "inf", "infinity")
            if literal is not expr and finite and literal.id in leaves:
                continue  # -a of an input of code's (a leaf it gives 0.5): a node, no value
            problem = "is not a number" if finite else "is not a finite number"
        elif isinstance(expr, ast.Name) and expr.id in leaves:
            raise ParseError(f"{_short(statement)!r} only renames {expr.id}: write an expression")
        else:
            continue
        raise ParseError(
            f"the value of {name} {problem}: {_short(statement)!r} "
            f"(give a leaf a number, like {name}=1.5)"
        )
