"""Autograd on the lecture's graphs equals the lecture's hand-derived formulas.

`microgrand.lecture` is plain floats (no Node), so it is an independent oracle. Gradients
are compared with a relative tolerance of 1e-9; sums over m examples may cancel, so there
the tolerance is also relative to the sum of the absolute terms (the size of the rounding
error of any summation order).
"""

from __future__ import annotations

import ast
import math

from hypothesis import given
from hypothesis import strategies as st

from microgrand import lecture
from microgrand.comparison import compare
from microgrand.logreg import (
    Parameters,
    batch_graph,
    data_nodes,
    descent_step,
    lecture_graph,
    three_abc_graph,
)

REL = 1e-9
TINY = 1e-300  # products of subnormal inputs round to 0 or 5e-324 depending on the order
# |z| <= 3*3 + 3*3 + 3 = 21 keeps a = σ(z) strictly inside (0, 1), where the lecture's
# loss (log a, log(1 - a)) is defined.
coordinate = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)
label = st.sampled_from([0.0, 1.0])

POINTS = [
    (2.0, -1.0, 0.3, 0.5, 0.1, 1.0),  # the demo's point
    (1.0, 2.0, 0.5, -0.5, 0.5, 1.0),  # z = 0 exactly
    (0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    (-1.5, 2.5, 1.25, -0.75, -2.0, 0.0),
    (3.0, 3.0, 3.0, 3.0, 3.0, 0.0),  # a close to 1 with y = 0: da is large
]


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL, abs_tol=0.0)


def check_one(x1: float, x2: float, w1: float, w2: float, b: float, y: float) -> None:
    g = lecture_graph(x1, x2, w1, w2, b, y)
    g.L.backward()
    expected = lecture.one_example(x1, x2, w1, w2, b, y)
    assert g.z.value == expected.z  # the same float operations in the same order
    assert close(g.a.value, expected.a)
    assert close(g.L.value, expected.L)
    assert close(g.a.grad, expected.da)
    assert close(g.z.grad, expected.dz) or abs(g.z.grad - expected.dz) <= REL
    for got, want in ((g.w1.grad, expected.dw1), (g.w2.grad, expected.dw2)):
        assert close(got, want) or abs(got - want) <= REL * max(abs(x1), abs(x2), 1.0)
    assert close(g.b.grad, expected.db) or abs(g.b.grad - expected.db) <= REL
    # data leaves hold no gradient
    assert g.x1.grad == g.x2.grad == g.y.grad == 0.0


def test_fixed_points() -> None:
    for point in POINTS:
        check_one(*point)


def test_the_exact_case() -> None:
    g = lecture_graph(1.0, 2.0, 0.5, -0.5, 0.5, 1.0)
    g.L.backward()
    assert g.z.value == 0.0
    assert g.a.value == 0.5
    assert math.isclose(g.L.value, math.log(2.0), rel_tol=1e-15)
    assert g.z.grad == -0.5
    assert g.a.grad == -2.0
    assert g.w1.grad == -0.5 and g.w2.grad == -1.0 and g.b.grad == -0.5
    expected = lecture.one_example(1.0, 2.0, 0.5, -0.5, 0.5, 1.0)
    assert (expected.z, expected.a, expected.dz) == (0.0, 0.5, -0.5)
    assert math.isclose(expected.L, math.log(2.0), rel_tol=1e-15)


def test_names_and_data_leaves() -> None:
    g = lecture_graph()
    assert [n.name for n in g] == ["x1", "x2", "w1", "w2", "b", "y", "z", "a", "L"]
    assert not g.x1.requires_grad and not g.x2.requires_grad and not g.y.requires_grad
    assert g.w1.requires_grad and g.b.is_leaf
    assert g.a.op == "sigmoid" and g.L.op == "neg"


@given(coordinate, coordinate, coordinate, coordinate, coordinate, label)
def test_one_example_hypothesis(
    x1: float, x2: float, w1: float, w2: float, b: float, y: float
) -> None:
    check_one(x1, x2, w1, w2, b, y)


def test_one_step_is_the_lectures_update() -> None:
    x1, x2, w1, w2, b, y, alpha = 2.0, -1.0, 0.3, 0.5, 0.1, 1.0, 0.1
    g = lecture_graph(x1, x2, w1, w2, b, y)
    leaves = (g.w1, g.w2, g.b)
    new = descent_step(g, alpha)
    grads = lecture.one_example(x1, x2, w1, w2, b, y)
    want = lecture.descent_step(w1, w2, b, grads.dw1, grads.dw2, grads.db, alpha)
    assert (g.w1.value, g.w2.value, g.b.value) == (w1, w2, b)  # the old graph is intact
    assert all(old is not new_leaf for old, new_leaf in zip(leaves, new[2:5], strict=True))
    assert (new.x1, new.x2, new.y) == (g.x1, g.x2, g.y)
    for got, expected in zip((new.w1.value, new.w2.value, new.b.value), want, strict=True):
        assert close(got, expected)
    assert new.L.value < g.L.value  # one step on one example lowers its loss
    new.L.backward()  # the rebuilt graph is valid


