"""`microgrand.compile` on long graphs: code in parts (`microgrand.parts`), and the code
writer's shortcuts that make it fast.

A long chain compiles and runs bit for bit as the engine, on arrays within 4 ulp, and an
overflow deep in it is named as the engine names it. The parts are checked on every op and
on random graphs by running test_compile's tests with parts of three statements. The
writer's own printer (`codegen_exprs.unparse`) must give `ast.unparse`'s text, so that
generated code stays exactly what it was (the snapshots in tests/snapshots/compiled-*.txt).
The long test prints one progress line (`pytest -s`).
"""

from __future__ import annotations

import ast
import copy
import math
import time

import numpy as np
import pytest
import test_compile as compile_tests
from hypothesis import given
from hypothesis import strategies as st

import microgrand
from microgrand import Node, parts
from microgrand.codegen_exprs import key, unparse

# --- a long chain ---------------------------------------------------------------------

STEPS = 50_000  # c -> c * K + D, and every 500th step a tanh: about 100,000 nodes
K, D = 1.0 + 1e-6, 0.5
DEEP = 40_000  # the step whose node is named "deep" (times s: an overflow for s = 1e308)


def long_chain(x0: float, s0: float) -> tuple[Node, Node, Node, Node]:
    """The root, the leaves x and s, and the node named "deep"."""
    x, s = Node(x0, "x"), Node(s0, "s")
    c = deep = x
    for step in range(STEPS):
        c = c * K + D
        if step % 500 == 499:
            c = (c * 1e-3).tanh() * 1e3
        if step == DEEP:
            deep = c.named("deep")
            c = deep * s
    return c.named("L"), x, s, deep


@pytest.mark.slow
def test_a_long_chain_compiles_in_parts_and_equals_the_engine() -> None:
    start = time.perf_counter()
    L, x, s, _ = long_chain(0.5, 1.0)
    f = microgrand.compile(L, [x, s])
    assert "    _part2(_live)\n" in f.source and "\ndef _part2(_live):\n" in f.source
    out = f(0.25, 0.5)
    fresh, fx, fs, deep = long_chain(0.25, 0.5)
    fresh.backward()
    assert compile_tests.same(out.value, fresh.value)
    assert compile_tests.same(out.grads[x], fx.grad) and compile_tests.same(out.grads[s], fs.grad)
    assert compile_tests.same(out.values["deep"], deep.value)
    assert compile_tests.same(out.grads["deep"], deep.grad)
    # Each example on arrays: within 4 ulp of the engine's (numpy's tanh is not glibc's).
    xs, ss = np.array([0.25, -1.0, 3.0]), np.array([0.5, 1.0, 2.0])
    arrays = f(xs, ss)
    total = 0.0
    for i in range(3):
        if i:
            fresh, fx, fs, deep = long_chain(xs[i], ss[i])
            fresh.backward()
        total += fresh.value
        assert compile_tests.close(arrays.values["deep"][i], deep.value)
        assert compile_tests.close(arrays.grads["x"][i], fx.grad)
        assert compile_tests.close(arrays.grads["s"][i], fs.grad)
        assert compile_tests.close(arrays.grads["deep"][i], deep.grad)
    assert abs(arrays.value - total) <= 1e-12 * abs(total)  # J: the sum over the examples
    # An overflow deep in the chain: the engine's error, naming the node, and the example.
    with pytest.raises(OverflowError, match=r"^mul: the result inf .*'deep' = .*'s' = 1e\+308"):
        f(0.5, 1e308)
    with pytest.raises(OverflowError, match=r"^example 1 of 2: mul: .*'deep' = .*'s' = 1e\+308"):
        f(np.array([0.5, 0.5]), np.array([1.0, 1e308]))
    print(
        f"[compile big] {len(f._order):,} nodes: compiled, floats, arrays and errors checked "
        f"in {time.perf_counter() - start:.1f} s",
        flush=True,
    )


# --- every op and random graphs, in parts of three statements ---------------------------------


@pytest.fixture
def tiny_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parts, "LONG", 0)
    monkeypatch.setattr(parts, "PART", 3)


@pytest.mark.usefixtures("tiny_parts")
@pytest.mark.parametrize("name", compile_tests.OP_NAMES)
def test_every_op_in_parts_equals_the_engine(name: str) -> None:
    compile_tests.test_every_op_compiled_equals_the_engine_bit_for_bit(name=name)
    compile_tests.test_every_op_on_arrays_is_within_4_ulp_of_each_example(name=name)


@pytest.mark.usefixtures("tiny_parts")
def test_random_graphs_in_parts_equal_the_engine() -> None:
    x = Node(0.5, "x")
    assert "_part2" in microgrand.compile(x.tanh() * 2.0, [x]).source
    compile_tests.test_random_graphs_compiled_equal_the_engine()
    compile_tests.test_random_graphs_on_arrays_match_each_example()


