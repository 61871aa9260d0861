"""Second derivatives of the lecture's loss at deep saturation: right or said, never silent.

With y = 1 and z far below 0, a = σ(z) is tiny. The loss written with log a has the
gradient graph da = -y/a, dz = da·a(1 - a); its derivative in z sums (1 - a)² and
-(1 - a)(1 - 2a), which cancel to a(1 - a) far below their rounding (grad of grad gives 0
at z = -74, where the lecture's a(1 - a) is 7.3e-33), and below z ≈ -354 its local
derivative y/a² overflows although a(1 - a) is a float. PyTorch's double backward on the
same graph gives the same 0 and inf: the engine is right for the graph. What a learner
gets: the error names the op, the node and the value, says why and what to do, and
`bce_with_logits` (whose gradient graph is σ(z) - y) gives a(1 - a) without that
cancellation, compiled or not: to a few units in the last place for z <= 0, with 1 - a's
rounding for z > 0, and 0 from z = 53 ln 2 = 36.74 on (a rounds to 1), as the README says.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import microgrand
from microgrand import Node, bce_with_logits, grad, lecture
from microgrand.gradients import hessian
from microgrand.logreg import lecture_graph

# z = b (w1 = w2 = 0): a = σ(-74) = 7.3e-33, σ(-700) = 9.9e-305
DEEP = [-74.0, -700.0]


def naive_dz(b: float, y: float = 1.0) -> tuple[Node, Node]:
    """The lecture's graph at z = b, and its dz as a Node (create_graph=True)."""
    g = lecture_graph(2.0, -1.0, 0.0, 0.0, b, y)
    (dz,) = grad(g.L, g.z, create_graph=True)
    return g.z, dz


# --- an overflow inside the second pass names the op, the node, the value, and the fix ------

OVERFLOW = (
    r"grad: the gradient of 'a' is inf, not a finite float; it overflowed in the chain-rule "
    r"product through div \(an unnamed div node = 1\.0142320547350045e\+304, from 'y' = 1\.0, "
    r"'a' = 9\.85967654375977e-305\): its local derivative in 'a', -out / y, is -inf \(that "
    r"is -x/y² with y = 'a' = 9\.86e-305: one over its square is beyond floats\)\. It comes "
    r"from a saturated sigmoid: a = σ\('z' = -700\.0\) = 9\.86e-305\. .* d²L/dz² = a\(1 - a\) "
    r"= 9\.86e-305 are small\. Compute the loss with microgrand\.bce_with_logits\(z, y\)"
)


def test_grad_of_grad_overflow_names_the_op_the_node_the_value_and_the_fix() -> None:
    z, dz = naive_dz(-700.0)
    with pytest.raises(OverflowError, match=OVERFLOW):
        grad(dz, z)
    g = lecture_graph(2.0, -1.0, 0.0, 0.0, -700.0, 1.0)
    with pytest.raises(OverflowError, match=OVERFLOW):
        hessian(g.L, [g.w1, g.w2, g.b])
    assert g.w1.grad == g.b.grad == 0.0  # grad stores nothing, also on the error path


def test_the_compiled_gradient_graph_raises_the_engines_error() -> None:
    """Compiled code re-runs a failing example through the engine (backward): same words."""
    g = lecture_graph(2.0, -1.0, 0.0, 0.0, -700.0, 1.0)
    (dz,) = grad(g.L, g.z, create_graph=True)
    f = microgrand.compile(dz, inputs=[g.w1, g.w2, g.b])
    with pytest.raises(OverflowError, match="^backward" + OVERFLOW[len("grad") :]):
        f(0.0, 0.0, -700.0)


def test_the_overflow_starts_where_one_over_a_squared_leaves_the_floats() -> None:
    """1/a² overflows for a below ~1.3e-154, σ(z) for z below ~-354.4: just above, grad of
    grad is a number (one that cancellation decided, which compare says: see below)."""
    a_above, a_below = microgrand.ops.sigmoid(-354.0), microgrand.ops.sigmoid(-355.0)
    assert math.isfinite(1.0 / a_above / a_above) and 1.0 / a_below / a_below == math.inf
    z, dz = naive_dz(-354.0)
    (d2z,) = grad(dz, z)  # rounding decides it: -1.4e-16 where a(1 - a) is 1.5e-154
    assert math.isfinite(d2z) and abs(d2z) < 1e-15
    z, dz = naive_dz(-355.0)
    with pytest.raises(OverflowError, match=r"through div .* -x/y² with y = 'a' = 6\.691e-155"):
        grad(dz, z)