def batch_check(x1: list[float], x2: list[float], y: list[float], params: Parameters) -> None:
    g = batch_graph(params, data_nodes(x1), data_nodes(x2), y)
    g.J.backward()
    want = lecture.m_examples(x1, x2, y, *params)
    m = len(y)
    z = [params.w1 * u + params.w2 * v + params.b for u, v in zip(x1, x2, strict=True)]
    dz = [lecture.sigmoid(zi) - yi for zi, yi in zip(z, y, strict=True)]
    scale_w1 = sum(abs(u * d) for u, d in zip(x1, dz, strict=True)) / m
    scale_w2 = sum(abs(v * d) for v, d in zip(x2, dz, strict=True)) / m
    scale_b = sum(abs(d) for d in dz) / m
    # the lecture's log(a) loses digits when a is within 1e-9 of 1 (bce_with_logits does not)
    assert math.isclose(g.J.value, want.J, rel_tol=REL, abs_tol=1e-12)
    assert abs(g.w1.grad - want.dw1) <= REL * max(abs(want.dw1), scale_w1) + TINY
    assert abs(g.w2.grad - want.dw2) <= REL * max(abs(want.dw2), scale_w2) + TINY
    assert abs(g.b.grad - want.db) <= REL * max(abs(want.db), scale_b) + TINY


def test_m_examples_fixed() -> None:
    x1 = [1.0, 2.0, -1.0, 0.5]
    x2 = [2.0, -1.0, 0.0, 1.5]
    y = [1.0, 0.0, 0.0, 1.0]
    batch_check(x1, x2, y, Parameters(0.3, 0.5, 0.1))
    batch_check(x1, x2, y, Parameters(0.0, 0.0, 0.0))
    # one example: the batch graph is the one-example loss
    g = batch_graph(Parameters(0.5, -0.5, 0.5), data_nodes([1.0]), data_nodes([2.0]), [1.0])
    g.J.backward()
    assert math.isclose(g.J.value, math.log(2.0), rel_tol=1e-15)
    assert (g.w1.grad, g.w2.grad, g.b.grad) == (-0.5, -1.0, -0.5)


@given(
    st.lists(st.tuples(coordinate, coordinate, label), min_size=1, max_size=20),
    coordinate,
    coordinate,
    coordinate,
)
def test_m_examples_hypothesis(
    rows: list[tuple[float, float, float]], w1: float, w2: float, b: float
) -> None:
    x1 = [r[0] for r in rows]
    x2 = [r[1] for r in rows]
    y = [r[2] for r in rows]
    batch_check(x1, x2, y, Parameters(w1, w2, b))


def test_m_examples_is_the_mean_of_one_examples() -> None:
    x1, x2, y = [1.0, -2.0, 0.5], [0.25, 1.0, -1.0], [1.0, 0.0, 1.0]
    ones = [lecture.one_example(u, v, 0.3, -0.2, 0.1, t) for u, v, t in zip(x1, x2, y, strict=True)]
    batch = lecture.m_examples(x1, x2, y, 0.3, -0.2, 0.1)
    assert math.isclose(batch.J, sum(o.L for o in ones) / 3, rel_tol=1e-15)
    assert math.isclose(batch.dw1, sum(o.dw1 for o in ones) / 3, rel_tol=1e-15)
    assert math.isclose(batch.db, sum(o.db for o in ones) / 3, rel_tol=1e-15)


def test_three_abc_matches_the_lecture() -> None:
    g = three_abc_graph(5.0, 3.0, 2.0)
    g.J.backward()
    assert (g.u.value, g.v.value, g.J.value) == (6.0, 11.0, 33.0)
    assert (g.v.grad, g.u.grad, g.a.grad, g.b.grad, g.c.grad) == (3.0, 3.0, 3.0, 6.0, 9.0)
    want = lecture.three_abc(5.0, 3.0, 2.0)
    assert (want.u, want.v, want.J) == (6.0, 11.0, 33.0)
    assert (want.dv, want.du, want.da, want.db, want.dc) == (3.0, 3.0, 3.0, 6.0, 9.0)
    assert [n.name for n in g] == ["a", "b", "c", "u", "v", "J"]


@given(coordinate, coordinate, coordinate)
def test_three_abc_hypothesis(a: float, b: float, c: float) -> None:
    g = three_abc_graph(a, b, c)
    g.J.backward()
    want = lecture.three_abc(a, b, c)
    assert g.J.value == want.J
    assert (g.a.grad, g.b.grad, g.c.grad) == (want.da, want.db, want.dc)


def test_compare_rows() -> None:
    c = compare()
    assert [r.quantity for r in c.rows] == ["L", "da", "dz", "dw1", "dw2", "db"]
    assert c.max_formula_diff == 0.0  # bit for bit at the demo's point
    assert c.max_numeric_diff < 1e-8
    row = {r.quantity: r for r in c.rows}
    assert row["L"].finite_difference is None
    assert math.isclose(row["dw1"].autograd, -0.9003320053750441, rel_tol=1e-12)
    text = str(c)
    for needle in ("-0.9003", "-1.819", "-0.4502", "0.5981", "a - y"):
        assert needle in text
    assert "<table>" in c._repr_html_()
    for r in c.rows:
        values = [r.autograd, r.closed_form] + (
            [] if r.finite_difference is None else [r.finite_difference]
        )
        assert r.max_diff == max(values) - min(values)


def test_compare_raises_where_the_lectures_loss_is_undefined() -> None:
    try:
        compare(w1=100.0)
    except ValueError:
        return
    raise AssertionError("expected ValueError: a = σ(200) rounds to 1, log(1 - a) = log 0")


def test_the_oracle_imports_nothing_that_builds_nodes() -> None:
    path = lecture.__file__
    assert path is not None
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    imported = set()
    for statement in ast.walk(tree):
        if isinstance(statement, ast.Import):
            imported |= {alias.name for alias in statement.names}
        elif isinstance(statement, ast.ImportFrom):
            imported.add(statement.module or "")
    assert not any(name.startswith("microgrand") for name in imported), imported
