"""Every way a user can get it wrong, and what the message says.

Each case asserts the exception type and that the message names what is needed to fix it:
the op, the node, the value.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from microgrand import bce_with_logits, ops
from microgrand.node import Node

# --- what a value may be ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("1.0", "str '1.0'"),
        (None, "NoneType None"),
        (1 + 2j, r"complex \(1\+2j\)"),
        (Decimal("1.5"), r"Decimal Decimal\('1.5'\)"),
        ([1.0], r"list \[1.0\]"),
    ],
)
def test_value_of_wrong_type(value: object, shown: str) -> None:
    with pytest.raises(TypeError, match=rf"Node: expected a real number .*got {shown}"):
        Node(value)  # type: ignore[arg-type]  # wrong on purpose: the test is the error


@pytest.mark.parametrize("value", [True, False])
def test_value_bool(value: bool) -> None:
    with pytest.raises(TypeError, match=r"booleans are not accepted as numbers.*1.0 or 0.0"):
        Node(value)


def test_value_node() -> None:
    with pytest.raises(TypeError, match=r"expected a real number, got a Node \(Node\(1.0"):
        Node(Node(1.0))  # type: ignore[arg-type]  # wrong on purpose: the test is the error


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_value_not_finite(value: float) -> None:
    with pytest.raises(ValueError, match=r"Node: the value must be finite, got -?(nan|inf)"):
        Node(value)


def test_value_int_too_large_for_a_float() -> None:
    with pytest.raises(ValueError, match="too large for a float"):
        Node(10**400)


def test_value_fraction_and_int_accepted() -> None:
    # Node takes any real number (its docstring); the annotation says float, hence the ignore.
    third = Node(Fraction(1, 3))  # type: ignore[arg-type]
    assert third.value == 1 / 3
    assert type(third.value) is float
    seven = Node(7)
    assert seven.value == 7.0
    assert type(seven.value) is float


def test_value_numpy_real_scalars_accepted() -> None:
    scalars: list[tuple[Any, float]] = [(np.float64(2.5), 2.5), (np.int64(3), 3.0)]
    for scalar, want in [*scalars, (np.float32(0.5), 0.5)]:
        node = Node(scalar)
        assert node.value == want
        assert type(node.value) is float
        assert type((node * scalar).value) is float
    for scalar in (np.float64(2.0), np.int64(2)):
        left = scalar * Node(3.0)
        assert isinstance(left, Node)
        assert (left.op, left.value) == ("mul", 6.0)
    with pytest.raises(TypeError, match="booleans are not accepted"):
        Node(np.bool_(True))  # type: ignore[arg-type]  # wrong on purpose: the test is the error
    with pytest.raises(TypeError, match="booleans are not accepted"):
        Node(1.0) + np.bool_(False)
    with pytest.raises(ValueError, match="must be finite"):
        Node(np.float64("nan"))


class Float(float):
    """A float subclass: not `type(x) is float`, so it takes the checks' non-float path."""


@pytest.mark.parametrize(
    "value",
    [Float("nan"), Float("-inf"), np.float64("nan"), np.float32("inf"), np.longdouble("nan")],
    ids=repr,
)
def test_value_not_finite_on_the_non_float_path(value: float) -> None:
    with pytest.raises(ValueError, match=r"Node: the value must be finite, got -?(nan|inf)"):
        Node(value)
    w = Node(1.0, "w")
    with pytest.raises(ValueError, match=r"setting the value of 'w'.*must be finite"):
        w.value = value
    with pytest.raises(ValueError, match="must be finite"):
        w * value


@pytest.mark.skipif(
    bool(np.finfo(np.longdouble).max <= np.finfo(np.float64).max),
    reason="this platform's long double is a double",
)
@pytest.mark.parametrize("text", ["1e4000", "-1e4000"])
def test_value_finite_but_too_large_for_a_float(text: str) -> None:
    """Finite as a long double, inf as a float: the message must not say it is infinite."""
    with pytest.raises(ValueError, match=rf"Node: {text[:-5]}e\+4000 is finite but does not fit"):
        Node(np.longdouble(text))  # type: ignore[arg-type]  # a Real, not a float


def test_setting_a_leaf_value_is_checked_too() -> None:
    w = Node(1.0, "w")
    with pytest.raises(ValueError, match=r"setting the value of 'w'.*must be finite"):
        w.value = math.inf
    with pytest.raises(TypeError, match="booleans"):
        w.value = True
    assert w.value == 1.0