def test_a_first_derivative_that_overflows_is_explained_too() -> None:
    """z = -710: a = 4.5e-309, and da = -y/a itself (log's slope 1/a) is beyond floats."""
    g = lecture_graph(2.0, -1.0, 0.0, 0.0, -710.0, 1.0)
    with pytest.raises(
        OverflowError,
        match=r"^backward: the gradient of 'a' is -inf, .* through log \(an unnamed log node = "
        r"-710\.0, from 'a' = 4\.47628622567513e-309\): its local derivative in 'a', 1 / x, is "
        r"inf: it divides by 'a' = 4\.476e-309, this close to 0\. It comes from a saturated "
        r"sigmoid: .* microgrand\.bce_with_logits\(z, y\)",
    ):
        g.L.backward()
    assert g.a.grad == 0.0


def test_a_gradient_that_is_nan_says_zero_times_inf() -> None:
    """y = 0, z = -740: the log a term's gradient is 0 (-y) and its slope 1/a is inf; their
    product is nan, which 'it overflowed' did not explain."""
    g = lecture_graph(2.0, -1.0, 0.0, 0.0, -740.0, 0.0)
    with pytest.raises(OverflowError) as error:
        g.L.backward()
    message = str(error.value)
    assert message.startswith("backward: the gradient of 'a' is nan, not a finite float; it ")
    assert "it is nan in the chain-rule product through log (" in message, message
    assert "is inf, times the gradient 0.0 of the log node: 0 × inf is nan" in message, message


def test_an_overflow_away_from_a_sigmoid_keeps_the_general_advice() -> None:
    x = Node(1e-310, "x")
    with pytest.raises(OverflowError) as error:
        grad(x.log(), x)
    message = str(error.value)
    assert "through log (an unnamed log node = -713.80" in message
    assert "it divides by 'x' = 1e-310, this close to 0" in message
    assert "sigmoid" not in message and message.endswith("learning rate is far too big.")


def test_a_product_that_overflows_with_finite_factors_is_named() -> None:
    """d(x·w)/dx = w = 1e200, times a gradient of 1e200: the product, not the slope."""
    x, w = Node(1e-200, "x"), Node(1e200, "w")
    out = (x * w).named("u") * 1e200
    with pytest.raises(OverflowError) as error:
        out.backward()
    message = str(error.value)
    assert message.startswith("backward: the gradient of 'x' is inf, not a finite float; it ")
    assert "product through mul ('u' = 1.0, from 'x' = 1e-200, 'w' = 1e+200)" in message
    assert "its local derivative in 'x', y = 1e+200, times the gradient 1e+200" in message


# --- bce_with_logits gives a(1 - a) at deep saturation: the engine, compiled, torch, differences


@pytest.mark.parametrize("z_value", DEEP)
def test_bce_with_logits_second_derivative_is_the_lectures_at_deep_saturation(
    z_value: float,
) -> None:
    z, y = Node(z_value, "z"), Node(1.0, "y", requires_grad=False)
    (dz,) = grad(bce_with_logits(z, y), z, create_graph=True)
    (d2z,) = grad(dz, z)
    closed = lecture.second_derivatives(2.0, -1.0, 0.0, 0.0, z_value, 1.0)["d2z"]
    a = microgrand.ops.sigmoid(z_value)
    assert d2z == closed == a * (1.0 - a) > 0.0
    # central differences of the first derivative σ(z) - y, relative to the tiny value
    up, down = z_value + 2.0**-20, z_value - 2.0**-20  # steps that floats take exactly
    numeric = (microgrand.ops.sigmoid(up) - microgrand.ops.sigmoid(down)) / (up - down)
    assert math.isclose(numeric, d2z, rel_tol=1e-9)
    # compiled: the gradient graph dz traced once gives the same floats
    f = microgrand.compile(dz.named("dz"), inputs=[z, y])
    out = f(z_value, 1.0)
    assert out.value == dz.value and out.grads["z"] == d2z
    # in the Hessian of L in (w1, w2, b): a(1 - a)·x·xᵀ, as lecture.hessian_one_example
    w1, w2, b = Node(0.0, "w1"), Node(0.0, "w2"), Node(z_value, "b")
    x1, x2 = Node(2.0, requires_grad=False), Node(-1.0, requires_grad=False)
    L = bce_with_logits(w1 * x1 + w2 * x2 + b, y)
    want = lecture.hessian_one_example(2.0, -1.0, 0.0, 0.0, z_value, 1.0)
    assert [tuple(row) for row in hessian(L, [w1, w2, b])] == [tuple(row) for row in want]


