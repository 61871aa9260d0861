"""The op table, row by row: forward vs plain Python, partials vs central differences,
formula text vs partial code, and the Node method that records each row.

Every test here is parametrized over `ops.TABLE`, so a new row is tested with no new test
code: it only needs an entry in `DOMAINS` (where its inputs are valid; a default is used
otherwise) and in `REFERENCES` (a test fails until a row has one).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from user_ops import REFERENCES as USER_REFERENCES

from microgrand import ops
from microgrand.node import Node

OP_NAMES = sorted(ops.TABLE)
PINNED_NAMES = {
    "add",
    "sub",
    "mul",
    "div",
    "pow",
    "neg",
    "exp",
    "log",
    "sigmoid",
    "tanh",
    "step",
    "relu",
    "bce_with_logits",
}

Args = tuple[float, ...]


def finite(low: float, high: float) -> st.SearchStrategy[float]:
    """Finite floats in [low, high]."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def away_from_zero(low: float, high: float) -> st.SearchStrategy[float]:
    """Floats with low <= |v| <= high, of either sign."""
    return st.one_of(finite(low, high), finite(-high, -low))


WIDE = finite(-1e3, 1e3)

# Where each op's inputs are valid and its derivative is smooth enough for central
# differences (relu away from its kink, log and div away from their poles).
DOMAINS: dict[str, st.SearchStrategy[Args]] = {
    "add": st.tuples(WIDE, WIDE),
    "sub": st.tuples(WIDE, WIDE),
    "mul": st.tuples(WIDE, WIDE),
    "div": st.tuples(WIDE, away_from_zero(0.1, 1e3)),
    "neg": st.tuples(WIDE),
    "pow": st.one_of(
        st.tuples(finite(0.1, 10.0), finite(-3.0, 3.0)),
        st.tuples(away_from_zero(0.1, 10.0), st.integers(-3, 3).map(float)),
    ),
    "exp": st.tuples(finite(-50.0, 50.0)),
    "log": st.tuples(finite(1e-2, 1e3)),
    "sigmoid": st.tuples(finite(-30.0, 30.0)),
    "tanh": st.tuples(finite(-10.0, 10.0)),
    "step": st.tuples(away_from_zero(1e-3, 1e3)),
    "relu": st.tuples(away_from_zero(1e-3, 1e3)),
    "bce_with_logits": st.tuples(finite(-30.0, 30.0), finite(0.0, 1.0)),
}


def domain(name: str) -> st.SearchStrategy[Args]:
    """The inputs to draw for op `name` (moderate positive numbers for a row not listed)."""
    if name in DOMAINS:
        return DOMAINS[name]
    return st.tuples(*[finite(0.5, 2.0)] * ops.TABLE[name].arity)


def _plain_sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _log_sigmoid(t: float) -> float:
    """log(sigmoid(t)) without overflow, written independently of ops.bce_with_logits."""
    if t >= 0.0:
        return -math.log1p(math.exp(-t))
    return t - math.log1p(math.exp(t))


def _composed_bce(z: float, y: float) -> float:
    """The lecture's -(y log a + (1 - y) log(1 - a)), with log a and log(1 - a) stable."""
    return -(y * _log_sigmoid(z) + (1.0 - y) * _log_sigmoid(-z))


# The plain-Python value of each op; True when forward must match it bit for bit.
REFERENCES: dict[str, tuple[Callable[..., float], bool]] = {
    "add": (lambda x, y: x + y, True),
    "sub": (lambda x, y: x - y, True),
    "mul": (lambda x, y: x * y, True),
    "div": (lambda x, y: x / y, True),
    "neg": (lambda x: -x, True),
    "pow": (lambda x, y: x**y, True),
    "exp": (math.exp, True),
    "log": (math.log, True),
    "tanh": (math.tanh, True),
    "step": (lambda x: 1.0 if x > 0.0 else 0.0, True),
    "relu": (lambda x: max(x, 0.0), True),
    "sigmoid": (_plain_sigmoid, False),
    "bce_with_logits": (_composed_bce, False),
    **USER_REFERENCES,
}

# Inputs recorded as numbers here: the exponent of pow, the label of bce_with_logits.
# Their partials are still true derivatives, checked against central differences.
CONSTANT_INPUTS: dict[str, set[int]] = {"pow": {1}, "bce_with_logits": {1}}


def defined(name: str, i: int, args: Args) -> bool:
    """Whether op `name`'s partial in input i is defined (and central differences can
    measure it) at args: pow's slope in its exponent, out·log x, needs x > 0 (a negative
    base takes whole exponents only); bce's label must stay in [0, 1]."""
    if name == "pow" and i == 1:
        return args[0] > 0.0
    if name == "bce_with_logits" and i == 1:
        return 1e-3 < args[1] < 1.0 - 1e-3
    return True


# Operator dunders whose name differs from the op's name.
DUNDER_ALIASES = {"div": "__truediv__"}


def node_function(name: str) -> Callable[..., Node]:
    """How a user records op `name`: its Node operator or method (``a + b``, ``a.exp()``)."""
    method = getattr(Node, DUNDER_ALIASES.get(name, f"__{name}__"), None)
    return method or getattr(Node, name)  # type: ignore[no-any-return]  # getattr gives Any