def test_name_not_str() -> None:
    with pytest.raises(TypeError, match="name must be a str or None, got int"):
        Node(1.0, name=3)  # type: ignore[arg-type]  # wrong on purpose: the test is the error
    w = Node(1.0)
    with pytest.raises(TypeError, match="name must be a str or None, got bytes"):
        w.named(b"w")  # type: ignore[arg-type]  # wrong on purpose: the test is the error
    with pytest.raises(TypeError, match="name must be a str or None"):
        w.name = 1.5  # type: ignore[assignment]  # wrong on purpose: the test is the error


def test_requires_grad_not_bool() -> None:
    with pytest.raises(TypeError, match="requires_grad must be True or False, got 0"):
        # Wrong on purpose (hence the ignore below): the test is the error
        Node(1.0, requires_grad=0)  # type: ignore[arg-type]


@pytest.mark.parametrize("flag", [True, False])
def test_bool_combined_with_a_node(flag: bool) -> None:
    w = Node(1.0, "w")
    with pytest.raises(TypeError, match="add: the number combined with a Node: got the boolean"):
        w + flag
    with pytest.raises(TypeError, match=r"mul: .*boolean"):
        flag * w
    with pytest.raises(TypeError, match=r"pow: .*boolean"):
        w**flag


def test_string_combined_with_a_node() -> None:
    with pytest.raises(TypeError, match=r"sub: .*expected a real number.*got str"):
        Node(1.0) - "1"  # type: ignore[operator]  # wrong on purpose: the test is the error


# --- forward errors ---------------------------------------------------------------------


@pytest.mark.parametrize("value", [0.0, -0.0, -1.0, -1e-300])
def test_log_outside_its_domain(value: float) -> None:
    x = Node(value, "x")
    with pytest.raises(ValueError, match=rf"log\(x\) needs x > 0, but x = {value!r} \('x'\)"):
        x.log()


def test_log_of_an_unnamed_node_says_what_made_it() -> None:
    with pytest.raises(ValueError, match="an unnamed sub node"):
        (Node(1.0) - 1).log()


@pytest.mark.parametrize("z", [40.0, 1e3])
def test_log_of_one_minus_saturated_sigmoid(z: float) -> None:
    a = Node(z, "z").sigmoid()
    with pytest.raises(ValueError, match="saturated sigmoid") as info:
        (1 - a).log()
    message = str(info.value)
    assert "bce_with_logits" in message
    assert f"'z' = {z!r}" in message


def test_log_of_saturated_sigmoid_at_minus_infinity() -> None:
    a = Node(-800.0, "z").sigmoid()
    with pytest.raises(ValueError, match=r"saturated sigmoid.*bce_with_logits"):
        a.log()


def test_exp_overflow() -> None:
    with pytest.raises(OverflowError, match=r"exp: .*too large.*'t' = 1000.0"):
        Node(1000.0, "t").exp()


@pytest.mark.parametrize(
    "make",
    [
        lambda: Node(1.0, "n") / 0,
        lambda: Node(1.0, "n") / Node(0.0, "d"),
        lambda: 1 / Node(0.0, "d"),
        lambda: Node(1.0) / -0.0,
    ],
)
def test_division_by_zero(make: Callable[..., Any]) -> None:
    with pytest.raises(ZeroDivisionError, match="div: division by zero"):
        make()


def test_zero_to_a_negative_power() -> None:
    with pytest.raises(ZeroDivisionError, match="pow: division by zero"):
        Node(0.0, "x") ** -1
    with pytest.raises(ZeroDivisionError, match="pow"):
        Node(0.0, "x") ** -0.5


@pytest.mark.parametrize("exponent", [0.5, 1 / 3, -1.5, 2.000001])
def test_negative_base_fractional_exponent(exponent: float) -> None:
    with pytest.raises(ValueError, match="pow: a negative base needs a whole-number exponent"):
        Node(-8.0, "x") ** exponent


def test_negative_base_whole_exponent_is_real() -> None:
    x = Node(-2.0, "x")
    cube = x**3
    assert cube.value == -8.0
    assert type(cube.value) is float
    cube.backward()
    assert x.grad == 12.0
    inverse = x**-1.0
    inverse.backward()
    assert inverse.value == -0.5
    assert x.grad == -0.25


