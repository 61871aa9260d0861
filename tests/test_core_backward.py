"""Backward on the lecture's graph and on the shapes that break naive engines.

The oracle for the lecture graph is the closed form, written here on plain floats:
da = -y/a + (1-y)/(1-a), dz = a - y, dw1 = x1 dz, dw2 = x2 dz, db = dz.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microgrand import bce_with_logits
from microgrand.node import Node

# Closed form vs autograd: a handful of roundings apart.
REL, ABS = 1e-9, 1e-12


def close(got: float, want: float) -> bool:
    """The suite's tolerance for results that differ only by rounding."""
    return math.isclose(got, want, rel_tol=REL, abs_tol=ABS)


@dataclass
class Lecture:
    """The lecture's graph: z = w1 x1 + w2 x2 + b, a = σ(z), L = L(a, y)."""

    x1: Node
    x2: Node
    w1: Node
    w2: Node
    b: Node
    y: Node
    z: Node
    a: Node
    L: Node


def lecture(x1: float, x2: float, w1: float, w2: float, b: float, y: float) -> Lecture:
    """Build the lecture's graph with its names; x and y are data (requires_grad=False)."""
    x1_node = Node(x1, "x1", requires_grad=False)
    x2_node = Node(x2, "x2", requires_grad=False)
    y_node = Node(y, "y", requires_grad=False)
    w1_node, w2_node, b_node = Node(w1, "w1"), Node(w2, "w2"), Node(b, "b")
    z = (w1_node * x1_node + w2_node * x2_node + b_node).named("z")
    a = z.sigmoid().named("a")
    L = (-(y_node * a.log() + (1 - y_node) * (1 - a).log())).named("L")
    return Lecture(x1_node, x2_node, w1_node, w2_node, b_node, y_node, z, a, L)


@dataclass
class ClosedForm:
    """The lecture's hand-derived values on plain floats."""

    z: float
    a: float
    L: float
    da: float
    dz: float
    dw1: float
    dw2: float
    db: float


def closed_form(x1: float, x2: float, w1: float, w2: float, b: float, y: float) -> ClosedForm:
    """Forward and backward of the lecture by hand, with no Node anywhere."""
    z = w1 * x1 + w2 * x2 + b
    a = 1.0 / (1.0 + math.exp(-z))
    L = -(y * math.log(a) + (1.0 - y) * math.log(1.0 - a))
    da = -y / a + (1.0 - y) / (1.0 - a)
    dz = a - y
    return ClosedForm(z, a, L, da, dz, x1 * dz, x2 * dz, dz)


def assert_matches_closed_form(g: Lecture, want: ClosedForm) -> None:
    """Every value and gradient of the graph agrees with the closed form."""
    assert close(g.z.value, want.z)
    assert close(g.a.value, want.a)
    assert close(g.L.value, want.L)
    assert g.L.grad == 1.0
    assert close(g.a.grad, want.da)
    assert close(g.z.grad, want.dz)
    assert close(g.w1.grad, want.dw1)
    assert close(g.w2.grad, want.dw2)
    assert close(g.b.grad, want.db)
    # Data leaves are documented to keep grad 0.0.
    assert g.x1.grad == g.x2.grad == g.y.grad == 0.0


def test_lecture_point_from_the_issue() -> None:
    g = lecture(x1=2.0, x2=-1.0, w1=0.3, w2=0.5, b=0.1, y=1.0)
    g.L.backward()
    assert_matches_closed_form(g, closed_form(2.0, -1.0, 0.3, 0.5, 0.1, 1.0))
    assert math.isclose(g.z.grad, -0.45016600268752205, rel_tol=1e-12)
    assert math.isclose(g.w1.grad, -0.9003320053750441, rel_tol=1e-12)
    assert math.isclose(g.w2.grad, 0.45016600268752205, rel_tol=1e-12)
    assert math.isclose(g.b.grad, -0.45016600268752205, rel_tol=1e-12)


def test_lecture_point_where_z_is_zero() -> None:
    g = lecture(x1=1.0, x2=2.0, w1=0.5, w2=-0.5, b=0.5, y=1.0)
    g.L.backward()
    assert g.z.value == 0.0
    assert g.a.value == 0.5
    assert math.isclose(g.L.value, math.log(2.0), rel_tol=1e-15)
    assert g.a.grad == -2.0
    assert g.z.grad == -0.5
    assert g.w1.grad == -0.5
    assert g.w2.grad == -1.0
    assert g.b.grad == -0.5


