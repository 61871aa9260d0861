"""The formula language an op's derivatives are written in, and its term trees.

An op's derivative with respect to each input is a line of text in the variables ``out``
(the op's result), ``x`` and ``y`` (its inputs), written in the same little language as
``microgrand draw``: numbers, ``+ - * / **``, unary minus, parentheses and calls of ops by
name (``"out * (1 - out)"``, ``"sigmoid(x) - y"``). The text is parsed once, with the
whitelist this module shares with `microgrand.parse` (nothing is ever evaluated by Python),
into a *term tree*: numbers (`Num`), variables (`Var`) and applications (`Call`) of an op
or helper by name; the operators are the ops ``add sub mul div pow neg``.

From the tree come the partials function the engine calls (`compile_partials`: Python code
generated once per op, as fast as a hand-written lambda), the engine's fast-path facts
(`constant_partials`, `is_swap`), the drawings' labels and, through `evaluate`, a graph of
Nodes for derivatives of derivatives.

Besides the ops, a formula may call the *helpers* below. Each is piecewise constant, so its
derivative is 0 wherever it is defined: a graph of a gradient treats a helper's value as a
constant (it is not differentiable, and needs not be).

This module works on text and floats only; it imports nothing from the package.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple, TypeVar

__all__ = [
    "HELPERS",
    "Call",
    "Num",
    "ParseError",
    "Term",
    "Var",
    "children",
    "compile_partials",
    "constant_partials",
    "evaluate",
    "fold",
    "is_swap",
    "is_zero",
    "parse",
    "pop_args",
    "step",
]

T = TypeVar("T")
MAX_FORMULA = 500  # characters: formulas are a line; this bounds the trees' depth too


# --- the term tree -------------------------------------------------------------------------


class Num(NamedTuple):
    """A number in a formula (``1`` in ``1 - out``)."""

    value: float


class Var(NamedTuple):
    """A variable: ``"out"`` (the op's result), ``"x"`` or ``"y"`` (its inputs)."""

    name: str


class Call(NamedTuple):
    """An op or helper applied to terms: ``x * y`` is ``Call("mul", (Var("x"), Var("y")))``."""

    function: str
    args: tuple[Term, ...]


Term = Num | Var | Call

# Python's operators in a formula are these ops of the table.
OPERATOR_OPS: dict[type[ast.operator], str] = {
    ast.Add: "add",
    ast.Sub: "sub",
    ast.Mult: "mul",
    ast.Div: "div",
    ast.Pow: "pow",
}


# --- helpers: piecewise-constant functions a formula may call --------------------------------


def step(x: float) -> float:
    """1 for x > 0, else 0: relu's slope (the subgradient 0 at x == 0).

    A helper, not an op: its derivative is 0 wherever it is defined. A gradient graph
    (`microgrand.grad` with ``create_graph=True``) takes its value as a number, so its
    derivative there is 0: right away from the kink, and at the kink the same convention as
    the first derivative (the subgradient 0). relu's second derivative is 0 everywhere.
    """
    return 1.0 if x > 0.0 else 0.0


def is_zero(x: float) -> float:
    """1 for x == 0, else 0: lets pow's slope ``y * x ** (y - 1 + is_zero(y))`` be 0 at
    y == 0 (also at x == 0, where ``x ** -1`` would divide by zero).

    A helper, not an op: its derivative is 0 wherever it is defined.
    """
    return 1.0 if x == 0.0 else 0.0


HELPERS: dict[str, Callable[[float], float]] = {"step": step, "is_zero": is_zero}


# --- the whitelist, shared with `microgrand draw` -------------------------------------------


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
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


# --- formula text -> term tree ---------------------------------------------------------------


def parse(text: str, inputs: int, functions: Mapping[str, int]) -> Term:
    """Parse a derivative formula into a term tree.

    Args:
        text: the formula, in ``out``, ``x`` and (for two inputs) ``y``.
        inputs: the op's number of inputs (1 or 2).
        functions: the ops and helpers a formula may call, name -> number of arguments.

    Raises:
        ParseError: a one-line message quoting the formula and pointing at the problem.
    """
    if not isinstance(text, str):
        raise TypeError(f"a derivative formula must be a str, got {type(text).__name__}")
    if len(text) > MAX_FORMULA:
        raise ParseError(f"a formula is too long ({len(text)} characters, at most {MAX_FORMULA})")
    if not text.strip():
        raise ParseError("a derivative formula is empty")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as problem:
        column = f" at column {problem.offset}" if problem.offset else ""
        raise ParseError(f"syntax error in {shorten(text)!r}{column}: {problem.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ParseError(f"{shorten(text, 40)!r} is too deeply nested or invalid") from None
    variables = ("out", "x", "y")[: inputs + 1]
    statement = text.strip()
    return fold(
        tree, statement, functions, lambda item, results: _term(item, results, statement, variables)
    )


def _term(item: ast.expr, results: list[Term], statement: str, variables: Sequence[str]) -> Term:
    """The term for one checked ast node whose children's terms end `results`."""
    if isinstance(item, ast.Constant):
        value = item.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise error(statement, item, f"only numbers are allowed, got {value!r}")
        try:
            number = float(value)
        except OverflowError:
            raise error(statement, item, "the number is too large for a float") from None
        if number - number != 0.0:
            raise error(statement, item, "the number must be finite")
        return Num(number)
    if isinstance(item, ast.Name):
        if item.id not in variables:
            known = ", ".join(variables)
            raise error(statement, item, f"unknown name {item.id!r} (a formula uses {known})")
        return Var(item.id)
    if isinstance(item, ast.UnaryOp):
        operand = results.pop()
        if isinstance(item.op, ast.UAdd):
            return operand
        if isinstance(operand, Num):
            return Num(-operand.value)  # -1 is the number -1, not neg(1)
        return Call("neg", (operand,))
    if isinstance(item, ast.BinOp):
        right = results.pop()
        left = results.pop()
        return Call(OPERATOR_OPS[type(item.op)], (left, right))
    assert isinstance(item, ast.Call) and isinstance(item.func, ast.Name)
    return Call(item.func.id, tuple(pop_args(item, results)))


# --- what the tree says -----------------------------------------------------------------------


def constant_partials(derivatives: Sequence[Term]) -> tuple[float, ...] | None:
    """The partials as numbers when every one is a number (``add``: ``(1.0, 1.0)``), else None.

    The engine then multiplies by these numbers without calling the partials function.
    """
    if all(isinstance(term, Num) for term in derivatives):
        return tuple(term.value for term in derivatives if isinstance(term, Num))
    return None


def is_swap(derivatives: Sequence[Term]) -> bool:
    """True when the partials are ``(y, x)`` (``mul``): the engine reads them off the inputs."""
    return tuple(derivatives) == (Var("y"), Var("x"))


def evaluate(
    term: Term,
    variables: Mapping[str, T],
    apply: Callable[[str, tuple[T, ...]], T],
    number: Callable[[float], T],
) -> T:
    """The value of a term tree, in whatever `apply` computes with.

    Every operation of the tree goes through `apply`, so one tree gives a float (apply
    runs each op's forward function) or a Node (apply records each op, and a helper's value
    becomes a constant): that is how a derivative becomes a graph of its own.

    Args:
        term: the tree.
        variables: the values of ``out``, ``x`` (and ``y``).
        apply: ``apply(function, args)``, the op or helper `function` on evaluated args.
        number: turns a number of the formula into a value (``float`` or a constant Node).

    Recursion is over the formula's own syntax (at most `MAX_FORMULA` characters), never
    over a graph.
    """
    if isinstance(term, Num):
        return number(term.value)
    if isinstance(term, Var):
        return variables[term.name]
    return apply(term.function, tuple(evaluate(a, variables, apply, number) for a in term.args))


# --- term tree -> Python code ------------------------------------------------------------------

# The arithmetic ops are Python's own float operators (the table pins them: ops.py's rows use
# operator.add, ...), so generated code writes them as operators, as a hand-written lambda does.
_PYTHON_OPERATORS = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def _python(term: Term) -> str:
    """Python source for a term; every op or helper call is ``_f_<name>(...)``."""
    if isinstance(term, Num):
        return f"({term.value!r})"
    if isinstance(term, Var):
        return term.name
    args = [_python(a) for a in term.args]
    name = term.function
    if name in _PYTHON_OPERATORS:
        return f"({args[0]} {_PYTHON_OPERATORS[name]} {args[1]})"
    if name == "neg":
        return f"(-{args[0]})"
    if name == "pow":
        base, exponent = term.args
        if exponent == Num(2.0) and isinstance(base, Var):
            return f"({base.name} * {base.name})"  # what a person writes; no pow() call
        if isinstance(exponent, Num) and exponent.value.is_integer():
            # A whole exponent: float ** float is real for every base.
            return f"({args[0]} ** {args[1]})"
    return f"_f_{name}({', '.join(args)})"


def compile_partials(
    derivatives: Sequence[Term], functions: Mapping[str, Callable[..., float]]
) -> tuple[Callable[..., tuple[float, ...]], tuple[Callable[..., float], ...]]:
    """Generate an op's partials functions from its derivative trees, once per op.

    Args:
        derivatives: one term tree per input.
        functions: the ops' forward functions and the helpers, by name.

    Returns:
        ``partials(out, x[, y]) -> (d out/dx[, d out/dy])``, the function the engine calls,
        and one function per input with the same arguments, returning that input's partial
        alone (drawings and `explain` use these; the engine uses the first when the second
        input holds no gradient).

    The code is generated from the checked tree, never from user text, so the names it uses
    are variables and ``_f_<name>`` functions only.
    """
    names = ["out", "x", "y"][: len(derivatives) + 1]
    signature = ", ".join(names)
    bodies = [_python(term) for term in derivatives]
    namespace: dict[str, object] = {"__builtins__": {}}
    namespace.update({f"_f_{name}": function for name, function in functions.items()})
    sources = [f"lambda {signature}: ({', '.join(bodies)},)"]
    sources += [f"lambda {signature}: {body}" for body in bodies]
    made = [eval(compile(source, "<derivative formula>", "eval"), namespace) for source in sources]
    return made[0], tuple(made[1:])
