"""PyTorch in float64 as a third oracle: random expression graphs, values and leaf grads.

Graphs are drawn by hypothesis from the op table (random constants on either side, nodes
reused so that gradients fan out) and built twice, in microgrand and in torch. A step whose
result would be ill-conditioned (cancellation, a pole nearby, a huge value) is skipped, so
that rounding differences between the two libraries stay far below the tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import user_ops
from hypothesis import given
from hypothesis import strategies as st

from microgrand import bce_with_logits, grad, ops
from microgrand.node import Node

torch = pytest.importorskip("torch", reason="PyTorch (the third oracle) is not installed")
F = torch.nn.functional

REL, ABS = 1e-9, 1e-12
LIMIT = 1e4  # |value| above this is skipped: products of large numbers lose absolute digits

Tensor = Any


def tensor(value: float, requires_grad: bool = False) -> Tensor:
    return torch.tensor(value, dtype=torch.float64, requires_grad=requires_grad)


# Each op in torch; the second argument of pow and bce_with_logits is a float constant.
TORCH_OPS: dict[str, Callable[..., Tensor]] = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "pow": lambda x, y: x**y,
    "neg": lambda x: -x,
    "exp": lambda x: torch.exp(x),
    "log": lambda x: torch.log(x),
    "sigmoid": lambda x: torch.sigmoid(x),
    "tanh": lambda x: torch.tanh(x),
    # torch.heaviside has no backward; sign has the slope 0, and sign(relu(x)) is step(x)
    "step": lambda x: torch.sign(torch.relu(x)),
    "relu": lambda x: torch.relu(x),
    "bce_with_logits": lambda z, y: F.binary_cross_entropy_with_logits(z, tensor(y)),
}

TORCH_OPS.update(user_ops.torch_twins(torch))


def microgrand_op(name: str) -> Callable[..., Node]:
    """The op as users call it: ``microgrand.<name>``, made from the table's row."""
    function = ops.TABLE[name].function
    return function


CONSTANT_SECOND = {"pow", "bce_with_logits"}
EXPONENTS = [0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, 1.5, 2.5, -0.5]


def close(got: float, want: float) -> bool:
    return math.isclose(got, want, rel_tol=REL, abs_tol=ABS)


def well_conditioned(name: str, inputs: list[float], out: float) -> bool:
    """False where float64 rounding differences between libraries would be amplified."""
    if abs(out) > LIMIT:
        return False
    if name in ("add", "sub"):
        return abs(out) >= 1e-3 * (abs(inputs[0]) + abs(inputs[1]))
    if name == "div":
        return abs(inputs[1]) >= 0.1
    if name == "log":
        return inputs[0] >= 1e-2
    if name == "pow":
        return abs(inputs[0]) >= 0.1
    if name == "bce_with_logits":
        return abs(inputs[0]) <= 20.0
    if name == "step":  # a rounding difference at the jump would be a difference of 1
        return abs(inputs[0]) >= 1e-6
    return user_ops.well_conditioned(name, inputs, out)


def test_every_op_has_a_torch_twin() -> None:
    assert set(ops.TABLE) == set(TORCH_OPS), "map the new op to torch in TORCH_OPS"


Pool = list[tuple[Node, Tensor]]


def random_graph(data: st.DataObject) -> tuple[list[Node], list[Tensor], Pool]:
    """Leaves, their torch twins, and every node drawn on them with its twin (root last)."""
    values = data.draw(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=3), label="leaves")
    leaves = [Node(v, f"x{i}") for i, v in enumerate(values)]
    torch_leaves = [tensor(v, requires_grad=True) for v in values]
    pool: Pool = list(zip(leaves, torch_leaves, strict=True))
    steps = data.draw(st.integers(1, 8), label="steps")
    names = sorted(ops.TABLE)
    for _ in range(steps):
        name = data.draw(st.sampled_from(names), label="op")
        node, twin = data.draw(st.sampled_from(pool), label="first operand")
        if ops.TABLE[name].arity == 1:
            args: list[Any] = [node]
            torch_args: list[Any] = [twin]
        elif name in CONSTANT_SECOND:
            second: float = data.draw(
                st.sampled_from(EXPONENTS) if name == "pow" else st.floats(0.0, 1.0),
                label="constant input",
            )
            args, torch_args = [node, second], [twin, second]
        else:
            form = data.draw(st.sampled_from(["nodes", "number left", "number right"]))
            if form == "nodes":
                other, other_twin = data.draw(st.sampled_from(pool), label="second operand")
                args, torch_args = [node, other], [twin, other_twin]
            else:
                number = data.draw(st.floats(-3.0, 3.0), label="number")
                if form == "number left":
                    args, torch_args = [number, node], [number, twin]
                else:
                    args, torch_args = [node, number], [twin, number]
        inputs = [a.value if isinstance(a, Node) else a for a in args]
        try:
            out = microgrand_op(name)(*args)
        except (ArithmeticError, ValueError):
            continue  # outside the op's domain: microgrand refuses, nothing to compare
        if not well_conditioned(name, inputs, out.value):
            continue
        pool.append((out, TORCH_OPS[name](*torch_args)))
    return leaves, torch_leaves, pool


