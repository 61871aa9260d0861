"""The lecture's second derivatives: closed form, finite differences and autograd agree.

`lecture.hessian_one_example` and `lecture.hessian_m_examples` are checked first on their
own, against central differences of the lecture's first-derivative formulas (so that the
closed form is known right), then against `microgrand.grad` of `microgrand.grad` on the
lecture's graphs (one example written from log and sigmoid; m examples with the fused
bce_with_logits).
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microgrand import grad, lecture
from microgrand.comparison import compare
from microgrand.datasets import load_iris, standardize
from microgrand.gradients import hessian
from microgrand.logreg import Parameters, batch_graph, data_nodes, lecture_graph

coordinate = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)
label = st.sampled_from([0.0, 1.0])
Point = tuple[float, float, float, float, float, float]
POINTS: list[Point] = [
    (2.0, -1.0, 0.3, 0.5, 0.1, 1.0),  # the demo's point
    (1.0, 2.0, 0.5, -0.5, 0.5, 1.0),  # z = 0
    (-1.5, 2.5, 1.25, -0.75, -2.0, 0.0),
    (3.0, 3.0, 3.0, 3.0, 3.0, 0.0),  # a close to 1: tiny curvature
]


def close(a: float, b: float, scale: float = 1.0) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15 * scale)


def one_example_gradient(point: Point, params: tuple[float, float, float]) -> list[float]:
    x1, x2, _, _, _, y = point
    e = lecture.one_example(x1, x2, *params, y)
    return [e.dw1, e.dw2, e.db]


def test_one_example_closed_form_matches_differences_of_the_lecture_gradient() -> None:
    for point in POINTS:
        H = lecture.hessian_one_example(*point)
        params = list(point[2:5])
        for j in range(3):
            h = 1e-6
            up, down = list(params), list(params)
            up[j] += h
            down[j] -= h
            g_up = one_example_gradient(point, (up[0], up[1], up[2]))
            g_down = one_example_gradient(point, (down[0], down[1], down[2]))
            for i in range(3):
                numeric = (g_up[i] - g_down[i]) / (2 * h)
                assert math.isclose(H[i][j], numeric, rel_tol=1e-6, abs_tol=1e-9), (point, i, j)


def test_m_examples_closed_form_matches_differences_of_the_lecture_gradient() -> None:
    data = standardize(load_iris()).data
    params = [0.8, -0.6, 0.2]
    H = lecture.hessian_m_examples(data.x1, data.x2, data.y, *params)
    for j in range(3):
        h = 1e-6
        up, down = list(params), list(params)
        up[j] += h
        down[j] -= h
        b_up = lecture.m_examples(data.x1, data.x2, data.y, *up)
        b_down = lecture.m_examples(data.x1, data.x2, data.y, *down)
        for i, (u, d) in enumerate(
            zip((b_up.dw1, b_up.dw2, b_up.db), (b_down.dw1, b_down.dw2, b_down.db), strict=True)
        ):
            assert math.isclose(H[i][j], (u - d) / (2 * h), rel_tol=1e-6, abs_tol=1e-9)


def test_closed_form_hessians_are_symmetric_and_y_free() -> None:
    point = POINTS[0]
    H = lecture.hessian_one_example(*point)
    assert all(H[i][j] == H[j][i] for i in range(3) for j in range(3))
    assert lecture.hessian_one_example(*point[:5], 0.0) == H


def check_one(point: Point) -> None:
    g = lecture_graph(*point)
    got = hessian(g.L, [g.w1, g.w2, g.b])
    want = lecture.hessian_one_example(*point)
    scale = max(1.0, point[0] ** 2, point[1] ** 2)
    for i in range(3):
        for j in range(3):
            assert close(got[i][j], want[i][j], scale), (point, i, j, got[i][j], want[i][j])
    named = lecture.second_derivatives(*point)
    (da,) = grad(g.L, g.a, create_graph=True)
    (dz,) = grad(g.L, g.z, create_graph=True)
    assert close(grad(da, g.a)[0], named["d2a"])
    assert close(grad(dz, g.z)[0], named["d2z"])


def test_autograd_hessian_equals_the_closed_form_at_fixed_points() -> None:
    for point in POINTS:
        check_one(point)


@given(coordinate, coordinate, coordinate, coordinate, coordinate, label)
def test_autograd_hessian_equals_the_closed_form(
    x1: float, x2: float, w1: float, w2: float, b: float, y: float
) -> None:
    check_one((x1, x2, w1, w2, b, y))


def test_autograd_hessian_of_J_on_iris_equals_the_closed_form() -> None:
    data = standardize(load_iris()).data
    x1, x2 = data_nodes(data.x1), data_nodes(data.x2)
    for params in (Parameters(0.0, 0.0, 0.0), Parameters(2.5, -1.5, 0.4)):
        graph = batch_graph(params, x1, x2, data.y)
        got = hessian(graph.J, [graph.w1, graph.w2, graph.b])
        want = lecture.hessian_m_examples(data.x1, data.x2, data.y, *params)
        for i in range(3):
            for j in range(3):
                # sums over 100 examples: allow rounding of the order of the terms' size
                assert math.isclose(got[i][j], want[i][j], rel_tol=1e-9, abs_tol=1e-14)


def test_hessian_m_examples_refuses_mismatched_columns() -> None:
    with pytest.raises(ValueError, match="same positive length, got 1, 2, 1"):
        lecture.hessian_m_examples([1.0], [1.0, 2.0], [0.0], 0.0, 0.0, 0.0)


# --- compare's second table -----------------------------------------------------------------


def test_compare_puts_the_second_derivatives_side_by_side() -> None:
    c = compare()
    assert [r.quantity for r in c.second] == [
        "d²L/da²",
        "d²L/dz²",
        "d²L/dw1²",
        "d²L/dw1dw2",
        "d²L/dw1db",
        "d²L/dw2²",
        "d²L/dw2db",
        "d²L/db²",
    ]
    assert c.max_second_formula_diff == 0.0  # bit for bit at the demo's point
    assert c.max_second_numeric_diff < 1e-6
    a = c.graph.a.value
    row = {r.quantity: r for r in c.second}
    assert row["d²L/dz²"].autograd == a * (1 - a)
    assert math.isclose(row["d²L/dw1dw2"].autograd, a * (1 - a) * 2.0 * -1.0, rel_tol=1e-15)
    text = str(c)
    assert "Second derivatives: grad of grad vs the lecture's Hessian" in text
    assert "a(1-a) x1 x2" in text and "-0.495" in text
    assert c._repr_html_().count("<table>") == 2
    # compare leaves the first-derivative grads of backward() in the graph
    assert c.graph.w1.grad == c.rows[3].autograd


@given(coordinate, coordinate, coordinate, coordinate, coordinate, label)
def test_compare_second_table_agrees_everywhere(
    x1: float, x2: float, w1: float, w2: float, b: float, y: float
) -> None:
    c = compare(x1, x2, w1, w2, b, y)
    a = c.graph.a.value
    for r in c.second:
        assert math.isclose(r.autograd, r.closed_form, rel_tol=1e-9, abs_tol=1e-15 * 9), r
        # a second difference rounding could decide is "—", with the reason
        assert (r.finite_difference is None) == bool(r.note), r
        # Nearer saturation second differences lose digits; and one that could be off by
        # ~1e-7 (rounding/h²) cannot measure a second derivative far below that (x2 =
        # 1e-38: a(1-a)·x2² = 3e-77, the difference 0), unless a factor x is exactly 0 and
        # the step changes nothing at all (then the difference is exactly 0).
        factors = {"x1": x1, "x2": x2}
        cut = r.closed_form == 0.0 and any(v == 0.0 for n, v in factors.items() if n in r.formula)
        if min(a, 1.0 - a) > 0.05 and (abs(r.closed_form) > 1e-4 or cut):
            assert r.finite_difference is not None, r
            tolerance = 1e-5 * max(1.0, abs(r.closed_form))
            assert abs(r.autograd - r.finite_difference) <= tolerance, (r, a)


def test_compare_second_table_shows_a_wrong_formula(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker checks: a wrong closed form shows up in Δ lecture."""
    right = lecture.second_derivatives

    def wrong(*point: float) -> dict[str, float]:
        values = right(*point)
        return {**values, "d2z": values["d2z"] * 1.01}

    monkeypatch.setattr(lecture, "second_derivatives", wrong)
    c = compare()
    assert c.max_second_formula_diff > 1e-3
    assert "2.5e-03" in str(c)


