"""`define_op`: one call makes an op, and everything picks it up.

`user_ops.py` (imported by conftest) defines `softplus` and `hypot` for the whole session,
so the op-parametrized suites (test_core_ops, test_core_gradcheck, test_core_torch) run
on them. This file checks what one call gives beyond those suites (method, function,
drawings in both views, `explain`, ``microgrand draw``) and what it refuses.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from user_ops import USER_OPS, forget, softplus

import microgrand
from microgrand import draw, draw_cli, explain, ops
from microgrand.define import TABLE
from microgrand.formula import ParseError
from microgrand.node import Node
from microgrand.parse import build

ROOT = Path(__file__).resolve().parent.parent


def test_one_call_makes_a_method_and_a_function() -> None:
    x = Node(0.4, "x")
    by_method = x.softplus()  # type: ignore[attr-defined]  # a method define_op adds at run time
    by_function = microgrand.softplus(x)
    assert by_method.op == by_function.op == "softplus"
    assert by_method.value == by_function.value == softplus(0.4)
    assert TABLE["softplus"].function is microgrand.softplus
    assert not TABLE["softplus"].builtin and TABLE["add"].builtin


def test_a_user_op_backpropagates_its_formula() -> None:
    x, y = Node(3.0, "x"), Node(-4.0, "y")
    out = microgrand.hypot(x, y)
    (out * 2).backward()
    assert out.value == 5.0
    assert x.grad == 2 * 3.0 / 5.0
    assert y.grad == 2 * -4.0 / 5.0
    z = Node(0.4, "z")
    s = z.softplus()  # type: ignore[attr-defined]  # a method define_op adds at run time
    s.backward()
    assert z.grad == ops.sigmoid(0.4)


def test_a_binary_user_op_takes_numbers_on_either_side() -> None:
    x = Node(3.0, "x")
    assert microgrand.hypot(x, 4).value == 5.0
    assert microgrand.hypot(4, x).value == 5.0
    # The ignore below: a method define_op adds at run time, unknown to mypy
    assert x.hypot(4.0).value == 5.0  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="hypot: at least one input must be a Node"):
        microgrand.hypot(3, 4)


def test_microgrand_draw_parses_a_user_op() -> None:
    root = build(["u = softplus(a) * hypot(a, b); J = 2 * u", "a=0.5", "b=1.5"])
    assert root.name == "J"
    u = root.parents[1]
    assert u.op == "mul"
    assert {p.op for p in u.parents} == {"softplus", "hypot"}
    with pytest.raises(ParseError, match="hypot takes 2 arguments, got 1"):
        build(["J = hypot(a)", "a=1"])


def test_drawings_and_explain_write_a_user_op() -> None:
    a, b = Node(0.5, "a"), Node(1.5, "b")
    # The ignore below: a method define_op adds at run time, unknown to mypy
    J = (a.softplus() * microgrand.hypot(a, b)).named("J")  # type: ignore[attr-defined]
    J.backward()
    for view in ("lecture", "ops"):
        source = draw(J, view=view).source
        assert "softplus" in source
        assert "hypot" in source or "‖·‖" in source
    text = str(explain(J, b))
    assert "hypot" in text
    assert re.search(r"[-−]?\d", text)


def test_a_wrong_formula_is_refused_with_both_numbers() -> None:
    """A learner's hand-derived derivative is checked at once."""
    with pytest.raises(ValueError) as info:
        microgrand.define_op("wrong_softplus", softplus, "exp(x)")
    message = str(info.value)
    assert "'wrong_softplus'" in message and "'exp(x)'" in message
    numbers = [float(n) for n in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", message)]
    at, analytic, numeric = 0.3, math.exp(0.3), ops.sigmoid(0.3)
    assert f"gives {analytic:.6g} at x = {at!r}" in message
    assert any(math.isclose(n, numeric, rel_tol=1e-6) for n in numbers), message
    assert "wrong_softplus" not in TABLE
    assert not hasattr(Node, "wrong_softplus")
    assert not hasattr(microgrand, "wrong_softplus")


def test_a_formula_wrong_in_the_second_input_only() -> None:
    with pytest.raises(ValueError, match=r"formula for y, 'x / out'.*central differences"):
        microgrand.define_op("bad_hypot", math.hypot, ["x / out", "x / out"])


def test_a_formula_that_fails_where_forward_works_is_refused() -> None:
    with pytest.raises(
        ValueError, match=r"'1 / \(x - x\)', fails .*central differences of forward give"
    ):
        microgrand.define_op("bad_cube", lambda x: x**3, "1 / (x - x)")


def test_a_formula_that_does_not_parse_is_refused() -> None:
    with pytest.raises(ParseError, match=r"define_op\('cube'\): unknown name 'z'"):
        microgrand.define_op("cube", lambda x: x**3, "3 * z ** 2")
    with pytest.raises(ParseError, match="calls to 'sqrt' are not allowed"):
        microgrand.define_op("cube", lambda x: x**3, "sqrt(x)")
    assert "cube" not in TABLE


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("exp", "'exp' is a built-in op and cannot be redefined"),
        ("add", "'add' is a built-in op"),
        ("backward", "would clash with Node.backward"),
        ("value", "would clash with Node.value"),
        ("draw", "would clash with microgrand.draw"),
        ("gradcheck", "would clash with microgrand.gradcheck"),
        ("step", "'step' is a built-in op"),
        ("is_zero", "reserved"),
        ("x", "reserved"),
        ("_private", "reserved"),
        ("not an identifier", "must be a Python identifier"),
        ("lambda", "must be a Python identifier"),
        (3, "must be a Python identifier"),
    ],
)
def test_names_that_are_refused(name: object, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        # Wrong on purpose (hence the ignore below): the test is the error
        microgrand.define_op(name, lambda x: 2 * x, "2")  # type: ignore[arg-type]


def test_a_users_op_may_be_defined_again() -> None:
    """Re-running a notebook cell defines the op again (graphs built before keep theirs)."""
    microgrand.define_op("twice", lambda x: 2.0 * x, "2")
    old = Node(1.0).twice()  # type: ignore[attr-defined]  # a method define_op adds at run time
    microgrand.define_op("twice", lambda x: 2.0 * x + 1.0, "2")
    try:
        # The ignore below: a method define_op adds at run time, unknown to mypy
        assert Node(1.0).twice().value == 3.0  # type: ignore[attr-defined]
        assert old.value == 2.0
    finally:
        forget("twice")


def test_finite_differences_of_a_graph_built_before_a_redefinition_use_the_old_forward() -> None:
    """compare's third column re-runs a graph's forward pass: with the op row the graph's
    nodes hold, not the row the table holds now under that name."""
    from microgrand.engine import ancestors
    from microgrand.finite_differences import finite_difference, recompute

    microgrand.define_op("cubed", lambda x: x**3, "3 * x**2")
    x = Node(2.0, "x")
    old = x.cubed()  # type: ignore[attr-defined]  # a method define_op adds at run time
    microgrand.define_op("cubed", lambda x: x**3 + 10.0 * x, "3 * x**2 + 10")
    try:
        order = ancestors(old)
        assert recompute(order, {x: 3.0}) == 27.0  # the new forward would give 57
        old.backward()
        slope = finite_difference(order, x)
        assert math.isclose(slope, 12.0, rel_tol=1e-6), slope  # d(x³)/dx at 2, not 22
        assert math.isclose(slope, x.grad, rel_tol=1e-6)
    finally:
        forget("cubed")


def test_explain_and_drawings_of_a_graph_built_before_a_redefinition_use_the_old_row() -> None:
    """explain once said dK/dx = 3x² + 10 = 22 (the new row, by name) where backward() gave
    12: every reader of a graph takes the row its nodes hold."""
    microgrand.define_op("cubed", lambda x: x**3, "3 * x**2")
    x = Node(2.0, "x")
    old = x.cubed().named("K")  # type: ignore[attr-defined]  # a method define_op adds
    old.backward()
    microgrand.define_op("cubed", lambda x: x**3 + 10.0 * x, "3 * x**2 + 10")
    try:
        explained = explain(old, x)
        assert explained.value == x.grad == 12.0
        assert "10" not in str(explained)
        for view in ("lecture", "ops"):
            source = str(draw(old, view=view).source)
            assert "+ 10" not in source and "= 12" in source, view
    finally:
        forget("cubed")


def test_a_users_piecewise_constant_op_of_a_number_reads_as_its_value() -> None:
    """Which functions are piecewise constant is read off the op table (derivative 0, as
    step), not listed by hand: a user's sign of a number is written as that number."""
    from microgrand import typeset

    microgrand.define_op("sign_of", lambda x: 1.0 if x > 0 else -1.0, "0")
    try:
        assert typeset.t_call("sign_of", ("num", 3.0)) == ("num", 1.0)
        assert typeset.t_call("step", ("num", -2.0)) == ("num", 0.0)
        assert typeset.t_call("is_zero", ("num", 2.0)) == ("num", 0.0)
        assert typeset.t_call("tanh", ("num", 0.5)) == ("call", "tanh", ("num", 0.5))
    finally:
        forget("sign_of")
    assert typeset.t_call("sign_of", ("num", 3.0)) == ("call", "sign_of", ("num", 3.0))


@pytest.mark.parametrize(
    ("forward", "derivatives", "error", "message"),
    [
        (3.0, "1", TypeError, "forward must be callable"),
        (lambda x, y: x, "1", TypeError, "forward must take 1 number"),
        (lambda x: x, [], ValueError, "one derivative formula"),
        (lambda x: x, ["1", "1", "1"], ValueError, "one derivative formula"),
        (lambda x: x, [1.0], ValueError, "one derivative formula"),
        (lambda x: math.log(-abs(x) - 1), "1", ValueError, "not defined"),
    ],
)
def test_bad_definitions(forward: object, derivatives: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        # Wrong on purpose (hence the ignore below): the test is the error
        microgrand.define_op("bad", forward, derivatives)  # type: ignore[arg-type]
    assert "bad" not in TABLE


def test_symbol_and_template() -> None:
    assert TABLE["softplus"].template == "softplus({0})"
    assert TABLE["softplus"].symbol == "softplus"
    assert TABLE["hypot"].template == "hypot({0}, {1})"
    assert TABLE["hypot"].symbol == "‖·‖"
    with pytest.raises(ValueError, match="bad template"):
        microgrand.define_op("odd", lambda x: x, "1", template="odd({1})")
    microgrand.define_op("half", lambda x: x / 2, "0.5", template="{0}/2")
    try:
        assert TABLE["half"].precedence == 0  # not a call: always in parentheses
        a = Node(3.0, "a")
        # The ignore below: a method define_op adds at run time, unknown to mypy
        J = (a.half() * 4).named("J")  # type: ignore[attr-defined]
        J.backward()
        assert a.grad == 2.0
        assert "(a/2)" in draw(J).source
    finally:
        forget("half")


def test_a_forward_that_returns_ints_gives_float_values() -> None:
    microgrand.define_op("floor_free", lambda x: 3 * round(x * 0) + 2 * x, "2")
    try:
        # The ignore below: a method define_op adds at run time, unknown to mypy
        out = Node(1.5).floor_free()  # type: ignore[attr-defined]
        assert type(out.value) is float
    finally:
        forget("floor_free")


def test_user_ops_survive_copy_and_pickle() -> None:
    import copy
    import pickle

    x = Node(0.3, "x")
    out = x.softplus()  # type: ignore[attr-defined]  # a method define_op adds at run time
    assert copy.deepcopy(out).op == "softplus"
    assert pickle.loads(pickle.dumps(out)).value == out.value


def test_the_user_ops_are_in_the_table() -> None:
    assert set(USER_OPS) <= set(TABLE)


def test_readme_and_draw_help_list_the_tables_ops() -> None:
    """No hand-written op list: README's and ``microgrand draw --help``'s are the table's."""
    builtins = [name for name, op in TABLE.items() if op.builtin]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"The ops: `([a-z_ ]+)`", readme)
    assert listed is not None and sorted(listed.group(1).split()) == sorted(builtins)
    helped = subprocess.run(
        [sys.executable, "-m", "microgrand", "draw", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    calls = re.findall(r"\b([a-z_]+)\((x(?:, y)?)\)", " ".join(helped.split()))
    functions = {name: op.arity for name, op in TABLE.items() if op.builtin}
    expected = [(name, ", ".join("xy"[:n])) for name, n in functions.items()]
    assert calls == [c for c in expected if c[0] not in ops.OPERATORS]
    assert draw_cli.functions_help().split() != []
    assert "softplus(x)" in draw_cli.functions_help()  # in this process, softplus is defined


def test_nodes_record_the_row_in_the_table() -> None:
    """Every way of recording an op records the very row the table holds (code that
    reads the table, like `compile`, compares rows by identity)."""
    x = Node(0.6, "x")
    for name, op in TABLE.items():
        made = [op.function(x) if op.arity == 1 else op.function(x, 0.5)]
        made.append(getattr(x, name)() if op.arity == 1 else getattr(x, name)(0.5))
        if op.arity == 2:
            made.append(op.function(0.5, x))
        for node in made:
            assert node._op is op, name
    assert (x + 1)._op is ops.ADD and (-x)._op is ops.NEG and (2**x)._op is ops.POW


def test_op_functions_show_in_dir_for_tab_completion() -> None:
    names = dir(microgrand)
    assert {"exp", "sigmoid", "bce_with_logits", "define_op", "softplus", "hypot"} <= set(names)


def test_the_type_checkers_declarations_are_the_tables_builtin_ops() -> None:
    """node.py declares the built-in rows' methods for mypy (Node gets them at run time
    from `install`): the declared names are exactly the table's, operators included."""
    import ast

    from microgrand import node as node_module

    source = Path(node_module.__file__).read_text(encoding="utf-8")
    node_class = next(
        item
        for item in ast.parse(source).body
        if isinstance(item, ast.ClassDef) and item.name == "Node"
    )
    declared = {
        function.name
        for block in node_class.body
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for function in block.body
        if isinstance(function, ast.FunctionDef)
    }
    builtins = [name for name, op in TABLE.items() if op.builtin]
    dunders = {d for name in builtins for d in node_module._OPERATORS.get(name, ())}
    assert declared == set(builtins) | dunders
