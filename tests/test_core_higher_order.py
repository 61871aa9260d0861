"""`microgrand.grad`: gradients as return values, and gradients of gradients.

Second derivatives from the gradient graph (``create_graph=True``) are checked against
central differences of first derivatives computed by the engine's ``backward()`` (an
independent implementation of the first-order chain rule), for every row of the op table
and for random graphs drawn by hypothesis. PyTorch's double backward is the third oracle
(tests/test_core_torch.py); the lecture's closed-form Hessian the fourth
(tests/test_lecture_hessian.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_core_ops import CONSTANT_INPUTS, OP_NAMES, domain, node_function

from microgrand import GradcheckError, bce_with_logits, formula, grad, gradcheck, ops
from microgrand import node as node_module
from microgrand.gradients import hessian
from microgrand.logreg import lecture_graph
from microgrand.node import Node


def backward_grads(fn: Callable[..., Node], values: Sequence[float]) -> list[float]:
    """First derivatives by the engine's backward() on fresh leaves."""
    leaves = [Node(v) for v in values]
    out = fn(*leaves)
    out.backward()
    return [leaf.grad for leaf in leaves]


def numeric_hessian(fn: Callable[..., Node], values: Sequence[float]) -> list[list[float]]:
    """Entry (i, j): the central difference in input j of backward's derivative in input i."""
    n = len(values)
    columns = []
    for j in range(n):
        h = 1e-5 * max(1.0, abs(values[j]))
        up, down = list(values), list(values)
        up[j] += h
        down[j] -= h
        g_up, g_down = backward_grads(fn, up), backward_grads(fn, down)
        columns.append([(u - d) / (up[j] - down[j]) for u, d in zip(g_up, g_down, strict=True)])
    return [[columns[j][i] for j in range(n)] for i in range(n)]


def graph_hessian(fn: Callable[..., Node], values: Sequence[float]) -> list[list[float]]:
    """Second derivatives the way a user takes them: grad of grad(create_graph=True)."""
    leaves = [Node(v) for v in values]
    first = grad(fn(*leaves), leaves, create_graph=True, allow_unused=True)
    return [list(grad(g, leaves, allow_unused=True)) for g in first]


def assert_hessians_agree(
    fn: Callable[..., Node], values: Sequence[float], rel: float = 1e-4
) -> None:
    got = graph_hessian(fn, values)
    want = numeric_hessian(fn, values)
    # The difference quotient's rounding error grows with the size of the first
    # derivatives it subtracts; that sets the absolute tolerance.
    firsts = backward_grads(fn, values)
    noise = (
        1e-8 * max(1.0, *(abs(g) for g in firsts)) / min(1e-5 * max(1.0, abs(v)) for v in values)
    )
    for i, (row, want_row) in enumerate(zip(got, want, strict=True)):
        for j, (a, n) in enumerate(zip(row, want_row, strict=True)):
            assert abs(a - n) <= rel * abs(n) + noise, (i, j, a, n, values)


# --- every row of the op table ----------------------------------------------------------


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_second_derivatives_of_each_op_match_finite_differences(
    name: str, data: st.DataObject
) -> None:
    args = data.draw(domain(name), label="args")
    fn, values = on_varying_inputs(name, args)
    assert_hessians_agree(fn, values)


def on_varying_inputs(name: str, args: Sequence[float]) -> tuple[Callable[..., Node], list[float]]:
    """Op `name` as a function of its inputs that may vary (a constant input, such as
    bce's label, stays the number in `args`), and those inputs' values."""
    constants = CONSTANT_INPUTS.get(name, set())
    varying = [i for i in range(len(args)) if i not in constants]

    def fn(*leaves: Node) -> Node:
        full: list[Node | float] = list(args)
        for i, leaf in zip(varying, leaves, strict=True):
            full[i] = leaf
        return record_on(name, full)

    return fn, [args[i] for i in varying]


def record_on(name: str, operands: list[Node | float]) -> Node:
    """Record op `name` the way a user does, on the given operands (Nodes or numbers)."""
    return node_function(name)(*operands)


@pytest.mark.parametrize("name", OP_NAMES)
def test_gradcheck_order_2_passes_on_each_op(name: str) -> None:
    args = {"pow": (1.7, 2.5), "bce_with_logits": (0.3, 0.25), "div": (0.3, -1.2)}.get(
        name, (0.3, -1.2)
    )[: ops.TABLE[name].arity]
    fn, values = on_varying_inputs(name, args)
    assert gradcheck(fn, values, order=2) is True


# --- random graphs --------------------------------------------------------------------

UNARY: dict[str, Callable[[Node], Node]] = {
    "neg": lambda x: -x,
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "sigmoid": lambda x: x.sigmoid(),
    "tanh": lambda x: x.tanh(),
    "relu": lambda x: x.relu(),
}
BINARY: dict[str, Callable[[Node, Node | float], Node]] = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
}


