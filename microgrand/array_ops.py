"""The op table's functions on numpy arrays, for compiled graphs run over m examples.

Each function computes, element by element, the same formula as its float version in
`microgrand.ops` (the two-branch sigmoid, the stable `bce_with_logits`), so no example
overflows where the float version does not. Compiled code runs them under numpy's
``errstate(over="raise", invalid="raise", divide="raise")``: a non-finite value raises
instead of spreading, and `microgrand.compile` then finds the node and the example.

An op a user added to the table runs its own array form when `define_op` was given one
(``array=``; `check_form` compares it with the float function at definition, `user_form`
holds it to one finite float64 per element in compiled code), and otherwise its float
function once per element (`elementwise`): correct, but at Python speed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Array = Any  # a numpy array or a numpy float: numpy's own types are too wide to help here

# Strict numerics on arrays: what compiled code (and the check of a user's array form) runs
# under, so that an overflow raises where it happens instead of spreading as inf or nan.
RAISE: dict[str, Any] = {"over": "raise", "invalid": "raise", "divide": "raise"}
FLOAT64 = np.dtype(np.float64)


def sigmoid(x: Array) -> Array:
    """σ(x) = 1 / (1 + e^-x), within 3 ulp of the two-branch float version, for any caller.

    e^-x overflows only below x = -709.78, where σ(x) is below the smallest normal float:
    there (one pass to find the minimum tells) the two branches are computed instead, as
    `ops.sigmoid` does (`sigmoid_raising` is the version for compiled code).
    """
    if np.min(x) >= -708.0:
        return _one_branch(x)
    return _two_branches(x)


def sigmoid_raising(x: Array) -> Array:
    """`sigmoid` for code that runs under ``np.errstate(over="raise")`` (compiled graphs,
    `vectorize.run`): 1 / (1 + e^-x) at once, and only where e^-x overflows, which then
    raises, the two branches. No pass over the examples to find their minimum first.

    Outside that errstate e^-x would overflow to inf without a word, and σ of an x below
    -709.78 would be 0.0 instead of a tiny number: use `sigmoid` there.
    """
    try:
        return _one_branch(x)
    except FloatingPointError:  # e^-x overflowed: the only error these steps can raise
        return _two_branches(x)


def _one_branch(x: Array) -> Array:
    """1 / (1 + e^-x); on arrays the steps reuse one buffer (the same values)."""
    if x.__class__ is not np.ndarray or not x.ndim:
        return 1.0 / (1.0 + np.exp(-x))
    t = np.negative(x)
    np.exp(t, out=t)
    t += 1.0
    return np.divide(1.0, t, out=t)


def _two_branches(x: Array) -> Array:
    """1 / (1 + e^-x) where x >= 0 and e^x / (1 + e^x) elsewhere, as `ops.sigmoid`."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0, e) / (1.0 + e)


def _where(condition: Array, a: Array, b: Array) -> Array:
    """np.where, but a number (not a 0-d array) when every input is a number: a 0-d
    array would be taken for an array of examples (np.exp(t, out=t) fails on one)."""
    out: Array = np.where(condition, a, b)
    return out if out.ndim else out[()]


def relu(x: Array) -> Array:
    """max(x, 0), 0.0 (not -0.0) at x == -0.0 as in `ops.relu`."""
    return _where(x > 0.0, x, 0.0)


def step(x: Array) -> Array:
    """1 where x > 0, else 0: the derivative of relu."""
    return _where(x > 0.0, 1.0, 0.0)


def is_zero(x: Array) -> Array:
    """1 where x == 0, else 0 (pow's slope at exponent 0)."""
    return _where(x == 0.0, 1.0, 0.0)


def bce_with_logits(z: Array, y: Array) -> Array:
    """max(z, 0) - z y + log(1 + e^-|z|): the lecture's loss of σ(z), without log(0).

    max(z, 0) is (z + |z|) / 2, exactly (|z| is needed anyway, and np.maximum takes
    twice as long), but for z past half the largest float, where z + |z| overflows (under
    the compiled code's np.errstate): then np.maximum. The steps reuse two buffers. The
    same values as the float version's operations.
    """
    if z.__class__ is not np.ndarray:
        return np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))
    a = np.abs(z)
    t = np.negative(a)
    np.exp(t, out=t)
    np.log1p(t, out=t)
    try:
        a += z
    except FloatingPointError:  # z + |z| beyond the floats (z > 8.9e307): z itself is not
        np.maximum(z, 0.0, out=a)
    else:
        a *= 0.5
    a -= z * y
    a += t
    return a


BLAS_MOST = 10_000  # the longest dot product given to BLAS (see `dot`)


