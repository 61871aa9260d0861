"""The numpy version writes results into dead temporaries (`microgrand.inplace`): the same
numbers bit for bit as without, inputs never written, earlier Results never changed."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st
from test_compile import Recipe, built, outcome, recipes, ulps
from user_ops import forget

import microgrand
from microgrand import Node, array_failures, array_ops, inplace, ops, vectorize
from microgrand.array_ops import RAISE
from microgrand.compile import Compiled

IN_PLACE = re.compile(r"out=|[-+*/]= ")


def bits(value: Any) -> bytes:
    """The exact bits of a float or an array (0.0 and -0.0 differ)."""
    return np.asarray(value, dtype=np.float64).tobytes()


def without_reuse(f: Compiled, args: Sequence[Any], reduce: str = "sum") -> list[Any]:
    """What a call gives with the numpy version made without writing in place."""
    with np.errstate(**RAISE):
        values, pattern, m = vectorize.prepare(f, args)
        assert m is not None
        function, _, kinds, negated = vectorize._make(f, pattern, in_place=False)
        try:
            outputs = function(*values, m)
        except (ArithmeticError, ValueError) as error:  # as vectorize.run: name the node
            raise array_failures.locate(f, values, m, error) from None
        return vectorize.finish(outputs, kinds, m, reduce, negated)


def copies(result: Any) -> list[Any]:
    return [np.copy(item) if isinstance(item, np.ndarray) else item for item in result]


@given(
    recipe=recipes(),
    rows=st.lists(st.lists(st.floats(-3.0, 3.0), min_size=4, max_size=4), min_size=1, max_size=6),
    pattern=st.lists(st.booleans(), min_size=4, max_size=4),
    reduce=st.sampled_from(["sum", "mean"]),
)
def test_random_graphs_in_place_give_the_same_numbers(
    recipe: tuple[Recipe, list[float], list[bool]],
    rows: list[list[float]],
    pattern: list[bool],
    reduce: str,
) -> None:
    """Any mix of array and float inputs: every value and gradient bit for bit as the code
    without reuse, the inputs unchanged, no two entries of the Result one array (nor an
    input), and an earlier Result unchanged by a later call."""
    root, leaves = built(recipe)
    n = len(leaves)
    pattern = pattern[:n]
    assume(any(pattern))
    f = microgrand.compile(root, leaves)
    columns = [np.array([row[k] for row in rows]) for k in range(n)]
    args = [c if is_array else float(c[0]) for c, is_array in zip(columns, pattern, strict=True)]
    before = [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]
    got = outcome(lambda: f(*args, reduce=reduce))
    want = outcome(lambda: without_reuse(f, args, reduce))
    for arg, kept in zip(args, before, strict=True):
        assert bits(arg) == bits(kept)  # inputs are never written
    assert got[0] == want[0], (got, want)
    if got[0] != "ok":
        assert got == want  # the same error, word for word
        return
    (source,) = f.array_sources.values()
    event("writes in place" if IN_PLACE.search(source) else "makes every array anew")
    result = got[1]
    assert_owns_its_arrays(result, args)
    assert len(result) == len(want[1])
    for mine, theirs in zip(result, want[1], strict=True):
        assert bits(mine) == bits(theirs)
    # A second call, on other numbers, leaves the first Result's arrays as they were.
    saved = copies(result)
    outcome(lambda: f(*(a * 0.5 - 0.25 for a in args), reduce=reduce))
    for item, copy in zip(result, saved, strict=True):
        assert bits(item) == bits(copy)


def lecture() -> tuple[Compiled, list[Any]]:
    x1, x2, y = (Node(0.5, name, requires_grad=False) for name in ("x1", "x2", "y"))
    w1, w2, b = Node(0.3, "w1"), Node(-0.2, "w2"), Node(0.1, "b")
    z = (w1 * x1 + w2 * x2 + b).named("z")
    a = z.sigmoid().named("a")
    L = (-(y * a.log() + (1 - y) * (1 - a).log())).named("L")
    f = microgrand.compile(L, [x1, x2, y, w1, w2, b])
    rng = np.random.default_rng(3)
    X1, X2 = rng.normal(size=50), rng.normal(size=50)
    Y = (rng.random(50) < 0.5).astype(float)
    return f, [X1, X2, Y]


def test_a_later_call_leaves_an_earlier_result_unchanged() -> None:
    """z, a, dz, da are per-example arrays of the Result: the next call must make its own
    (an array the Result holds is never a temporary the code writes into)."""
    f, (X1, X2, Y) = lecture()
    first = f(X1, X2, Y, 0.3, -0.2, 0.1)
    kept = {name: np.copy(first.values[name]) for name in ("z", "a")}
    kept_grads = {name: np.copy(first.grads[name]) for name in ("z", "a")}
    second = f(X2, X1, 1.0 - Y, -0.7, 0.4, 0.2)
    for name in ("z", "a"):
        assert not np.array_equal(second.values[name], kept[name])  # other numbers
        assert np.array_equal(first.values[name], kept[name])
        assert np.array_equal(first.grads[name], kept_grads[name])


def test_inputs_are_never_written() -> None:
    f, (X1, X2, Y) = lecture()
    before = [np.copy(X1), np.copy(X2), np.copy(Y)]
    for params in ((0.3, -0.2, 0.1), (X1, 0.5, X2)):  # scalars, then arrays as parameters
        f(X1, X2, Y, *params)
        for arg, kept in zip((X1, X2, Y), before, strict=True):
            assert bits(arg) == bits(kept)
    assert bits(X1) == bits(before[0])


@pytest.mark.parametrize("length", [3, 6_000])  # the driver and parts of a long graph too
def test_a_result_is_never_the_callers_own_array(length: int) -> None:
    # d(x·y)/dy is x: returned as is, the caller's X would come back as a gradient, and
    # changing that gradient would change the data.
    x, y = Node(1.0, "x"), Node(2.0, "y")
    J = x * y
    for _ in range(length - 3):
        J = J + 0.0
    f = microgrand.compile(J.named("J"), [x, y])
    X, Y = np.arange(1.0, 4.0), np.arange(4.0, 7.0)
    out = f(X, Y)
    assert out.grads["y"] is not X and out.grads["x"] is not Y
    assert bits(out.grads["y"]) == bits(X) and bits(out.grads["x"]) == bits(Y)
    out.grads["y"][:] = 0.0
    assert bits(X) == bits(np.arange(1.0, 4.0))


def assert_owns_its_arrays(result: Any, args: Sequence[Any]) -> None:
    """No array of a Result shares memory with another of its entries or with an input:
    writing into one (g *= 0) must change nothing else."""
    entries = [(i, e) for i, e in enumerate(result) if isinstance(e, np.ndarray)]
    inputs = [(f"input {k}", a) for k, a in enumerate(args) if isinstance(a, np.ndarray)]
    for n, (i, entry) in enumerate(entries):
        for j, other in [*entries[n + 1 :], *inputs]:
            assert not np.shares_memory(entry, other), (i, j)


@pytest.mark.parametrize("length", [0, 6_000])  # the driver and parts of a long graph too
def test_no_two_entries_of_a_result_are_one_array(length: int) -> None:
    """A name returned twice is one array twice: db = dz (both d(w·x + b)/dz), du = z and
    dz = u (d(z·u)/du and d(z·u)/dz, u and z named). Zeroing one zeroed the other."""
    x, w, b = Node(0.5, "x"), Node(0.3, "w"), Node(0.1, "b")
    z = (w * x + b).named("z")
    u = (w - x).named("u")
    args = [np.arange(1.0, 4.0), np.arange(4.0, 7.0), np.arange(7.0, 10.0)]
    for L in (z.tanh(), z * u):
        for _ in range(length):
            L = L + 0.0
        f = microgrand.compile(L.named("L"), [x, w, b])
        out = f(*args)
        assert_owns_its_arrays(out, args)
        kept = {k: np.copy(v) for k, v in out.values.items()}
        kept_db = np.copy(out.grads["b"])
        out.grads["z"][:] = 0.0  # as a learner's g *= 0 would
        assert all(bits(out.values[k]) == bits(v) for k, v in kept.items())
        assert bits(out.grads["b"]) == bits(kept_db)


def test_a_gradient_returned_twice_may_be_a_python_float() -> None:
    """step's derivative is 0: dt1 = -(0.0 * 0.0) is a float, returned as dx and dy, which
    has no .copy() (a fix that wrote dt1.copy() broke such graphs): own() passes it on."""
    x, y = Node(0.0, "x"), Node(0.0, "y")
    J = (-(x + y)).step().step()
    f = microgrand.compile(J, [x, y])
    args = [np.zeros(2), np.ones(2)]
    out = f(*args)
    assert "return (t4, 1.0, dt1, own(dt1),)" in f.array_sources["x", "y"]
    assert bits(out.grads["x"]) == bits(np.full(2, -0.0)) == bits(out.grads["y"])
    assert_owns_its_arrays(out, args)


def test_the_lecture_graph_writes_in_place_and_reads_well() -> None:
    """The numpy version of the lecture graph makes few arrays: each dead temporary takes
    the next result, compound gradients become in-place steps, and L's negation is left
    to the sum (only J is returned)."""
    f, (X1, X2, Y) = lecture()
    f(X1, X2, Y, 0.3, -0.2, 0.1)
    source = f.array_sources["x1", "x2", "y"]
    for line in (
        "    t3 = np.add(t1, t2, out=t1)\n",
        "    z = np.add(t3, b, out=t3)\n",
        "    da = 1.0 / t7\n    da *= t6\n",
        "    dz = np.multiply(a, t7, out=t7)  # t7 = 1.0 - a\n",
        "    dz *= da\n",
        "    # L = -t10 is left out: only the sum of L is returned, -(the sum of t10) exactly\n",
        "    return (t10, z, a,",
    ):
        assert line in source, line
    assert "# A temporary array that is not used again lends its memory" in source
    # J is still the lecture's J: -(the sum of t10) equals the per-example sum.
    out = f(X1, X2, Y, 0.3, -0.2, 0.1, reduce="mean")
    plain = without_reuse(f, [X1, X2, Y, 0.3, -0.2, 0.1], "mean")
    assert bits(out.value) == bits(plain[0])


def test_the_negated_root_keeps_the_sign_of_a_zero_sum() -> None:
    """L = -t where the examples' t cancel: -(the sum of t) would be -0.0; the sum of the
    examples' L is 0.0, as without reuse (and numpy's sum of -0.0s is 0.0 too)."""
    x = Node(1.0, "x", requires_grad=False)
    w = Node(2.0, "w")
    L = -(w * x)
    f = microgrand.compile(L, [x, w])
    for X in ([1.0, -1.0], [0.0, 0.0], [0.0, -0.0], [3.0, 0.5]):
        args = [np.array(X), 2.0]
        out = f(*args)
        assert "is left out" in f.array_sources["x",]
        assert bits(out.value) == bits(without_reuse(f, args)[0])
    assert bits(f(np.array([1.0, -1.0]), 2.0).value) == bits(0.0)
    assert f(np.array([3.0, 0.5]), 2.0).value == -7.0


def rewritten(statements: list[str], arrays: set[str], keep: set[str]) -> list[str]:
    names = iter(f"t{k}" for k in range(100, 200))
    groups = inplace.rewrite(statements, arrays, keep, {"exp", "log"}, lambda: next(names))
    return [line for group in groups for line in group]


def test_never_written_a_kept_name_an_input_or_a_number() -> None:
    """Each candidate refused for its reason: returned (kept), an input (not made by the
    code), a number (a numpy scalar), used again later, or a copy of another name."""
    assert rewritten(["t1 = x * w", "t2 = exp(t1)"], {"x"}, {"x", "w"}) == [
        "t1 = x * w",
        "t2 = exp(t1, out=t1)",
    ]
    assert rewritten(["t1 = x * w", "t2 = exp(t1)"], {"x"}, {"x", "w", "t1"}) == [
        "t1 = x * w",
        "t2 = exp(t1)",
    ]
    assert rewritten(["t2 = exp(x)"], {"x"}, {"x"}) == ["t2 = exp(x)"]
    assert rewritten(["t1 = w * v", "t2 = x * t1"], {"x"}, {"x"}) == ["t1 = w * v", "t2 = x * t1"]
    assert rewritten(["t1 = x * w", "t2 = -t1", "t3 = t1 + t2"], {"x"}, {"x"}) == [
        "t1 = x * w",
        "t2 = -t1",
        "t3 = np.add(t1, t2, out=t1)",
    ]
    assert rewritten(["t1 = x * w", "t2 = t1", "t3 = -t1"], {"x"}, {"x"}) == [
        "t1 = x * w",
        "t2 = t1",
        "t3 = -t1",
    ]


def test_compound_expressions_become_steps_in_pythons_order() -> None:
    """Operands of - and / never swap (out= then); + and * may (exact)."""
    lines = rewritten(["t1 = x + w", "d = t1 * (1.0 / t1) - (x - 2.0) / exp(x)"], {"x"}, {"x", "d"})
    assert lines == [
        "t1 = x + w",
        "d = 1.0 / t1",
        "d *= t1",
        "t100 = x - 2.0",
        "t101 = exp(x)",
        "t100 /= t101",
        "d -= t100",
    ]
    assert rewritten(["t1 = x + w", "d = 2.0 - t1 * w"], {"x"}, {"x", "d"}) == [
        "t1 = x + w",
        "d = np.multiply(t1, w, out=t1)",
        "d = np.subtract(2.0, d, out=d)",
    ]
    augmented = rewritten(["d = x * w", "d -= x * (1.0 / x)"], {"x"}, {"x", "d"})
    assert augmented == ["d = x * w", "t100 = 1.0 / x", "t100 *= x", "d -= t100"]
    # Numbers stay where they are; sums over the examples are numbers.
    assert rewritten(["g = total(x * (w * 2.0))"], {"x"}, {"x", "g"}) == [
        "t100 = x * (w * 2.0)",
        "g = total(t100)",
    ]


def test_an_unexpected_statement_is_refused() -> None:
    with pytest.raises(ValueError, match="not an assignment"):
        rewritten(["print(x)"], {"x"}, {"x"})


@pytest.fixture
def same() -> Iterator[ops.Op]:
    """same(x) = x, whose array form returns its input itself (allowed: it changes nothing)."""
    yield microgrand.define_op("same", lambda x: x, "1", array=lambda x: x)
    forget("same")


def test_a_user_array_form_that_returns_its_input_is_never_written_into(same: ops.Op) -> None:
    """t1 = same(x) is x itself: exp(t1, out=t1) would write into the caller's array, and
    writing into t1's argument would change t1."""
    x, w = Node(0.5, "x", requires_grad=False), Node(2.0, "w")
    u = (w * x).named("u")
    J = same.function(x).exp() + same.function(u).exp() * u
    f = microgrand.compile(J, [x, w])
    X = np.array([0.5, -1.0, 2.0])
    kept = np.copy(X)
    out = f(X, 2.0)
    assert bits(X) == bits(kept)
    assert bits(out.values["u"]) == bits(2.0 * kept)
    plain = without_reuse(f, [X, 2.0])
    for mine, theirs in zip(out, plain, strict=True):
        assert bits(mine) == bits(theirs)
    (source,) = f.array_sources.values()
    assert "out=t1" not in source and "same(x, out=" not in source