def random_graph(data: st.DataObject) -> Callable[..., Node]:
    """A recipe for a random graph; calling it builds the graph afresh on the given leaves.

    The recipe is drawn once. Its first call (at the test's point) also settles each step:
    a step that would leave a smooth region there (log of a small number, relu near its
    kink, division by a small number, a huge value) becomes a tanh. Later calls (the
    finite differences, at points nearby) replay the settled steps.
    """
    steps = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(sorted(UNARY) + sorted(BINARY) + ["pow", "bce"]),
                st.integers(0, 100),
                st.integers(0, 100),
                st.floats(-2.0, 2.0),
            ),
            min_size=1,
            max_size=7,
        ),
        label="steps",
    )
    settled: list[str] = []

    def build(*leaves: Node) -> Node:
        pool = list(leaves)
        for k, (name, i, j, number) in enumerate(steps):
            x = pool[i % len(pool)]
            y = pool[j % len(pool)]
            if len(settled) == k:
                settled.append(_settle(name, x, y, number))
            pool.append(_apply(settled[k], x, y, number))
        return pool[-1]

    return build


def _settle(name: str, x: Node, y: Node, number: float) -> str:
    """The step to take at this point: `name`, or a safe replacement."""
    v = x.value
    if abs(v) > 20.0:
        return "squash"
    if (
        (name == "log" and v < 0.1)
        or (name == "relu" and abs(v) < 0.05)
        or (name == "exp" and v > 5.0)
        or (name == "div" and abs(y.value) < 0.5)
    ):
        return "tanh"
    if name in BINARY and abs(y.value) > 20.0:
        return name + " number"
    return name


def _apply(name: str, x: Node, y: Node, number: float) -> Node:
    if name == "squash":
        return (x * 0.05).tanh()
    if name in UNARY:
        return UNARY[name](x)
    if name == "pow":
        return (x * x + 0.5) ** round(number * 1.5, 1)
    if name == "bce":
        return bce_with_logits(x, abs(number) / 2.0)
    if name.endswith(" number"):
        return BINARY[name.split()[0]](x, number if abs(number) >= 0.5 else 0.5)
    return BINARY[name](x, y)


@given(data=st.data())
def test_random_graphs_second_derivatives_match_finite_differences(data: st.DataObject) -> None:
    values = data.draw(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=3), label="leaves")
    fn = random_graph(data)
    assert_hessians_agree(fn, values)


# --- grad's contract --------------------------------------------------------------------


def test_grad_returns_backwards_numbers_and_touches_no_grad() -> None:
    g = lecture_graph()
    nodes = list(g)
    before = [node.grad for node in nodes]
    got = grad(g.L, [g.w1, g.w2, g.b, g.z, g.a])
    assert [node.grad for node in nodes] == before == [0.0] * len(nodes)
    g.L.backward()
    assert got == (g.w1.grad, g.w2.grad, g.b.grad, g.z.grad, g.a.grad)
    after_backward = [node.grad for node in nodes]
    # create_graph=True, and differentiating the result again: still no grad changes
    (dz,) = grad(g.L, g.z, create_graph=True)
    grad(dz, [g.w1, g.b])
    assert [node.grad for node in nodes] == after_backward
    assert dz.grad == 0.0


def test_grad_of_a_sum_of_outputs_and_repeated_inputs() -> None:
    a, b = Node(2.0, "a"), Node(3.0, "b")
    u, v = a * b, a + b
    assert grad([u, v], [a, b, a]) == (4.0, 3.0, 4.0)
    assert grad(u, a) == (3.0,)


def test_create_graph_gives_nodes_that_differentiate_again() -> None:
    x = Node(0.7, "x")
    y = x.tanh() * x.exp()
    (dy,) = grad(y, x, create_graph=True)
    assert isinstance(dy, Node)
    t, e = math.tanh(0.7), math.exp(0.7)
    assert math.isclose(dy.value, (1 - t * t) * e + t * e, rel_tol=1e-14)
    (d2y,) = grad(dy, x)
    want = -2 * t * (1 - t * t) * e + 2 * (1 - t * t) * e + t * e
    assert math.isclose(d2y, want, rel_tol=1e-12)
    # and once more: the third derivative, against differences of the second
    (d2y_node,) = grad(dy, x, create_graph=True)
    (d3y,) = grad(d2y_node, x)
    h = 1e-5
    d2 = [
        grad(grad(n.tanh() * n.exp(), n, create_graph=True)[0], n)[0]
        for n in (Node(0.7 + h), Node(0.7 - h))
    ]
    assert math.isclose(d3y, (d2[0] - d2[1]) / (2 * h), rel_tol=1e-5)