@pytest.mark.parametrize(
    ("x1", "x2", "w1", "w2", "b", "y"),
    [
        (2.0, -1.0, 0.3, 0.5, 0.1, 1.0),
        (2.0, -1.0, 0.3, 0.5, 0.1, 0.0),
        (1.0, 2.0, 0.5, -0.5, 0.5, 0.0),
        (-3.0, 0.5, 1.5, 2.0, -1.0, 1.0),
        (0.0, 0.0, 0.0, 0.0, 0.0, 1.0),
        (4.0, -2.0, -1.0, 1.0, 0.25, 0.3),
    ],
)
def test_lecture_at_fixed_points(
    x1: float, x2: float, w1: float, w2: float, b: float, y: float
) -> None:
    g = lecture(x1, x2, w1, w2, b, y)
    g.L.backward()
    assert_matches_closed_form(g, closed_form(x1, x2, w1, w2, b, y))


# |z| <= 10 keeps sigmoid away from saturation, where the closed form itself loses digits.
coordinate = st.floats(-2.0, 2.0, allow_nan=False)


@given(
    x1=coordinate,
    x2=coordinate,
    w1=coordinate,
    w2=coordinate,
    b=coordinate,
    y=st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0)),
)
def test_lecture_at_random_points(
    x1: float, x2: float, w1: float, w2: float, b: float, y: float
) -> None:
    g = lecture(x1, x2, w1, w2, b, y)
    g.L.backward()
    assert_matches_closed_form(g, closed_form(x1, x2, w1, w2, b, y))


@given(
    x1=coordinate,
    x2=coordinate,
    w1=coordinate,
    w2=coordinate,
    b=coordinate,
    y=st.sampled_from([0.0, 1.0]),
)
def test_lecture_with_bce_with_logits(
    x1: float, x2: float, w1: float, w2: float, b: float, y: float
) -> None:
    """The one-primitive loss gives the same gradients; dz is a - y exactly."""
    w1_node, w2_node, b_node = Node(w1, "w1"), Node(w2, "w2"), Node(b, "b")
    z = w1_node * x1 + w2_node * x2 + b_node
    L = bce_with_logits(z, y)
    L.backward()
    want = closed_form(x1, x2, w1, w2, b, y)
    assert close(L.value, want.L)
    assert z.grad == z.sigmoid().value - y
    assert close(w1_node.grad, want.dw1)
    assert close(w2_node.grad, want.dw2)
    assert close(b_node.grad, want.db)


def test_backward_twice_gives_the_same_numbers() -> None:
    g = lecture(2.0, -1.0, 0.3, 0.5, 0.1, 1.0)
    g.L.backward()
    first = [n.grad for n in (g.L, g.a, g.z, g.w1, g.w2, g.b)]
    g.L.backward()
    assert [n.grad for n in (g.L, g.a, g.z, g.w1, g.w2, g.b)] == first


def test_zero_grad_clears_every_node() -> None:
    g = lecture(2.0, -1.0, 0.3, 0.5, 0.1, 1.0)
    g.L.backward()
    g.L.zero_grad()
    for n in (g.L, g.a, g.z, g.w1, g.w2, g.b, g.x1, g.x2, g.y):
        assert n.grad == 0.0
    g.L.backward()
    assert math.isclose(g.z.grad, -0.45016600268752205, rel_tol=1e-12)


def test_intermediate_nodes_hold_their_grads() -> None:
    u, v = Node(3.0, "u"), Node(-2.0, "v")
    p = u * v
    q = p + u
    r = q * q
    r.backward()
    assert r.grad == 1.0
    assert q.grad == 2 * q.value
    assert p.grad == 2 * q.value
    assert u.grad == 2 * q.value * (v.value + 1)
    assert v.grad == 2 * q.value * u.value


def test_square_by_self_multiplication() -> None:
    a = Node(3.0, "a")
    out = a * a
    out.backward()
    assert out.parents == (a, a)
    assert a.grad == 6.0


def test_self_addition() -> None:
    a = Node(3.0, "a")
    out = a + a
    out.backward()
    assert a.grad == 2.0


def test_self_subtraction_and_division() -> None:
    a = Node(3.0, "a")
    (a - a).backward()
    assert a.grad == 0.0
    (a / a).backward()
    assert math.isclose(a.grad, 0.0, abs_tol=1e-15)


def test_diamond() -> None:
    """a feeds two paths that meet again: the grads of both paths add up."""
    a = Node(0.5, "a")
    left = a.exp()
    right = a.tanh()
    top = left * right
    top.backward()
    want = math.exp(0.5) * math.tanh(0.5) + math.exp(0.5) * (1 - math.tanh(0.5) ** 2)
    assert math.isclose(a.grad, want, rel_tol=1e-12)
    assert left.grad == right.value
    assert right.grad == left.value


