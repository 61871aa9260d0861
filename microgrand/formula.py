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

Besides the ops, a formula may call the *helper* below. It is piecewise constant, so its
derivative is 0 wherever it is defined: a graph of a gradient treats its value as a
constant. (relu's slope ``step`` is an op of the table, not a helper: a gradient through
relu keeps its dependence on x, and differentiates to 0 like PyTorch's.)

This module works on text and floats only; it imports nothing from the package but the
whitelist of Python expressions it shares with `microgrand draw` (`microgrand.whitelist`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple, TypeVar

from microgrand.whitelist import (
    OPERATOR_OPS,
    ParseError,
    error,
    fold,
    pop_args,
    shorten,
)

__all__ = [
    "HELPERS",
    "OPERATOR_OPS",
    "Call",
    "Num",
    "ParseError",
    "Term",
    "Var",
    "compile_partials",
    "constant_partials",
    "evaluate",
    "is_swap",
    "is_zero",
    "parse",
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


# --- helpers: piecewise-constant functions a formula may call --------------------------------


def is_zero(x: float) -> float:
    """1 for x == 0, else 0: lets pow's slope ``y * x ** (y - 1 + is_zero(y))`` be 0 at
    y == 0 (also at x == 0, where ``x ** -1`` would divide by zero).

    A helper, not an op: its derivative is 0 wherever it is defined.
    """
    return 1.0 if x == 0.0 else 0.0


HELPERS: dict[str, Callable[[float], float]] = {"is_zero": is_zero}


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
    runs each op's forward function) or a Node (apply records each op, and the helper's
    value becomes a constant): that is how a derivative becomes a graph of its own.

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
    if term.function == "pow" and term.args[1] == Num(2.0) and isinstance(term.args[0], Var):
        # v**2 is v * v, as the engine's partials write it (`_python`): C's pow() may be
        # one ulp off the product (tanh's 1 - out**2 at x = 3.5554...), and a gradient
        # graph must give the numbers backward() gives.
        square = variables[term.args[0].name]
        return apply("mul", (square, square))
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
