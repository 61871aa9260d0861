"""`microgrand.nn`: Neuron, Layer, MLP: shape, names, initialization, errors, zero_grad."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from microgrand import Node, explain
from microgrand.nn import MLP, Activation, Layer, Neuron, initial_weights, subscript


def test_mlp_has_micrograds_shape_and_the_courses_names() -> None:
    net = MLP(2, [4, 1])
    assert net.sizes == [4, 1] and net.n_in == 2
    names = [p.name for p in net.parameters()]
    assert len(names) == 2 * 4 + 4 + 4 + 1
    assert names[:3] == ["W[1]₁₁", "W[1]₁₂", "b[1]₁"]
    assert names[-5:] == ["W[2]₁₁", "W[2]₁₂", "W[2]₁₃", "W[2]₁₄", "b[2]₁"]
    assert len(set(names)) == len(names)
    assert [name for name, _ in net.named_parameters()] == names
    assert repr(net) == "MLP(2-4-1, tanh hidden, sigmoid output)"
    assert [len(layer.neurons) for layer in net.layers] == [4, 1]
    assert net.layers[0].W[2][1].name == "W[1]₃₂" and net.layers[1].b[0].name == "b[2]₁"


def test_subscripts_use_a_comma_once_an_index_has_two_digits() -> None:
    assert subscript(1, 2) == "₁₂"
    assert subscript(1, 12) == "₁,₁₂"
    assert MLP(12, [1]).parameters()[11].name == "W[1]₁,₁₂"


def test_a_call_builds_the_graph_with_named_nodes() -> None:
    net = MLP(2, [3, 1])
    out = net([0.5, -1.0])
    assert isinstance(out, Node) and out.name == "a[2]₁" and out.op == "sigmoid"
    z2 = out.parents[0]
    assert z2.name == "z[2]₁"
    hidden = net.layers[0]([Node(0.5, "x₁"), Node(-1.0, "x₂")])
    assert [a.name for a in hidden] == ["a[1]₁", "a[1]₂", "a[1]₃"]
    assert all(a.op == "tanh" for a in hidden)
    inputs = net.inputs([0.5, -1.0])
    assert [x.name for x in inputs] == ["x₁", "x₂"] and not inputs[0].requires_grad
    # Several output units give a list, as micrograd does.
    outs = MLP(2, [3, 2], output="linear")([0.5, -1.0])
    assert isinstance(outs, list) and [o.name for o in outs] == ["z[2]₁", "z[2]₂"]


def test_the_forward_value_is_the_networks_formula() -> None:
    net = MLP(2, [2, 1], seed=5, scale=1.0)
    x = [0.3, -0.7]
    (W1, b1), (W2, b2) = net.matrices()
    a1 = [math.tanh(W1[j][0] * x[0] + W1[j][1] * x[1] + b1[j][0]) for j in range(2)]
    z2 = W2[0][0] * a1[0] + W2[0][1] * a1[1] + b2[0][0]
    out = net(x)
    assert isinstance(out, Node)
    assert math.isclose(out.value, 1.0 / (1.0 + math.exp(-z2)), rel_tol=1e-15)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_hidden_activations(activation: Activation) -> None:
    net = MLP(2, [3, 1], activation=activation)
    hidden = net.layers[0]([Node(1.0), Node(2.0)])
    assert {a.op for a in hidden} == {activation}


def test_initialization_is_the_courses_seeded_small_random_weights_and_zero_biases() -> None:
    net = MLP(2, [4, 1])
    (W1, b1), (W2, b2) = net.matrices()
    # The course's initialize_parameters(2, 4, 1) prints W1[0] = [-0.00416758, -0.00056267].
    assert math.isclose(W1[0][0], -0.00416758, abs_tol=5e-9)
    assert math.isclose(W1[0][1], -0.00056267, abs_tol=5e-9)
    assert b1 == [[0.0]] * 4 and b2 == [[0.0]]
    weights = [w for row in W1 + W2 for w in row]
    assert len(set(weights)) == len(weights)  # symmetry broken: no two units alike
    assert all(0.0 < abs(w) < 0.05 for w in weights)
    assert MLP(2, [4, 1]).matrices() == net.matrices()  # seeded: reproducible
    assert MLP(2, [4, 1], seed=3).matrices() != net.matrices()
    assert initial_weights(2, [4, 1]) == [W1, W2]


def test_matrices_round_trip_and_grads_have_the_parameters_shapes() -> None:
    net = MLP(3, [2, 1])
    new = [
        ([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[0.5], [-0.5]]),
        ([[0.1, 0.2]], [[0.3]]),
    ]
    net.set_matrices(new)
    assert net.matrices() == new
    net.loss([0.1, 0.2, 0.3], 1.0).backward()
    grads = net.matrices(grads=True)
    assert [(len(W), len(W[0]), len(b)) for W, b in grads] == [(2, 3, 2), (1, 2, 1)]
    assert grads[1][1][0][0] != 0.0
    with pytest.raises(ValueError, match=r"layer 1 needs W\[1\] 2 × 3 and b\[1\] 2 × 1"):
        net.set_matrices([([[1.0, 2.0]], [[0.0]]), new[1]])
    with pytest.raises(ValueError, match="1 layers given, the network has 2"):
        net.set_matrices(new[:1])


def test_zero_grad_clears_every_parameter() -> None:
    net = MLP(2, [3, 1])
    net.loss([1.0, 2.0], 0.0).backward()
    assert any(p.grad != 0.0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad == 0.0 for p in net.parameters())


def test_a_graph_built_before_set_matrices_is_refused_as_stale() -> None:
    net = MLP(2, [2, 1])
    L = net.loss([1.0, 2.0], 1.0)
    net.set_matrices([([[1.0, 1.0], [1.0, 1.0]], [[0.0], [0.0]]), ([[1.0, 1.0]], [[0.0]])])
    with pytest.raises(RuntimeError, match="was set after"):
        L.backward()


def test_the_loss_is_the_courses_cross_entropy() -> None:
    net = MLP(2, [2, 1], seed=1, scale=1.0)
    a = net([0.4, 0.9])
    assert isinstance(a, Node)
    for y in (0.0, 1.0):
        L = net.loss([0.4, 0.9], y)
        expected = -(y * math.log(a.value) + (1 - y) * math.log(1 - a.value))
        assert L.name == "L" and math.isclose(L.value, expected, rel_tol=1e-13)
    J = net.cost([[0.4, 0.9], [0.1, -0.2]], [1.0, 0.0])
    mean = (net.loss([0.4, 0.9], 1.0).value + net.loss([0.1, -0.2], 0.0).value) / 2
    assert J.name == "J" and math.isclose(J.value, mean, rel_tol=1e-15)


def test_explain_spells_out_a_first_layer_weight_through_its_hidden_unit() -> None:
    net = MLP(2, [4, 1], seed=3, scale=1.0)
    x = net.inputs([1.5, -2.0])
    L = net.loss(x, 1.0)
    L.backward()
    w = net.layers[0].W[0][1]
    text = str(explain(L, w))
    assert text.splitlines()[0] == (
        "dW[1]₁₂ = dL/dz[2]₁ * dz[2]₁/da[1]₁ * da[1]₁/dz[1]₁ * dz[1]₁/dW[1]₁₂"
    )
    assert "W[2]₁₁ * (1 - a[1]₁**2) * x₂" in text
    assert math.isclose(explain(L, w).value, w.grad, rel_tol=1e-12)
    # An input feeds every hidden unit: its explanation sums one chain per unit.
    through = explain(L, x[0])
    assert len(through.chains) == 4 and through.value != 0.0
    hidden = [chain.factors[1].lower for chain in through.chains]
    assert hidden == ["a[1]₁", "a[1]₂", "a[1]₃", "a[1]₄"]


UNTYPED_MLP: Any = MLP  # the cases below pass wrong types on purpose


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: MLP(0, [4, 1]), "MLP: n_in must be a whole number of at least 1, got 0"),
        (
            lambda: UNTYPED_MLP(2, 4),
            r"sizes must list the units per layer, e\.g\. MLP\(2, \[4, 1\]\)",
        ),
        (lambda: MLP(2, []), "sizes must list"),
        (lambda: MLP(2, [4, 0]), "every layer size must be a whole number of at least 1, got 0"),
        (lambda: UNTYPED_MLP(2, [4.5, 1]), "got 4.5"),
        (
            lambda: UNTYPED_MLP(2, [4, 1], activation="softmax"),
            "activation must be one of tanh, relu",
        ),
        (lambda: MLP(2, [4, 1], output="tanh"), "output must be one of sigmoid, linear"),
        (lambda: Neuron(2, weights=[1.0]), "1 weights given for 2 inputs"),
        (lambda: Layer(2, 2, biases=[0.0]), "1 biases given for 2 units"),
    ],
)
def test_bad_arguments_say_what_is_wrong(make: Callable[..., Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_wrong_number_of_features_and_wrong_loss_use() -> None:
    net = MLP(2, [3, 1])
    with pytest.raises(ValueError, match="the network takes 2 features, got 3"):
        net([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="one sigmoid output unit"):
        MLP(2, [3, 2]).loss([1.0, 2.0], 1.0)
    with pytest.raises(ValueError, match="label y must be in"):
        net.loss([1.0, 2.0], 2.0)
    with pytest.raises(ValueError, match="same positive number of examples, got 1 and 2"):
        net.cost([[1.0, 2.0]], [1.0, 0.0])