@pytest.mark.usefixtures("tiny_parts")
def test_names_the_parts_use_are_a_users_names_too() -> None:
    names = ["outputs", "_live", "live", "finite", "result", "self", "reduce", "part1", "_part1"]
    leaves = [Node(0.1 * (i + 1), name) for i, name in enumerate(names)]
    total = leaves[0].tanh()  # an input a tanh reads is checked by the driver
    for leaf in leaves[1:]:
        total = (total * leaf).tanh() + leaf
    f = microgrand.compile(total, leaves)
    assert "_part2(_live)" in f.source
    args = [0.2 * (i + 1) for i in range(len(names))]
    out = f(*args)
    fresh = [Node(v, name) for v, name in zip(args, names, strict=True)]
    root = fresh[0].tanh()
    for leaf in fresh[1:]:
        root = (root * leaf).tanh() + leaf
    root.backward()
    assert compile_tests.same(out.value, root.value)
    for traced, leaf in zip(leaves, fresh, strict=True):
        assert compile_tests.same(out.grads[traced], leaf.grad)
    with pytest.raises(ValueError, match="input outputs"):
        f(math.nan, *args[1:])


@pytest.mark.usefixtures("tiny_parts")
def test_parts_read_statements_as_the_short_code_does() -> None:
    """The parts find names and assignments with the short code's own patterns: d *= e
    (as `inplace` writes) reads and assigns d, and a non-ASCII name is a name. With their
    own pattern (+= and -= only, ASCII names), part 3 got part 1's d, and never got é."""
    lines = [
        "d = x * 2.0",
        "é = x + 1.0",
        "e = d * é",
        "d *= e",  # part 2 changes d (a float: a new one)
        "p = x - 1.0",
        "q = p * 3.0",
        "r = d + q + é",  # part 3 reads d as part 2 left it
    ]
    handed, bodies, _ = parts._split(lines, ["x"], "return r")
    driver = [
        "def run(x):",
        "    _live = {}",
        *(f"    {line}" for line in handed),
        *(f"    _part{j}(_live)" for j in range(1, len(bodies))),
        f"    return _part{len(bodies)}(_live)",
    ]
    assert len(bodies) == 3
    scope: dict[str, object] = {}
    parts.define(parts._text(driver, bodies), "<parts>", scope)
    straight: dict[str, float] = {"x": 0.75}
    exec("\n".join(lines), {}, straight)
    run = scope["run"]
    assert callable(run)
    assert run(0.75) == straight["r"]


@pytest.mark.usefixtures("tiny_parts")
def test_each_part_keeps_its_line_numbers_in_the_source() -> None:
    """Parts are compiled one at a time; a traceback still points at .source's lines."""
    x = Node(0.5, "x")
    f = microgrand.compile((x.tanh() * 2.0).exp().tanh(), [x])
    lines = f.source.splitlines()
    scope = f.__call__.__globals__
    parts_seen = 0
    for name, value in scope.items():
        if name.startswith("_part"):
            first = value.__code__.co_firstlineno
            assert lines[first - 1] == f"def {name}(_live):"
            end = lines.index("", first) if "" in lines[first:] else len(lines)
            numbers = {n for _, _, n in value.__code__.co_lines() if n is not None}
            assert max(numbers) == end  # its last statement, line for line
            parts_seen += 1
    assert parts_seen >= 3


# --- the code writer's printer and keys -------------------------------------------------

NAMES = st.sampled_from(["x", "t1", "dz", "a"])
NUMBERS = st.sampled_from([0.0, -0.0, 1.0, 2.5, 1e-7, 1e300, float("inf"), float("nan")])
OPERATORS = st.sampled_from([ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow])


def leaves() -> st.SearchStrategy[ast.expr]:
    return st.one_of(
        NAMES.map(lambda n: ast.Name(n)),
        NUMBERS.map(lambda v: ast.Constant(v)),
        st.integers(-3, 3).map(lambda v: ast.Constant(v)),  # not written by codegen: ast's
    )


def extend(children: st.SearchStrategy[ast.expr]) -> st.SearchStrategy[ast.expr]:
    return st.one_of(
        st.builds(lambda a, op, b: ast.BinOp(a, op(), b), children, OPERATORS, children),
        children.map(lambda a: ast.UnaryOp(ast.USub(), a)),
        st.builds(
            lambda f, args: ast.Call(ast.Name(f), args, []), NAMES, st.lists(children, max_size=3)
        ),
    )


EXPRESSIONS = st.recursive(leaves(), extend, max_leaves=12)


# Where parentheses are decided: ** groups from the right, - and / from the left.
TRICKY = ["(a ** b) ** c", "a ** b ** c", "(-x) ** 2.0", "x ** (-2.0)", "a - (b - c)", "a - b - c"]
TRICKY += ["a / (b * c)", "-(a + b)", "--a", "f(-a, b + c) * (a - b)", "-a * b", "-(a * b)"]


@pytest.mark.parametrize("text", TRICKY)
def test_unparse_writes_ast_unparse_text_where_parentheses_matter(text: str) -> None:
    expr = ast.parse(text, mode="eval").body
    assert unparse(expr) == ast.unparse(expr) == text


@given(EXPRESSIONS)
def test_unparse_writes_what_ast_unparse_writes(expr: ast.expr) -> None:
    assert unparse(expr) == ast.unparse(expr)


@given(EXPRESSIONS, EXPRESSIONS)
def test_keys_are_equal_exactly_when_ast_dump_is(a: ast.expr, b: ast.expr) -> None:
    assert (key(a) == key(b)) == (ast.dump(a) == ast.dump(b))
    assert key(a) == key(copy.deepcopy(a))