def test_zero_to_the_zero() -> None:
    x = Node(0.0, "x")
    one = x**0
    assert one.value == 1.0
    one.backward()
    assert x.grad == 0.0


def test_square_root_at_zero_backward_names_pow() -> None:
    x = Node(0.0, "x")
    root = x**0.5
    assert root.value == 0.0
    with pytest.raises(ArithmeticError, match=r"pow.*'x' = 0.0"):
        root.backward()


def test_mul_overflow() -> None:
    with pytest.raises(OverflowError, match=r"mul: the result inf is not a finite float"):
        Node(1e308) * 10
    with pytest.raises(OverflowError, match="add"):
        Node(1e308) + 1e308
    with pytest.raises(OverflowError, match="pow"):
        Node(1e200, "x") ** 2


def test_underflow_to_zero_is_fine() -> None:
    x = Node(1e-300, "x")
    tiny = x * 1e-300
    assert tiny.value == 0.0
    tiny.backward()
    assert x.grad == 1e-300
    assert Node(-1000.0).exp().value == 0.0


def test_gradient_overflow_in_backward() -> None:
    """The value is finite but d log(x)/dx = 1/x is not."""
    x = Node(1e-310, "x")
    out = x.log()
    with pytest.raises(OverflowError, match=r"gradient of 'x' is inf.*through log"):
        out.backward()


def test_node_exponent_with_a_base_that_is_not_positive() -> None:
    """The exponent's slope, out·log(a), needs a > 0: the error names both nodes."""
    for value in (-2.0, 0.0):
        a, b = Node(value, "a"), Node(3.0, "b")
        out = a**b
        with pytest.raises(ValueError, match=r"pow: the exponent 'b' needs a gradient.*base 'a'"):
            out.backward()
        assert a.grad == 0.0 and b.grad == 0.0


def test_negative_base_with_a_data_exponent_is_fine() -> None:
    a, b = Node(-2.0, "a"), Node(3.0, "b", requires_grad=False)
    out = a**b
    out.backward()
    assert out.value == -8.0
    assert a.grad == 12.0
    assert b.grad == 0.0


# --- values of computed nodes and stale graphs ------------------------------------------


def test_setting_a_computed_value() -> None:
    w = Node(1.0, "w")
    out = (w * 2).named("out")
    with pytest.raises(AttributeError, match=r"cannot set the value of 'out'.*computed \(mul\)"):
        out.value = 3.0
    assert out.value == 2.0


def test_setting_a_constant_value() -> None:
    w = Node(1.0, "w")
    three = (w * 3).parents[1]
    with pytest.raises(AttributeError, match="it is a constant"):
        three.value = 4.0


def test_leaf_changed_after_building_the_graph() -> None:
    w = Node(1.0, "w1")
    L = w * 2 + 1
    w.value = 3.0
    with pytest.raises(RuntimeError, match=r"leaf 'w1' \(now 3.0\).*Build the graph again"):
        L.backward()


def test_data_leaf_changed_after_building_the_graph() -> None:
    x = Node(1.0, "x1", requires_grad=False)
    L = Node(0.5, "w") * x
    x.value = 2.0
    with pytest.raises(RuntimeError, match=r"leaf 'x1'.*again"):
        L.backward()


def test_leaf_changed_then_graph_rebuilt() -> None:
    w = Node(1.0, "w")
    L = w * w
    L.backward()
    w.value = 3.0
    L = w * w
    L.backward()
    assert w.grad == 6.0


# --- sigmoid and tanh saturate quietly ----------------------------------------------------


@pytest.mark.parametrize("z", [1000.0, -1000.0, 1e308, -1e308])
def test_sigmoid_and_tanh_never_raise(z: float) -> None:
    x = Node(z, "z")
    a = x.sigmoid()
    assert a.value == (1.0 if z > 0 else 0.0)
    a.backward()
    assert x.grad == 0.0
    t = x.tanh()
    assert t.value == math.copysign(1.0, z)
    t.backward()
    assert x.grad == 0.0


@pytest.mark.parametrize("z", [36.0, 37.0, 700.0, 745.0, 746.0])
def test_sigmoid_tails_stay_in_the_unit_interval(z: float) -> None:
    for logit in (z, -z):
        x = Node(logit, "z")
        a = x.sigmoid()
        assert 0.0 <= a.value <= 1.0
        a.backward()
        assert 0.0 <= x.grad <= 0.25


