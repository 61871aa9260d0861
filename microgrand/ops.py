"""The op table: every primitive microgrand knows, one row each.

A row says all there is to know about a primitive: its pinned name, the symbol a drawing
uses, how to write it in a formula, the forward function on floats, the local partial
derivatives, and the same partials as formula text. The engine, the renderer, `explain`
and the tests all read this table, so adding a primitive is adding one row here.

The partial rules take ``(out, x)`` or ``(out, x, y)``: the op's result and its inputs.
They use plain arithmetic only (no ``math`` calls on their arguments) wherever the
derivative allows it, so that the same rules can later run on Nodes to build a graph of
the gradient (derivatives of derivatives). The formula text is written in the same
variables; a test evaluates every formula against its rule so the two cannot drift apart.

This module works on plain floats and imports nothing from the package.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import NamedTuple

Partials = Callable[..., tuple[float, ...]]


class Op(NamedTuple):
    """One primitive: what it computes, how it differentiates, how it is written.

    A NamedTuple: immutable, its fields read at C speed, and no `dataclasses` import (which
    would pull `inspect` and `ast` into every `import microgrand`).

    Attributes:
        name: the pinned op name users and the renderer read (``"mul"``).
        symbol: a short symbol for one-box-per-op drawings (``"×"``, ``"σ"``).
        template: how the op reads inside a formula, ``{0}`` and ``{1}`` standing for its
            inputs (``"{0} + {1}"``, ``"σ({0})"``).
        precedence: binding strength of ``template``, used to add parentheses: 1 for
            ``+``/``-``, 2 for ``*``/``/``, 3 for unary minus, 4 for ``**``, 5 for calls.
        forward: the function on floats, equal to plain Python arithmetic bit for bit.
        partials: ``(out, *inputs) -> (d out/d input, ...)``, one entry per input.
        formulas: the partials as text in the variables ``out``, ``x`` and ``y``.
        fixed: the partials when they are numbers that do not depend on the inputs
            (``add``: ``(1.0, 1.0)``); filled in by `register` from `formulas`.
        swap: True when the partials are ``(y, x)`` (``mul``); filled in by `register`.
            The engine uses `fixed` and `swap` without calling `partials`.
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

    @property
    def arity(self) -> int:
        """How many inputs the op takes."""
        return len(self.formulas)


def _fixed(formulas: tuple[str, ...]) -> tuple[float, ...] | None:
    try:
        return tuple(float(text) for text in formulas)
    except ValueError:
        return None


def sigmoid(x: float) -> float:
    """Logistic function; two branches so that exp never overflows."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def relu(x: float) -> float:
    """max(x, 0), with relu(-0.0) == 0.0."""
    return x if x > 0.0 else 0.0


def step(x: float) -> float:
    """Derivative of relu: 1 for x > 0, else 0 (the subgradient 0 at x == 0)."""
    return 1.0 if x > 0.0 else 0.0


def power(x: float, y: float) -> float:
    """x ** y on reals: a negative base needs a whole exponent (else Python goes complex)."""
    if x < 0.0 and not y.is_integer():
        raise ValueError("a negative base needs a whole-number exponent")
    result: float = x**y
    return result


def power_partial(x: float, y: float) -> float:
    """d(x ** y)/dx = y * x ** (y - 1), and 0 when y == 0 (so that 0 ** 0 has gradient 0)."""
    if y == 0.0:
        return 0.0
    result: float = y * x ** (y - 1.0)
    return result


def bce_with_logits(z: float, y: float) -> float:
    """The lecture's loss L(sigmoid(z), y), computed without ever forming log(0)."""
    return max(z, 0.0) - z * y + math.log1p(math.exp(-abs(z)))


TABLE: dict[str, Op] = {}


def register(op: Op) -> Op:
    """Add a row to the table; names are unique because users and drawings read them."""
    if op.name in TABLE:
        raise ValueError(f"op {op.name!r} is already registered")
    op = op._replace(fixed=_fixed(op.formulas), swap=op.formulas == ("y", "x"))
    TABLE[op.name] = op
    return op


ADD = register(
    Op("add", "+", "{0} + {1}", 1, operator.add, lambda out, x, y: (1.0, 1.0), ("1", "1"))
)
SUB = register(
    Op("sub", "−", "{0} − {1}", 1, operator.sub, lambda out, x, y: (1.0, -1.0), ("1", "-1"))
)
MUL = register(Op("mul", "×", "{0}{1}", 2, operator.mul, lambda out, x, y: (y, x), ("y", "x")))
# -out / y rather than -x / y**2: y**2 can underflow to 0 or overflow when out cannot.
DIV = register(
    Op(
        "div",
        "÷",
        "{0}/{1}",
        2,
        operator.truediv,
        lambda out, x, y: (1.0 / y, -out / y),
        ("1 / y", "-out / y"),
    )
)
NEG = register(Op("neg", "−", "−{0}", 3, operator.neg, lambda out, x: (-1.0,), ("-1",)))
# The exponent is always a constant (Node ** Node is refused), so it gets no derivative.
# The text leaves out the one special case of the code: at y == 0 the slope is 0, also at x == 0.
POW = register(
    Op(
        "pow",
        "^",
        "{0}^{1}",
        4,
        power,
        lambda out, x, y: (power_partial(x, y), 0.0),
        ("y * x ** (y - 1)", "0"),
    )
)
EXP = register(Op("exp", "exp", "exp({0})", 5, math.exp, lambda out, x: (out,), ("out",)))
LOG = register(Op("log", "log", "log({0})", 5, math.log, lambda out, x: (1.0 / x,), ("1 / x",)))
SIGMOID = register(
    Op(
        "sigmoid",
        "σ",
        "σ({0})",
        5,
        sigmoid,
        lambda out, x: (out * (1.0 - out),),
        ("out * (1 - out)",),
    )
)
TANH = register(
    Op(
        "tanh",
        "tanh",
        "tanh({0})",
        5,
        math.tanh,
        lambda out, x: (1.0 - out * out,),
        ("1 - out**2",),
    )
)
RELU = register(Op("relu", "ReLU", "ReLU({0})", 5, relu, lambda out, x: (step(x),), ("step(x)",)))
# The label y is a constant: its partial is never used, so it is not computed (0).
BCE_WITH_LOGITS = register(
    Op(
        "bce_with_logits",
        "L",
        "L(σ({0}), {1})",
        5,
        bce_with_logits,
        lambda out, x, y: (sigmoid(x) - y, 0.0),
        ("sigmoid(x) - y", "0"),
    )
)

# The names a formula string may use besides out, x and y (tests evaluate formulas with these).
FORMULA_FUNCTIONS: dict[str, Callable[[float], float]] = {
    "sigmoid": sigmoid,
    "step": step,
    "exp": math.exp,
    "log": math.log,
    "tanh": math.tanh,
}