@pytest.mark.parametrize("z_value", DEEP)
def test_torch_float64_agrees_with_the_engine_on_both_graphs(z_value: float) -> None:
    """The naive graph's 0 (and inf at -700) are PyTorch's too: right for the graph, wrong
    for the lecture; bce_with_logits is right in both."""
    torch = pytest.importorskip("torch")
    t = torch.tensor(z_value, dtype=torch.float64, requires_grad=True)
    label = torch.tensor(1.0, dtype=torch.float64)
    (first,) = torch.autograd.grad(-torch.log(torch.sigmoid(t)), t, create_graph=True)
    (naive,) = torch.autograd.grad(first, t)
    (first,) = torch.autograd.grad(
        torch.nn.functional.binary_cross_entropy_with_logits(t, label), t, create_graph=True
    )
    (fused,) = torch.autograd.grad(first, t)
    closed = lecture.second_derivatives(2.0, -1.0, 0.0, 0.0, z_value, 1.0)["d2z"]
    assert math.isclose(fused.item(), closed, rel_tol=1e-12)
    z, dz = naive_dz(z_value)
    if z_value == -74.0:
        assert naive.item() == 0.0 and grad(dz, z) == (0.0,)
    else:
        assert math.isinf(naive.item())  # torch: a silent inf; microgrand: the error above
        with pytest.raises(OverflowError):
            grad(dz, z)


def exact_a_one_minus_a(z: float) -> float:
    """σ(z)(1 - σ(z)) = e^-|z| / (1 + e^-|z|)², even in z: no 1 - a, a few ulps at any z."""
    e = math.exp(-abs(z))
    return e / (1.0 + e) ** 2


def bce_second_derivative(z_value: float) -> tuple[float, float]:
    """grad of grad of bce_with_logits(z, 0) in z: the engine's and the compiled code's."""
    z, y = Node(z_value, "z"), Node(0.0, "y", requires_grad=False)
    (dz,) = grad(bce_with_logits(z, y), z, create_graph=True)
    (d2z,) = grad(dz, z)
    compiled = microgrand.compile(dz.named("dz"), inputs=[z, y])(z_value, 0.0).grads["z"]
    return d2z, compiled


