"""`microgrand.compile`: the generated source, the result's lookups, and every error path
(on floats the engine's own errors; on arrays the node and the first bad example)."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import microgrand
from microgrand import Node, bce_with_logits
from microgrand.logreg import lecture_graph

SNAPSHOTS = Path(__file__).parent / "snapshots"


def data(value: float, name: str) -> Node:
    return Node(value, name, requires_grad=False)


def bce_graph() -> tuple[Node, list[Node]]:
    """The lecture's graph with the loss as one primitive, labels as a data input."""
    x1, x2, y = data(2.0, "x1"), data(-1.0, "x2"), data(1.0, "y")
    w1, w2, b = Node(0.3, "w1"), Node(0.5, "w2"), Node(0.1, "b")
    z = (w1 * x1 + w2 * x2 + b).named("z")
    return bce_with_logits(z, y).named("L"), [x1, x2, y, w1, w2, b]


def lecture() -> tuple[Node, list[Node]]:
    g = lecture_graph()
    return g.L, [g.x1, g.x2, g.y, g.w1, g.w2, g.b]


def check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("MICROGRAND_UPDATE_SNAPSHOTS"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed (see the test's docstring)"


# --- the source ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make"), [("compiled-lecture.txt", lecture), ("compiled-bce.txt", bce_graph)]
)
def test_source_snapshot(name: str, make: Callable[..., Any]) -> None:
    """Set MICROGRAND_UPDATE_SNAPSHOTS=1 to rewrite after an intended change."""
    root, inputs = make()
    check_snapshot(name, microgrand.compile(root, inputs).source)


def test_source_reads_like_the_lecture() -> None:
    L, inputs = bce_graph()
    source = microgrand.compile(L, inputs).source
    for line in (
        "z = t3 + b",
        "L = bce_with_logits(z, y)",
        "dz = sigmoid(z) - y",
        "dw1 = dz * x1",
        "# db = dz",
    ):
        assert f"        {line}\n" in source, line
    lecture_source = microgrand.compile(*lecture()).source
    assert "a = 1.0 / (1.0 + exp(-z)) if z >= 0.0 else" in lecture_source  # σ, inline
    assert "# a = sigmoid(z)" in lecture_source
    # σ's formula, out * (1 - out), with the forward pass's t7 = 1 - a: not computed twice
    assert "dz = da * (a * t7)  # t7 = 1.0 - a\n" in lecture_source


def test_repr_says_what_it_computes() -> None:
    f = microgrand.compile(*bce_graph())
    assert repr(f) == (
        "<compiled L(x1, x2, y, w1, w2, b): its value and the gradients of w1, w2, b, z>"
    )


# --- results ------------------------------------------------------------------------------


def test_grads_by_name_by_node_and_values() -> None:
    L, inputs = bce_graph()
    f = microgrand.compile(L, inputs)
    out = f(2.0, -1.0, 1.0, 0.3, 0.5, 0.1)
    L.backward()
    x1, _, _, w1, _, b = inputs
    assert out.value == L.value
    assert out.grads["w1"] == out.grads[w1] == w1.grad
    assert out.grads[b] == b.grad
    assert out.grads[x1] == 0.0  # data: no gradient, as in the engine
    assert out.values["z"] == L.parents[0].value
    assert set(out.grads) == {"L", "x1", "x2", "y", "w1", "w2", "b", "z"}
    with pytest.raises(KeyError, match=r"no gradient for 'nope'.*known: L, x1"):
        out.grads["nope"]


def test_ints_and_numpy_scalars_are_floats() -> None:
    f = microgrand.compile(*bce_graph())
    want = f(2.0, -1.0, 1.0, 0.3, 0.5, 0.1)
    assert f(2, -1, 1, np.float64(0.3), np.array(0.5), 0.1) == want


def test_leaves_that_are_not_inputs_are_frozen() -> None:
    L, (x1, x2, y, w1, w2, _) = bce_graph()
    f = microgrand.compile(L, [x1, x2, y, w1])
    assert "# w2 = 0.5 is not an input: frozen at its traced value" in f.source
    w2.value = 9.0  # after compile: no effect on the compiled function
    assert (
        f(2.0, -1.0, 1.0, 0.3).value
        == microgrand.compile(*bce_graph()).__call__(2.0, -1.0, 1.0, 0.3, 0.5, 0.1).value
    )


def test_an_unused_input_has_gradient_zero() -> None:
    x, unused = Node(2.0, "x"), Node(1.0, "u")
    out = microgrand.compile((x * x).named("J"), [x, unused])(3.0, 5.0)
    assert (out.value, out.grads["x"], out.grads["u"]) == (9.0, 6.0, 0.0)


def test_hostile_names_make_valid_code() -> None:
    names = ["import os", "self", "reduce", "exp", "x", "x", "σ", "z₁", "z1", "_private", "d"]
    names += ["dot", "total", "result", "examples", "power", "float", "_e", "t1", "dt1"]
    leaves = [Node(0.1 * (i + 1), name) for i, name in enumerate(names)]
    total = leaves[0]
    for leaf in leaves[1:]:
        total = total * leaf
    total = total.tanh().exp().named("dx")
    f = microgrand.compile(total, leaves)
    out = f(*(0.1 * (i + 1) for i in range(len(names))))
    total.backward()
    assert "import os" not in f.source.replace("# ", "")
    for leaf in leaves:
        assert out.grads[leaf] == leaf.grad
    assert out.grads["self"] == leaves[1].grad
    with pytest.raises(KeyError, match="shared by several nodes: use the Node"):
        out.grads["x"]


def test_a_long_chain_compiles_without_recursion() -> None:
    x = Node(0.5, "x")
    node = x
    for _ in range(20_000):
        node = node * 1.0001 + 0.0001
    out = microgrand.compile(node, [x])(0.5)
    node.backward()
    assert out.value == node.value and out.grads[x] == x.grad


# --- errors at compile time ---------------------------------------------------------------


def test_compile_refuses_bad_roots_and_inputs() -> None:
    L, inputs = bce_graph()
    z = L.parents[0]
    with pytest.raises(TypeError, match="root must be a Node"):
        # Wrong on purpose (hence the ignore below): the test is the error
        microgrand.compile(3.0, inputs)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="inputs must be a list of Nodes"):
        # Wrong on purpose (hence the ignore below): the test is the error
        microgrand.compile(L, inputs[0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="inputs must be Nodes, got float"):
        # Wrong on purpose (hence the ignore below): the test is the error
        microgrand.compile(L, [1.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="'z' is computed \\(by add\\); inputs must be leaves"):
        microgrand.compile(L, [z])
    with pytest.raises(ValueError, match="'w1' is listed twice"):
        microgrand.compile(L, [inputs[3], inputs[3]])
    three = (Node(1.0, "v") * 3.0).parents[1]
    with pytest.raises(ValueError, match=r"the constant 3\.0 is a constant"):
        microgrand.compile(L, [three])


def test_compile_refuses_a_stale_graph() -> None:
    L, inputs = bce_graph()
    inputs[3].value = 1.0
    with pytest.raises(RuntimeError, match="was set after"):
        microgrand.compile(L, inputs)


# --- errors on floats: the engine's own -----------------------------------------------------


def engine_error(build: Callable[..., Any], *values: float) -> tuple[type[BaseException], str]:
    root, _ = build(*values)
    try:
        root.backward()
    except (ArithmeticError, ValueError) as error:
        return type(error), str(error)
    raise AssertionError("the engine raised nothing")


def log_graph(x: float) -> tuple[Node, list[Node]]:
    leaf = Node(x, "x")
    a = leaf.sigmoid().named("a")
    return (-(1.0 - a).log()).named("L"), [leaf]


def exp_graph(x: float) -> tuple[Node, list[Node]]:
    leaf = Node(x, "x")
    return (leaf * 100.0).exp().named("E"), [leaf]


def test_float_errors_are_the_engines() -> None:
    f = microgrand.compile(*log_graph(0.5))
    with pytest.raises(ValueError, match="log\\(x\\) needs x > 0") as error:
        f(40.0)  # σ(40) rounds to 1: log(1 - a) = log(0)
    assert "saturated sigmoid" in str(error.value)
    with pytest.raises(ValueError):
        log_graph(40.0)  # the engine refuses to build it
    g = microgrand.compile(*exp_graph(0.5))
    with pytest.raises(OverflowError, match="exp") as overflow:
        g(8.0)
    with pytest.raises(OverflowError) as engine:
        exp_graph(8.0)
    assert str(overflow.value) == str(engine.value)


def test_overflow_in_backward_names_the_node_like_the_engine() -> None:
    """1 / x at x = 1e-200 is 1e200, but its slope -1e400 is not a float."""

    def build(x: float) -> tuple[Node, list[Node]]:
        leaf = Node(x, "x")
        return (1.0 / leaf).named("J"), [leaf]

    f = microgrand.compile(*build(1.0))
    with pytest.raises(OverflowError, match="backward: the gradient of 'x' is -inf") as error:
        f(1e-200)
    assert (OverflowError, str(error.value)) == engine_error(build, 1e-200)


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (True, TypeError, "booleans are not accepted"),
        ("1", TypeError, "expected a real number"),
        (math.inf, ValueError, "must be finite"),
        (math.nan, ValueError, "must be finite"),
    ],
)
def test_bad_float_inputs(value: object, error: type[Exception], match: str) -> None:
    f = microgrand.compile(*bce_graph())
    with pytest.raises(error, match=f"compiled L: input x1.*{match}|{match}"):
        f(value, -1.0, 1.0, 0.3, 0.5, 0.1)


