"""A user's training examples (lists or numpy arrays) as checked float64 arrays.

`logreg.train` and `train_network` hand their examples to compiled code as numpy arrays.
``np.asarray(values, dtype=np.float64)`` would take anything: booleans as 1.0, the strings
'0.5' as numbers, dates as seconds since 1970, complex numbers without their imaginary part
(a warning on stderr), ragged lists with numpy's own error. The dynamic engine refuses each
of these through `checks.to_float`, naming the value; the arrays here are checked to the
same rule, so both engines take the same examples and refuse the same ones, and an error
names the input and the example.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from microgrand.checks import a_or_an, short, to_float

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]

# numpy kinds whose values are real numbers: float (16 to 128 bits), int, unsigned int
_REAL_KINDS = "fiu"
_NAMED_KINDS = {"b": "boolean", "c": "complex", "M": "datetime", "m": "timedelta"}
# Types of values numpy turns into float64 exactly as `to_float` does (bool is not one):
# a list of them is converted at once (a list of numpy floats, list(array), went through
# to_float one by one: 1.8 s for 1,000,000).
_PLAIN = frozenset({float, int, np.float64, np.float32, np.int64, np.int32})


def column(values: object, what: str) -> Array:
    """`values` (a list, tuple or 1-d array of m real numbers) as a 1-d float64 array.

    Raises:
        TypeError: not a sequence, or a value (or the array's dtype) is not a real number.
        ValueError: not 1-d, or a value is not finite (the error names the example).
    """
    array = _plain(values, what, 1, "a list or a 1-d numpy array of numbers")
    if array is not None:
        return array
    assert isinstance(values, Sequence)  # `_plain` refused anything else
    if all(v.__class__ in _PLAIN for v in values):  # the common cases: numpy converts
        try:
            return _finite(np.array(values, dtype=np.float64).reshape(len(values)), what)
        except OverflowError:  # an int past float64: the check below names it
            pass
    floats = [to_float(v, f"{what}, example {i}") for i, v in enumerate(values)]
    return np.array(floats, dtype=np.float64).reshape(len(floats))


def matrix(values: object, what: str) -> Array:
    """`values` (a 2-d array, or a list of equally long rows of numbers) as a 2-d float64
    array; each row is checked like a `column`."""
    array = _plain(values, what, 2, "a 2-d numpy array or a list of rows")
    if array is not None:
        return array
    assert isinstance(values, Sequence)  # `_plain` refused anything else
    rows = [column(row, f"{what} row {r}") for r, row in enumerate(values)]
    if not rows:
        return np.zeros((0, 0))
    for r, row in enumerate(rows[1:], start=1):
        if len(row) != len(rows[0]):
            raise ValueError(
                f"{what}: row {r} has {len(row)} values but row 0 has {len(rows[0])}: "
                "every row must have one value per example"
            )
    return np.array(rows, dtype=np.float64).reshape(len(rows), -1)


def _plain(values: object, what: str, ndim: int, wanted: str) -> Array | None:
    """A numpy array of `ndim` dimensions, checked; None for a sequence (to be read value
    by value); anything else is refused as not `wanted`."""
    if isinstance(values, np.ndarray):
        if values.ndim != ndim:
            raise ValueError(f"{what} must be a {ndim}-d array, got shape {values.shape}")
        return _finite(_from_array(values, what), what)
    if not isinstance(values, Sequence) or isinstance(values, str | bytes):
        raise TypeError(f"{what} must be {wanted}, got {short(type(values).__name__)}")
    return None


def _from_array(values: Any, what: str) -> Any:
    """A plain numpy array of real numbers as float64 (not yet checked for inf and nan)."""
    if values.__class__ is not np.ndarray:  # a masked array's mask would be dropped
        raise TypeError(
            f"{what} is a {short(type(values).__name__)}, a subclass of numpy's array: "
            "pass a plain array (np.asarray(x))"
        )
    kind = values.dtype.kind
    if kind == "O":  # Python objects: each one checked as the engine checks it
        # np.ndindex, not enumerate(values.flat): in a matrix the flat index is no example
        flat = [to_float(values[i], f"{what}, {_place(i)}") for i in np.ndindex(values.shape)]
        return np.array(flat, dtype=np.float64).reshape(values.shape)
    if kind not in _REAL_KINDS:
        name = _NAMED_KINDS.get(kind, str(values.dtype))
        raise TypeError(f"{what} is {a_or_an(name)} array: expected real numbers")
    with np.errstate(over="ignore"):  # a longdouble past float64: inf, named below
        floats = values.astype(np.float64)
    if values.dtype.itemsize > 8 and kind == "f":
        past = np.isinf(floats) & np.isfinite(values)
        if past.any():
            where = tuple(int(i) for i in np.argwhere(past)[0])
            raise ValueError(
                f"{what}: {_place(where)} is {values[where]!s}, finite but past the largest "
                "float64 (about 1.8e308)"
            )
    return floats


def _finite(array: Array, what: str) -> Array:
    """`array` if every value is finite (an empty one too: the caller says how many
    examples it needs); else the error names the first value that is not."""
    flags = np.isfinite(array)
    if flags.all():
        return array
    where = tuple(int(i) for i in np.argwhere(~flags)[0])
    raise ValueError(f"{what}: {_place(where)} is {float(array[where])!r}, not a finite number")


def _place(where: tuple[int, ...]) -> str:
    """Where a value is: example j, or row i, example j of a matrix (one row per feature)."""
    return f"row {where[0]}, example {where[1]}" if len(where) == 2 else f"example {where[0]}"


__all__ = ["column", "matrix"]
