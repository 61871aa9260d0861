"""Check backprop against central finite differences, with PyTorch's gradcheck rule.

The numeric derivative of input i is ``(f(v + eps) - f(v - eps)) / (2 eps)``; an input
passes when ``abs(analytic - numeric) <= atol + rtol * abs(numeric)`` (PyTorch's rule and
defaults). Every evaluation builds the graph afresh from new leaves, so the caller's
nodes and their grads are never touched.
``order=2`` checks the second derivatives the same way, against central differences of
the numeric first ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from microgrand import engine
from microgrand.checks import clean_name
from microgrand.define import ATOL, EPS, RTOL, central_difference, close
from microgrand.gradients import hessian
from microgrand.node import Node, Number, to_float


class GradcheckError(AssertionError):
    """Backprop and finite differences disagree; the message lists every input."""


def _build(
    fn: Callable[..., Node], values: Sequence[float], names: Sequence[str]
) -> tuple[list[Node], Node]:
    """Fresh leaves for `values`, and fn's output built on them (which must be a Node)."""
    leaves = [Node(v, name=n) for v, n in zip(values, names, strict=True)]
    out = fn(*leaves)
    if not isinstance(out, Node):
        raise TypeError(
            f"gradcheck: fn must return a Node (the output of the graph), got {type(out).__name__}"
        )
    return leaves, out


def numeric_grads(
    fn: Callable[..., Node], values: Sequence[float], names: Sequence[str], eps: float = EPS
) -> list[float]:
    """Central differences of fn's output with respect to each input."""

    def value(*inputs: float) -> float:
        return _build(fn, inputs, names)[1].value

    return [central_difference(value, values, i, eps) for i in range(len(values))]


def gradcheck(
    fn: Callable[..., Node],
    inputs: Sequence[Number | Node],
    *,
    eps: float = EPS,
    atol: float = ATOL,
    rtol: float = RTOL,
    raise_exception: bool = True,
    order: int = 1,
    second_eps: float = 1e-4,
) -> bool:
    """Compare fn's backprop gradients with central differences at `inputs`.

    Args:
        fn: builds a graph from one Node per input and returns its output Node.
        inputs: numbers or Nodes (only their values and names are used).
        eps: the finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance (relative to the numeric derivative).
        raise_exception: raise GradcheckError on a mismatch (else return False).
        order: 1 checks the first derivatives; 2 checks them and then the second ones:
            every d²f/dxᵢdxⱼ that `microgrand.grad` (``create_graph=True``) derives from
            the op table's formulas, against central differences of the numeric first
            derivatives (second differences of fn's values; see `second_derivatives`).
        second_eps: the step of those second differences.

    Returns:
        True when every input passes.
    """
    if isinstance(inputs, Node) or not isinstance(inputs, Sequence):
        raise TypeError("gradcheck: inputs must be a sequence (list or tuple) of numbers or Nodes")
    _check_settings(eps, second_eps, atol, rtol, order, raise_exception)
    values: list[float] = []
    names: list[str] = []
    for i, item in enumerate(inputs):
        if isinstance(item, Node):
            values.append(item.value)
            names.append(item.name if item.name is not None else f"input {i}")
        else:
            values.append(to_float(item, f"gradcheck: input {i}"))
            names.append(f"input {i}")
    analytic = first_derivatives(fn, values, names)
    numeric = numeric_grads(fn, values, names, eps)
    shown = [clean_name(name) for name in names]  # user text in the report: cleaned and cut
    labels = [f"{name}: value {v!r}" for name, v in zip(shown, values, strict=True)]
    rule = f"atol={atol} + rtol={rtol} * |numeric|"
    title = f"gradcheck: backprop and central differences (eps={eps}) disagree beyond {rule}"
    if not _agree(analytic, numeric, labels, atol, rtol, title, raise_exception):
        return False
    if order == 1:
        return True
    analytic2, numeric2 = second_derivatives(fn, values, names, second_eps)
    labels2 = [f"d²/d({a})d({b})" for a in shown for b in shown]
    title = (
        "gradcheck: second derivatives (the gradients of the gradient graph) and second "
        f"differences (eps={second_eps}) disagree beyond {rule}"
    )
    return _agree(analytic2, numeric2, labels2, atol, rtol, title, raise_exception)