def test_a_user_array_form_that_returns_its_input_gives_a_result_of_its_own(
    same: ops.Op,
) -> None:
    """v = same(u) and s = same(x) named: v was u's array, s the caller's X (and ds = v,
    du = s...): no entry of the Result is another's array or an input."""
    x, w = Node(0.5, "x"), Node(2.0, "w")
    u = (w * x).named("u")
    J = (same.function(u).named("v") * same.function(x).named("s")).named("J")
    f = microgrand.compile(J, [x, w])
    args = [np.array([0.5, -1.0, 2.0]), np.array([1.0, 2.0, 3.0])]
    out = f(*args)
    assert_owns_its_arrays(out, args)
    assert bits(out.values["v"]) == bits(out.values["u"]) and bits(out.values["s"]) == bits(args[0])


# --- the inputs' checks: few passes over the examples, the same errors ---------------------


def bce_graph() -> Compiled:
    x1, x2, y = (Node(0.5, name, requires_grad=False) for name in ("x1", "x2", "y"))
    w1, w2, b = Node(0.3, "w1"), Node(-0.2, "w2"), Node(0.1, "b")
    z = (w1 * x1 + w2 * x2 + b).named("z")
    return microgrand.compile(microgrand.bce_with_logits(z, y).named("L"), [x1, x2, y, w1, w2, b])