def test_label_out_of_range_and_bad_reduce() -> None:
    f = microgrand.compile(*bce_graph())
    with pytest.raises(ValueError, match=r"label y must be in \[0, 1\], got 1.5"):
        f(2.0, -1.0, 1.5, 0.3, 0.5, 0.1)
    with pytest.raises(ValueError, match="reduce must be 'sum' or 'mean', got 'avg'"):
        f(2.0, -1.0, 1.0, 0.3, 0.5, 0.1, reduce="avg")
    with pytest.raises(TypeError):
        f(2.0, -1.0)


# --- arrays -----------------------------------------------------------------------------------


def arrays(m: int = 5) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.normal(size=m), rng.normal(size=m), (rng.random(m) < 0.5).astype(float)]


def test_reduce_sum_and_mean() -> None:
    f = microgrand.compile(*bce_graph())
    X1, X2, Y = arrays()
    total = f(X1, X2, Y, 0.3, 0.5, 0.1)
    mean = f(X1, X2, Y, 0.3, 0.5, 0.1, reduce="mean")
    assert math.isclose(mean.value, total.value / 5, rel_tol=1e-15)
    assert math.isclose(mean.grads["w1"], total.grads["w1"] / 5, rel_tol=1e-15)
    assert np.array_equal(mean.grads["z"], total.grads["z"])  # per example: dz_i = a_i - y_i
    assert isinstance(total.grads["w1"], float) and total.grads["z"].shape == (5,)
    assert total.grads["x1"] == 0.0
    assert ("x1", "x2", "y") in f.array_sources
    assert "dw1 = dot(dz, x1)" in f.array_sources["x1", "x2", "y"]


