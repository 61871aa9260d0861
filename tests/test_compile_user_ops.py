"""A user's op in compiled graphs on arrays: its array form (``define_op(..., array=)``).

With an array form, compiled code on m examples calls it (numpy speed) and agrees with the
per-example engine within 4 ulp; a wrong one is refused at definition with both numbers;
it runs under numpy's strict errstate, so an overflow names the node and the first
example; re-defining an op replaces its array form for graphs compiled afterwards only.
Without one (`hypot` in user_ops.py), the float function runs once per example, and the
array code says so.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_compile import close
from user_ops import forget, softplus, softplus_array

import microgrand
from microgrand import Node, ops


def soft_graph(op: ops.Op, values: tuple[float, float, float]) -> tuple[Node, list[Node]]:
    """J = 2.5 * soft(w x + b) with x a data leaf: an op of a value and of a gradient."""
    x = Node(values[0], "x", requires_grad=False)
    w, b = Node(values[1], "w"), Node(values[2], "b")
    z = (w * x + b).named("z")
    return (op.function(z) * 2.5).named("J"), [x, w, b]


@given(
    xs=st.lists(st.floats(-40.0, 40.0), min_size=1, max_size=20),
    w=st.floats(-3.0, 3.0),
    b=st.floats(-3.0, 3.0),
)
def test_an_array_form_is_called_and_agrees_with_each_example_within_4_ulp(
    xs: list[float], w: float, b: float
) -> None:
    calls: list[int] = []

    def array(x: Any) -> Any:
        calls.append(np.size(x))
        return softplus_array(x)

    op = microgrand.define_op("soft", softplus, "sigmoid(x)", array=array)
    try:
        J, leaves = soft_graph(op, (xs[0], w, b))
        f = microgrand.compile(J, leaves)
        calls.clear()
        out = f(np.array(xs), w, b)
        assert calls == [len(xs)]  # once, on the whole array: not once per example
        dw = db = total = 0.0
        for i, x in enumerate(xs):
            Ji, (_, wi, bi) = soft_graph(op, (x, w, b))
            Ji.backward()
            assert close(out.values["z"][i], Ji.parents[0].parents[0].value)
            assert close(out.grads["z"][i], Ji.parents[0].parents[0].grad)
            total, dw, db = total + Ji.value, dw + wi.grad, db + bi.grad
        assert math.isclose(out.value, total, rel_tol=1e-13, abs_tol=1e-300)
        assert math.isclose(out.grads["w"], dw, rel_tol=1e-12, abs_tol=1e-12)
        assert math.isclose(out.grads["b"], db, rel_tol=1e-12, abs_tol=1e-12)
    finally:
        forget("soft")


def test_the_sessions_softplus_runs_its_array_form_and_hypot_its_fallback() -> None:
    """user_ops.py: softplus has an array form, hypot has none (Python, once per example)."""
    assert ops.TABLE["softplus"].array is not None and ops.TABLE["hypot"].array is None
    a, b = Node(0.5, "a"), Node(1.5, "b")
    J = (microgrand.softplus(a) * microgrand.hypot(a, b)).named("J")
    f = microgrand.compile(J, [a, b])
    A, B = np.array([0.5, -2.0, 3.0]), np.array([1.5, 0.25, -4.0])
    out = f(A, B)
    (source,) = f.array_sources.values()
    assert "# hypot runs its float function once per example (Python speed)" in source
    assert "define_op('hypot', ..., array=...)" in source
    assert "softplus runs" not in source
    for i in range(3):
        Ji = microgrand.softplus(ai := Node(A[i])) * microgrand.hypot(ai, bi := Node(B[i]))
        Ji.backward()
        assert close(out.grads["a"][i], ai.grad) and close(out.grads["b"][i], bi.grad)


def test_a_binary_array_form_takes_arrays_numpy_floats_and_literals() -> None:
    """Compiled code calls it with m examples on either side, or on neither (a parameter
    with itself), and with a Python float literal for a constant input."""
    op = microgrand.define_op("hyp", math.hypot, ["x / out", "y / out"], array=np.hypot)

    def graph(xv: float, wv: float) -> tuple[Node, list[Node]]:
        x, w = Node(xv, "x", requires_grad=False), Node(wv, "w")
        return (op.function(x, w) + op.function(w, 2.0) + op.function(w, w)).named("J"), [x, w]

    try:
        f = microgrand.compile(*graph(3.0, 4.0))
        X = np.array([3.0, -1.0, 0.5])
        out = f(X, 4.0)
        assert "hyp(w, 2.0)" in next(iter(f.array_sources.values()))
        total = dw = 0.0
        for v in X:
            J, (_, w) = graph(float(v), 4.0)
            J.backward()
            total, dw = total + J.value, dw + w.grad
        assert math.isclose(out.value, total, rel_tol=1e-14)
        assert math.isclose(out.grads["w"], dw, rel_tol=1e-14)
    finally:
        forget("hyp")


def test_a_wrong_array_form_is_refused_with_both_numbers() -> None:
    """The same check as for a derivative formula: a slip is found at definition."""
    with pytest.raises(ValueError) as info:
        microgrand.define_op(
            "wrong_soft", softplus, "sigmoid(x)", array=lambda x: np.log(1.0 + np.exp(-x))
        )
    message = str(info.value)
    assert message.startswith("define_op('wrong_soft'): array= gives ")
    got, at, want = re.findall(r"gives (\S+) at x = (\S+), but forward gives (\S+)$", message)[0]
    assert float(at) == 0.3
    assert float(got) == math.log(1.0 + math.exp(-0.3))
    assert float(want) == softplus(0.3)
    assert "wrong_soft" not in ops.TABLE and not hasattr(Node, "wrong_soft")


def test_an_array_form_wrong_only_for_one_input_of_two() -> None:
    with pytest.raises(ValueError, match=r"array= gives .* at x = 0\.3, y = -0\.6, but forward"):
        microgrand.define_op(
            "bad_hyp", math.hypot, ["x / out", "y / out"], array=lambda x, y: np.hypot(x, x)
        )


def _loop(x: Any) -> Any:
    return np.array([softplus(float(v)) for v in x])  # no numpy float: not iterable


def _in_place(x: Any) -> Any:
    return np.exp(x, out=x) if isinstance(x, np.ndarray) else np.exp(x)  # overwrites x


@pytest.mark.parametrize(
    ("array", "error", "message"),
    [
        (3.0, TypeError, "array must be a function on numpy arrays, got 3.0"),
        (
            lambda x: list(softplus_array(x)),
            TypeError,
            r"returned a list for inputs of shape \(7,\)",
        ),
        (
            lambda x: softplus_array(x).astype(np.float32),
            TypeError,
            r"returned an array of float32 and shape \(7,\).*must return a float64 array",
        ),
        (lambda x: softplus_array(x)[:3], TypeError, r"shape \(3,\) for inputs of shape \(7,\)"),
        (lambda x: np.atleast_1d(softplus_array(x)), TypeError, r"must return a numpy float"),
        (
            lambda x: max(x, 0.0) + math.log1p(math.exp(-abs(x))),  # math on an array
            TypeError,
            r"array= fails when called on a float64 array, where forward is defined: ValueError: "
            r"The truth value.*write it with numpy's functions",
        ),
        (_loop, TypeError, r"fails when called on a numpy float, .*not iterable"),
        (_in_place, TypeError, r"array= changed its input in place"),
        (
            lambda x: np.log(x - 1.0) * 0.0 + softplus_array(x),
            ValueError,
            r"array= fails when called on a float64 array.*FloatingPointError: invalid value",
        ),
        (
            lambda x: np.where(x > 1.0, np.nan, softplus_array(x)),
            ValueError,
            r"array= gives nan at x = 1\.3, but forward gives",
        ),
    ],
)
def test_array_forms_that_are_refused(array: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        # Wrong on purpose (hence the ignore below): the test is the error
        microgrand.define_op("bad", softplus, "sigmoid(x)", array=array)  # type: ignore[arg-type]
    assert "bad" not in ops.TABLE


def grow_graph() -> tuple[Node, list[Node]]:
    """J = grow(u), u = w x: grow is e^x - 1, which overflows past x = 709.78."""
    w, x = Node(1.0, "w"), Node(0.5, "x", requires_grad=False)
    return ops.TABLE["grow"].function((w * x).named("u")).named("J"), [x, w]


@pytest.fixture
def grow(request: pytest.FixtureRequest) -> Iterator[ops.Op]:
    """grow with the array form given by the test's parameter."""
    yield microgrand.define_op("grow", math.expm1, "out + 1", array=request.param)
    forget("grow")


