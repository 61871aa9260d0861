"""The lecture's hand-derived formulas on plain floats: the independent oracle.

Everything here is written the way the lecture writes it (``da = -y/a + (1-y)/(1-a)``,
``dz = a - y``, ``dw1 = x1 dz``, ...) on built-in floats. It imports nothing that builds
`Node` objects on purpose: the tests compare autograd against these functions, and an
oracle that shared code with the thing it checks could not catch a bug in it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def sigmoid(z: float) -> float:
    """σ(z) = 1 / (1 + e^-z), two branches so that e^-z never overflows for large |z|."""
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def loss(a: float, y: float) -> float:
    """L(a, y) = -(y log a + (1-y) log(1-a)); undefined (ValueError) when a is 0 or 1."""
    return -(y * math.log(a) + (1.0 - y) * math.log(1.0 - a))


@dataclass(frozen=True, slots=True)
class OneExample:
    """Forward values and derivatives of the loss on one example (the lecture's names)."""

    z: float
    a: float
    L: float
    da: float
    dz: float
    dw1: float
    dw2: float
    db: float


def one_example(x1: float, x2: float, w1: float, w2: float, b: float, y: float) -> OneExample:
    """z = w1 x1 + w2 x2 + b, a = σ(z), L(a, y) and the lecture's da, dz, dw1, dw2, db."""
    z = w1 * x1 + w2 * x2 + b
    a = sigmoid(z)
    da = -y / a + (1.0 - y) / (1.0 - a)
    dz = a - y
    return OneExample(z=z, a=a, L=loss(a, y), da=da, dz=dz, dw1=x1 * dz, dw2=x2 * dz, db=dz)


def step(
    w1: float, w2: float, b: float, dw1: float, dw2: float, db: float, alpha: float
) -> tuple[float, float, float]:
    """One gradient-descent step: w1 := w1 - α dw1, w2 := w2 - α dw2, b := b - α db."""
    return w1 - alpha * dw1, w2 - alpha * dw2, b - alpha * db


@dataclass(frozen=True, slots=True)
class Batch:
    """The cost J and its gradients on m examples (the next lecture's averages)."""

    J: float
    dw1: float
    dw2: float
    db: float


def m_examples(
    x1: Sequence[float],
    x2: Sequence[float],
    y: Sequence[float],
    w1: float,
    w2: float,
    b: float,
) -> Batch:
    """J = (1/m) Σ L(a_i, y_i), dw1 = (1/m) Σ x1_i dz_i, dw2 likewise, db = (1/m) Σ dz_i.

    Written as the lecture's for-loop over the examples (accumulate, then divide by m).
    """
    m = len(y)
    if m == 0 or len(x1) != m or len(x2) != m:
        raise ValueError(
            f"m_examples: x1, x2 and y must have the same positive length, "
            f"got {len(x1)}, {len(x2)}, {m}"
        )
    J = dw1 = dw2 = db = 0.0
    for i in range(m):
        z = w1 * x1[i] + w2 * x2[i] + b
        a = sigmoid(z)
        J += loss(a, y[i])
        dz = a - y[i]
        dw1 += x1[i] * dz
        dw2 += x2[i] * dz
        db += dz
    return Batch(J=J / m, dw1=dw1 / m, dw2=dw2 / m, db=db / m)


@dataclass(frozen=True, slots=True)
class ThreeABC:
    """The earlier lecture's graph J = 3(a + bc): u = bc, v = a + u, J = 3v, and dJ/d-each."""

    u: float
    v: float
    J: float
    dv: float
    du: float
    da: float
    db: float
    dc: float


def three_abc(a: float, b: float, c: float) -> ThreeABC:
    """J = 3(a + bc) and its derivatives: dv = 3, du = 3, da = 3, db = 3c, dc = 3b."""
    u = b * c
    v = a + u
    return ThreeABC(u=u, v=v, J=3.0 * v, dv=3.0, du=3.0, da=3.0, db=3.0 * c, dc=3.0 * b)
