"""`microgrand.compile` against the dynamic engine: every op of the table and random graphs,
on floats (bit for bit, the same errors) and on numpy arrays (within 4 ulp per example).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from test_core_ops import domain

import microgrand
from microgrand import Node, ops
from microgrand import node as node_module
from microgrand.engine import ancestors

OP_NAMES = sorted(ops.TABLE)
ULPS = 4


def same(a: float, b: float) -> bool:
    """Equal bit for bit (so 0.0 and -0.0 differ)."""
    return float(a).hex() == float(b).hex()


def ulps(a: Any, b: Any) -> int:
    """The largest distance between a and b in units in the last place."""
    ia = np.asarray(a, dtype=np.float64).view(np.int64)
    ib = np.asarray(b, dtype=np.float64).view(np.int64)
    # Map the sign-magnitude floats onto a line of integers.
    ia = np.where(ia < 0, np.iinfo(np.int64).min - ia, ia)
    ib = np.where(ib < 0, np.iinfo(np.int64).min - ib, ib)
    return int(np.max(np.abs(ia - ib)))


def close(a: float, b: float) -> bool:
    """Within 4 ulp of b, or within 4 ulp of the scale of the terms a formula subtracts.

    numpy's exp, log1p and tanh differ from glibc's (what the engine calls) in the last bit
    for a few inputs in a hundred; where a derivative subtracts nearly equal numbers
    (1 - tanh(x)**2, a * (1 - a) near saturation), that one-bit difference of the terms is
    all that is left of the result. The terms here are at most the incoming gradient, 1.5.
    """
    return ulps(np.float64(a), np.float64(b)) <= ULPS or abs(a - b) <= ULPS * np.spacing(1.5)


def apply(name: str, operands: Sequence[Node]) -> Node:
    """Record op `name` on Nodes (the exponent of pow is a constant node)."""
    op = ops.TABLE[name]
    if op.arity == 1:
        return node_module._unary(op)(operands[0])
    return node_module._binary(op)(operands[0], operands[1])


def op_graph(name: str, args: Sequence[float]) -> tuple[Node, list[Node]]:
    """J = 1.5 * op(x[, y]): the op's partials times a gradient that is not 1."""
    x = Node(args[0], "x")
    leaves = [x]
    operands = [x]
    if ops.TABLE[name].arity == 2:
        if name == "pow":
            operands.append(node_module.constant(args[1], "pow"))
        else:
            y = Node(args[1], "y", requires_grad=name != "bce_with_logits")
            leaves.append(y)
            operands.append(y)
    out = apply(name, operands).named("out")
    return (out * 1.5).named("J"), leaves