def _quiet_expm1(x: Any) -> Any:
    with np.errstate(all="ignore"):  # overflow gives inf without a word: caught after
        return np.expm1(x)


@pytest.mark.parametrize("grow", [np.expm1, _quiet_expm1], indirect=True)
def test_an_overflow_in_an_array_form_names_the_node_and_the_first_example(
    grow: ops.Op,
) -> None:
    f = microgrand.compile(*grow_graph())
    X = np.array([0.1, 1.0, 800.0, 900.0])
    with pytest.raises(
        OverflowError,
        match=r"^example 2 of 4: grow: the result is too large for a float \('u' = 800\.0\)$",
    ):
        f(X, 1.0)
    out = f(X[:2], 2.0)  # the same function is fine where nothing overflows
    assert close(out.grads["w"], sum(x * math.exp(2.0 * x) for x in X[:2]))


def _nan_above_100(x: Any) -> Any:
    return np.where(x > 100.0, np.nan, np.expm1(np.minimum(x, 100.0)))


def disagrees(op: str, got: str, example: int, value: str) -> str:
    """The start of the error that blames an op's array form at one example."""
    return (
        rf"^{op}: array= gave {got} for example {example} \(its input {re.escape(value)}\), "
        r"but its forward function gives a finite number there: the op's array form "
        r"\(define_op's array=\) disagrees"
    )