def record(name: str, args: Args) -> tuple[Node, list[Node | float]]:
    """Record op `name` on fresh leaves made from args; constant inputs stay numbers."""
    constant_inputs = CONSTANT_INPUTS.get(name, set())
    operands: list[Node | float] = [
        value if i in constant_inputs else Node(value, name=f"in{i}")
        for i, value in enumerate(args)
    ]
    return node_function(name)(*operands), operands


def central_difference(f: Callable[..., float], args: Args, i: int) -> float:
    """(f(v + h) - f(v - h)) / 2h in input i, with a step relative to the input's size."""
    h = 1e-6 * max(1.0, abs(args[i]))
    up, down = list(args), list(args)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (up[i] - down[i])


def test_pinned_names_are_in_the_table() -> None:
    assert set(ops.TABLE) >= PINNED_NAMES


@pytest.mark.parametrize("name", OP_NAMES)
def test_row_is_complete(name: str) -> None:
    op = ops.TABLE[name]
    assert op.name == name
    assert op.symbol
    assert op.arity in (1, 2)
    assert 1 <= op.precedence <= 5
    placeholders = tuple(f"{{{i}}}" for i in range(op.arity))
    assert all(p in op.template for p in placeholders)
    assert op.template.format(*("x", "y")[: op.arity])


def test_define_op_refuses_to_redefine_a_builtin() -> None:
    with pytest.raises(ValueError, match="'mul' is a built-in op and cannot be redefined"):
        ops.define_op("mul", lambda x, y: x * y, ["y", "x"])
    assert ops.TABLE["mul"] is ops.MUL


@pytest.mark.parametrize("name", OP_NAMES)
def test_every_row_has_a_plain_python_reference(name: str) -> None:
    assert name in REFERENCES, f"add a plain-Python reference for the new op {name!r}"


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_forward_matches_plain_python(name: str, data: st.DataObject) -> None:
    args = data.draw(domain(name), label="args")
    reference, exact = REFERENCES[name]
    got = ops.TABLE[name].forward(*args)
    want = reference(*args)
    assert type(got) is float
    if exact:
        assert got == want
    else:
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_node_records_the_row(name: str, data: st.DataObject) -> None:
    """The Node operator gives forward's value bit for bit, the pinned op name and the
    inputs as parents in argument order."""
    args = data.draw(domain(name), label="args")
    out, operands = record(name, args)
    assert out.value == ops.TABLE[name].forward(*args)
    assert out.op == name
    assert len(out.parents) == len(args)
    for parent, operand in zip(out.parents, operands, strict=True):
        if isinstance(operand, Node):
            assert parent is operand
        else:
            assert parent.is_constant
            assert parent.value == operand


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_partials_match_central_differences(name: str, data: st.DataObject) -> None:
    args = data.draw(domain(name), label="args")
    op = ops.TABLE[name]
    out = op.forward(*args)
    assert len(op.partial_of) == len(op.derivatives) == op.arity
    for i in range(op.arity):
        if not defined(name, i, args):
            continue
        analytic = op.partial_of[i](out, *args)
        numeric = central_difference(op.forward, args, i)
        assert math.isclose(analytic, numeric, rel_tol=1e-6, abs_tol=1e-6), (i, numeric)


@pytest.mark.parametrize("name", OP_NAMES)
def test_formulas_use_only_known_names(name: str) -> None:
    allowed = {"out", "x", "y", *ops.FORMULA_FUNCTIONS}
    for formula in ops.TABLE[name].formulas:
        names = set(compile(formula, formula, "eval").co_names)
        assert names <= allowed, f"{formula!r} uses {names - allowed}"


def evaluate_formula(formula: str, out: float, args: Args) -> float:
    """The value of a formula string at out, x (and y)."""
    variables: dict[str, object] = {**ops.FORMULA_FUNCTIONS, "out": out, "x": args[0]}
    if len(args) > 1:
        variables["y"] = args[1]
    value = eval(formula, {"__builtins__": {}}, variables)
    return float(value)


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_formula_text_matches_partials(name: str, data: st.DataObject) -> None:
    args = data.draw(domain(name), label="args")
    op = ops.TABLE[name]
    out = op.forward(*args)
    for i, formula in enumerate(op.formulas):
        if not defined(name, i, args):
            continue
        partial = op.partial_of[i](out, *args)
        text_value = evaluate_formula(formula, out, args)
        assert math.isclose(text_value, partial, rel_tol=1e-12, abs_tol=1e-300), formula


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_backward_applies_the_row_partials(name: str, data: st.DataObject) -> None:
    """One op, backward: each leaf's grad is exactly the row's partial."""
    args = data.draw(domain(name), label="args")
    op = ops.TABLE[name]
    out, operands = record(name, args)
    out.backward()
    assert out.grad == 1.0
    for i, (parent, operand) in enumerate(zip(out.parents, operands, strict=True)):
        if isinstance(operand, Node):
            assert operand.grad == op.partial_of[i](out.value, *args)
        else:
            assert parent.grad == 0.0


def test_operators_match_python_operators() -> None:
    """The op table's arithmetic rows are Python's own operators (true division)."""
    assert ops.ADD.forward is operator.add
    assert ops.SUB.forward is operator.sub
    assert ops.MUL.forward is operator.mul
    assert ops.DIV.forward is operator.truediv
    assert Node(1).__truediv__(3).value == 1 / 3
    assert (Node(7) / 2).value == 3.5
