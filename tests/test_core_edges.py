"""Edge cases of the core that a plausible one-line bug would get wrong unnoticed.

Each test here is a second, independent check beside the one in the topic's own file:
expected values are written out (never computed with the helper the engine itself uses),
so a wrong helper cannot agree with itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from microgrand import GradcheckError, gradcheck
from microgrand.node import Node

# --- relu at its kink --------------------------------------------------------------------


@pytest.mark.parametrize("zero", [0.0, -0.0], ids=["0.0", "-0.0"])
def test_relu_slope_at_exactly_zero_is_zero(zero: float) -> None:
    """relu'(0) is the subgradient 0 (PyTorch's choice too), for both signed zeros."""
    x = Node(zero, "x")
    out = x.relu()
    assert out.value == 0.0 and math.copysign(1.0, out.value) == 1.0  # relu(-0.0) is +0.0
    out.backward()
    assert x.grad == 0.0


@pytest.mark.parametrize(
    ("value", "slope"), [(5e-324, 1.0), (1e-300, 1.0), (2.0, 1.0), (-5e-324, 0.0), (-3.0, 0.0)]
)
def test_relu_slope_on_either_side_of_zero(value: float, slope: float) -> None:
    x = Node(value, "x")
    x.relu().backward()
    assert x.grad == slope


def test_relu_kink_inside_a_graph() -> None:
    """w*3 is exactly 0 at w = 0: relu passes no gradient through, the other path does."""
    w = Node(0.0, "w")
    L = (w * 3.0).relu() + 2.0 * w
    L.backward()
    assert w.grad == 2.0


# --- signed zero constants -----------------------------------------------------------------


@pytest.mark.parametrize("first", [0.0, -0.0], ids=["0.0 first", "-0.0 first"])
def test_signed_zero_constants_give_python_s_signs_in_any_order(first: float) -> None:
    """0.0 == -0.0 as dict keys, so a constant cache could hand out the wrong zero; the
    results must carry the sign Python's floats give, whichever zero was used first."""
    minus_zero, one = Node(-0.0, "z"), Node(1.0, "one")
    for number in (first, -first):
        cases = [
            ("z + number", (minus_zero + number).value, -0.0 + number),
            ("number + z", (number + minus_zero).value, number + -0.0),
            ("z - number", (minus_zero - number).value, -0.0 - number),
            ("one * number", (one * number).value, 1.0 * number),
            ("number * one", (number * one).value, number * 1.0),
        ]
        for case, got, want in cases:
            assert math.copysign(1.0, got) == math.copysign(1.0, want), (case, number)
        constant = (one * number).parents[1]
        assert constant.is_constant
        assert math.copysign(1.0, constant.value) == math.copysign(1.0, number)


# --- the stale check's fast exit -----------------------------------------------------------


def test_a_leaf_set_between_two_of_its_users_is_stale() -> None:
    """The check may skip the edge-by-edge walk only when no leaf was set after the OLDEST
    computed node: here w was set after u but before v."""
    w = Node(1.0, "w")
    u = (w * 2.0).named("u")
    w.value = 3.0  # u = 2 is stale now
    v = (u + w).named("v")  # made after the change: fresh itself
    with pytest.raises(RuntimeError, match=r"leaf 'w' \(now 3.0\) was set after 'u'"):
        v.backward()
    assert v.value == 5.0  # 2 (stale) + 3: the value backward refused to differentiate


def test_a_graph_built_after_every_change_takes_the_fast_exit() -> None:
    w, b = Node(1.0, "w"), Node(0.0, "b")
    for k in range(3):
        w.value, b.value = 2.0 + k, -1.0 * k
        L = w * w + b
        L.backward()
        assert (w.grad, b.grad) == (2.0 * (2.0 + k), 1.0)


# --- gradcheck's rule: atol + rtol * |numeric| ----------------------------------------------


def off_by(slope: float, error: float) -> Callable[[Node], Node]:
    """f(w) = (slope + error) w - error * w.value: backprop sees slope + error, while the
    hidden constant makes the true (numeric) slope `slope`."""
    return lambda w: (slope + error) * w + (-error * w.value)


def test_gradcheck_fails_a_slope_near_zero_off_by_5e_4() -> None:
    """|a - n| = 5e-4 > atol + rtol * 0 = 1e-5. (With atol and rtol swapped: 5e-4 < 1e-3.)"""
    with pytest.raises(GradcheckError, match=r"MISMATCH w: value 0.5"):
        gradcheck(off_by(0.0, 5e-4), [Node(0.5, "w")])


def test_gradcheck_passes_a_slope_of_200_off_by_0_1() -> None:
    """|a - n| = 0.1 <= atol + rtol * 200 = 0.2. (Swapped: 0.1 > 1e-3 + 1e-5 * 200.)"""
    assert gradcheck(off_by(200.0, 0.1), [Node(1.0, "w")]) is True
    # and just past the rule's edge it fails: 0.25 > 0.2
    assert gradcheck(off_by(200.0, 0.25), [1.0], raise_exception=False) is False