def test_bce_with_logits_second_derivative_is_what_the_readme_says_at_every_z() -> None:
    """A few ulps for z <= 0; about 1e-16·e^z relative for z > 0 (1 - a from the rounded
    a); 0 from 53 ln 2 on, where a rounds to 1 and a(1 - a) <= 1.1e-16. The README's
    sentence names that range, not 'every z' (it said so, and z = 40 gave 0 for 4.2e-18)."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "at every z" not in readme
    # the first float where a = σ(z) rounds to 1 (1 + e^-z rounds to 1) is next to 53 ln 2
    threshold = math.nextafter(53 * math.log(2), math.inf)
    below = math.nextafter(threshold, 0.0)
    assert microgrand.ops.sigmoid(threshold) == 1.0 > microgrand.ops.sigmoid(below)
    assert f"from z = {threshold:.2f} (53·ln 2), where\na rounds to 1, it is 0" in readme
    for z_value in [-745.0, -740.0, -708.0, -300.0, -74.0, -20.0, -1.0, -0.0]:
        exact = exact_a_one_minus_a(z_value)
        for value in bce_second_derivative(z_value):
            assert abs(value - exact) <= 4 * math.ulp(exact), (z_value, value, exact)
    for z_value in [0.5, 1.0, 10.0, 20.0, 30.0, 35.0, below]:
        exact = exact_a_one_minus_a(z_value)
        for value in bce_second_derivative(z_value):
            assert value > 0.0 and abs(value - exact) <= 1e-16 * math.exp(z_value) * exact * 3
    assert math.isclose(exact_a_one_minus_a(10.0), 4.5395807735951673e-05, rel_tol=1e-15)
    for z_value in [threshold, 37.0, 40.0, 100.0, 700.0]:
        exact = exact_a_one_minus_a(z_value)
        assert 0.0 < exact <= 1.1103e-16
        assert bce_second_derivative(z_value) == (0.0, 0.0)


def test_torch_float64_gives_the_same_second_derivative_of_bce_with_logits() -> None:
    """The same to a few ulps, the same 1 - a rounding for z > 0, the same 0 past 36.74."""
    torch = pytest.importorskip("torch")
    for z_value in [-74.0, -1.0, 10.0, 30.0, 36.7368, 37.0, 40.0]:
        t = torch.tensor(z_value, dtype=torch.float64, requires_grad=True)
        label = torch.tensor(0.0, dtype=torch.float64)
        L = torch.nn.functional.binary_cross_entropy_with_logits(t, label)
        (first,) = torch.autograd.grad(L, t, create_graph=True)
        (second,) = torch.autograd.grad(first, t)
        ours = bce_second_derivative(z_value)[0]
        assert abs(second.item() - ours) <= 4 * math.ulp(ours), z_value  # 0 == 0 past 36.74


# --- compare's second table: grad of grad that cancellation decided is marked, never silent -


def test_the_second_table_marks_grad_of_grad_that_rounding_decided() -> None:
    """z = -74, y = 1: grad of grad gives 0 for every a(1-a) row; shown with one footnote
    saying why and pointing to bce_with_logits; the lecture's values and d²L/da² stand."""
    table = microgrand.compare(2.0, -1.0, 0.0, 0.0, -74.0, 1.0)
    d2a, *rest = table.second
    assert not d2a.cancelled and d2a.autograd == d2a.closed_form  # y/a²: no cancellation
    for r in rest:
        assert r.cancelled and r.autograd == 0.0 and r.finite_difference is None, r
        assert r.closed_form != 0.0 and r.note == rest[0].note
    a = table.graph.a.value
    assert rest[0].closed_form == a * (1 - a)
    assert table.max_second_formula_diff == 0.0  # over the rows that need no note
    lines = table.text().splitlines()
    d2z = next(line for line in lines if line.startswith("d²L/dz² "))
    assert d2z.split()[-5:] == ["0²", "7.281e-33", "—", "7.3e-33", "—"], d2z
    footnote = next(line for line in lines if line.startswith("² "))
    assert footnote.startswith(
        "² autograd for d²L/dz², d²L/dw1², d²L/dw1dw2, d²L/dw1db, d²L/dw2², d²L/dw2db, "
        "d²L/db²: grad of grad lost its digits to cancellation at a = 7.281e-33: the chain-rule "
        "products it adds up have sizes summing to 8,"
    )
    assert "microgrand.bce_with_logits(z, y), whose gradient is σ(z) - y" in footnote
    assert lines[-1] == (
        "  Autograd and the lecture's formula need no step: their columns stand, but for "
        "autograd's marked values."
    )
    assert "² autograd for d²L/dz²" in table._repr_html_()
    # the first table is unchanged by all this
    assert [r.autograd for r in table.rows] == [
        r.autograd for r in microgrand.compare(2.0, -1.0, 0.0, 0.0, -74.0, 1.0).rows
    ]