def checked(f: Compiled, args: list[Any]) -> tuple[str, Any]:
    """What the one-argument-after-the-other check gives (the errors' wording)."""
    with np.errstate(**RAISE):
        return outcome(lambda: vectorize._prepare_checked(f, args))


@pytest.mark.parametrize("m", [5, 12_000])  # dot products of pairs; one sum per array
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", [0, 1, 2])
@pytest.mark.parametrize("partner", [0.0, 1.0, -np.inf, np.nan])
def test_a_value_that_is_not_finite_is_the_same_error(
    m: int, bad: float, where: int, partner: float
) -> None:
    """Arrays are checked two at a time (x1·x2 is inf or nan when an element of either
    is): whatever the other array holds at that example (0, where inf·0 is nan; an inf
    of the other sign; nan), the error names the input and the example, as before."""
    f = bce_graph()
    columns = [np.full(m, 0.5) for _ in range(3)]
    columns[where][m - 2] = bad
    columns[1 if where == 0 else 0][m - 2] = partner
    args = [*columns, 0.3, -0.2, 0.1]
    want = checked(f, args)
    assert want[0] == "ValueError" and f"example {m - 2} is" in want[1], want
    assert outcome(lambda: f(*args)) == want


def test_the_quick_check_passes_what_the_careful_one_passes() -> None:
    f = bce_graph()
    rng = np.random.default_rng(5)
    for m in (1, 7, 10_000, 10_001):
        X1, X2 = rng.normal(size=m) * 1e200, rng.normal(size=m)  # x1·x1 overflows: a false alarm
        Y = (rng.random(m) < 0.5).astype(float)
        for args in ([X1, X2, Y, 0.3, -0.2, 0.1], [X1, 0.5, 1.0, X2, -0.2, 0.1]):
            with np.errstate(**RAISE):
                fast = vectorize.prepare(f, args)
                careful = vectorize._prepare_checked(f, args)
            assert fast[1:] == careful[1:]
            assert all(bits(a) == bits(b) for a, b in zip(fast[0], careful[0], strict=True))