@given(data=st.data())
def test_random_graphs_match_torch(data: st.DataObject) -> None:
    leaves, torch_leaves, pool = random_graph(data)
    root, torch_root = pool[-1]
    for node, twin in pool:
        assert close(node.value, twin.item()), (node, twin)
    root.backward()
    torch_root.backward()
    for leaf, twin in zip(leaves, torch_leaves, strict=True):
        want = 0.0 if twin.grad is None else twin.grad.item()
        assert close(leaf.grad, want), (leaf, want)


@given(data=st.data())
def test_second_derivatives_match_torch_double_backward(data: st.DataObject) -> None:
    """grad(create_graph=True) twice against torch.autograd.grad(create_graph=True) twice."""
    leaves, torch_leaves, pool = random_graph(data)
    root, torch_root = pool[-1]
    first = grad(root, leaves, create_graph=True, allow_unused=True)
    torch_first = torch.autograd.grad(
        torch_root, torch_leaves, create_graph=True, allow_unused=True, materialize_grads=True
    )
    for g, twin in zip(first, torch_first, strict=True):
        assert close(g.value, twin.item()), (g, twin)
    for g, twin in zip(first, torch_first, strict=True):
        row = grad(g, leaves, allow_unused=True)
        if not twin.requires_grad:  # the first derivative is a constant
            want = [0.0] * len(leaves)
        else:
            want = [
                t.item()
                for t in torch.autograd.grad(
                    twin,
                    torch_leaves,
                    retain_graph=True,
                    allow_unused=True,
                    materialize_grads=True,
                )
            ]
        for got, expected in zip(row, want, strict=True):
            assert math.isclose(got, expected, rel_tol=1e-8, abs_tol=1e-10), (row, want)


# relu graphs in the leaves x and y, whose first derivatives go through step(·)
RELU_GRAPHS: dict[str, Callable[[Any, Any, Callable[[Any], Any]], Any]] = {
    "relu(x) + y": lambda x, y, relu: relu(x) + y,
    "relu(x) x y": lambda x, y, relu: relu(x) * x * y,
    "relu(x y)": lambda x, y, relu: relu(x * y),
    "relu(2x + y) y": lambda x, y, relu: relu(2.0 * x + y) * y,
    "relu(relu(x) - y)": lambda x, y, relu: relu(relu(x) - y),
}


@pytest.mark.parametrize("graph", sorted(RELU_GRAPHS))
@pytest.mark.parametrize("point", [(1.5, 0.5), (-1.5, 0.5), (0.0, 0.0), (0.0, 2.0), (2.0, -0.7)])
def test_relu_second_derivatives_match_torch_without_allow_unused(
    graph: str, point: tuple[float, float]
) -> None:
    """The gradient of relu's gradient is 0.0 through step(v), as torch's double backward
    gives (at the kink too: the subgradient 0 in both), with no allow_unused; and where
    torch refuses an input as unused, so does microgrand."""
    build = RELU_GRAPHS[graph]
    leaves = [Node(point[0], "x"), Node(point[1], "y")]
    twins = [tensor(v, requires_grad=True) for v in point]
    root: Node = build(leaves[0], leaves[1], lambda v: v.relu())
    first = grad(root, leaves, create_graph=True)
    torch_first = torch.autograd.grad(
        build(twins[0], twins[1], torch.relu), twins, create_graph=True
    )
    for g, twin in zip(first, torch_first, strict=True):
        assert g.value == twin.item(), (g, twin)
        try:
            if not twin.requires_grad:  # a constant first derivative
                raise RuntimeError("torch: does not require grad")
            want = torch.autograd.grad(twin, twins, retain_graph=True)
        except RuntimeError:
            with pytest.raises(ValueError, match="do not depend on"):
                grad(g, leaves)
            continue
        assert grad(g, leaves) == tuple(w.item() for w in want), (graph, point)


@pytest.mark.parametrize(
    ("x1", "x2", "w1", "w2", "b", "y"),
    [(2.0, -1.0, 0.3, 0.5, 0.1, 1.0), (1.0, 2.0, 0.5, -0.5, 0.5, 1.0), (0.5, 3.0, -1, 2, 0, 0)],
)
def test_lecture_graph_matches_torch(
    x1: float, x2: float, w1: float, w2: float, b: float, y: float
) -> None:
    params = [Node(v, n) for v, n in ((w1, "w1"), (w2, "w2"), (b, "b"))]
    z = params[0] * x1 + params[1] * x2 + params[2]
    a = z.sigmoid()
    L = -(y * a.log() + (1 - y) * (1 - a).log())
    L.backward()
    fused = bce_with_logits(z, y)

    twins = [tensor(float(v), requires_grad=True) for v in (w1, w2, b)]
    tz = twins[0] * x1 + twins[1] * x2 + twins[2]
    tL = F.binary_cross_entropy(torch.sigmoid(tz), tensor(y))
    tL.backward()
    assert close(L.value, tL.item())
    assert close(fused.value, F.binary_cross_entropy_with_logits(tz, tensor(y)).item())
    for param, twin in zip(params, twins, strict=True):
        assert close(param.grad, twin.grad.item())