@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        (np.ones(4), ValueError, "input x2 has 4 examples but x1 has 5"),
        (np.ones((2, 5)), ValueError, r"input x2 has shape \(2, 5\): pass a 1-d array"),
        (np.ones(5, dtype=int), TypeError, "is an integer array: compiled graphs take float64"),
        (np.ones(5, dtype=object), TypeError, "is an object array"),
        (np.ones(5, dtype=bool), TypeError, "is a boolean array"),
        (np.ones(5, dtype=np.float32), TypeError, "float32 array.*astype\\(float\\)"),
        (np.array([1.0, 2.0, np.nan, 1.0, 1.0]), ValueError, "input x2: example 2 is nan"),
        (np.array([1.0, np.inf, 1.0, 1.0, 1.0]), ValueError, "input x2: example 1 is inf"),
        (np.full(5, 1e200), None, ""),  # x·x overflows: finite all the same
        ([1.0] * 5, TypeError, r"input x2 is a list: pass m examples as a 1-d numpy array"),
    ],
)
def test_bad_arrays(bad: object, error: type[Exception] | None, match: str) -> None:
    f = microgrand.compile(*bce_graph())
    X1, _, Y = arrays()
    if error is None:
        assert math.isfinite(f(X1, bad, Y, 0.3, 0.0, 0.1).value)
        return
    with pytest.raises(error, match=match):
        f(X1, bad, Y, 0.3, 0.5, 0.1)


def test_empty_arrays_and_bad_labels() -> None:
    f = microgrand.compile(*bce_graph())
    X1, X2, Y = arrays()
    with pytest.raises(ValueError, match="input x1 is empty"):
        f(np.ones(0), np.ones(0), np.ones(0), 0.3, 0.5, 0.1)
    Y[3] = 2.0
    with pytest.raises(ValueError, match=r"label y must be in \[0, 1\]; example 3 is 2.0"):
        f(X1, X2, Y, 0.3, 0.5, 0.1)