def test_the_second_tables_overflow_footnotes_are_one_short_sentence_each() -> None:
    """z = -700, y = 1: grad of grad overflows in y/a² in every row. Each footnote says
    that, at which a, and what to do, in one sentence: not the whole error (the op, the
    node, the chain-rule product), which is grad's and hessian's (tested above), and
    whose inf and -inf split equal causes into two footnotes."""
    table = microgrand.compare(2.0, -1.0, 0.0, 0.0, -700.0, 1.0)
    d2a, *rest = table.second
    assert all(r.missing and math.isnan(r.autograd) for r in table.second)
    assert d2a.note == (
        "grad of grad and the lecture's y/a² + (1-y)/(1-a)² overflowed: y/a² is beyond floats "
        "at a = 9.86e-305 (a saturated sigmoid); use "
        "microgrand.bce_with_logits(z, y) for the loss, which never divides by a"
    )
    assert {r.note for r in rest} == {
        d2a.note.replace(" and the lecture's y/a² + (1-y)/(1-a)²", "")
    }
    assert [r.closed_form for r in rest][:1] == [table.graph.a.value * (1 - table.graph.a.value)]
    footnotes = [line for line in table.second_text().splitlines() if line[:1] in "¹²³"]
    assert [line[:2] for line in footnotes] == ["¹ ", "² "], footnotes
    assert footnotes[1].startswith("² d²L/dz², d²L/dw1², d²L/dw1dw2, d²L/dw1db, d²L/dw2², ")
    assert all(len(r.note) <= 200 for r in table.second)  # was ~900 characters
    for line in footnotes:
        assert line.count(". ") == 0, line  # one sentence
        assert "chain-rule" not in line and "unnamed div node" not in line, line


def test_an_overflow_away_from_saturation_names_the_values_in_one_sentence() -> None:
    """x1 = 1e160: a(1-a)·x1² is beyond floats at a = 0.5, nothing divides by a."""
    table = microgrand.compare(1e160, -1.0, 0.0, 0.0, 0.0, 1.0)
    d2w1 = table.second[2]
    assert d2w1.quantity == "d²L/dw1²" and d2w1.missing
    assert d2w1.note == (
        "grad of grad and the lecture's a(1-a) x1² overflowed: too large for a float at "
        "a = 0.5, x1 = 1e+160, x2 = -1"
    )
    assert not any(r.missing for r in table.second if r is not d2w1)


@pytest.mark.parametrize(
    ("z_value", "marked"),
    [
        (-22.5, False),  # grad of grad off by 9.5e-7 of a(1-a): below 1e-6, shown as is
        (-24.0, True),  # off by 3.8e-6: marked
        (-29.5, True),  # off by 9.8e-4
        (-354.0, True),  # -1.4e-16 for 1.8e-154: the sign is wrong
        (-20.0, False),
        (-10.0, False),
    ],
)
def test_the_boundary_of_the_mark(z_value: float, marked: bool) -> None:
    from microgrand.second_comparison import AGREE

    table = microgrand.compare(2.0, -1.0, 0.0, 0.0, z_value, 1.0)
    for r in table.second[1:]:
        off = abs(r.autograd - r.closed_form)
        assert r.cancelled == marked == (off > AGREE * abs(r.closed_form)), (r, off)
        assert bool(r.note) == marked or r.finite_difference is None


def test_the_rule_needs_a_disagreement_that_rounding_explains() -> None:
    from microgrand.second_comparison import AGREE, cancelled, rounding_bound

    closed, bound = 1e-10, 2e-10  # rounding can move grad of grad by up to 2e-10
    assert not cancelled(closed * (1 + AGREE), closed, bound)  # agrees to 6 digits
    assert cancelled(closed * (1 + 2 * AGREE), closed, bound)
    assert cancelled(0.0, closed, bound) and cancelled(closed + bound, closed, bound)
    assert not cancelled(closed + 2 * bound, closed, bound)  # a wrong formula
    assert not cancelled(0.0, 0.0, bound) and not cancelled(1.0, 1.0, math.inf)
    z, dz = naive_dz(-74.0)  # 13 computed nodes in dz's graph, terms of size 2
    assert rounding_bound(dz, z) == (26 * 2.0**-53 * 2.0, 2.0)