def outcome(f: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "ok", f()
    except (ArithmeticError, ValueError) as error:
        return type(error).__name__, str(error)


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_every_op_compiled_equals_the_engine_bit_for_bit(name: str, data: st.DataObject) -> None:
    args = data.draw(domain(name), label="args")
    J, leaves = op_graph(name, args)
    f = microgrand.compile(J, leaves)
    new = data.draw(domain(name), label="new args")
    if name == "pow":  # the exponent is a constant of the traced graph
        new = (new[0], args[1])
    want = outcome(lambda: op_graph(name, new))
    got = outcome(lambda: f(*new[: len(leaves)]))
    if want[0] != "ok":  # the same error, word for word (e.g. pow of a negative base)
        assert got == want
        return
    J2, leaves2 = want[1]
    J2.backward()
    assert got[0] == "ok", got
    out = got[1]
    assert same(out.value, J2.value)
    assert same(out.values["out"], J2.parents[0].value)
    assert same(out.grads["out"], J2.parents[0].grad)
    for traced, fresh in zip(leaves, leaves2, strict=True):
        assert same(out.grads[traced], fresh.grad)
        assert same(out.grads[traced.name], fresh.grad)


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_every_op_on_arrays_is_within_4_ulp_of_each_example(name: str, data: st.DataObject) -> None:
    rows = data.draw(st.lists(domain(name), min_size=1, max_size=12), label="examples")
    if name == "pow":  # one exponent: a constant of the traced graph
        exponent = rows[0][1]
        rows = [(row[0], exponent) for row in rows if row[0] > 0.0 or exponent.is_integer()]
    J, leaves = op_graph(name, rows[0])
    f = microgrand.compile(J, leaves)
    columns = [np.array(column) for column in zip(*rows, strict=True)][: len(leaves)]
    out = f(*columns)
    total = magnitude = 0.0
    for i, row in enumerate(rows):
        Ji, leaves_i = op_graph(name, row)
        Ji.backward()
        total += Ji.value
        magnitude += abs(Ji.value)
        assert close(out.values["out"][i], Ji.parents[0].value)
        for traced, fresh in zip(leaves, leaves_i, strict=True):
            got = out.grads[traced]
            if isinstance(got, np.ndarray):
                assert close(got[i], fresh.grad)
            else:
                assert got == fresh.grad == 0.0  # a data leaf
    assert abs(out.value - total) <= 1e-12 * magnitude  # the sum over the examples


# --- random graphs --------------------------------------------------------------------

UNARY = ["neg", "exp", "sigmoid", "tanh", "relu", "log", "step"]
BINARY = ["add", "sub", "mul", "div"]
Recipe = list[tuple[str, int, int, float]]


def test_random_graphs_draw_every_built_in_op() -> None:
    """The lists above are written out (their order fixes the derandomized draws); the
    table is the source: a new built-in op must be added to them."""
    table = {name for name, op in ops.TABLE.items() if op.builtin}
    assert {*UNARY, *BINARY, "pow", "bce_with_logits"} == table
    assert {name for name in UNARY if ops.TABLE[name].arity == 1} == set(UNARY)
    assert {name for name in BINARY if ops.TABLE[name].arity == 2} == set(BINARY)


@st.composite
def recipes(draw: st.DrawFn) -> tuple[Recipe, list[float], list[bool]]:
    """A random graph: 2-4 leaves (parameters or data), then 1-12 ops, each on the newest
    node and maybe an earlier one."""
    n_leaves = draw(st.integers(2, 4))
    values = draw(st.lists(st.floats(-3.0, 3.0), min_size=n_leaves, max_size=n_leaves))
    grads = draw(st.lists(st.booleans(), min_size=n_leaves, max_size=n_leaves))
    steps: Recipe = []
    for k in range(draw(st.integers(1, 12))):
        available = n_leaves + k
        name = draw(st.sampled_from([*UNARY, *BINARY, "pow", "bce_with_logits"]))
        # The newest node is always an operand: every op node ends up in the root's graph.
        i = available - 1
        j = draw(st.integers(0, available - 1))
        c = draw(st.sampled_from([0.0, 1.0, 2.0, 3.0, 0.5, -1.0]))
        steps.append((name, i, j, c))
    return steps, values, grads


def built(recipe: tuple[Recipe, list[float], list[bool]]) -> tuple[Node, list[Node]]:
    """The drawn recipe's graph and leaves; hypothesis skips a recipe the engine refuses
    to build, and one whose root is a leaf (nothing to compile)."""
    steps, values, grads = recipe
    traced = outcome(lambda: build(steps, values, grads))
    assume(traced[0] == "ok")
    graph: tuple[Node, list[Node]] = traced[1]
    assume(graph[0]._p0 is not None)
    return graph


def build(
    recipe: Recipe, values: Sequence[float], grads: Sequence[bool]
) -> tuple[Node, list[Node]]:
    """The recipe's graph on fresh leaves; every third op node is named."""
    leaves = [
        Node(v, f"v{i}", requires_grad=g)
        for i, (v, g) in enumerate(zip(values, grads, strict=True))
    ]
    nodes = list(leaves)
    for k, (name, i, j, c) in enumerate(recipe):
        if name == "pow":
            out = nodes[i] ** c
        elif name == "bce_with_logits":
            out = microgrand.bce_with_logits(nodes[i], min(abs(c), 1.0))
        elif name in BINARY:
            operands = [nodes[i], nodes[j]] if k % 2 else [nodes[j], nodes[i]]
            out = apply(name, operands)
        else:
            out = apply(name, [nodes[i]])
        if k % 3 == 2:
            out.name = f"n{k}"
        nodes.append(out)
    return nodes[-1], leaves


@given(recipe=recipes(), new=st.lists(st.floats(-3.0, 3.0), min_size=4, max_size=4))
def test_random_graphs_compiled_equal_the_engine(
    recipe: tuple[Recipe, list[float], list[bool]], new: list[float]
) -> None:
    """Same numbers bit for bit, or the same error with the same message."""
    steps, _, grads = recipe
    root, leaves = built(recipe)
    f = microgrand.compile(root, leaves)
    args = new[: len(leaves)]

    def dynamic() -> tuple[Node, list[Node]]:
        fresh_root, fresh_leaves = build(steps, args, grads)
        fresh_root.backward()
        return fresh_root, fresh_leaves

    want = outcome(dynamic)
    got = outcome(lambda: f(*args))
    if want[0] != "ok" and got[0] == "ok":
        # Compiled code computes only the gradients it returns or needs: the engine's
        # error may come from the gradient of a node made from data alone.
        # The forward pass is the same; only a gradient the compiled code skips differs.
        assert str(want[1]).startswith("backward"), want
        assert same(got[1].value, build(steps, args, grads)[0].value)
        return
    if want[0] != "ok":
        assert got == want
        return
    assert got[0] == "ok", got
    fresh_root, fresh_leaves = want[1]
    out = got[1]
    assert same(out.value, fresh_root.value)
    for leaf, fresh in zip(leaves, fresh_leaves, strict=True):
        assert same(out.grads[leaf], fresh.grad)


# --- an op a user adds to the table -------------------------------------------------------


@pytest.fixture
def softplus() -> ops.Op:
    """softplus(x) = log(1 + e^x), slope σ(x): the op `user_ops.py` defines with define_op
    for the whole session, as a user would."""
    return ops.TABLE["softplus"]


def test_a_user_op_compiles_on_floats_and_arrays(softplus: ops.Op) -> None:
    """On floats its forward, bit for bit; on arrays its array form (define_op's array=)."""

    def graph(v: float) -> tuple[Node, Node]:
        x = Node(v, "x")
        return (softplus.function(x * 2.0) * 3.0).named("J"), x

    J, x = graph(0.4)
    f = microgrand.compile(J, [x])
    assert "t2 = softplus(t1)" in f.source
    for v in (0.4, -3.0, 25.0):
        Jv, xv = graph(v)
        Jv.backward()
        out = f(v)
        assert same(out.value, Jv.value) and same(out.grads["x"], xv.grad)
    X = np.array([0.4, -3.0, 25.0])
    out = f(X)
    for i, v in enumerate(X):
        Jv, xv = graph(float(v))
        Jv.backward()
        assert close(out.grads["x"][i], xv.grad)
    assert math.isclose(out.value, sum(graph(float(v))[0].value for v in X), rel_tol=1e-15)


@given(
    recipe=recipes(),
    rows=st.lists(st.lists(st.floats(-3.0, 3.0), min_size=4, max_size=4), min_size=1, max_size=6),
    pattern=st.lists(st.booleans(), min_size=4, max_size=4),
)
def test_random_graphs_on_arrays_match_each_example(
    recipe: tuple[Recipe, list[float], list[bool]], rows: list[list[float]], pattern: list[bool]
) -> None:
    """Some inputs arrays of examples, the others one float for all (`pattern`): values
    and per-example gradients agree with the engine example by example, within 4 ulp, or,
    where the graph amplifies a last-bit difference (numpy's exp, log, tanh differ from
    glibc's now and then; a subtraction of nearly equal numbers or a division by a small
    one magnifies it), to 12 digits of the largest value or gradient in that example's
    graph; a float input's gradient is the sum of the examples' to 12 digits of theirs."""
    steps, _, grads = recipe
    root, leaves = built(recipe)
    n = len(leaves)
    is_array = pattern[:n] if any(pattern[:n]) else [True] * n
    rows = [[row[k] if a else rows[0][k] for k, a in enumerate(is_array)] for row in rows]
    f = microgrand.compile(root, leaves)
    examples = []
    for row in rows:
        # The ignore: the default binds this row now; mypy cannot type a lambda's defaults.
        got = outcome(lambda row=row: build(steps, row[:n], grads))  # type: ignore[misc]
        if got[0] == "ok" and outcome(got[1][0].backward)[0] == "ok":
            examples.append((row[:n], got[1]))
    assume(examples)
    columns = [np.array([row[k] for row, _ in examples]) for k in range(n)]
    args = [c if a else float(c[0]) for c, a in zip(columns, is_array, strict=True)]
    out = outcome(lambda: f(*args))
    assume(out[0] == "ok")  # an overflow only numpy's exp meets at the edge: not this test's
    result = out[1]
    total = magnitude = 0.0
    sums = [0.0] * n
    for i, (_, (fresh_root, fresh_leaves)) in enumerate(examples):
        scale = max(1.0, *(abs(v.value) + abs(v.grad) for v in ancestors(fresh_root)))
        total += fresh_root.value
        magnitude += scale  # log(tanh(...)) near 0: one ulp of tanh's 0.9993 is 1e-12 of L
        for k, (leaf, fresh) in enumerate(zip(leaves, fresh_leaves, strict=True)):
            sums[k] += fresh.grad
            if not is_array[k]:
                continue  # summed over the examples: checked below
            got = result.grads[leaf]
            got_i = got[i] if isinstance(got, np.ndarray) else got
            within = ulps(np.float64(got_i), np.float64(fresh.grad)) <= ULPS
            assert within or abs(got_i - fresh.grad) <= 1e-12 * scale
    for k, leaf in enumerate(leaves):
        if not is_array[k]:
            got = result.grads[leaf]
            assert isinstance(got, float)
            assert abs(got - sums[k]) <= 1e-12 * max(magnitude, 1e-300)
    assert abs(result.value - total) <= 1e-12 * max(magnitude, 1e-300)


def test_a_number_that_an_array_is_added_to_is_summed_as_an_array() -> None:
    """dt2 = 1.0 + -1.0, then dt2 -= exp(t2): the gradient starts as a number and becomes
    an array of m examples; the float input behind it sums it (was m times it, and a
    TypeError from numpy)."""
    v0, v1 = Node(1.6, "v0"), Node(-1.25, "v1")
    t2 = -v1 + v0
    root = -(t2.exp() + t2) + t2
    f = microgrand.compile(root, [v0, v1])
    xs = np.array([-1.87, -0.23, 0.5])
    out = f(xs, -1.25)
    assert "total(dt2)" in next(iter(f.array_sources.values()))
    want = 0.0
    for x in xs:
        a, b = Node(float(x), "v0"), Node(-1.25, "v1")
        t = -b + a
        fresh = -(t.exp() + t) + t
        fresh.backward()
        want += b.grad
    assert math.isclose(out.grads[v1], want, rel_tol=1e-15)


def test_a_float_input_used_twice_sums_each_examples_gradient() -> None:
    """w reaches J = w / (w/c + x) twice: per example dJ/dw = 1/t - (w/t²)/c, whose two
    terms are ±3.4e43 and cancel to 0.0 where x = 0, and give 1.0 where x = 1. The sum
    over the examples is 1.0, the engine's; summing each term over the examples first
    lost the 1.0 to rounding (0.0)."""
    w = Node(2.5478238297660162e-80, "w")
    c = Node(8.587894749457688e-37, "c", requires_grad=False)
    x = Node(0.0, "x", requires_grad=False)
    J = (w / (w / c + x)).named("J")
    f = microgrand.compile(J, [w, c, x])
    xs = np.array([0.0, 1.0])
    want = 0.0
    for value in xs:
        w.grad, x.value = 0.0, float(value)
        fresh = w / (w / c + x)
        fresh.backward()
        want += w.grad
    assert want == 1.0
    assert f(w.value, c.value, xs).grads["w"] == want
    assert f(w.value, c.value, xs, reduce="mean").grads["w"] == want / 2


def test_bce_with_logits_on_arrays_takes_the_logits_floats_take() -> None:
    """max(z, 0) is (z + |z|)/2 on arrays, which overflows for z past 8.9e307 although
    the loss, 0 for y = 1, is a float: the arrays then take np.maximum, and equal the
    engine example by example (they raised 'though each example alone is computed
    without one')."""
    z = Node(0.0, "z")
    y = Node(1.0, "y", requires_grad=False)
    f = microgrand.compile(microgrand.bce_with_logits(z, y).named("L"), [z, y])
    zs = np.array([1e308, -3.0, 9e307, 2.0])
    ys = np.array([1.0, 0.0, 0.5, 1.0])
    out = f(zs, ys)
    total = 0.0
    for i, (zi, yi) in enumerate(zip(zs, ys, strict=True)):
        leaf = Node(float(zi), "z")
        L = microgrand.bce_with_logits(leaf, Node(float(yi), "y", requires_grad=False))
        L.backward()
        assert ulps(out.grads["z"][i], np.float64(leaf.grad)) <= ULPS
        total += L.value
    assert math.isclose(out.value, total, rel_tol=1e-15)
    assert f(np.array([1e308]), np.array([0.5])).value == 0.5e308


def test_finite_values_whose_sum_overflows_are_not_an_error() -> None:
    """The float version's quick check adds the checked values; a sum past the largest
    float falls through to the exact test (x - x for each), so nothing is raised."""
    w, x = Node(1.0, "w"), Node(1.5e308, "x", requires_grad=False)
    L = (w * x).named("L")
    f = microgrand.compile(L, [w, x])
    assert "* 0.0 != 0.0 and (" in f.source
    out = f(1.0, 1.5e308)
    assert out.value == 1.5e308 and out.grads["w"] == 1.5e308
    with pytest.raises(OverflowError):
        f(2.0, 1.5e308)  # w * x itself overflows: the engine's error


def test_arrays_keep_the_engines_reciprocal_where_terms_cancel() -> None:
    """d(t/t)/dt is 1/t - t/(t*t): with t = -1.7e-18 the two terms cancel exactly in the
    engine's g * (1.0 / t); the numpy version must compute them the same way (g / t
    rounds differently and left 16.0 here)."""
    v = Node(1.7169859041416897e-18, "v")
    t = -v
    root = (t / t).sigmoid()
    f = microgrand.compile(root, [v])
    out = f(np.array([v.value]))
    root.backward()
    assert out.grads[v][0] == v.grad == 0.0
