"""Running a compiled graph on numpy arrays of m examples (`Compiled.general` calls `run`).

The array function is made on first use from the same statements as the float one, with
numpy's functions (`microgrand.array_ops`). It runs under ``np.errstate(over="raise",
invalid="raise", divide="raise")``: strict numerics cost nothing until a value overflows,
and then `array_failures.locate` finds the first example that fails in the float
version, whose error names the node, and adds the example's index. Inputs are checked
once per call (1-d float64, one length m, finite; labels in [0, 1]).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from microgrand.array_ops import BLAS_MOST, FLOAT64, RAISE
from microgrand.checks import a_or_an, container_error, to_float
from microgrand.engine import DATA

if TYPE_CHECKING:
    from microgrand.codegen import Plan
    from microgrand.compile import Compiled, Result


def run(compiled: Compiled, args: Sequence[object], reduce: str) -> Result:
    """Run `compiled` on these arguments, any of which may be 1-d arrays of m examples."""
    with np.errstate(**RAISE):
        values, pattern, m = prepare(compiled, args)
        if m is None:  # numpy scalars only: the float version
            return compiled(*(float(v) for v in values))
        made = compiled._arrays.get(pattern) or _make(compiled, pattern)
        try:
            outputs = made[0](*values, m)
        except (ArithmeticError, ValueError) as error:
            from microgrand.array_failures import locate  # on the error path only

            raise locate(compiled, values, m, error, made[0], reduce) from None
        return compiled._result(finish(outputs, made[2], m, reduce, made[3], compiled._plan))


Made = tuple[Any, str, tuple[int, ...], bool]  # function, source, `_kinds`, root negated


def _make(compiled: Compiled, pattern: tuple[bool, ...], *, in_place: bool = True) -> Made:
    """Generate and compile the numpy version for inputs given as arrays per `pattern`
    (`in_place=False`: without writing into dead temporaries, the reference for tests)."""
    from microgrand import generated, parts

    p = compiled._plan
    arrays = {leaf for leaf, is_array in zip(p.inputs, pattern, strict=True) if is_array}
    for node in p.computed:
        if node._p0 in arrays or node._p1 in arrays:
            arrays.add(node)
    scope = generated.namespace(p, arrays=True)
    fname = f"{p.names[p.root]}_and_grads_arrays"
    source, negated = generated.array_source(p, fname, arrays, in_place=in_place)
    parts.define(source, f"<compiled {fname}>", scope)
    made = (scope[fname], source, _kinds(compiled, arrays), negated)
    if in_place:
        compiled._arrays[pattern] = made
    return made


Prepared = tuple[list[Any], tuple[bool, ...], int | None]


def prepare(compiled: Compiled, args: Sequence[object]) -> Prepared:
    """Check each argument; floats become numpy float64 (so numpy checks them too).

    Returns the values, which of them are arrays, and m (None when none is). The common
    case (1-d float64 arrays of one length, all finite, labels in [0, 1], and floats)
    passes here with few passes over the examples (`_all_finite`); anything else goes
    through `_prepare_checked`, which looks at the arguments in order and raises the
    first problem in the words of `_check_array` and `to_float`.
    """
    p = compiled._plan
    labels = p.label_positions
    values: list[Any] = []
    unchecked: list[Any] = []  # arrays whose finiteness is still to be checked
    m: int | None = None
    for i, arg in enumerate(args):
        if arg.__class__ is np.ndarray:
            if arg.ndim != 1 or arg.dtype is not FLOAT64 or not len(arg):
                return _prepare_checked(compiled, args)
            if m is not None and len(arg) != m:
                return _prepare_checked(compiled, args)
            m = len(arg)
            if i not in labels:  # a label's check, min >= 0 and max <= 1, fails on nan
                unchecked.append(arg)
            values.append(arg)
        elif arg.__class__ is float and arg - arg == 0.0:
            values.append(np.float64(arg))
        else:
            return _prepare_checked(compiled, args)
    if m is None or not _all_finite(unchecked):
        return _prepare_checked(compiled, args)
    for position in labels:
        label = values[position]
        if not (label.min() >= 0.0 and label.max() <= 1.0):
            return _prepare_checked(compiled, args)
    return values, tuple(v.__class__ is np.ndarray for v in values), m


def _all_finite(arrays: list[Any]) -> bool:
    """True only if every element of every array is finite (False may be wrong: then
    `_prepare_checked` looks element by element). Two arrays at a time: their dot product
    is inf or nan when an element of either is (inf·0 and inf - inf are nan, nan spreads),
    and for up to `BLAS_MOST` examples np.dot is quicker than one sum per array."""
    if not arrays:
        return True
    if len(arrays[0]) > BLAS_MOST:
        return all(_finite(a) for a in arrays)
    pairs = zip(arrays[::2], [*arrays[1::2], arrays[-1]], strict=False)  # odd: a·a
    try:
        return all(math.isfinite(np.dot(a, b)) for a, b in pairs)
    except FloatingPointError:  # numpy checks its dot products under errstate too
        return False


def _prepare_checked(compiled: Compiled, args: Sequence[object]) -> Prepared:
    """`prepare` one argument after the other, each error in the words of `_check_array`
    and `to_float`."""
    p = compiled._plan
    values: list[Any] = []
    pattern: list[bool] = []
    m: int | None = None
    first = 0
    for i, arg in enumerate(args):
        if arg.__class__ is np.ndarray and arg.ndim:
            if arg.ndim != 1 or arg.dtype is not FLOAT64 or not _finite(arg):
                _check_array(arg, _what(p, i))
            n = len(arg)
            if m is None:
                m, first = n, i
            elif n != m:
                raise ValueError(
                    f"{_what(p, i)} has {n} examples but {p.params[first]} has {m}: arrays "
                    "of m examples must all have the same length (scalars are broadcast)"
                )
            values.append(arg)
            pattern.append(True)
        else:
            if arg.__class__ is not float or arg - arg != 0.0:
                if arg.__class__ is np.ndarray:
                    arg = arg[()]  # 0-d: a scalar
                else:
                    error = container_error(_what(p, i), arg)
                    if error is not None:
                        raise error
                arg = to_float(arg, _what(p, i))
            values.append(np.float64(arg))
            pattern.append(False)
    for position in p.label_positions:
        _check_label(p.params[position], values[position])
    return values, tuple(pattern), m


def _what(p: Any, i: int) -> str:
    return f"compiled {p.names[p.root]}: input {p.params[i]}"


def _finite(arg: Any) -> bool:
    """One fast pass: the sum is finite exactly when every x is, unless it overflows, which
    raises here (then `_check_array` looks element by element). Not x·x: BLAS may hand a
    long dot product to threads, whose wake-up costs far more on a busy machine."""
    if len(arg) == 0:
        return False
    try:
        return math.isfinite(np.add.reduce(arg))
    except FloatingPointError:
        return False


def _check_label(name: str, label: Any) -> None:
    # min and max also catch nan (a comparison with nan is False); one pass each.
    if label.min() >= 0.0 and label.max() <= 1.0:
        return
    if label.ndim:
        bad = int(np.flatnonzero(~((label >= 0.0) & (label <= 1.0)))[0])
        where = f"example {bad} is {float(label[bad])!r}"
    else:
        where = f"it is {float(label)!r}"
    raise ValueError(f"bce_with_logits: the label {name} must be in [0, 1]; {where}")


def _check_array(arg: Any, what: str) -> Any:
    if arg.dtype != np.float64:
        kind = {"i": "integer", "u": "integer", "b": "boolean", "O": "object"}.get(
            arg.dtype.kind, str(arg.dtype)
        )
        hint = "; convert with .astype(float)" if arg.dtype.kind in "iuf" else ""
        raise TypeError(
            f"{what} is {a_or_an(kind)} array: compiled graphs take float64 arrays{hint}"
        )
    if arg.ndim != 1:
        raise ValueError(
            f"{what} has shape {arg.shape}: pass a 1-d array of m examples per input "
            "(one row of the course's n_x × m matrix X: X[0], X[1], ...; Y.ravel() for Y)"
        )
    if len(arg) == 0:
        raise ValueError(f"{what} is empty: there must be at least one example")
    finite = _finite(arg)
    if not finite:
        flags = np.isfinite(arg)
        if not flags.all():
            i = int(np.argmin(flags))
            raise ValueError(f"{what}: example {i} is {float(arg[i])!r}, not a finite number")
    return arg


DATA_GRAD, PER_EXAMPLE, SUMMED, ROOT = 0, 1, 2, 3  # what each returned gradient is


def _kinds(compiled: Compiled, arrays: set[Any]) -> tuple[int, ...]:
    """For each gradient the array version returns: a data leaf's 0.0 (even the root's, as
    in the engine), one value per example (a node holding m examples), a sum over the
    examples (a scalar node), or the root's own 1.0 (d L_i / d L_i for every example)."""
    root = compiled._plan.root
    return tuple(
        DATA_GRAD  # the engine's too, for a data leaf that is the root
        if node._op is DATA
        else ROOT
        if node is root
        else PER_EXAMPLE
        if node in arrays
        else SUMMED
        for node in compiled._plan.grads
    )


