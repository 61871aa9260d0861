"""The shallow network's gradients five ways: the scalar graph, the compiled vectorized
graph, the course's six formulas, central finite differences and PyTorch float64, on random
networks and data (hypothesis)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from microgrand import lecture
from microgrand.nn import MLP, Activation, Matrix

Case = tuple[MLP, list[list[float]], list[float]]

values = st.floats(-2.0, 2.0, allow_nan=False)
features = st.floats(-3.0, 3.0, allow_nan=False)


@st.composite
def cases(draw: st.DrawFn, activation: Activation = "tanh") -> Case:
    """A random n_x-n_h-1 network with m examples (features per row, labels 0/1)."""
    n_x = draw(st.integers(1, 3))
    n_h = draw(st.integers(1, 5))
    m = draw(st.integers(1, 6))
    net = MLP(n_x, [n_h, 1], activation=activation)
    W1 = [[draw(values) for _ in range(n_x)] for _ in range(n_h)]
    b1 = [[draw(values)] for _ in range(n_h)]
    W2 = [[draw(values) for _ in range(n_h)]]
    b2 = [[draw(values)]]
    net.set_matrices([(W1, b1), (W2, b2)])
    X = [[draw(features) for _ in range(n_x)] for _ in range(m)]
    Y = [float(draw(st.integers(0, 1))) for _ in range(m)]
    return net, X, Y


def scalar_gradients(net: MLP, X: list[list[float]], Y: list[float]) -> tuple[float, list[Matrix]]:
    """J and (dW1, db1, dW2, db2) from backward() on the scalar graph of J over m examples."""
    J = net.cost(X, Y)
    J.backward()
    (dW1, db1), (dW2, db2) = net.matrices(grads=True)
    return J.value, [dW1, db1, dW2, db2]


def formula_gradients(net: MLP, X: list[list[float]], Y: list[float]) -> tuple[float, list[Any]]:
    """J and the course's dW1, db1, dW2, db2, on the course's shapes (X is n_x × m)."""
    (W1, b1), (W2, b2) = (tuple(np.array(a) for a in pair) for pair in net.matrices())
    Xm, Ym = np.array(X).T, np.array([Y])
    A2 = lecture.two_layer_forward(W1, b1, W2, b2, Xm)["A2"]
    grads = lecture.two_layer_gradients(W1, b1, W2, b2, Xm, Ym)
    return lecture.two_layer_cost(A2, Ym), [grads[k] for k in ("dW1", "db1", "dW2", "db2")]


def assert_close(ours: list[Any], theirs: list[Any], *, rel: float, abs_: float) -> None:
    for a, b in zip(ours, theirs, strict=True):
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        assert a.shape == b.shape
        assert np.all(np.abs(a - b) <= abs_ + rel * np.abs(b)), (a, b)


def saturated(net: MLP, X: list[list[float]]) -> bool:
    """True when some a[2] rounds to 0 or 1: the course's cost takes log(0) there."""
    for x in X:
        a = net(x)
        assert not isinstance(a, list)
        if not 1e-12 < a.value < 1.0 - 1e-12:
            return True
    return False


@given(cases())
def test_the_scalar_graph_equals_the_courses_six_formulas(case: Case) -> None:
    net, X, Y = case
    J, ours = scalar_gradients(net, X, Y)
    J_course, theirs = formula_gradients(net, X, Y)
    assert_close(ours, theirs, rel=1e-10, abs_=1e-13)
    if not saturated(net, X):
        assert math.isclose(J, J_course, rel_tol=1e-9, abs_tol=1e-12)


@given(cases())
def test_the_compiled_vectorized_graph_equals_the_scalar_graph_and_the_formulas(
    case: Case,
) -> None:
    from microgrand.network import compile_network

    net, X, Y = case
    J, ours = scalar_gradients(net, X, Y)
    compiled = compile_network(net)
    columns = [np.array(column) for column in zip(*X, strict=True)]
    out = compiled.function(
        *columns, np.array(Y), *(p.value for p in compiled.params), reduce="mean"
    )
    theirs = [
        [[float(out.grads[w]) for w in row] for row in layer.W]
        if kind == "W"
        else [[float(out.grads[b])] for b in layer.b]
        for layer in net.layers
        for kind in ("W", "b")
    ]
    # Sums over the m examples in another order (numpy's pairwise sums and dot against the
    # engine's running sums): where the terms cancel, the difference is a few ulp of the
    # terms, not of the sum (a dW of -1.128e-05 differed by 1.2e-15, 1e-10 of itself).
    assert_close(theirs, ours, rel=1e-12, abs_=1e-13)
    assert math.isclose(float(out.value), J, rel_tol=1e-12, abs_tol=1e-13)
    assert_close(theirs, formula_gradients(net, X, Y)[1], rel=1e-10, abs_=1e-13)