def test_a_gradient_that_is_a_node_of_the_graph_gets_its_own_node() -> None:
    """d(w x)/dw is x; naming the gradient must not rename x."""
    w, x = Node(3.0, "w"), Node(4.0, "x", requires_grad=False)
    (dw,) = grad(w * x, w, create_graph=True)
    assert dw is not x and dw.value == 4.0
    dw.named("dw")
    assert x.name == "x"


def test_a_constant_gradient_is_a_data_leaf() -> None:
    v = Node(2.0, "v")
    (dv,) = grad(3 * v, v, create_graph=True)
    assert isinstance(dv, Node) and dv.value == 3.0
    assert not dv.requires_grad and dv.is_leaf and not dv.is_constant
    assert grad(dv, v, allow_unused=True) == (0.0,)


@pytest.mark.parametrize("value", [-1.5, -0.0, 0.0, 2.0])
def test_relu_second_derivative_is_zero_away_from_the_kink_and_at_it(value: float) -> None:
    """relu's slope is the op step(x), whose own slope is 0: the gradient of relu's gradient
    is 0.0 with no allow_unused (it raised before), at the kink too (PyTorch's convention)."""
    x = Node(value, "x")
    (dx,) = grad(x.relu() * x, x, create_graph=True)  # step(x) x + relu(x)
    (d2x,) = grad(dx, x)
    assert d2x == (2.0 if value > 0 else 0.0)
    (d_relu,) = grad(x.relu(), x, create_graph=True)
    assert d_relu.op == "step" and d_relu.parents == (x,)
    assert d_relu.value == (1.0 if value > 0 else 0.0)
    assert grad(d_relu, x) == (0.0,)
    (d2,) = grad(d_relu, x, create_graph=True)  # and again: a third derivative
    assert d2.value == 0.0 and grad(d2, x, allow_unused=True) == (0.0,)


def test_relu_networks_second_derivatives_hessian_and_gradcheck() -> None:
    """relu inside a graph: hessian, gradcheck(order=2) and finite differences agree."""

    def fn(w: Node, b: Node) -> Node:
        h = (w * 1.5 + b).relu()
        return (h * h + (w - b).relu() * w).tanh()

    values = [0.7, -0.2]
    assert_hessians_agree(fn, values)
    w, b = Node(values[0], "w"), Node(values[1], "b")
    assert hessian(fn(w, b), [w, b]) == graph_hessian(fn, values)
    assert gradcheck(fn, values, order=2) is True
    # A dead unit: every second derivative 0.0, no input reported as unused
    dead_w, dead_b = Node(-1.0, "w"), Node(-3.0, "b")
    first = grad((dead_w * 1.5 + dead_b).relu(), [dead_w, dead_b], create_graph=True)
    assert [grad(g, [dead_w, dead_b]) for g in first] == [(0.0, 0.0), (0.0, 0.0)]


def test_a_gradient_through_relu_is_explained_and_drawn_with_step() -> None:
    from microgrand import draw, explain

    x, y = Node(2.0, "x"), Node(0.5, "y")
    (dx,) = grad((x * 3.0).relu(), x, create_graph=True)  # 3 step(3x)
    dx.named("dx")
    assert dx.value == 3.0 and grad(dx, x) == (0.0,)
    assert "[label=step shape=ellipse]" in draw(dx, view="ops").source
    (dy,) = grad((x * y).relu(), y, create_graph=True)  # x step(xy), whose d/dx is step(xy)
    dy.named("dy")
    assert grad(dy, [x, y]) == (1.0, 0.0)
    assert "= step(x * y)" in str(explain(dy, x))
    lecture = draw(dy, view="lecture").source
    assert 'label="d(dy)/dx = step(xy)"' in lecture and 'label="d(dy)/dy = 0"' in lecture


def test_pow_at_zero_exponent_and_zero_base() -> None:
    x = Node(0.0, "x")
    (dx,) = grad(x**0.0, x, create_graph=True)
    assert dx.value == 0.0
    x2 = Node(0.0, "x")
    (d,) = grad(x2**3.0, x2, create_graph=True)
    assert grad(d, x2) == (0.0,)
    r = Node(0.0, "r")
    (dr,) = grad(r**1.5, r, create_graph=True)
    assert dr.value == 0.0  # 1.5 r ** 0.5, whose own slope is infinite at 0
    with pytest.raises(OverflowError, match="backward through pow"):
        grad(dr, r)


