"""The formula language: text -> term tree -> partials code and fast-path facts.

The op table's backward is defined by its formula text alone (`microgrand.formula`); these
tests check the parser's whitelist (shared with `microgrand draw`), the trees, the code
generated from them, and that the engine's fast paths are read off the trees.
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import microgrand
from microgrand import formula, ops, parse
from microgrand.formula import Call, Num, Var
from microgrand.node import Node

FUNCTIONS = {"sigmoid": 1, "log": 1, "step": 1, "is_zero": 1, "bce_with_logits": 2}


def test_a_formula_parses_into_ops_by_name() -> None:
    tree = formula.parse("out * (1 - out)", 1, FUNCTIONS)
    assert tree == Call("mul", (Var("out"), Call("sub", (Num(1.0), Var("out")))))


def test_negative_numbers_are_numbers_and_unary_plus_vanishes() -> None:
    assert formula.parse("-1", 1, FUNCTIONS) == Num(-1.0)
    assert formula.parse("+x", 1, FUNCTIONS) == Var("x")
    assert formula.parse("-out / y", 2, FUNCTIONS) == Call(
        "div", (Call("neg", (Var("out"),)), Var("y"))
    )


def test_calls_and_powers_parse() -> None:
    assert formula.parse("sigmoid(x) - y", 2, FUNCTIONS) == Call(
        "sub", (Call("sigmoid", (Var("x"),)), Var("y"))
    )
    assert formula.parse("x ** 2", 1, FUNCTIONS) == Call("pow", (Var("x"), Num(2.0)))


@pytest.mark.parametrize(
    ("text", "inputs", "message"),
    [
        ("y", 1, "unknown name 'y' (a formula uses out, x)"),
        ("z * x", 2, "unknown name 'z'"),
        ("x.real", 1, "attribute access is not allowed"),
        ("__import__('os')", 1, "calls to '__import__' are not allowed"),
        ("x // 2", 1, "the operator // is not allowed"),
        ("x ^ 2", 1, "the operator ^ is not allowed"),
        ("sigmoid(x, x)", 1, "sigmoid takes 1 argument, got 2"),
        ("sigmoid(x=1)", 1, "keyword arguments are not allowed"),
        ("x if x else 1", 1, "conditional expressions are not allowed"),
        ("'x'", 1, "only numbers are allowed"),
        ("True", 1, "only numbers are allowed"),
        ("1e400 * x", 1, "the number must be finite"),
        ("x +", 1, "syntax error"),
        ("", 1, "empty"),
        ("x" + " + x" * 200, 1, "too long"),
    ],
)
def test_the_whitelist_refuses(text: str, inputs: int, message: str) -> None:
    with pytest.raises(formula.ParseError, match=re.escape(message)):
        formula.parse(text, inputs, FUNCTIONS)


def test_a_formula_must_be_text() -> None:
    with pytest.raises(TypeError, match="must be a str, got float"):
        # Wrong on purpose (hence the ignore below): the test is the error
        formula.parse(1.0, 1, FUNCTIONS)  # type: ignore[arg-type]


def test_draw_and_formulas_share_one_whitelist() -> None:
    """`microgrand draw` raises the formula module's ParseError with the same wording."""
    assert parse.ParseError is formula.ParseError
    with pytest.raises(parse.ParseError, match="the operator // is not allowed") as drawn:
        parse.build("J = a // 2; a = 1")
    with pytest.raises(formula.ParseError, match="the operator // is not allowed") as typed:
        formula.parse("x // 2", 1, FUNCTIONS)
    assert str(drawn.value).split(" in ")[0] == str(typed.value).split(" in ")[0]


def test_every_row_keeps_its_text_and_its_tree() -> None:
    for op in ops.TABLE.values():
        assert len(op.formulas) == len(op.derivatives) == len(op.partial_of) == op.arity
        for text, tree in zip(op.formulas, op.derivatives, strict=True):
            callables = {**ops.function_ops(), **dict.fromkeys(formula.HELPERS, 1)}
            assert formula.parse(text, op.arity, callables) == tree


def test_fast_path_facts_come_from_the_trees() -> None:
    """`fixed` is set exactly when every derivative is a number; `swap` for (y, x)."""
    for op in ops.TABLE.values():
        numbers = all(isinstance(t, Num) for t in op.derivatives)
        assert (op.fixed is not None) == numbers, op.name
        assert op.swap == (op.derivatives == (Var("y"), Var("x"))), op.name
    assert ops.ADD.fixed == (1.0, 1.0)
    assert ops.SUB.fixed == (1.0, -1.0)
    assert ops.NEG.fixed == (-1.0,)
    assert ops.MUL.swap and not ops.DIV.swap
    assert formula.constant_partials([Num(2.0), Var("x")]) is None
    assert formula.is_swap([Var("x"), Var("y")]) is False