@pytest.mark.parametrize("grow", [_nan_above_100], indirect=True)
def test_an_array_form_wrong_only_where_the_check_did_not_look(grow: ops.Op) -> None:
    """nan where the float forward is finite: the error blames the array form, and says
    the example and its input."""
    f = microgrand.compile(*grow_graph())
    with pytest.raises(ValueError, match=disagrees("grow", "nan", 1, "150.0")):
        f(np.array([1.0, 150.0, 200.0]), 1.0)


@pytest.fixture
def soft(request: pytest.FixtureRequest) -> Iterator[ops.Op]:
    """softplus under another name, with the array form given by the test's parameter."""
    yield microgrand.define_op("soft", softplus, "sigmoid(x)", array=request.param)
    forget("soft")


def soft_of(w_x: tuple[float, float] = (1.0, 0.5)) -> tuple[Node, list[Node]]:
    w, x = Node(w_x[0], "w"), Node(w_x[1], "x", requires_grad=False)
    return ops.TABLE["soft"].function(w * x).named("J"), [x, w]


@pytest.mark.parametrize("soft", [lambda x: np.log1p(np.exp(x))], indirect=True)
def test_an_array_form_that_raises_under_errstate_is_blamed(soft: ops.Op) -> None:
    """log1p(exp(x)) overflows past x = 709.78 where softplus is finite. Under compiled
    code's errstate numpy raises inside the user's function: the error names the op, the
    first example where it is not finite and its input (was: 'FloatingPointError on the
    arrays (overflow encountered in exp), though each example alone is computed without
    one', with neither)."""
    f = microgrand.compile(*soft_of())
    with pytest.raises(ValueError, match=disagrees("soft", "inf", 1, "800.0")):
        f(np.array([0.0, 800.0, 900.0]), 1.0)
    assert close(f(np.array([0.0, 1.0]), 1.0).value, softplus(0.0) + softplus(1.0))


def _over_on_the_way(x: Any) -> Any:
    return np.log1p(1.0 / np.exp(-x))  # at x = -800: exp(800) overflows, log1p(1/inf) is 0


@pytest.mark.parametrize("soft", [_over_on_the_way], indirect=True)
def test_an_array_form_finite_after_an_overflow_on_the_way_is_taken(soft: ops.Op) -> None:
    """An array form that raises under errstate but gives a finite number for every
    example without it (1/(1 + exp(800)) is 0.0) gives that number, as numpy means it."""
    f = microgrand.compile(*soft_of())
    X = np.array([0.5, -800.0])
    out = f(X, 1.0)
    assert close(out.value, softplus(0.5) + softplus(-800.0))
    assert close(out.grads["w"], 0.5 * microgrand.ops.sigmoid(0.5))


def _refuses_large_inputs(x: Any) -> Any:
    if np.max(x) > 100.0:
        raise ZeroDivisionError("my own error")  # the user's code, not numpy's errstate
    return softplus_array(x)


@pytest.mark.parametrize("soft", [_refuses_large_inputs], indirect=True)
def test_an_array_form_that_raises_an_arithmetic_error_itself_is_blamed(soft: ops.Op) -> None:
    f = microgrand.compile(*soft_of())
    with pytest.raises(
        ValueError,
        match=r"^soft: array= raised ZeroDivisionError \(my own error\) on the arrays, but its "
        r"forward function gives a finite number there: the op's array form",
    ):
        f(np.array([0.0, 800.0]), 1.0)