def finish(
    outputs: tuple[Any, ...],
    kinds: tuple[int, ...],
    m: int,
    reduce: str,
    negated: bool = False,
    plan: Plan | None = None,
) -> list[Any]:
    """J (the sum or the mean of the root over the examples) and the gradients as returned.

    Sums of the examples' gradients are divided by m for ``reduce="mean"``, like J. With
    `negated`, the function returned t where the root is -t: J is -(the sum of t), which
    is the sum of -t exactly, except for the sign of a zero (a sum that cancels to 0.0
    negates to -0.0): then the sum of -t itself. A root that depends on no array is
    `_repeated` (`plan` names a gradient too large there).
    """
    if outputs[0].__class__ is not np.ndarray:
        return _repeated(outputs, kinds, m, reduce, negated, plan)
    mean = reduce == "mean"
    start = len(outputs) - len(kinds)
    root = outputs[0]
    try:
        total = float(root.sum()) if root.__class__ is np.ndarray else float(root) * m
        if negated:
            total = -total if total != 0.0 else float(np.negative(root).sum())
    except FloatingPointError:
        raise OverflowError(
            f"the {reduce} of the root over the {m} examples is too large for a float"
        ) from None
    out: list[Any] = [total / m if mean else total, *outputs[1:start]]
    for kind, grad in zip(kinds, outputs[start:], strict=True):
        if kind == SUMMED:
            out.append(float(grad) / m if mean else float(grad))
        elif kind == PER_EXAMPLE:
            out.append(grad if grad.__class__ is np.ndarray else np.full(m, float(grad)))
        else:
            out.append(1.0 if kind == ROOT else 0.0)
    return out