def test_node_reused_at_many_depths() -> None:
    """x appears in every layer: d/dx of x(x(x + 1) + 1) = 3x^2 + 2x + 1."""
    x = Node(1.5, "x")
    out = x * (x * (x + 1) + 1)
    out.backward()
    assert math.isclose(x.grad, 3 * 1.5**2 + 2 * 1.5 + 1, rel_tol=1e-15)


def test_constants_on_either_side() -> None:
    a, x, v = Node(0.25, "a"), Node(4.0, "x"), Node(-1.5, "v")
    terms = [1 - a, 2 / x, 3 * v, v * 3, a - 1, x / 2, 1 + a, a + 1]
    assert [t.value for t in terms] == [0.75, 0.5, -4.5, -4.5, -0.75, 2.0, 1.25, 1.25]
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    total.backward()
    assert a.grad == -1 + 1 + 1 + 1
    assert x.grad == -2 / 16 + 0.5
    assert v.grad == 6.0
    for t in terms:
        for parent in t.parents:
            if parent.is_constant:
                assert parent.grad == 0.0
                assert not parent.requires_grad


def test_reflected_operands_keep_argument_order() -> None:
    a = Node(0.25, "a")
    for node, constant_first in [(1 - a, True), (a - 1, False), (2 / a, True), (a / 2, False)]:
        first, second = node.parents
        assert first.is_constant is constant_first
        assert (second if constant_first else first) is a


def test_data_leaf_keeps_grad_zero() -> None:
    x = Node(2.0, "x", requires_grad=False)
    w = Node(3.0, "w")
    out = w * x
    out.backward()
    assert w.grad == 2.0
    assert x.grad == 0.0
    assert not x.requires_grad
    assert w.requires_grad


def test_backward_of_a_leaf() -> None:
    w = Node(3.0, "w")
    w.backward()
    assert w.grad == 1.0


def test_backward_from_an_intermediate_node() -> None:
    w = Node(3.0, "w")
    h = w * 2
    out = h * h
    h.backward()
    assert w.grad == 2.0
    assert h.grad == 1.0
    out.backward()
    assert w.grad == 2 * h.value * 2


def test_sum_builtin() -> None:
    leaves = [Node(float(i), f"x{i}") for i in range(10)]
    total = sum(leaves, Node(0.0, "zero"))
    assert isinstance(total, Node)
    total.backward()
    assert total.value == 45.0
    assert all(leaf.grad == 1.0 for leaf in leaves)
    total2 = sum(leaves)
    assert isinstance(total2, Node)
    total2.backward()
    assert all(leaf.grad == 1.0 for leaf in leaves)


def test_data_leaf_as_root_keeps_grad_zero() -> None:
    """Documented: leaves made with requires_grad=False keep grad 0.0 after backward."""
    x = Node(3.0, "x", requires_grad=False)
    x.backward()
    assert x.grad == 0.0


def test_leaf_set_before_a_newer_graph_reuses_an_older_node() -> None:
    """Not stale: w was set before every node that uses it was made.

    A feature h computed once and reused in every step of gradient descent, while the
    weight is updated between steps, is the shape of this test.
    """
    u = Node(1.5, "u")
    h = (u * 2).named("h")  # made before w is set, but does not use w
    w = Node(1.0, "w")
    for step in range(3):
        w.value = 3.0 + step
        L = h * w
        L.backward()
        assert L.value == 3.0 * (3.0 + step)
        assert w.grad == 3.0
        assert h.grad == 3.0 + step
        assert u.grad == 2 * (3.0 + step)


def test_gradient_descent_steps_with_a_fixed_feature() -> None:
    """The lecture's loop: the data graph part is built once, the weights are set each step."""
    x1 = Node(2.0, "x1", requires_grad=False)
    x2 = Node(-1.0, "x2", requires_grad=False)
    feature = (x1 * x2).named("x1x2")
    w, b = Node(0.3, "w"), Node(0.1, "b")
    for _ in range(5):
        z = w * feature + b
        L = bce_with_logits(z, 1.0)
        L.backward()
        dz = z.sigmoid().value - 1.0
        assert z.grad == dz
        assert close(w.grad, feature.value * dz)
        assert close(b.grad, dz)
        w.value = w.value - 0.5 * w.grad
        b.value = b.value - 0.5 * b.grad


def test_graphs_sharing_a_leaf_recompute() -> None:
    """backward sets grads for the graph it is called on; it never accumulates."""
    w = Node(1.5, "w")
    L1 = w * 2.0
    L2 = w * 3.0
    L1.backward()
    assert w.grad == 2.0
    L2.backward()
    assert w.grad == 3.0
    L1.backward()
    assert w.grad == 2.0


