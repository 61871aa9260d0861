"""The op table: every primitive microgrand knows, one row each.

A row says all there is to know about a primitive: its pinned name, the symbol a drawing
uses, how to write it in a formula, the forward function on floats, and one derivative
formula per input, as text in the variables ``out`` (the result), ``x`` and ``y`` (the
inputs). The formulas are the single definition of an op's backward: each is parsed once
into a term tree (`microgrand.formula`), and from the trees come the partials function the
engine calls, the engine's fast paths, the drawings' labels and `explain`. The formulas use
differentiable operations (ops of this table) and, where a slope is piecewise constant,
the helpers `step` and `is_zero`, so that the same trees can build a graph of a gradient.

This module works on plain floats and imports nothing from the package but the formulas.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import NamedTuple

from microgrand import formula
from microgrand.formula import HELPERS, Term, step

__all__ = ["TABLE", "Op", "op_partial", "register", "sigmoid", "step"]

Partials = Callable[..., tuple[float, ...]]


class Op(NamedTuple):
    """One primitive: what it computes, how it differentiates, how it is written.

    A NamedTuple: immutable, its fields read at C speed, and no `dataclasses` import (which
    would pull `inspect` into every `import microgrand`).

    Attributes:
        name: the pinned op name users and the renderer read (``"mul"``).
        symbol: a short symbol for one-box-per-op drawings (``"×"``, ``"σ"``).
        template: how the op reads inside a formula, ``{0}`` and ``{1}`` standing for its
            inputs (``"{0} + {1}"``, ``"σ({0})"``).
        precedence: binding strength of ``template``, used to add parentheses: 1 for
            ``+``/``-``, 2 for ``*``/``/``, 3 for unary minus, 4 for ``**``, 5 for calls.
        forward: the function on floats, equal to plain Python arithmetic bit for bit.
        partials: ``(out, *inputs) -> (d out/d input, ...)``, one entry per input,
            generated from `derivatives`.
        formulas: the derivative formulas as text, one per input, in ``out``, ``x``, ``y``.
        fixed: the partials when they are numbers that do not depend on the inputs
            (``add``: ``(1.0, 1.0)``), read off `derivatives`.
        swap: True when the partials are ``(y, x)`` (``mul``), read off `derivatives`.
            The engine uses `fixed` and `swap` without calling `partials`.
        derivatives: the formulas parsed into term trees, one per input: the definition
            everything else is generated from (`microgrand.formula.evaluate` evaluates one).
        partial_of: one function per input, ``(out, *inputs) -> d out/d input`` for that
            input alone (the engine's, when the other input holds no gradient; drawings).
    """

    name: str
    symbol: str
    template: str
    precedence: int
    forward: Callable[..., float]
    partials: Partials
    formulas: tuple[str, ...]
    fixed: tuple[float, ...] | None = None
    swap: bool = False
    derivatives: tuple[Term, ...] = ()
    partial_of: tuple[Callable[..., float], ...] = ()

    @property
    def arity(self) -> int:
        """How many inputs the op takes."""
        return len(self.formulas)


def sigmoid(x: float) -> float:
    """Logistic function; two branches so that exp never overflows."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def relu(x: float) -> float:
    """max(x, 0), with relu(-0.0) == 0.0."""
    return x if x > 0.0 else 0.0


def power(x: float, y: float) -> float:
    """x ** y on reals: a negative base needs a whole exponent (else Python goes complex)."""
    if x < 0.0 and not y.is_integer():
        raise ValueError("a negative base needs a whole-number exponent")
    result: float = x**y
    return result


def bce_with_logits(z: float, y: float) -> float:
    """The lecture's loss L(sigmoid(z), y), computed without ever forming log(0)."""
    return max(z, 0.0) - z * y + math.log1p(math.exp(-abs(z)))


TABLE: dict[str, Op] = {}

# The ops written with Python's operators; all others are written as calls by name.
OPERATORS = frozenset(formula.OPERATOR_OPS.values()) | {"neg"}


def op_partial(op: Op, i: int, out: float, inputs: Sequence[float]) -> float:
    """d out/d input i at these values, or nan where it is not defined (a drawing shows
    ``nan`` for sqrt's slope at 0 rather than failing)."""
    try:
        return op.partial_of[i](out, *inputs)
    except (ArithmeticError, ValueError):
        return math.nan


def callable_names() -> dict[str, int]:
    """The functions a formula may call, name -> number of arguments: the ops written as
    calls (``sigmoid``, ``log``, ...) and the helpers (``step``, ``is_zero``)."""
    names = {name: op.arity for name, op in TABLE.items() if name not in OPERATORS}
    names.update(dict.fromkeys(HELPERS, 1))
    return names


def register(op: Op) -> Op:
    """Add a row to the table, deriving its backward from its formula text.

    The formulas are parsed into trees (`derivatives`); the partials functions and the
    fast-path facts (`fixed`, `swap`) are generated from the trees. Names are unique
    because users and drawings read them.

    Raises:
        ValueError: the name is taken, or a formula is not valid (`formula.ParseError`).
    """
    if op.name in TABLE:
        raise ValueError(f"op {op.name!r} is already registered")
    callables = callable_names()
    derivatives = tuple(formula.parse(text, len(op.formulas), callables) for text in op.formulas)
    functions: dict[str, Callable[..., float]] = {n: o.forward for n, o in TABLE.items()}
    functions.update(HELPERS)
    functions[op.name] = op.forward  # a formula may call its own op (exp's is out, not exp(x))
    partials, partial_of = formula.compile_partials(derivatives, functions)
    op = op._replace(
        partials=partials,
        partial_of=partial_of,
        derivatives=derivatives,
        fixed=formula.constant_partials(derivatives),
        swap=formula.is_swap(derivatives),
    )
    TABLE[op.name] = op
    return op


def _row(
    name: str,
    symbol: str,
    template: str,
    precedence: int,
    forward: Callable[..., float],
    *formulas: str,
) -> Op:
    """Register a built-in row; its partials come from its formulas."""
    return register(Op(name, symbol, template, precedence, forward, _no_partials, formulas))


def _no_partials(*args: float) -> tuple[float, ...]:
    raise AssertionError("replaced by register()")  # pragma: no cover


ADD = _row("add", "+", "{0} + {1}", 1, operator.add, "1", "1")
SUB = _row("sub", "−", "{0} − {1}", 1, operator.sub, "1", "-1")
MUL = _row("mul", "×", "{0}{1}", 2, operator.mul, "y", "x")
# -out / y rather than -x / y**2: y**2 can underflow to 0 or overflow when out cannot.
DIV = _row("div", "÷", "{0}/{1}", 2, operator.truediv, "1 / y", "-out / y")
NEG = _row("neg", "−", "−{0}", 3, operator.neg, "-1")
EXP = _row("exp", "exp", "exp({0})", 5, math.exp, "out")
LOG = _row("log", "log", "log({0})", 5, math.log, "1 / x")
# At y == 0 the slope in x is 0, also at x == 0 (where x ** -1 would divide by zero): the
# helper is_zero(y) makes the exponent 0 there. The slope in y, out·log x, needs x > 0; the
# engine computes it only when the exponent holds a gradient (x ** 2 with x < 0 is fine).
POW = _row("pow", "^", "{0}^{1}", 4, power, "y * x ** (y - 1 + is_zero(y))", "out * log(x)")
SIGMOID = _row("sigmoid", "σ", "σ({0})", 5, sigmoid, "out * (1 - out)")
TANH = _row("tanh", "tanh", "tanh({0})", 5, math.tanh, "1 - out**2")
RELU = _row("relu", "ReLU", "ReLU({0})", 5, relu, "step(x)")
# The label y is usually a constant (its slope -z is then never used).
BCE_WITH_LOGITS = _row(
    "bce_with_logits", "L", "L(σ({0}), {1})", 5, bce_with_logits, "sigmoid(x) - y", "-x"
)

# The names a formula string may use besides out, x and y (tests evaluate formulas with these).
FORMULA_FUNCTIONS: dict[str, Callable[[float], float]] = {
    "sigmoid": sigmoid,
    "exp": math.exp,
    "log": math.log,
    "tanh": math.tanh,
    **HELPERS,
}