@given(cases())
def test_the_scalar_graph_equals_central_finite_differences(case: Case) -> None:
    net, X, Y = case
    _, ours = scalar_gradients(net, X, Y)
    grads = [g for matrix in ours for row in matrix for g in row]
    params = [p for layer in net.layers for p in (*(w for r in layer.W for w in r), *layer.b)]
    eps = 1e-6
    for p, g in zip(params, grads, strict=True):
        v = p.value
        p.value = v + eps
        up = net.cost(X, Y).value
        p.value = v - eps
        down = net.cost(X, Y).value
        p.value = v
        numeric = (up - down) / (2 * eps)
        assert abs(g - numeric) <= 1e-5 + 1e-3 * abs(numeric), (p.name, g, numeric)


def test_a_wrong_formula_is_caught() -> None:
    """The checks above can fail: the course's dZ[1] with g′ = 1 − A (not 1 − A²) is wrong."""
    net = MLP(2, [3, 1], seed=0, scale=1.0)
    X, Y = [[0.5, -1.0], [2.0, 0.3]], [1.0, 0.0]
    _, ours = scalar_gradients(net, X, Y)
    (W1, b1), (W2, b2) = (tuple(np.array(a) for a in pair) for pair in net.matrices())
    Xm, Ym = np.array(X).T, np.array([Y])
    cache = lecture.two_layer_forward(W1, b1, W2, b2, Xm)
    dZ1_wrong = (W2.T @ (cache["A2"] - Ym)) * (1.0 - cache["A1"])
    with pytest.raises(AssertionError):
        assert_close([ours[0]], [dZ1_wrong @ Xm.T / 2], rel=1e-10, abs_=1e-13)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
@given(data=st.data())
def test_the_scalar_graph_equals_pytorch_float64(
    activation: Activation, data: st.DataObject
) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch (the third oracle) is not installed")
    net, X, Y = data.draw(cases(activation))
    J, ours = scalar_gradients(net, X, Y)
    (W1, b1), (W2, b2) = net.matrices()
    t = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (W1, b1, W2, b2)]
    Xt = torch.tensor(X, dtype=torch.float64).T
    Yt = torch.tensor([Y], dtype=torch.float64)
    g = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[activation]
    Z2 = t[2] @ g(t[0] @ Xt + t[1]) + t[3]
    cost = torch.nn.functional.binary_cross_entropy_with_logits(Z2, Yt)
    cost.backward()
    assert math.isclose(J, cost.item(), rel_tol=1e-12, abs_tol=1e-14)
    theirs = [tensor.grad.numpy() for tensor in t]
    # relu's kink: torch and microgrand both take slope 0 at exactly z = 0.
    assert_close(ours, theirs, rel=1e-10, abs_=1e-13)


def test_formulas_refuse_shapes_that_are_not_the_courses() -> None:
    W1, b1, W2, b2 = np.zeros((4, 2)), np.zeros((4, 1)), np.zeros((1, 4)), np.zeros((1, 1))
    X = np.zeros((2, 5))
    assert lecture.two_layer_forward(W1, b1, W2, b2, X)["A2"].shape == (1, 5)
    with pytest.raises(ValueError, match=r"b1 has shape \(4,\), expected 4 × 1 \(W1 is 4 × 2\)"):
        lecture.two_layer_forward(W1, np.zeros(4), W2, b2, X)
    with pytest.raises(ValueError, match=r"X has shape \(5, 2\), expected 2 × m \(W1 is 4 × 2\)"):
        lecture.two_layer_gradients(W1, b1, W2, b2, X.T, np.zeros((1, 5)))