def test_generated_partials_equal_the_hand_written_arithmetic_bit_for_bit() -> None:
    """The code generated from the trees computes what a person would write."""
    out, x, y = 0.3, -1.7, 2.9
    assert ops.TANH.partials(out, x) == (1.0 - out * out,)
    assert ops.SIGMOID.partials(out, x) == (out * (1.0 - out),)
    assert ops.DIV.partials(out, x, y) == (1.0 / y, -out / y)
    assert ops.LOG.partials(out, 2.5) == (1.0 / 2.5,)
    assert ops.POW.partial_of[0](x**3.0, x, 3.0) == 3.0 * x**2.0
    assert ops.BCE_WITH_LOGITS.partials(0.1, x, 1.0) == (ops.sigmoid(x) - 1.0, -x)


def test_generated_code_is_plain_python_operators() -> None:
    """No call per arithmetic step: tanh's partial is one multiply and one subtract."""
    code = ops.TANH.partials.__code__
    assert code.co_names == ()  # no global lookups: no function called
    assert set(code.co_varnames) == {"out", "x"}


def test_pow_slope_at_a_zero_exponent_is_zero_even_at_zero() -> None:
    """The special case the helper is_zero makes expressible: 0 ** 0 has slope 0 in x."""
    assert ops.POW.partial_of[0](1.0, 0.0, 0.0) == 0.0
    assert ops.POW.partial_of[0](1.0, -3.0, 0.0) == 0.0
    assert ops.POW.partial_of[0](0.0, 0.0, 1.0) == 1.0
    x = Node(0.0, "x")
    one = x**0
    one.backward()
    assert x.grad == 0.0


def test_pow_of_a_negative_base_with_a_number_exponent_needs_no_log() -> None:
    """The exponent holds no gradient, so out·log x (undefined at x < 0) is not computed."""
    x = Node(-2.0, "x")
    cube = x**3
    cube.backward()
    assert x.grad == 12.0
    assert cube.parents[1].grad == 0.0


def test_helpers_are_piecewise_constant() -> None:
    # step, relu's slope, is an op of the table (its derivative "0" is a formula)
    assert {"is_zero": formula.is_zero} == formula.HELPERS
    assert [ops.step(v) for v in (-1.0, -0.0, 0.0, 1e-300, 5.0)] == [0, 0, 0, 1, 1]
    assert ops.TABLE["step"].formulas == ("0",) and ops.TABLE["relu"].formulas == ("step(x)",)
    assert [formula.is_zero(v) for v in (-1.0, -0.0, 0.0, 1e-300)] == [0, 1, 1, 0]
    for helper in formula.HELPERS.values():
        assert "derivative is 0" in (helper.__doc__ or "")


@given(st.floats(-30, 30), st.floats(-30, 30))
def test_evaluate_on_floats_agrees_with_the_generated_partials(x: float, y: float) -> None:
    """`evaluate` with each op's forward gives the engine's partials, for every row."""
    functions = {name: op.forward for name, op in ops.TABLE.items()} | formula.HELPERS

    def apply(name: str, args: tuple[float, ...]) -> float:
        return float(functions[name](*args))

    for op in ops.TABLE.values():
        args = (x, y)[: op.arity]
        try:
            out = op.forward(*args)
        except (ArithmeticError, ValueError):
            continue
        variables = {"out": out, "x": x, "y": y}
        for i, tree in enumerate(op.derivatives):
            try:
                expected = op.partial_of[i](out, *args)
            except (ArithmeticError, ValueError):
                continue
            got = formula.evaluate(tree, variables, apply, float)
            assert got == expected or (math.isnan(got) and math.isnan(expected)), op.name


def test_evaluate_builds_whatever_apply_makes() -> None:
    """The same tree evaluated with Nodes records a graph of the derivative."""
    a = Node(0.5, "a")
    out = a.sigmoid()
    methods = {"mul": "__mul__", "sub": "__sub__", "add": "__add__"}

    def apply(name: str, args: tuple[Node | float, ...]) -> Node | float:
        left, right = args
        # The ignores: getattr gives Any, and these methods return a Node.
        if isinstance(left, Node):
            return getattr(left, methods[name])(right)  # type: ignore[no-any-return]
        return getattr(right, "__r" + methods[name][2:])(left)  # type: ignore[no-any-return]

    variables: dict[str, Node | float] = {"out": out, "x": a}
    slope = formula.evaluate(ops.SIGMOID.derivatives[0], variables, apply, float)
    assert isinstance(slope, Node)
    assert slope.value == out.value * (1.0 - out.value)
    assert {slope.op, *(p.op for p in slope.parents)} >= {"mul", "sub"}


def test_a_square_in_a_formula_is_the_engines_product_bit_for_bit() -> None:
    # C's pow(out, 2) is one ulp off out * out here: the gradient graph of tanh must still
    # give the number backward() gives (hypothesis found x = 3.555417592139797).
    x = Node(3.555417592139797, "x")
    t = x.tanh()
    t.backward()
    (first,) = microgrand.grad(t, [x], create_graph=True)
    assert isinstance(first, Node) and first.value == x.grad
