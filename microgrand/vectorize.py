"""Running a compiled graph on numpy arrays of m examples (`Compiled.general` calls `run`).

The array function is made on first use from the same statements as the float one, with
numpy's functions (`microgrand.array_ops`). It runs under ``np.errstate(over="raise",
invalid="raise", divide="raise")``: strict numerics cost nothing until a value overflows,
and then `locate` re-runs the examples one at a time through the float version, whose
error names the node, and adds the first example's index. Inputs are checked once per
call (1-d float64, one length m, finite; labels in [0, 1]).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from microgrand.checks import short, to_float
from microgrand.engine import DATA

if TYPE_CHECKING:
    from microgrand.compile import Compiled, Result

RAISE = {"over": "raise", "invalid": "raise", "divide": "raise"}


def run(compiled: Compiled, args: Sequence[object], reduce: str) -> Result:
    """Run `compiled` on these arguments, any of which may be 1-d arrays of m examples."""
    values, m = prepare(compiled, args)
    if m is None:  # numpy scalars only: the float version
        return compiled(*(float(v) for v in values))
    function = compiled._arrays or _make(compiled)
    with np.errstate(**RAISE):  # type: ignore[arg-type]
        try:
            outputs = function(*values)
        except (ArithmeticError, ValueError) as error:
            raise locate(compiled, values, m, error) from None
        return finish(compiled, values, outputs, m, reduce)


def _make(compiled: Compiled) -> Any:
    from microgrand import codegen

    p = compiled._plan
    scope = codegen.namespace(p, arrays=True)
    fname = f"{p.names[p.root]}_and_grads_arrays"
    builtins.exec(builtins.compile(compiled.array_source, f"<compiled {fname}>", "exec"), scope)
    type(compiled)._arrays = staticmethod(scope[fname])
    return scope[fname]


def prepare(compiled: Compiled, args: Sequence[object]) -> tuple[list[Any], int | None]:
    """Check each argument; floats become numpy float64 (so numpy checks them too)."""
    p = compiled._plan
    values: list[Any] = []
    m: int | None = None
    first = ""
    for name, arg in zip(p.params, args, strict=True):
        what = f"compiled {p.names[p.root]}: input {name}"
        if isinstance(arg, np.ndarray) and arg.ndim > 0:
            array = _check_array(arg, what)
            if m is None:
                m, first = len(array), name
            elif len(array) != m:
                raise ValueError(
                    f"{what} has {len(array)} examples but {first} has {m}: arrays of m "
                    "examples must all have the same length (scalars are broadcast)"
                )
            values.append(array)
        else:
            if isinstance(arg, np.ndarray):
                arg = arg[()]  # 0-d: a scalar
            values.append(np.float64(to_float(arg, what)))
    for name in p.labels:
        label = values[p.params.index(name)]
        bad = np.flatnonzero((label < 0.0) | (label > 1.0))
        if bad.size:
            i = int(bad[0])
            shown = label[i] if label.ndim else label
            where = f"example {i}" if label.ndim else "the value"
            raise ValueError(
                f"bce_with_logits: the label {name} must be in [0, 1]; {where} is {float(shown)!r}"
            )
    return values, m


def _check_array(arg: Any, what: str) -> Any:
    if arg.dtype != np.float64:
        kind = {"i": "integer", "u": "integer", "b": "boolean", "O": "object"}.get(
            arg.dtype.kind, str(arg.dtype)
        )
        hint = "; convert with .astype(float)" if arg.dtype.kind in "iuf" else ""
        raise TypeError(f"{what} is a {kind} array: compiled graphs take float64 arrays{hint}")
    if arg.ndim != 1:
        raise ValueError(
            f"{what} has shape {arg.shape}: pass a 1-d array of m examples per input "
            "(one row of the course's n_x × m matrix X: X[0], X[1], ...; Y.ravel() for Y)"
        )
    if len(arg) == 0:
        raise ValueError(f"{what} is empty: there must be at least one example")
    finite = np.isfinite(arg)
    if not finite.all():
        i = int(np.argmin(finite))
        raise ValueError(f"{what}: example {i} is {float(arg[i])!r}, not a finite number")
    return arg


def finish(
    compiled: Compiled, values: list[Any], outputs: tuple[Any, ...], m: int, reduce: str
) -> Result:
    """Reduce the root and the gradients of scalar nodes over the examples."""
    p = compiled._plan
    value_nodes = [p.root, *p.named]
    scale = 1.0 / m if reduce == "mean" else None
    out: list[Any] = []
    try:
        root = outputs[0]
        total = root.sum() if isinstance(root, np.ndarray) else root * m
        out.append(float(total if scale is None else total / m))
        out.extend(outputs[1 : len(value_nodes)])
        node_values = dict(zip(value_nodes, outputs, strict=False))
        node_values.update(zip(p.inputs, values, strict=True))
        for node, grad in zip(p.grads, outputs[len(value_nodes) :], strict=True):
            out.append(_gradient(node, node_values[node], grad, m, scale))
    except FloatingPointError:
        raise OverflowError(
            f"the {reduce} over the {m} examples overflowed (a value or gradient summed over "
            "the examples is too large for a float)"
        ) from None
    return compiled._result(out)


def _gradient(node: Any, value: Any, grad: Any, m: int, scale: float | None) -> Any:
    if node._op is DATA:
        return 0.0
    if isinstance(value, np.ndarray):  # per example: dL_i / d node_i
        return grad if isinstance(grad, np.ndarray) else np.full(m, float(grad))
    total = grad.sum() if isinstance(grad, np.ndarray) else grad * m
    return float(total if scale is None else total * scale)


def locate(compiled: Compiled, values: list[Any], m: int, error: Exception) -> Exception:
    """Re-run the examples one by one on floats: the first failure names node and example."""
    for i in range(m):
        example = [float(v[i]) if isinstance(v, np.ndarray) else float(v) for v in values]
        try:
            compiled(*example)
        except (ArithmeticError, ValueError) as failure:
            return type(failure)(f"example {i} of {m}: {failure}")
    return OverflowError(
        f"{type(error).__name__} on the arrays ({short(str(error), 80)}), though each "
        "example alone is computed without one"
    )