def test_grad_refuses_bad_arguments() -> None:
    w = Node(1.0, "w")
    data = Node(2.0, "x1", requires_grad=False)
    out = w * data
    with pytest.raises(ValueError, match=r"input 0 \('x1'\) is a data leaf"):
        grad(out, data)
    with pytest.raises(ValueError, match=r"do not depend on input 1 \('v'\).*allow_unused"):
        grad(out, [w, Node(0.0, "v")])
    assert grad(out, [w, Node(0.0, "v")], allow_unused=True) == (2.0, 0.0)
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a Node, got float"):
        grad(out, [w, 1.0])  # type: ignore[list-item]  # wrong on purpose: the test is the error
    with pytest.raises(TypeError, match="outputs must be a Node or a non-empty sequence"):
        grad([], w)


def test_grad_refuses_a_stale_graph() -> None:
    w = Node(1.0, "w")
    out = w * w
    w.value = 2.0
    with pytest.raises(RuntimeError, match="was set after"):
        grad(out, w)


def test_grad_overflow_names_the_node_and_leaves_no_grad() -> None:
    """The value is finite but d log(x)/dx = 1/x is not."""
    x = Node(1e-310, "x")
    with pytest.raises(OverflowError, match=r"grad: the gradient of 'x' is inf.*through log"):
        grad(x.log(), x)
    with pytest.raises(OverflowError, match=r"backward through log"):
        grad(x.log(), x, create_graph=True)
    assert x.grad == 0.0


# --- gradcheck(order=2) -------------------------------------------------------------------


def test_gradcheck_order_2_on_the_lecture_loss() -> None:
    def loss(w1: Node, w2: Node, b: Node) -> Node:
        a = (w1 * 2.0 + w2 * -1.0 + b).sigmoid()
        return -(1.0 * a.log() + 0.0 * (1 - a).log())

    assert gradcheck(loss, [0.3, 0.5, 0.1], order=2) is True


def test_gradcheck_order_must_be_1_or_2() -> None:
    with pytest.raises(ValueError, match="order must be 1 or 2"):
        gradcheck(lambda a: a * a, [1.0], order=3)


def test_hessian_is_symmetric_on_a_fan_out_graph() -> None:
    a, b = Node(0.7, "a"), Node(-0.4, "b")
    H = hessian((a * b + a).tanh() * a / (b * b + 1), [a, b])
    assert math.isclose(H[0][1], H[1][0], rel_tol=1e-12)


def test_gradcheck_order_2_fails_when_only_second_derivatives_are_wrong() -> None:
    """A row for x² whose formula, x*x - x + 2, equals 2x only at x = 1 and x = 2.

    At x = 1 the first derivative is right (order 1 passes); the formula's own slope there
    is 1, the true second derivative 2 (order 2 fails, naming the entry).
    """
    # define_op would refuse this row (its formula is wrong at 0.3): it is made by hand.
    text = "x * x - x + 2"
    wrong = ops.TANH._replace(
        name="test_square_wrong_slope",
        forward=lambda x: x * x,
        formulas=(text,),
        derivatives=(formula.parse(text, 1, {}),),
        partials=lambda out, x: (x * x - x + 2.0,),
        partial_of=(lambda out, x: x * x - x + 2.0,),
        fixed=None,
    )
    ops.TABLE[wrong.name] = wrong
    try:
        square = node_module._unary(wrong)
        assert gradcheck(lambda w: square(w), [Node(1.0, "w")]) is True
        with pytest.raises(GradcheckError, match=r"MISMATCH d²/d\(w\)d\(w\), analytic 1\.0"):
            gradcheck(lambda w: square(w), [Node(1.0, "w")], order=2)
        assert gradcheck(lambda w: square(w), [1.0], order=2, raise_exception=False) is False
    finally:
        del ops.TABLE[wrong.name]


def test_grad_outputs_weigh_the_outputs() -> None:
    """torch.autograd.grad's grad_outputs: the gradient of Σ weight·output."""
    a, b = Node(2.0, "a"), Node(3.0, "b")
    u, v = a * b, (a + b).tanh()
    du, dv = grad(u, [a, b]), grad(v, [a, b])
    got = grad([u, v], [a, b], grad_outputs=[2.0, -0.5])
    for g, x, y in zip(got, du, dv, strict=True):
        assert math.isclose(g, 2.0 * x - 0.5 * y, rel_tol=1e-15)
    assert grad(u, a, grad_outputs=3) == (9.0,)
    # a Node weight: with create_graph the gradient depends on it (d/dw of w·du/da is du/da)
    w = Node(0.25, "w")
    (weighted,) = grad(u, a, grad_outputs=[w], create_graph=True)
    assert weighted.value == 0.75
    assert grad(weighted, [w, b]) == (3.0, 0.25)
    with pytest.raises(ValueError, match=r"one weight per output \(2\), got \[1.0\]"):
        grad([u, v], a, grad_outputs=[1.0])
    with pytest.raises(ValueError, match=r"grad_outputs\[0\]: the value must be finite"):
        grad(u, a, grad_outputs=[math.nan])
