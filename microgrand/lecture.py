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
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
    # One input's m examples as a user passes them: a sequence of numbers or a 1-d numpy
    # array of real numbers (float or int dtypes; `example_arrays.column` refuses the other
    # dtypes at run time). `m_examples`, `compare`, `train` and `newton` are typed with it;
    # it lives here because the oracle may import nothing from microgrand, the others may.
    Examples: TypeAlias = Sequence[float] | NDArray[np.floating[Any] | np.integer[Any]]


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


def descent_step(
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
    x1: Examples,
    x2: Examples,
    y: Examples,
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


def sigmoid_array(Z: Array) -> Array:
    """σ(Z) elementwise, in two branches as `sigmoid` above: e^-|z| never overflows."""
    import numpy as np

    E = np.exp(-np.abs(Z))
    A: Array = np.where(Z >= 0.0, 1.0 / (1.0 + E), E / (1.0 + E))
    return A


def cost(A: Array, Y: Array) -> float:
    """The course's cost J = −(1/m) Σ (Y log A + (1 − Y) log(1 − A)) over the m columns."""
    import numpy as np

    m = Y.shape[1]
    return float(-np.sum(Y * np.log(A) + (1.0 - Y) * np.log(1.0 - A)) / m)


@dataclass(frozen=True, slots=True)
class Vectorized:
    """The vectorized lecture's quantities, in the course's shapes (m examples).

    Attributes:
        Z, A, dZ: 1 × m rows; J: the cost; dw: n_x × 1, the gradient of w; db: a number.
    """

    Z: Array
    A: Array
    J: float
    dZ: Array
    dw: Array
    db: float


def vectorized(w: Array, b: float, X: Array, Y: Array) -> Vectorized:
    """The course's "Vectorizing logistic regression", formula by formula, with numpy.

    ``Z = wᵀX + b``, ``A = σ(Z)``, ``J = -(1/m) Σ (Y log A + (1 - Y) log(1 - A))``,
    ``dZ = A - Y``, ``dw = (1/m) X dZᵀ``, ``db = (1/m) Σ dZ``.

    Args:
        w: the weights, n_x × 1. b: the bias, a number.
        X: the examples, one per column: n_x × m. Y: the labels, 1 × m.

    Raises:
        ValueError: a shape is not the course's.
    """
    import numpy as np

    if X.ndim != 2 or w.shape != (X.shape[0], 1) or Y.shape != (1, X.shape[1]):
        raise ValueError(
            f"vectorized: w {w.shape}, X {X.shape}, Y {Y.shape}; the course's shapes are "
            "w: n_x × 1, X: n_x × m (one column per example), Y: 1 × m"
        )
    m = X.shape[1]
    Z = w.T @ X + b
    A = sigmoid_array(Z)
    J = cost(A, Y)
    dZ = A - Y
    dw = (1.0 / m) * X @ dZ.T
    db = float((1.0 / m) * np.sum(dZ))
    return Vectorized(Z=Z, A=A, J=J, dZ=dZ, dw=dw, db=db)


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


# --- the shallow network (the course's week 3), numpy, the course's shapes -----------------
# X is n_x × m (one column per example), Y is 1 × m, W[1] is n_h × n_x, b[1] is n_h × 1,
# W[2] is 1 × n_h, b[2] is 1 × 1. numpy is imported inside, so importing this module
# stays cheap for the commands that never use a network.


def two_layer_forward(W1: Array, b1: Array, W2: Array, b2: Array, X: Array) -> dict[str, Array]:
    """Forward: Z[1] = W[1]X + b[1], A[1] = tanh(Z[1]), Z[2] = W[2]A[1] + b[2], A[2] = σ(Z[2]).

    Returns the course's cache: a dict with keys ``Z1``, ``A1``, ``Z2``, ``A2``. Raises
    ValueError when a shape is not the course's.
    """
    import numpy as np

    _check_shapes(W1, b1, W2, b2, X)

    Z1 = W1 @ X + b1
    A1 = np.tanh(Z1)
    Z2 = W2 @ A1 + b2
    A2 = sigmoid_array(Z2)
    return {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def _check_shapes(W1: Array, b1: Array, W2: Array, b2: Array, X: Array) -> None:
    """W[1] fixes n_h × n_x; every other array must have the course's shape to match it."""
    course = (
        "the course's shapes are X: n_x × m, W1: n_h × n_x, b1: n_h × 1, W2: 1 × n_h, b2: 1 × 1"
    )
    if W1.ndim != 2 or 0 in W1.shape:
        raise ValueError(f"two-layer network: W1 has shape {W1.shape}; {course}")
    n_h, n_x = W1.shape
    m = X.shape[1] if X.ndim == 2 and X.shape[0] == n_x and X.shape[1] > 0 else None
    expected = {"X": (n_x, m), "b1": (n_h, 1), "W2": (1, n_h), "b2": (1, 1)}
    for name, array in (("X", X), ("b1", b1), ("W2", W2), ("b2", b2)):
        if array.shape != expected[name]:
            shape = " × ".join("m" if n is None else str(n) for n in expected[name])
            raise ValueError(
                f"two-layer network: {name} has shape {array.shape}, expected {shape} "
                f"(W1 is {n_h} × {n_x}); {course}"
            )


def two_layer_cost(A2: Array, Y: Array) -> float:
    """J = −(1/m) Σ (Y log A[2] + (1 − Y) log(1 − A[2])), the cross-entropy cost."""
    return cost(A2, Y)


def two_layer_gradients(
    W1: Array, b1: Array, W2: Array, b2: Array, X: Array, Y: Array
) -> dict[str, Array]:
    """Backprop as the course derives it by hand, for a tanh hidden layer and a sigmoid output.

    dZ[2] = A[2] − Y, dW[2] = (1/m) dZ[2] A[1]ᵀ, db[2] = (1/m) Σ dZ[2],
    dZ[1] = W[2]ᵀ dZ[2] * (1 − A[1]²), dW[1] = (1/m) dZ[1] Xᵀ, db[1] = (1/m) Σ dZ[1]
    (the sums are row sums that keep the column shape). Returns a dict with keys ``dW1``,
    ``db1``, ``dW2``, ``db2``, each of its parameter's shape.
    """
    import numpy as np

    m = X.shape[1]
    cache = two_layer_forward(W1, b1, W2, b2, X)
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = (1.0 / m) * dZ2 @ A1.T
    db2 = (1.0 / m) * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = (W2.T @ dZ2) * (1.0 - A1**2)
    dW1 = (1.0 / m) * dZ1 @ X.T
    db1 = (1.0 / m) * np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


# --- second derivatives -------------------------------------------------------------------
# The parameters are ordered (w1, w2, b), so the feature vector of an example is
# (x1, x2, 1): the bias is a weight on a feature that is always 1.

Matrix = tuple[tuple[float, ...], ...]


def hessian_one_example(x1: float, x2: float, w1: float, w2: float, b: float, y: float) -> Matrix:
    """The Hessian of L(a, y) in (w1, w2, b): a(1-a) times the outer product of (x1, x2, 1).

    From dwi = xi dz and dz = a - y: d(dwi)/dwj = xi * da/dz * dz/dwj = a(1-a) xi xj, so
    ∂²L/∂wi∂wj = a(1-a) xi xj, ∂²L/∂wi∂b = a(1-a) xi and ∂²L/∂b² = a(1-a). The label y
    drops out: the curvature of the loss does not depend on which class is right.
    """
    a = sigmoid(w1 * x1 + w2 * x2 + b)
    s = a * (1.0 - a)
    features = (x1, x2, 1.0)
    return tuple(tuple(s * u * v for v in features) for u in features)


def hessian_m_examples(
    x1: Examples,
    x2: Examples,
    y: Examples,
    w1: float,
    w2: float,
    b: float,
) -> Matrix:
    """The Hessian of J = (1/m) Σ L(a_i, y_i) in (w1, w2, b): (1/m) Σ a_i(1-a_i) x_i x_iᵀ.

    Written as a for-loop over the examples like `m_examples`, with x_i = (x1_i, x2_i, 1).
    Every term is a positive multiple of an outer product, so the Hessian is positive
    semi-definite (J is convex); it is singular when all the x_i lie on one line through
    the origin, and nearly singular when every a_i(1-a_i) is tiny (every example is
    classified with great confidence, as on linearly separable data late in training).
    """
    m = len(y)
    if m == 0 or len(x1) != m or len(x2) != m:
        raise ValueError(
            f"hessian_m_examples: x1, x2 and y must have the same positive length, "
            f"got {len(x1)}, {len(x2)}, {m}"
        )
    H = [[0.0] * 3 for _ in range(3)]
    for i in range(m):
        a = sigmoid(w1 * x1[i] + w2 * x2[i] + b)
        s = a * (1.0 - a)
        features = (x1[i], x2[i], 1.0)
        for j in range(3):
            for k in range(3):
                H[j][k] += s * features[j] * features[k]
    return tuple(tuple(value / m for value in row) for row in H)


def _over_square(y: float, u: float) -> float:
    """y/u², as y/u/u: u² of a u below ~1e-154 leaves the normal floats (at a = 1e-160,
    a² = 1e-320 keeps a few digits: y/a² gave 7.00008e27 for y = 7e-293, not 7e27; below
    ~2e-162 it rounds to 0), y/u/u does not. A term too large for floats is inf, as in
    `*`; a label of 0 keeps its term 0."""
    if u == 0.0:  # not reached by the lecture's a in (0, 1); no ZeroDivisionError either
        return math.inf if y else 0.0
    return y / u / u


def second_derivatives(
    x1: float, x2: float, w1: float, w2: float, b: float, y: float
) -> dict[str, float]:
    """The lecture's second derivatives on one example, by name.

    ``d2a`` is ∂²L/∂a² = y/a² + (1-y)/(1-a)² (the derivative of da), ``d2z`` is
    ∂²L/∂z² = a(1-a) (the derivative of dz = a - y), and ``d2w1``, ``dw1dw2``, ``dw1db``,
    ``d2w2``, ``dw2db``, ``d2b`` are the entries of `hessian_one_example`. As everywhere in
    float arithmetic, an entry too large for a float is inf (d2a at a below ~1e-154).
    """
    a = sigmoid(w1 * x1 + w2 * x2 + b)
    H = hessian_one_example(x1, x2, w1, w2, b, y)
    return {
        "d2a": _over_square(y, a) + _over_square(1.0 - y, 1.0 - a),
        "d2z": a * (1.0 - a),
        "d2w1": H[0][0],
        "dw1dw2": H[0][1],
        "dw1db": H[0][2],
        "d2w2": H[1][1],
        "dw2db": H[1][2],
        "d2b": H[2][2],
    }