# --- sigmoid on arrays without a pass to find the minimum --------------------------------

EDGE = [-800.0, -745.0, -709.9, -709.78, -709.7, -709.0, -708.0, -30.0, -1e-300, 0.0, 30.0]


def test_compiled_sigmoid_falls_back_to_two_branches_where_exp_overflows() -> None:
    """Under errstate(over="raise") sigmoid computes 1 / (1 + e^-x) at once; where e^-x
    overflows (x < -709.78) numpy raises and the two branches are computed. Either way
    within 4 ulp of the engine's two-branch sigmoid, element by element, and the same
    numbers as the checked version (`array_ops.sigmoid`, for callers outside errstate)."""
    z = Node(0.5, "z", requires_grad=False)
    w = Node(1.0, "w")
    f = microgrand.compile((w * z).sigmoid().named("a"), [z, w])
    for values in (EDGE, EDGE[5:], [-709.9], [3.0]):
        Z = np.array(values)
        out = f(Z, 1.0)
        want = np.array([ops.sigmoid(v) for v in values])
        assert out.value == sum(want) or ulps(out.value, sum(want)) <= 4
        assert np.isfinite(out.grads["w"])  # d sigmoid(wz)/dw, summed: no error at the edge
        with np.errstate(**RAISE):
            fast = array_ops.sigmoid_raising(Z)
        checked = array_ops.sigmoid(Z)
        assert ulps(fast, want) <= 4 and ulps(checked, want) <= 4
    with np.errstate(**RAISE):
        assert array_ops.sigmoid_raising(np.float64(-800.0)) == 0.0
        assert array_ops.sigmoid_raising(np.float64(-709.5)) == ops.sigmoid(-709.5)


def test_the_checked_sigmoid_is_right_outside_errstate() -> None:
    """network.predict calls array_ops.sigmoid with numpy's default errstate: below
    x = -709.78 it must give the tiny two-branch value, not 1 / (1 + inf) = 0.0."""
    with np.errstate(all="ignore"):
        got = array_ops.sigmoid(np.array([-709.9, -745.0, 2.0]))
        wrong = array_ops.sigmoid_raising(np.array([-709.9]))  # what errstate raise prevents
    assert got[0] == ops.sigmoid(-709.9) > 0.0 and got[1] == ops.sigmoid(-745.0)
    assert wrong[0] == 0.0 != got[0]