def test_shared_constants_do_not_leak_between_graphs() -> None:
    u, v = Node(2.0, "u"), Node(5.0, "v")
    Lu = 3.0 * u + 3.0
    Lv = v * 3.0 - 3.0
    Lu.backward()
    Lv.backward()
    assert u.grad == 3.0
    assert v.grad == 3.0
    for node in (*Lu.parents, *Lu.parents[0].parents, *Lv.parents, *Lv.parents[0].parents):
        if node.is_constant:
            assert node.grad == 0.0
            assert node.value == 3.0


def test_many_distinct_constants() -> None:
    """More distinct constants than any cache holds: older graphs are unaffected."""
    w = Node(0.5, "w")
    graphs = [w * float(i) + float(-i) for i in range(1, 10_001)]
    for i in (1, 2, 4095, 4096, 4097, 10_000):
        L = graphs[i - 1]
        assert L.value == 0.5 * i - i
        L.backward()
        assert w.grad == float(i)
        assert [p.value for p in L.parents[0].parents] == [0.5, float(i)]


# --- stale graphs, exactly: a random history of building, setting leaves and backward ---

BUILD_OPS = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "tanh": lambda x, y: x.tanh(),
}


# one made node of the history: (Node, op name or None, argument indices, made at)
Made = tuple[Node, str | None, tuple[int, ...], int]


def _expected_stale(nodes: list[Made], k: int, set_at: list[int]) -> tuple[bool, set[int]]:
    """The test's own model of staleness, written apart from the engine's check: whether
    some node behind node k was made before a leaf it uses directly was last set, and the
    indices of the nodes k reaches (the leaves among them are the ones with a grad)."""
    stale, reached = False, set()
    stack = [k]
    while stack:
        n = stack.pop()
        if n in reached:
            continue
        reached.add(n)
        _, _, parents, made = nodes[n]
        for a in parents:
            if a < len(set_at) and set_at[a] > made:
                stale = True
            stack.append(a)
    return stale, reached


@given(data=st.data())
def test_backward_raises_exactly_when_a_leaf_changed_after_use(data: st.DataObject) -> None:
    """Interleave making nodes, setting leaf values and backward on any node.

    backward must raise RuntimeError exactly when a leaf was set after a node that uses it
    directly was made; otherwise every grad equals that of the same expression rebuilt
    from fresh leaves.
    """
    clock = 0
    leaves = [Node(float(i) / 4 + 0.25, f"w{i}") for i in range(3)]
    set_at = [0, 0, 0]
    nodes: list[Made] = [(leaf, None, (), 0) for leaf in leaves]  # leaves first
    for _ in range(data.draw(st.integers(1, 25), label="actions")):
        clock += 1
        action = data.draw(st.sampled_from(["make", "make", "set", "backward"]))
        if action == "set":
            i = data.draw(st.integers(0, len(leaves) - 1), label="leaf")
            new = data.draw(st.floats(-1.0, 1.0), label="value")
            if str(new) != str(leaves[i].value):  # setting the same value changes nothing
                set_at[i] = clock
            leaves[i].value = new
        elif action == "make":
            name = data.draw(st.sampled_from(sorted(BUILD_OPS)), label="op")
            i = data.draw(st.integers(0, len(nodes) - 1), label="x")
            j = data.draw(st.integers(0, len(nodes) - 1), label="y")
            node = BUILD_OPS[name](nodes[i][0], nodes[j][0])
            made_from: tuple[int, ...] = (i,) if name == "tanh" else (i, j)
            nodes.append((node, name, made_from, clock))
        else:
            k = data.draw(st.integers(0, len(nodes) - 1), label="root")
            stale, reached = _expected_stale(nodes, k, set_at)
            root = nodes[k][0]
            if stale:
                with pytest.raises(RuntimeError, match="Build the graph again"):
                    root.backward()
                continue
            root.backward()
            fresh_leaves = [Node(leaf.value) for leaf in leaves]
            fresh: list[Node] = list(fresh_leaves)
            for n in range(len(leaves), len(nodes)):
                _, op_name, parents, _ = nodes[n]
                assert op_name is not None
                fresh.append(BUILD_OPS[op_name](fresh[parents[0]], fresh[parents[-1]]))
            fresh[k].backward()
            assert root.value == fresh[k].value
            for i, leaf in enumerate(leaves):
                if i in reached:
                    assert leaf.grad == fresh_leaves[i].grad
