"""Check backprop against central finite differences, with PyTorch's gradcheck rule.

The numeric derivative of input i is ``(f(v + eps) - f(v - eps)) / (2 eps)``; an input
passes when ``abs(analytic - numeric) <= atol + rtol * abs(numeric)`` (PyTorch's rule and
defaults). Every evaluation builds the graph afresh from new leaves, so the caller's nodes
and their grads are never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from microgrand import engine
from microgrand.node import Node, Number, to_float


class GradcheckError(AssertionError):
    """Backprop and finite differences disagree; the message lists every input."""


def _evaluate(
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
    fn: Callable[..., Node], values: Sequence[float], names: Sequence[str], eps: float = 1e-6
) -> list[float]:
    """Central differences of fn's output with respect to each input."""
    grads = []
    for i in range(len(values)):
        up, down = list(values), list(values)
        up[i] += eps
        down[i] -= eps
        f_up = _evaluate(fn, up, names)[1].value
        f_down = _evaluate(fn, down, names)[1].value
        grads.append((f_up - f_down) / (2.0 * eps))
    return grads


def gradcheck(
    fn: Callable[..., Node],
    inputs: Sequence[Number | Node],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Compare fn's backprop gradients with central differences at `inputs`.

    Args:
        fn: builds a graph from one Node per input and returns its output Node.
        inputs: numbers or Nodes (only their values and names are used).
        eps: the finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance (relative to the numeric derivative).
        raise_exception: raise GradcheckError on a mismatch (else return False).

    Returns:
        True when every input passes.
    """
    if isinstance(inputs, Node) or not isinstance(inputs, Sequence):
        raise TypeError("gradcheck: inputs must be a sequence (list or tuple) of numbers or Nodes")
    values: list[float] = []
    names: list[str] = []
    for i, item in enumerate(inputs):
        if isinstance(item, Node):
            values.append(item.value)
            names.append(item.name if item.name is not None else f"input {i}")
        else:
            values.append(to_float(item, f"gradcheck: input {i}"))
            names.append(f"input {i}")
    leaves, out = _evaluate(fn, values, names)
    # fn may use nodes of the caller's (a model's parameters): keep their grads as they are.
    ours = {id(leaf) for leaf in leaves}
    others = [node for node in engine.ancestors(out) if id(node) not in ours]
    saved = [node.grad for node in others]
    out.backward()
    analytic = [leaf.grad for leaf in leaves]
    for node, grad in zip(others, saved, strict=True):
        node.grad = grad
    numeric = numeric_grads(fn, values, names, eps)
    ok = [abs(a - n) <= atol + rtol * abs(n) for a, n in zip(analytic, numeric, strict=True)]
    if all(ok):
        return True
    if not raise_exception:
        return False
    rows = [
        f"  {'MISMATCH' if not good else 'ok      '} {name}: value {v!r}, "
        f"analytic {a!r}, numeric {n!r}, difference {abs(a - n):.3g}"
        for name, v, a, n, good in zip(names, values, analytic, numeric, ok, strict=True)
    ]
    raise GradcheckError(
        f"gradcheck: backprop and central differences (eps={eps}) disagree beyond "
        f"atol={atol} + rtol={rtol} * |numeric|:\n" + "\n".join(rows)
    )