def own(x: Array) -> Array:
    """A returned entry of its own: a copy of an array (an input, or a name the code returns
    twice), a number as it is (a constant gradient such as -(0.0 * 0.0) is a float)."""
    return x.copy() if x.__class__ is np.ndarray else x


def dot(a: Array, b: Array) -> Array:
    """Σᵢ aᵢ bᵢ of two arrays of m examples: a gradient summed over the examples.

    BLAS (np.dot) up to 10,000 examples; above, numpy's own loops. OpenBLAS hands longer
    dot products to its threads, and waking them costs milliseconds on a busy machine
    (measured: 20-40 ms for a 100,000-example step that takes 1 ms without them).
    """
    if a.shape[0] <= BLAS_MOST:
        return np.dot(a, b)
    return np.add.reduce(a * b)


FORMS: dict[str, Callable[..., Array]] = {
    "sigmoid": sigmoid_raising,  # compiled code runs under errstate(over="raise")
    "relu": relu,
    "step": step,
    "is_zero": is_zero,
    "bce_with_logits": bce_with_logits,
    "exp": np.exp,
    "log": np.log,
    "tanh": np.tanh,
    "power": np.power,
}
# The functions above that are numpy ufuncs: compiled code may pass them out= (inplace.py).
UFUNCS = frozenset(name for name, f in FORMS.items() if isinstance(f, np.ufunc))


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


# --- a user's array form (define_op's array=) ---------------------------------------------


def user_form(name: str, array: Callable[..., Array]) -> Callable[..., Array]:
    """A user's array form as compiled code calls it: numpy floats in (never Python
    floats, which do not raise on overflow), and one finite float64 per element out.

    Under compiled code's errstate numpy raises inside the user's function (exp(800)): it
    runs again without raising, and its first element that is not finite is the
    `ArrayFormError` (op, example, input); if every element is finite (1/exp(800) is 0.0,
    an overflow on the way), that result stands. A result that is (a view of) an input is
    copied."""

    def run(*args: Array) -> Array:
        args = tuple(a if a.__class__ is np.ndarray else np.float64(a) for a in args)
        try:
            out = array(*args)
        except ArithmeticError as error:
            out = _without_raising(name, array, args, error)
        shape = max(a.shape for a in args)  # (m,) if any input holds m examples, else ()
        if out.__class__ is not np.ndarray or out.dtype is not FLOAT64 or out.shape != shape:
            try:
                out = _result(out, shape)
            except TypeError as problem:
                raise TypeError(f"{name}: {problem}") from None
        if not _all_finite(out):
            raise ArrayFormError(_not_finite(name, args, out))
        if any(np.may_share_memory(out, a) for a in args):
            # Its input itself or a view of it (allowed: it changes nothing): else a Result
            # could hold one array as two entries, or the caller's own array.
            return out.copy()
        return out

    run.__name__ = name
    return run


def _without_raising(
    name: str, array: Callable[..., Array], args: tuple[Array, ...], error: ArithmeticError
) -> Array:
    """The user's array form under ``errstate(all="ignore")``, after it raised `error`."""
    try:
        with np.errstate(all="ignore"):
            return array(*args)
    except ArithmeticError:  # raised by the user's own code, not numpy's errstate
        raise ArrayFormError(
            f"{name}: array= raised {type(error).__name__} ({error}) on the arrays"
        ) from None


class ArrayFormError(FloatingPointError):
    """A user's array form gave inf or nan (or raised even without numpy's errstate). If
    the float forward fails on that example too, that error is the one reported (it names
    the node); if not, the array form is wrong."""


def _not_finite(name: str, args: tuple[Array, ...], out: Array) -> str:
    if not out.ndim:
        return f"{name}: array= gave {float(out)!r} for the {_inputs(args, None)}"
    i = int(np.argmin(np.isfinite(out)))
    return f"{name}: array= gave {float(out[i])!r} for example {i} (its {_inputs(args, i)})"


def _inputs(args: tuple[Array, ...], i: int | None) -> str:
    values = [repr(float(a[i]) if i is not None and a.ndim else float(a)) for a in args]
    return f"input{'s' if len(values) > 1 else ''} {' and '.join(values)}"