def _check_settings(
    eps: object, second_eps: object, atol: object, rtol: object, order: object, raise_: object
) -> None:
    """Refuse steps that are not > 0 (eps = 0 divides by zero), tolerances below 0, an
    order other than 1 or 2, and a raise_exception that is not a bool ("no" is true)."""
    for name, step in (("eps", eps), ("second_eps", second_eps)):
        if to_float(step, f"gradcheck: {name} must be a finite number > 0") <= 0.0:
            raise ValueError(f"gradcheck: {name} must be a finite number > 0, got {step!r}")
    for name, tolerance in (("atol", atol), ("rtol", rtol)):
        if to_float(tolerance, f"gradcheck: {name} must be a finite number >= 0") < 0.0:
            raise ValueError(f"gradcheck: {name} must be a finite number >= 0, got {tolerance!r}")
    if isinstance(order, bool) or order not in (1, 2):
        error = TypeError if isinstance(order, bool) else ValueError
        raise error(f"gradcheck: order must be 1 or 2, got {order!r}")
    if not isinstance(raise_, bool):
        raise TypeError(f"gradcheck: raise_exception must be True or False, got {raise_!r}")


def first_derivatives(
    fn: Callable[..., Node], values: Sequence[float], names: Sequence[str]
) -> list[float]:
    """fn's gradient at `values` by the engine's backward() on fresh leaves.

    fn may use nodes of the caller's (a model's parameters): their grads are put back.
    """
    leaves, out = _build(fn, values, names)
    ours = {id(leaf) for leaf in leaves}
    others = [node for node in engine.ancestors(out) if id(node) not in ours]
    saved = [node.grad for node in others]
    out.backward()
    for node, saved_grad in zip(others, saved, strict=True):
        node.grad = saved_grad
    return [leaf.grad for leaf in leaves]


def second_derivatives(
    fn: Callable[..., Node], values: Sequence[float], names: Sequence[str], eps: float = 1e-4
) -> tuple[list[float], list[float]]:
    """The matrix d²f/dxᵢdxⱼ, row by row, twice: from the gradient graph, and numerically.

    The numeric entry (i, j) is the central difference in input j of the central
    difference in input i: a second difference of fn's values alone, so that it checks the
    op table's formulas against the functions themselves (differences of backprop's first
    derivatives would inherit a formula that is right at this point only). Its rounding
    error grows like 1/eps², hence a larger step than for first derivatives.
    """
    leaves, out = _build(fn, values, names)
    analytic = [h for row in hessian(out, leaves) for h in row]

    def f(*shifts: tuple[int, float]) -> float:
        shifted = list(values)
        for i, by in shifts:
            shifted[i] += by
        return _build(fn, shifted, names)[1].value

    n = len(values)
    centre = f()
    numeric = []
    for i in range(n):
        for j in range(n):
            if i == j:
                numeric.append((f((i, eps)) - 2.0 * centre + f((i, -eps))) / (eps * eps))
            else:
                corners = f((i, eps), (j, eps)) - f((i, eps), (j, -eps))
                corners += f((i, -eps), (j, -eps)) - f((i, -eps), (j, eps))
                numeric.append(corners / (4.0 * eps * eps))
    return analytic, numeric


def _agree(
    analytic: Sequence[float],
    numeric: Sequence[float],
    labels: Sequence[str],
    atol: float,
    rtol: float,
    title: str,
    raise_exception: bool,
) -> bool:
    """PyTorch's rule on every entry; on a mismatch, raise an error listing all of them."""
    ok = [close(a, n, atol, rtol) for a, n in zip(analytic, numeric, strict=True)]
    if all(ok):
        return True
    if not raise_exception:
        return False
    rows = [
        f"  {'MISMATCH' if not good else 'ok      '} {label}, "
        f"analytic {a!r}, numeric {n!r}, difference {abs(a - n):.3g}"
        for label, a, n, good in zip(labels, analytic, numeric, ok, strict=True)
    ]
    raise GradcheckError(title + ":\n" + "\n".join(rows))
