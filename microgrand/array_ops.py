"""The op table's functions on numpy arrays, for compiled graphs run over m examples.

Each function computes, element by element, the same formula as its float version in
`microgrand.ops` (the two-branch sigmoid, the stable `bce_with_logits`), so no example
overflows where the float version does not. Compiled code runs them under numpy's
``errstate(over="raise", invalid="raise", divide="raise")``: a non-finite value raises
instead of spreading, and `microgrand.compile` then finds the node and the example.

An op without a numpy form here (an op a user added to the table) runs its float
function once per element (`elementwise`): correct, but at Python speed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Array = Any  # a numpy array or a numpy float: numpy's own types are too wide to help here


def sigmoid(x: Array) -> Array:
    """σ(x) = 1 / (1 + e^-x), within 3 ulp of the two-branch float version.

    e^-x overflows only below x = -709, where σ(x) is below the smallest normal float:
    there (one check of the minimum tells) the two branches are computed instead,
    1 / (1 + e^-x) where x >= 0 and e^x / (1 + e^x) elsewhere, as `ops.sigmoid` does.
    On arrays the steps reuse one buffer (the same values, fewer allocations).
    """
    if np.min(x) >= -708.0:
        if x.__class__ is not np.ndarray:
            return 1.0 / (1.0 + np.exp(-x))
        t = np.negative(x)
        np.exp(t, out=t)
        t += 1.0
        return np.divide(1.0, t, out=t)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0, e) / (1.0 + e)


def relu(x: Array) -> Array:
    """max(x, 0), 0.0 (not -0.0) at x == -0.0 as in `ops.relu`."""
    return np.where(x > 0.0, x, 0.0)


def step(x: Array) -> Array:
    """1 where x > 0, else 0: the derivative of relu."""
    return np.where(x > 0.0, 1.0, 0.0)


def is_zero(x: Array) -> Array:
    """1 where x == 0, else 0 (pow's slope at exponent 0)."""
    return np.where(x == 0.0, 1.0, 0.0)


def bce_with_logits(z: Array, y: Array) -> Array:
    """max(z, 0) - z y + log(1 + e^-|z|): the lecture's loss of σ(z), without log(0).

    max(z, 0) is (z + |z|) / 2, exactly (|z| is needed anyway, and np.maximum is slower);
    the steps reuse two buffers. The same values as the float version's operations.
    """
    if z.__class__ is not np.ndarray:
        return (z + np.abs(z)) * 0.5 - z * y + np.log1p(np.exp(-np.abs(z)))
    a = np.abs(z)
    t = np.negative(a)
    np.exp(t, out=t)
    np.log1p(t, out=t)
    a += z
    a *= 0.5
    a -= z * y
    a += t
    return a


def dot(a: Array, b: Array) -> Array:
    """Σᵢ aᵢ bᵢ of two arrays of m examples: a gradient summed over the examples.

    BLAS (np.dot) up to 10,000 examples; above, numpy's own loops. OpenBLAS hands longer
    dot products to its threads, and waking them costs milliseconds on a busy machine
    (measured: 20-40 ms for a 100,000-example step that takes 1 ms without them).
    """
    if a.shape[0] <= 10_000:
        return np.dot(a, b)
    return np.add.reduce(a * b)


FORMS: dict[str, Callable[..., Array]] = {
    "sigmoid": sigmoid,
    "relu": relu,
    "step": step,
    "is_zero": is_zero,
    "bce_with_logits": bce_with_logits,
    "exp": np.exp,
    "log": np.log,
    "tanh": np.tanh,
    "power": np.power,
}


def elementwise(name: str, function: Callable[..., float], arity: int) -> Callable[..., Array]:
    """Run a float function on every element; a non-finite result raises like numpy does."""
    ufunc = np.frompyfunc(function, arity, 1)

    def run(*args: Array) -> Array:
        out = np.asarray(ufunc(*args), dtype=np.float64)
        if not np.isfinite(out).all():
            raise FloatingPointError(f"{name}: a result is not a finite float")
        return out if out.ndim else out[()]

    run.__name__ = name
    return run


def form(name: str, function: Callable[..., float], arity: int) -> Callable[..., Array]:
    """The array function for an op or formula function called `name`."""
    known = FORMS.get(name)
    return known if known is not None else elementwise(name, function, arity)