# --- bce_with_logits ----------------------------------------------------------------------


@pytest.mark.parametrize("y", [-0.1, 1.5, 2])
def test_bce_label_outside_unit_interval(y: float) -> None:
    with pytest.raises(ValueError, match=r"label y must be in \[0, 1\]"):
        bce_with_logits(Node(0.0), y)


def test_bce_label_a_data_leaf() -> None:
    """The lecture's y as a data leaf works like the number it holds, and gets no gradient."""
    z, y = Node(0.7, "z"), Node(1.0, "y", requires_grad=False)
    L = bce_with_logits(z, y)
    L.backward()
    z_number = Node(0.7, "z")
    L_number = bce_with_logits(z_number, 1.0)
    L_number.backward()
    assert L.value == L_number.value and z.grad == z_number.grad
    assert L.parents == (z, y) and y.grad == 0.0


def test_bce_label_a_node_out_of_range() -> None:
    with pytest.raises(ValueError, match=r"label y must be in \[0, 1\], got 2.0 .*'y' = 2.0"):
        bce_with_logits(Node(0.0), Node(2.0, "y", requires_grad=False))
    with pytest.raises(ValueError, match=r"got -1.0 .*an unnamed mul node = -1.0"):
        bce_with_logits(Node(0.0), Node(0.5) * -2.0)


def test_bce_label_a_node_with_a_gradient() -> None:
    """A label may be a data leaf (the lecture's y as a Node); a label that holds a
    gradient gets the loss's slope in y, -z."""
    z = Node(0.7, "z")
    for y in (Node(1.0, "y", requires_grad=False), Node(0.25, "y")):
        loss = bce_with_logits(z, y)
        loss.backward()
        assert z.grad == ops.sigmoid(0.7) - y.value
        assert y.grad == (-0.7 if y.requires_grad else 0.0)
    with pytest.raises(ValueError, match=r"bce_with_logits: the label y must be in \[0, 1\]"):
        bce_with_logits(z, Node(1.5, "y"))


@pytest.mark.parametrize("y", [True, "1", math.nan])
def test_bce_label_not_a_number(y: object) -> None:
    with pytest.raises((TypeError, ValueError), match="bce_with_logits: "):
        # Wrong on purpose (hence the ignore below): the test is the error
        bce_with_logits(Node(0.0), y)  # type: ignore[arg-type]


@pytest.mark.parametrize("z", [0.5, 1, None])
def test_bce_needs_a_node(z: object) -> None:
    with pytest.raises(TypeError, match="bce_with_logits: at least one input must be a Node"):
        bce_with_logits(z, 1.0)  # type: ignore[arg-type]  # wrong on purpose: the test is the error


@given(
    z=st.floats(-1e308, 1e308, allow_nan=False, allow_infinity=False),
    y=st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0)),
)
def test_bce_local_derivative_is_a_minus_y(z: float, y: float) -> None:
    logit = Node(z, "z")
    L = bce_with_logits(logit, y)
    assert math.isfinite(L.value)
    L.backward()
    assert logit.grad == ops.sigmoid(z) - y
    assert logit.grad == logit.sigmoid().value - y


@given(
    z=st.floats(-15.0, 15.0, allow_nan=False),
    y=st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0)),
)
def test_bce_equals_the_composed_loss(z: float, y: float) -> None:
    """Where log(a) and log(1 - a) are finite and accurate, the two losses agree."""
    logit = Node(z, "z")
    a = logit.sigmoid()
    composed = -(y * a.log() + (1 - y) * (1 - a).log())
    fused = bce_with_logits(logit, y)
    assert math.isclose(fused.value, composed.value, rel_tol=1e-9, abs_tol=1e-12)
    composed.backward()
    composed_dz = logit.grad
    fused.backward()
    assert math.isclose(logit.grad, composed_dz, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize(("z", "y", "want"), [(40.0, 0.0, 40.0), (-40.0, 1.0, 40.0)])
def test_bce_where_the_composed_loss_fails(z: float, y: float, want: float) -> None:
    logit = Node(z, "z")
    L = bce_with_logits(logit, y)
    assert math.isclose(L.value, want, rel_tol=1e-15)
    L.backward()
    assert logit.grad == (1.0 if y == 0.0 else -1.0)
    assert L.op == "bce_with_logits"
    assert L.parents[0] is logit
    assert L.parents[1].is_constant
    assert L.parents[1].value == y