def test_a_wrong_formula_at_saturation_still_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker checks: a closed form off by more than rounding is not called rounding."""
    right = lecture.second_derivatives

    def wrong(*point: float) -> dict[str, float]:
        values = right(*point)
        return {**values, "d2z": values["d2z"] + 1e-6}

    monkeypatch.setattr(lecture, "second_derivatives", wrong)
    table = microgrand.compare(2.0, -1.0, 0.0, 0.0, -74.0, 1.0)
    d2z = table.second[1]
    assert not d2z.cancelled and d2z.closed_form == 1e-6 + 7.281290178321643e-33
    assert "cancellation" not in d2z.note  # only the finite difference's reason
    line = next(line for line in table.text().splitlines() if line.startswith("d²L/dz² "))
    assert line.split()[-5:] == ["0", "1e-06", "—²", "1.0e-06", "—"], line


def test_magnitudes_are_the_sizes_of_the_chain_rule_products() -> None:
    from microgrand.gradients import magnitudes

    x = Node(3.0, "x")
    assert magnitudes(x * x - x * x, x) == (12.0,)  # |3| + |3| + |3| + |3|; grad gives 0
    assert grad(x * x - x * x, x) == (0.0,)
    z, dz = naive_dz(-74.0)
    assert magnitudes(dz, z) == (2.0,)  # (1-a)² and (1-a)(1-2a), each about 1
    small = Node(1e-10, "small")  # grad: 1e308 - 1e308 = 0; sizes: 2e308, beyond floats
    assert grad(small * 1e308 - small * 1e308, small) == (0.0,)
    assert magnitudes(small * 1e308 - small * 1e308, small) == (math.inf,)


coordinate = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)
label = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))


@given(coordinate, coordinate, coordinate, coordinate, st.floats(-745.0, 36.5), label)
def test_the_second_table_never_shows_a_disagreement_without_a_note(
    x1: float, x2: float, w1: float, w2: float, z_value: float, y: float
) -> None:
    """Over z from -745 (a = 5e-324) to 36.5 (1 - a = 1e-16): every grad of grad the table
    shows without a note agrees with the lecture's closed form to 6 digits, and every second
    difference it shows to 2e-2; the others are marked, with a note that says why and what
    to do. Where the first table cannot be built
    (log(0), or da = -y/a beyond floats) the error says what to do."""
    from microgrand.second_comparison import AGREE, agrees

    b = z_value - w1 * x1 - w2 * x2
    try:
        table = microgrand.compare(x1, x2, w1, w2, b, y)
    except (ValueError, OverflowError) as error:
        assert "microgrand.bce_with_logits(z, y)" in str(error), error
        return
    for r in table.second:
        if r.missing or r.cancelled:
            assert r.note, r
            if r.cancelled:
                assert "bce_with_logits" in r.note and r.finite_difference is None, r
            continue
        assert agrees(r.autograd, r.closed_form), r
        assert abs(r.autograd - r.closed_form) <= AGREE * max(abs(r.closed_form), 2.0**-1022)
        if r.finite_difference is not None:  # rounding 1e-2 at most, truncation 4/3·1e-3
            assert abs(r.finite_difference - r.closed_form) <= 2e-2 * abs(r.closed_form), r


# --- second differences: none shown that rounding could decide, however small the value ----


def test_a_second_difference_smaller_than_its_rounding_is_not_shown() -> None:
    """z = -22, y = 1: second differences of -7.3e-10 for a(1-a) = 2.8e-10 (the wrong sign)
    passed gradcheck's absolute tolerance of 1e-5; now a difference that rounding could
    move by more than itself is "—" with the reason. Autograd and the lecture agree."""
    table = microgrand.compare(2.0, -1.0, 0.0, 0.0, -22.0, 1.0)
    for r in table.second[1:]:
        assert r.finite_difference is None and not r.cancelled, r
        assert "could be off by" in r.note and r.note.endswith("it would measure rounding")
        assert math.isclose(r.autograd, r.closed_form, rel_tol=1e-6)
    d2a = table.second[0]  # 1.3e19, measured to 4 digits: shown
    assert d2a.finite_difference is not None
    assert math.isclose(d2a.finite_difference, d2a.closed_form, rel_tol=1e-3)


def test_a_second_difference_that_is_exactly_zero_is_shown() -> None:
    """x2 = 0: w2·x2 is 0 for every step, so differences in w2 are exactly 0 (no rounding
    reaches them) and are shown, as the lecture's a(1-a)·x2 = 0 is."""
    table = microgrand.compare(2.0, 0.0, 0.3, 0.5, 0.1, 1.0)
    rows = {r.quantity: r for r in table.second}
    for name in ("d²L/dw1dw2", "d²L/dw2²", "d²L/dw2db"):
        assert rows[name].finite_difference == 0.0 == rows[name].closed_form, rows[name]
    assert "¹" not in table.text()  # no footnote: every difference is shown