def _short_for_long_inputs(x: Any) -> Any:
    out = np.expm1(x)
    return out[:-1] if np.size(x) > 50 else out


@pytest.mark.parametrize("grow", [_short_for_long_inputs], indirect=True)
def test_a_wrong_shape_at_run_time_is_a_clear_error(grow: ops.Op) -> None:
    """The check at definition sees 7 points; compiled code checks every result too."""
    f = microgrand.compile(*grow_graph())
    with pytest.raises(
        TypeError, match=r"^grow: array= returned an array of float64 and shape \(99,\) for "
    ):
        f(np.linspace(0.0, 1.0, 100), 1.0)


def test_defining_again_replaces_the_array_form_for_new_graphs_only() -> None:
    """Re-running a notebook cell: graphs compiled before keep the op they were traced
    with (its float and its array form); graphs compiled after get the new one."""
    X = np.array([1.0, 2.0, 3.0])

    def compiled() -> Any:
        x = Node(1.0, "x")
        s = ops.TABLE["scaled"].function(x).named("s")
        return microgrand.compile((s + x).named("J"), [x])

    microgrand.define_op("scaled", lambda x: 2.0 * x, "2", array=lambda x: 2.0 * x)
    try:
        before = compiled()
        microgrand.define_op("scaled", lambda x: 3.0 * x, "3", array=lambda x: 3.0 * x)
        after = compiled()
        microgrand.define_op("scaled", lambda x: 5.0 * x, "5")  # no array form any more
        fallback = compiled()
        assert list(before(X).values["s"]) == [2.0, 4.0, 6.0]
        assert list(after(X).values["s"]) == [3.0, 6.0, 9.0]
        assert list(fallback(X).values["s"]) == [5.0, 10.0, 15.0]
        assert "runs its float function once per example" in fallback.array_sources[("x",)]
        assert "runs its float function" not in after.array_sources[("x",)]
        assert ops.TABLE["scaled"].array is None
    finally:
        forget("scaled")


@pytest.mark.parametrize("with_array", [False, True])
def test_numpy_is_imported_for_an_array_form_only(with_array: bool) -> None:
    """`import microgrand` and define_op without array= load no numpy (array= needs it)."""
    array = ", array=lambda x: x * 2.0" if with_array else ""
    code = (
        "import sys, microgrand; "
        f"microgrand.define_op('twice', lambda x: 2.0 * x, '2'{array}); "
        "print('numpy' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == str(with_array), result.stderr


def test_array_forms_of_ops_defined_on_part_of_the_line_are_not_refused() -> None:
    """The check looks only where forward is defined (here y > 0), as the formulas' check
    does, in every way compiled code calls the form."""
    op = microgrand.define_op(
        "xlog", lambda x, y: x * math.log(y), ["log(y)", "x / y"], array=lambda x, y: x * np.log(y)
    )
    try:
        x, y = Node(2.0, "x"), Node(3.0, "y", requires_grad=False)
        f = microgrand.compile(op.function(x, y).named("J"), [x, y])
        out = f(1.5, np.array([0.5, 1.0, 4.0]))
        assert close(out.value, sum(1.5 * math.log(v) for v in (0.5, 1.0, 4.0)))
        with pytest.raises(
            ValueError,
            match=r"^example 1 of 2: xlog: math domain error \('x' = 2\.0, 'y' = -1\.0\)",
        ):
            f(np.array([1.0, 2.0]), np.array([1.0, -1.0]))
    finally:
        forget("xlog")


def test_a_numpy_float_in_may_give_a_0_d_array_out() -> None:
    """np.where on a numpy float gives a 0-d array: taken as the number it holds."""
    op = microgrand.define_op(
        "leaky",
        lambda x: x if x > 0 else 0.01 * x,
        "step(x) + 0.01 * (1 - step(x))",
        array=lambda x: np.where(x > 0.0, x, 0.01 * x),
    )
    try:
        w, x = Node(-2.0, "w"), Node(1.0, "x", requires_grad=False)
        f = microgrand.compile((op.function(w) * x).named("J"), [w, x])
        out = f(-2.0, np.array([1.0, 2.0, 3.0]))
        assert math.isclose(out.value, -0.02 * 6.0, rel_tol=1e-15)
        assert math.isclose(out.grads["w"], 0.01 * 6.0, rel_tol=1e-15)
    finally:
        forget("leaky")