# --- a gradient as a graph: drawn and explained in the lecture's notation --------------------


def test_the_gradient_graph_of_da_is_the_lectures_formula() -> None:
    from microgrand.render import draw

    g = lecture_graph()
    (da,) = grad(g.L, g.a, create_graph=True)
    source = str(draw(da.named("da")).source)
    assert "da = (1−y)/(1−a) − y/a" in source  # the lecture's -y/a + (1-y)/(1-a)
    (dz,) = grad(g.L, g.z, create_graph=True)
    assert "dz = ((1−y)/(1−a) − y/a)(a(1 − a))" in str(draw(dz.named("dz")).source)


def test_the_derivative_of_da_reads_y_over_a_squared_as_the_course_writes_it() -> None:
    """d(da)/da is y/a² + (1−y)/(1−a)² (drawn and explained), never y/a/a; only the text
    changes: the numbers are the engine's and equal the closed form."""
    from microgrand.chain_rule import explain
    from microgrand.notation import fmt
    from microgrand.parse import build
    from microgrand.render import draw

    g = lecture_graph()
    (da,) = grad(g.L, g.a, create_graph=True)
    da.named("da").backward()
    d2a = lecture.second_derivatives(2.0, -1.0, 0.3, 0.5, 0.1, 1.0)["d2a"]
    assert math.isclose(g.a.grad, d2a, rel_tol=1e-12)
    red = f"d(da)/da = y/a² + (1−y)/(1−a)² = {fmt(g.a.grad)}"
    assert red in str(draw(da, formulas=True).source)
    explained = explain(da, g.a)
    assert explained.lines[1].strip() == "= (1-y)/(1-a)**2 + y/a**2"
    assert explained.unicode_lines[1].strip() == "= (1−y)/(1−a)² + y/a²"
    assert "/a/" not in str(explained) and "/a/" not in "".join(explained.unicode_lines)
    assert explained.value == g.a.grad
    # The ASCII formula is what `microgrand draw` reads, and means the same number.
    again = build([f"K = {explained.lines[1].strip()[2:]}", f"a={g.a.value!r}", "y=1"])
    assert math.isclose(again.value, d2a, rel_tol=1e-12)