def test_array_errors_name_the_node_and_the_first_example() -> None:
    f = microgrand.compile(*exp_graph(0.5))
    X = np.array([0.1, 0.2, 8.0, 9.0])
    with pytest.raises(
        OverflowError, match=r"^example 2 of 4: exp: the result is too large .*= 800.0"
    ):
        f(X)
    g = microgrand.compile(*log_graph(0.5))
    with pytest.raises(ValueError, match=r"^example 1 of 3: log\(x\) needs x > 0.*saturated"):
        g(np.array([0.5, 40.0, 50.0]))


def test_an_overflow_the_output_squashes_is_still_an_error() -> None:
    """1 / (1 + exp(800)) is a finite 0.0, but exp(800) is not: the engine refuses it."""
    x = Node(0.0, "x")
    J = (1.0 / (1.0 + x.exp())).named("J")
    f = microgrand.compile(J, [x])
    with pytest.raises(OverflowError, match=r"^example 1 of 2: exp"):
        f(np.array([1.0, 800.0]))
    with pytest.raises(OverflowError, match=r"^exp"):
        f(800.0)


@pytest.mark.parametrize("through", ["neg", "log"])
def test_an_overflow_squashed_after_a_negation_or_a_log_is_still_an_error(through: str) -> None:
    """t = x·y overflows; sigmoid(-t) and sigmoid(log t) are finite again: the float code
    gave 0.0 and 1.0 for sigmoid(-t) where the engine refuses the product (found by hand:
    -t and log t pass the inf on without a check of their own)."""
    x, y = Node(1.0, "x"), Node(1.0, "y")
    t = (x * y).named("t")
    u = -t if through == "neg" else t.log()
    f = microgrand.compile(u.sigmoid().named("v"), [x, y])
    with pytest.raises(OverflowError, match=r"^mul: the result inf"):
        f(1e200, 1e200)
    with pytest.raises(OverflowError, match=r"^example 1 of 2: mul: the result inf"):
        f(np.array([1.0, 1e200]), np.array([1.0, 1e200]))


def test_sum_over_the_examples_that_overflows() -> None:
    x = Node(1.0, "x")
    f = microgrand.compile((x * 1e308).named("J"), [x])
    with pytest.raises(OverflowError, match="sum of the root over the 3 examples"):
        f(np.array([1.0, 1.0, 1.0]))


def test_numpy_is_not_imported_by_import_microgrand() -> None:
    import subprocess
    import sys

    code = "import sys, microgrand; print('numpy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "False", result.stderr


def test_a_node_exponent_is_checked_on_every_call() -> None:
    """Traced at a whole exponent, called with a fractional one and a negative base: the
    engine's error, not a complex number."""

    def build(x: float, e: float) -> tuple[Node, list[Node]]:
        # A data exponent: the engine needs no log(x), so negative bases are allowed.
        base, exponent = Node(x, "x"), Node(e, "e", requires_grad=False)
        return (base**exponent).named("J"), [base, exponent]

    f = microgrand.compile(*build(-2.0, 2.0))
    assert "J = power(x, e)" in f.source
    for x, e in ((-2.0, 3.0), (1.5, 0.5), (2.0, 0.0)):
        J, (base, exponent) = build(x, e)
        J.backward()
        out = f(x, e)
        assert (out.value, out.grads["x"], out.grads["e"]) == (J.value, base.grad, exponent.grad)
    with pytest.raises(ValueError, match="negative base") as error:
        f(-2.0, 0.5)
    with pytest.raises(ValueError) as engine:
        build(-2.0, 0.5)
    assert str(error.value) == str(engine.value)
    with pytest.raises(ValueError, match=r"^example 1 of 2: .*negative base"):
        f(np.array([2.0, -2.0]), np.array([0.5, 0.5]))
    # an exponent that takes a gradient: d(x ** e)/de = x ** e · log(x), as the engine
    base, exponent = Node(1.5, "x"), Node(2.0, "e")
    J = (base**exponent).named("J")
    g = microgrand.compile(J, [base, exponent])
    J.backward()
    assert g(1.5, 2.0).grads["e"] == exponent.grad
