"""The op table: every primitive microgrand knows, one row each.

A row is an op's name, its symbol and template (how drawings write it), its forward
function on floats and one derivative formula per input, as text in ``out`` (the result),
``x`` and ``y`` (the inputs). The formulas are the single definition of an op's backward:
from them come the engine's partials and fast paths, the drawings' labels and `explain`
(see `microgrand.define`, which makes each row, and `microgrand.formula`). Each row is also
a Node method and a ``microgrand.<name>`` function. A user's own op is one call of
`microgrand.define_op`, exactly like the rows below.

The formulas use differentiable operations (ops of this table, ``step`` among them: relu's
slope, whose own slope is 0) and, in pow's slope, the piecewise-constant helper
``is_zero``, so that the same trees can build a graph of a gradient.
"""

from __future__ import annotations

import math
import operator

from microgrand.define import (
    FORMULA_FUNCTIONS,
    OPERATORS,
    TABLE,
    Op,
    builtin,
    define_op,
    function_ops,
    op_partial,
)

__all__ = [
    "FORMULA_FUNCTIONS",
    "OPERATORS",
    "TABLE",
    "Op",
    "define_op",
    "function_ops",
    "op_partial",
    "sigmoid",
    "step",
]


def sigmoid(x: float) -> float:
    """Logistic function; two branches so that exp never overflows."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def step(x: float) -> float:
    """1 for x > 0, else 0: relu's slope, with the subgradient 0 at x == 0 (PyTorch's).

    An op, not a number, in a gradient graph: d relu(x)/dx = step(x) keeps its dependence
    on x, so differentiating it again gives 0 (its slope, exact away from the kink; at the
    kink the convention of the first derivative), as PyTorch's double backward does.
    """
    return 1.0 if x > 0.0 else 0.0


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
    """The lecture's loss L(sigmoid(z), y) for a label y in [0, 1], without ever forming
    log(0)."""
    if not 0.0 <= y <= 1.0:
        raise ValueError(f"the label y must be in [0, 1], got {y!r}")
    return max(z, 0.0) - z * y + math.log1p(math.exp(-abs(z)))


ADD = builtin("add", "+", "{0} + {1}", 1, operator.add, "1", "1")
SUB = builtin("sub", "−", "{0} − {1}", 1, operator.sub, "1", "-1")
MUL = builtin("mul", "×", "{0}{1}", 2, operator.mul, "y", "x")
# -out / y rather than -x / y**2: y**2 can underflow to 0 or overflow when out cannot.
DIV = builtin("div", "÷", "{0}/{1}", 2, operator.truediv, "1 / y", "-out / y")
NEG = builtin("neg", "−", "−{0}", 3, operator.neg, "-1")
EXP = builtin("exp", "exp", "exp({0})", 5, math.exp, "out")
LOG = builtin("log", "log", "log({0})", 5, math.log, "1 / x")
# At y == 0 the slope in x is 0, also at x == 0 (where x ** -1 would divide by zero): the
# helper is_zero(y) makes the exponent 0 there. The slope in y, out·log x, needs x > 0; the
# engine computes it only when the exponent holds a gradient (x ** 2 with x < 0 is fine).
POW = builtin("pow", "**", "{0}**{1}", 4, power, "y * x ** (y - 1 + is_zero(y))", "out * log(x)")
SIGMOID = builtin("sigmoid", "σ", "σ({0})", 5, sigmoid, "out * (1 - out)")
TANH = builtin("tanh", "tanh", "tanh({0})", 5, math.tanh, "1 - out**2")
# step before relu: relu's formula calls it.
STEP = builtin("step", "step", "step({0})", 5, step, "0")
RELU = builtin("relu", "ReLU", "ReLU({0})", 5, relu, "step(x)")
# The label y is usually a number or a data leaf (its slope, -z, is then never used).
BCE_WITH_LOGITS = builtin(
    "bce_with_logits", "L", "L(σ({0}), {1})", 5, bce_with_logits, "sigmoid(x) - y", "-x"
)
