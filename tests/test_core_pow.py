"""Node exponents: ``a ** b`` with b a Node and ``2 ** x``, against central differences
and PyTorch float64; the exponent's slope is out·log(a)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microgrand import gradcheck
from microgrand.node import Node


def test_node_exponent_slopes() -> None:
    a, b = Node(1.7, "a"), Node(2.5, "b")
    out = a**b
    out.backward()
    assert out.value == 1.7**2.5
    assert math.isclose(a.grad, 2.5 * 1.7**1.5, rel_tol=1e-15)
    assert math.isclose(b.grad, 1.7**2.5 * math.log(1.7), rel_tol=1e-15)
    assert out.parents == (a, b)


def test_number_base() -> None:
    x = Node(0.75, "x")
    out = 2**x
    out.backward()
    assert out.op == "pow"
    assert out.parents[0].is_constant and out.parents[0].value == 2.0
    assert out.parents[1] is x
    assert out.value == 2**0.75
    assert math.isclose(x.grad, 2**0.75 * math.log(2.0), rel_tol=1e-15)


@given(st.floats(0.2, 5.0), st.floats(-3.0, 3.0))
def test_node_exponents_match_central_differences(base: float, exponent: float) -> None:
    assert gradcheck(lambda a, b: a**b, [base, exponent])
    assert gradcheck(lambda b: base**b, [exponent])
    assert gradcheck(
        lambda a, b: (a * b) ** (b - a) + 3 ** (a * b), [base / 5, 0.2 + abs(exponent)]
    )


@given(st.floats(0.2, 5.0), st.floats(-3.0, 3.0))
def test_node_exponents_match_torch(base: float, exponent: float) -> None:
    torch = pytest.importorskip("torch")
    a, b = Node(base, "a"), Node(exponent, "b")
    out = a**b + 2**b
    out.backward()
    ta = torch.tensor(base, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(exponent, dtype=torch.float64, requires_grad=True)
    tout = ta**tb + 2**tb
    tout.backward()
    assert math.isclose(out.value, tout.item(), rel_tol=1e-12)
    assert math.isclose(a.grad, ta.grad.item(), rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(b.grad, tb.grad.item(), rel_tol=1e-9, abs_tol=1e-12)


def test_an_exponent_that_needs_no_gradient_allows_any_base() -> None:
    """A number exponent, or a data leaf, never needs log(a): x ** 2 at x < 0 is fine."""
    x = Node(-3.0, "x")
    for exponent in (2, Node(2.0, "k", requires_grad=False)):
        out = x**exponent
        out.backward()
        assert out.value == 9.0
        assert x.grad == -6.0


def test_zero_base_with_a_node_exponent_names_both_nodes() -> None:
    a, b = Node(0.0, "a"), Node(2.0, "b")
    out = (a**b).named("p")
    with pytest.raises(ValueError, match=r"exponent 'b' needs a gradient.*base 'a' is 0\.0"):
        out.backward()
