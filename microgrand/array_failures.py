"""Where a compiled graph's run on numpy arrays failed: the example and the node.

`vectorize.run` runs the m examples at once under numpy's strict errors; when numpy raises,
`locate` finds the first example whose float version fails (whose error names the node)
without running all m on floats, or else names the gradients whose sums over the examples
are too large for a float. Only the error path imports this module.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from microgrand.array_ops import ArrayFormError
from microgrand.checks import short
from microgrand.vectorize import SUMMED, sum_too_large

if TYPE_CHECKING:
    from microgrand.compile import Compiled


CHUNK = 64  # examples `locate` re-runs on floats once the arrays have narrowed it down


def _overflowed_sums(compiled: Compiled, values: list[Any], m: int, function: Any) -> list[str]:
    """The gradients of scalars that the array `function` summed over the examples to inf
    or nan, nearest the root first; [] if it cannot tell. Run again with floating-point
    errors ignored: only on this error path, once no example fails on its own."""
    p = compiled._plan
    try:
        with np.errstate(all="ignore"):
            outputs = function(*values, m)
    except (ArithmeticError, ValueError):
        return []
    made = compiled._arrays.get(tuple(v.__class__ is np.ndarray for v in values))
    if made is None:
        return []
    kinds = made[2]
    start = len(outputs) - len(kinds)
    order = {node: i for i, node in enumerate(p.computed)}  # leaves: -1, backward: last
    bad = [
        node
        for node, kind, grad in zip(p.grads, kinds, outputs[start:], strict=True)
        if kind == SUMMED and not math.isfinite(float(grad))
    ]
    bad.sort(key=lambda node: -order.get(node, -1))
    return [p.names[node] for node in bad]


def locate(
    compiled: Compiled,
    values: list[Any],
    m: int,
    error: Exception,
    function: Any = None,
    reduce: str = "sum",
) -> Exception:
    """Re-run the examples on floats: the first failure names the node and the example.

    The first `CHUNK` examples run on floats first (a bad step often breaks them all).
    Then, given the array `function` that failed, the arrays narrow the rest down: halves
    of the range are re-run until one of `CHUNK` examples is left (about one array pass
    over the m examples; one by one on floats, 10,000,000 examples took 9 s), whose
    examples then run on floats. Should the float version not fail there either (the
    arrays overflowed only in a sum over the examples), all m run on floats, and then the
    error names the gradients whose sums are too large (`_overflowed_sums`).
    """
    found = _first_failure(compiled, values, m, range(min(CHUNK, m)))
    if found is None and function is not None and m > CHUNK:
        lo = _narrow(values, m, function)
        found = _first_failure(compiled, values, m, range(lo, min(lo + CHUNK, m)))
    if found is None:
        found = _first_failure(compiled, values, m, range(m))
    if found is not None:
        return found
    if isinstance(error, ArrayFormError):  # no example fails on floats: the array form
        return ValueError(
            f"{error}, but its forward function gives a finite number there: the op's "
            "array form (define_op's array=) disagrees with it"
        )
    names = _overflowed_sums(compiled, values, m, function) if function is not None else []
    if names:
        return OverflowError(sum_too_large(names, m, reduce))
    return OverflowError(
        f"{type(error).__name__} on the arrays ({short(str(error), 80)}), though each "
        "example alone is computed without one"
    )


def _first_failure(
    compiled: Compiled, values: list[Any], m: int, examples: range
) -> Exception | None:
    """The float version's error for the first of `examples` that fails, with its index."""
    for i in examples:
        example = [float(v[i]) if v.__class__ is np.ndarray else float(v) for v in values]
        try:
            compiled(*example)
        except (ArithmeticError, ValueError) as failure:
            return type(failure)(f"example {i} of {m}: {failure}")
    return None


def _narrow(values: list[Any], m: int, function: Any) -> int:
    """The first example of a range of at most `CHUNK` in which the array function fails
    and before which it does not (0 if it fails nowhere but on all m at once)."""
    lo, hi = 0, m
    while hi - lo > CHUNK:
        mid = (lo + hi) // 2
        part = [v[lo:mid] if v.__class__ is np.ndarray else v for v in values]
        try:
            function(*part, mid - lo)
        except (ArithmeticError, ValueError):
            hi = mid  # a failure among lo..mid-1
        else:
            lo = mid  # none there: the first is later
    return lo