def _result(out: Array, shape: tuple[int, ...]) -> Array:
    """An array form's result that is not simply right: a numpy float (or a 0-d array)
    for numpy floats in, or a TypeError that says what was wanted."""
    if out.__class__ is np.ndarray and out.dtype == FLOAT64 and out.shape == shape:
        return out
    if not shape:
        if isinstance(out, float):  # np.float64 is a float
            return np.float64(out)
        if out.__class__ is np.ndarray and out.dtype == FLOAT64 and not out.ndim:
            return out[()]
    if isinstance(out, np.ndarray):
        got = f"an array of {out.dtype} and shape {out.shape}"
    else:
        got = f"a {type(out).__name__}"
    wanted = f"a float64 array of shape {shape}" if shape else "a numpy float"
    raise TypeError(
        f"array= returned {got} for inputs of shape {shape or '() (numpy floats)'}: "
        f"it must return {wanted}, one value per element (numpy's functions on the whole "
        "array do that)"
    )


def _all_finite(out: Array) -> bool:
    """One pass: the sum is finite when every element is, unless it overflows (then one
    more pass, element by element)."""
    try:
        if math.isfinite(np.add.reduce(out, axis=None)):
            return True
    except FloatingPointError:
        pass
    return bool(np.isfinite(out).all())


# An array form is the same formula as forward, written with numpy's functions, which may
# round differently from math's in the last bits: agreement to 10 digits is the same formula.
REL_TOL, ABS_TOL = 1e-10, 1e-12


def check_form(
    name: str,
    forward: Callable[..., float],
    array: Callable[..., Array],
    points: Sequence[tuple[float, ...]],
) -> None:
    """Compare define_op's `array` with `forward` where forward is defined: on all the
    points as 1-d arrays, on the first as numpy floats, and (two inputs) one of each, as
    compiled code calls it. Raises ValueError (both numbers) or TypeError (the result)."""
    for args, rows in _calls(forward, points):
        out = _call(name, array, args)
        for j, (row, want) in enumerate(rows):
            got = float(out[j] if out.ndim else out)
            if not math.isclose(got, want, rel_tol=REL_TOL, abs_tol=ABS_TOL):
                at = ", ".join(f"{v} = {a!r}" for v, a in zip("xy", row, strict=False))
                raise ValueError(
                    f"define_op({name!r}): array= gives {got!r} at {at}, but forward gives {want!r}"
                )


def _call(name: str, array: Callable[..., Array], args: list[Array]) -> Array:
    """One call of check_form's: the result, or an error that says which call failed."""
    before = [a.copy() for a in args]
    with np.errstate(**RAISE):
        try:
            out = array(*args)
        except Exception as problem:  # the user's code: say which call failed, and how
            failed = (
                f"define_op({name!r}): array= fails when {_called(args)}, where forward is "
                f"defined: {type(problem).__name__}: {problem}"
            )
            if isinstance(problem, ArithmeticError):  # numpy's errstate: a value
                raise ValueError(failed) from None
            raise TypeError(  # anything else: code that does not take arrays
                f"{failed} (write it with numpy's functions on whole arrays: np.exp, "
                "np.maximum, np.where; not math.exp, max or if)"
            ) from None
    # Compiled code passes it the values of other nodes and the caller's own arrays.
    if any(not np.array_equal(a, b) for a, b in zip(args, before, strict=True)):
        raise TypeError(
            f"define_op({name!r}): array= changed its input in place (out=, +=): it must "
            "leave its inputs as they are and return a new array"
        )
    try:
        return _result(out, max(a.shape for a in args))
    except TypeError as problem:
        raise TypeError(f"define_op({name!r}): {problem}") from None


def _calls(
    forward: Callable[..., float], points: Sequence[tuple[float, ...]]
) -> list[tuple[list[Array], list[tuple[tuple[float, ...], float]]]]:
    """The calls `check_form` makes: the arguments, and each element's point and value."""
    first = points[0]
    patterns = [(True,) * len(first), (False,) * len(first)]
    if len(first) == 2:
        patterns += [(True, False), (False, True)]
    calls = []
    for pattern in patterns:
        # An input given as a numpy float holds the first point's value; the points where
        # forward fails (which the other input's value may cause) are left out.
        rows = dict.fromkeys(
            tuple(p[k] if is_array else first[k] for k, is_array in enumerate(pattern))
            for p in (points if any(pattern) else [first])
        )
        known = [(row, value) for row in rows if (value := _value(forward, row)) is not None]
        if known:
            args = [
                np.array([row[k] for row, _ in known]) if is_array else np.float64(first[k])
                for k, is_array in enumerate(pattern)
            ]
            calls.append((args, known))
    return calls


def _value(forward: Callable[..., float], row: tuple[float, ...]) -> float | None:
    try:
        value = float(forward(*row))
    except (ArithmeticError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _called(args: Sequence[Array]) -> str:
    kinds = ["a float64 array" if a.__class__ is np.ndarray else "a numpy float" for a in args]
    return f"called on {' and '.join(kinds)}"