def test_explain_a_derivative_of_a_derivative() -> None:
    from microgrand.chain_rule import explain

    g = lecture_graph()
    dz, dw1 = grad(g.L, [g.z, g.w1], create_graph=True)
    dz.named("dz")
    dw1.named("dw1")
    a = g.a.value
    second = explain(dz, g.z)
    assert second.lines[0] == "d(dz)/dz = d(dz)/da * da/dz"
    assert math.isclose(second.value, a * (1 - a), rel_tol=1e-12)
    hessian_entry = explain(dw1, g.w1)
    assert hessian_entry.lines[0] == "d(dw1)/dw1 = d(dw1)/d(dz) * d(dz)/da * da/dz * dz/dw1"
    assert math.isclose(hessian_entry.value, a * (1 - a) * 4.0, rel_tol=1e-12)
    # the first derivatives read as before
    assert explain(g.L, g.w1).lines[0] == "dw1 = dL/da * da/dz * dz/dw1"


def test_the_gradient_graph_has_its_own_backward_pass() -> None:
    """dz as a Node, then dz.backward(): the grads are d(dz)/d(node), second derivatives."""
    point: Point = (2.0, -1.0, 0.3, 0.5, 0.1, 1.0)
    g = lecture_graph(*point)
    (dz,) = grad(g.L, g.z, create_graph=True)
    dz.backward()
    a = g.a.value
    H = lecture.hessian_one_example(*point)
    assert g.z.grad == a * (1 - a)  # d(dz)/dz, the lecture's d²L/dz²
    # dz is also db (dz/db = 1), so its gradient in (w1, w2, b) is the Hessian's b row
    assert math.isclose(g.w1.grad, H[2][0], rel_tol=1e-12)
    assert math.isclose(g.w2.grad, H[2][1], rel_tol=1e-12)
    assert math.isclose(g.b.grad, H[2][2], rel_tol=1e-12)


def test_drawings_of_a_gradient_graph_write_gradients_as_explain_does() -> None:
    """Issue 11: drawn from a root that is itself a derivative (dz), a red arrow's label is
    d(dz)/dz, never "dz = ...·da" (which reads as the first derivative); the drawings and
    explain share the rule (`labels.gradient_name`), so their heads agree."""
    from microgrand.chain_rule import explain
    from microgrand.render import draw

    g = lecture_graph()
    (dz,) = grad(g.L, g.z, create_graph=True)
    dz.named("dz")
    dz.backward()
    source = str(draw(dz).source)
    red = re.findall(r'label="([^"]*)" color="#c62828"', source)
    assert red, source
    assert "d(dz)/dz = a(1 − a)·d(dz)/da = 0.2475" in red
    assert all(label.startswith("d(dz)/d") for label in red), red
    assert explain(dz, g.z).lines[0].startswith("d(dz)/dz = ")
    assert explain(dz, g.w1).unicode_lines[0].startswith("d(dz)/dw₁ = ")
    assert 'label="d(dz)/dw₁ = x₁·d(dz)/dz = 0.495"' in source
    # a first-derivative drawing is unchanged: dz = a − y on its arrow, not dL/dz
    g.L.backward()
    first = str(draw(g.L).source)
    assert "d(L)" not in first and "dL/d" not in first
    assert re.search(r'label="dz = a − y', first), first


def test_second_derivatives_of_the_lecture_beyond_floats_are_inf_not_an_error() -> None:
    """d2a = y/a² + (1-y)/(1-a)²: where a² rounds to 0, a label of 0 leaves 1/(1-a)², and
    a label of 1 gives inf (as float arithmetic says overflow), not ZeroDivisionError."""
    assert lecture.second_derivatives(2.0, -1.0, 0.0, 0.0, -700.0, 0.0)["d2a"] == 1.0
    assert lecture.second_derivatives(2.0, -1.0, 0.0, 0.0, -700.0, 1.0)["d2a"] == math.inf