def _repeated(
    outputs: tuple[Any, ...],
    kinds: tuple[int, ...],
    m: int,
    reduce: str,
    negated: bool,
    plan: Plan | None,
) -> list[Any]:
    """`finish` for a root that depends on no array: every example has the same L and the
    same gradients, so J and each gradient of a scalar are m times one example's for
    "sum" and one example's for "mean" (itself: no rounding). As in `finish`, the sum over
    the examples must be a float for "mean" too (the engine's J = (1/m) Σ L sums first)."""
    start = len(outputs) - len(kinds)
    mean = reduce == "mean"
    root = float(outputs[0])
    root = -root if negated else root
    if not math.isfinite(root * m):
        raise OverflowError(
            f"the {reduce} of the root over the {m} examples is too large for a float"
        )
    out: list[Any] = [root if mean else root * m, *outputs[1:start]]
    for k, (kind, grad) in enumerate(zip(kinds, outputs[start:], strict=True)):
        if kind == SUMMED:
            one = float(grad)
            if not math.isfinite(one * m):
                name = plan.names[list(plan.grads)[k]] if plan else f"number {k}"
                raise OverflowError(sum_too_large([name], m, reduce))
            out.append(one if mean else one * m)
        elif kind == PER_EXAMPLE:  # an array input the root does not depend on
            out.append(np.zeros(m))
        else:
            out.append(1.0 if kind == ROOT else 0.0)
    return out


def sum_too_large(names: list[str], m: int, reduce: str) -> str:
    """The error for gradients of scalars (`names`, the first nearest the root) whose sum
    over the m examples is not a float, although each example's is."""
    more = f" (so are the sums for {', '.join(names[1:])})" if names[1:] else ""
    mean = '; reduce="mean" sums first, then divides by m, as J = (1/m) Σ L does'
    return (
        f"the sum of the gradient of {names[0]} over the {m} examples is too large for a "
        f"float, though each example's is finite{more}{mean if reduce == 'mean' else ''}"
    )