def test_a_second_difference_is_taken_with_a_step_that_settled() -> None:
    """a = 1.0002e-4 with the step 1e-4: log(a - h) at 2.4e-8, and the second difference in
    a was 7.6e8 for y/a² = 1.0e8, shown without a word. The step now halves until the
    difference stops moving: within 2e-3 of the lecture's value."""
    table = microgrand.compare(2.0, -1.0, 0.0, 0.0, -9.21, 1.0)
    d2a = table.second[0]
    assert 1e-4 < table.graph.a.value < 1.0003e-4
    assert d2a.finite_difference is not None, d2a
    assert math.isclose(d2a.finite_difference, d2a.closed_form, rel_tol=2e-3), d2a


def test_an_exact_step_at_minus_one_takes_the_coarser_side() -> None:
    """-1 + h and -1 - h have spacings 2⁻⁵³ and 2⁻⁵²: a step on the coarser grid is exact
    on both sides (the finer one's step left z = -1 without a second difference)."""
    from microgrand.finite_differences import _exact_step

    step = _exact_step(Node(-1.0), 5e-5)
    assert step and (-1.0 + step) + 1.0 == step and -1.0 - (-1.0 - step) == step
    table = microgrand.compare(0.0, 0.0, 0.0, 0.0, -1.0, 0.0)
    assert all(r.finite_difference is not None for r in table.second), table


# --- the command line: microgrand demo --second ---------------------------------------------


def test_demo_second_prints_the_second_table_with_its_marks(tmp_path: Path) -> None:
    from test_lecture_cli import run

    deep = ["demo", "--w1", "0", "--w2", "0", "--epochs", "1", "--second"]
    result = run([*deep, "--b", "-74"], tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "\nSecond derivatives: grad of grad vs the lecture's Hessian" in out
    d2z = next(line for line in out.splitlines() if line.strip().startswith("d²L/dz² "))
    assert d2z.split()[-5:] == ["0²", "7.281e-33", "—", "7.3e-33", "—"], d2z
    assert "grad of grad lost its digits to cancellation at a = 7.281e-33" in out
    assert "microgrand.bce_with_logits(z, y), whose gradient is σ(z) - y" in out
    result = run([*deep, "--b", "-700"], tmp_path)  # the overflow, said in its row
    assert result.returncode == 0, result.stderr
    assert "y/a² is beyond floats at a = 9.86e-305" in result.stdout
    assert "9.86e-305" in result.stdout  # the lecture's a(1-a) stands
    plain = run(["demo", "--epochs", "1"], tmp_path)  # the front page stays short
    assert plain.returncode == 0 and "Second derivatives" not in plain.stdout


def test_a_gradient_graph_that_cannot_be_built_says_why_too() -> None:
    """create_graph=True records -y/a as a node: at z = -710 1/a is beyond floats, and at
    z = -700 the graph of grad of grad records y/a². The error names the op and the value
    and says what to do, not that a learning rate is too big."""
    g = lecture_graph(2.0, -1.0, 0.0, 0.0, -710.0, 1.0)
    with pytest.raises(OverflowError) as error:
        grad(g.L, g.z, create_graph=True)
    message = str(error.value)
    assert message.startswith("backward through log (an unnamed log node): the local ")
    assert "'a' = 4.47628622567513e-309 (OverflowError: div: the result inf" in message
    assert "learning rate" not in message and "bce_with_logits(z, y)" in message
    z, dz = naive_dz(-700.0)
    with pytest.raises(OverflowError) as error:
        grad(dz, z, create_graph=True)
    message = str(error.value)
    assert message.startswith("backward through div (an unnamed div node)")
    assert "learning rate" not in message and "d(da)/da = y/a²" in message
    x = Node(1e-310, "x")  # away from a sigmoid the advice stays
    with pytest.raises(OverflowError, match=r"backward through log.*learning rate"):
        grad(x.log(), x, create_graph=True)
