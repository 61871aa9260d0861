"""gradcheck: it passes on every correct op, and it fails on a wrong derivative."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator

import pytest

from microgrand import GradcheckError, bce_with_logits, gradcheck, ops
from microgrand import node as node_module
from microgrand.gradcheck import numeric_grads
from microgrand.node import Node

# Where each op is checked (default: 0.3, and -1.2 for a second input): inside its domain.
POINTS = {
    "pow": [1.7, 2.5],
    "log": [0.3],
    "bce_with_logits": [0.3, 0.25],
    "hypot": [0.3, -1.2],
}


def per_op(name: str) -> tuple[Callable[..., Node], list[float]]:
    """One graph per op of the table, each input a leaf: the op's function on the leaves."""
    op = ops.TABLE[name]
    return op.function, POINTS.get(name, [0.3, -1.2][: op.arity])


PER_OP = {name: per_op(name) for name in sorted(ops.TABLE)}


def test_every_op_has_a_gradcheck_case() -> None:
    assert set(PER_OP) == set(ops.TABLE) >= {"softplus", "hypot"}


def test_constant_inputs_pass_too() -> None:
    """The number forms the lecture uses: a number exponent, a number label."""
    assert gradcheck(lambda a: a**2.5, [1.7]) is True
    assert gradcheck(lambda a: bce_with_logits(a, 0.25), [0.3]) is True


@pytest.mark.parametrize("name", sorted(PER_OP))
def test_gradcheck_passes_on_each_op(name: str) -> None:
    fn, values = PER_OP[name]
    assert gradcheck(fn, values) is True


def test_gradcheck_passes_on_the_lecture_graph() -> None:
    def loss(w1: Node, w2: Node, b: Node) -> Node:
        a = (w1 * 2.0 + w2 * -1.0 + b).sigmoid()
        return -(1.0 * a.log() + 0.0 * (1 - a).log())

    assert gradcheck(loss, [0.3, 0.5, 0.1]) is True


def test_gradcheck_passes_with_fan_out() -> None:
    assert gradcheck(lambda a, b: (a * b + a).tanh() * a / (b * b + 1), [0.7, -0.4]) is True


@pytest.fixture
def wrong_mul(monkeypatch: pytest.MonkeyPatch) -> Iterator[ops.Op]:
    """The mul row with a deliberately wrong partial (d(xy)/dx = x instead of y).

    Rows are immutable: the test makes a wrong copy of the row and, for its duration only,
    Node's ``*`` records with it (monkeypatch puts the right methods back).
    """
    row = ops.MUL._replace(
        partials=lambda out, x, y: (x, x), partial_of=(lambda out, x, y: x,) * 2, swap=False
    )
    monkeypatch.setattr(Node, "__mul__", node_module._binary(row))
    monkeypatch.setattr(Node, "__rmul__", node_module._binary(row, reflected=True))
    yield row


def test_gradcheck_fails_on_a_wrong_derivative(wrong_mul: ops.Op) -> None:
    a, b = Node(2.0, "a"), Node(3.0, "b")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda p, q: p * q, [a, b])
    message = str(info.value)
    assert re.search(r"MISMATCH a: value 2\.0, analytic 2\.0, numeric (2\.99999|3\.0000)", message)
    assert re.search(r"ok +b: value 3\.0, analytic 2\.0, numeric (1\.99999|2\.0000)", message)
    assert "MISMATCH b" not in message
    assert "atol=1e-05" in message
    assert "rtol=0.001" in message


def test_gradcheck_reports_the_input_that_passes(wrong_mul: ops.Op) -> None:
    """Only the inputs whose derivative is wrong are marked."""
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda p, q: q * p, [Node(2.0, "p"), Node(3.0, "q")])
    lines = str(info.value).splitlines()
    assert any(line.strip().startswith("ok") and " p: value 2.0" in line for line in lines)
    assert any("MISMATCH q" in line for line in lines)


def test_gradcheck_unnamed_inputs_are_numbered(wrong_mul: ops.Op) -> None:
    with pytest.raises(GradcheckError, match=r"MISMATCH input 0: value 2.0.*\n.*input 1"):
        gradcheck(lambda p, q: p * q, [2.0, 5.0])


def test_gradcheck_error_is_an_assertion_error(wrong_mul: ops.Op) -> None:
    assert issubclass(GradcheckError, AssertionError)
    with pytest.raises(AssertionError):
        gradcheck(lambda p, q: p * q, [2.0, 5.0])


def test_gradcheck_can_return_false(wrong_mul: ops.Op) -> None:
    assert gradcheck(lambda p, q: p * q, [2.0, 5.0], raise_exception=False) is False


def test_wrong_derivative_fixture_restores_the_row() -> None:
    assert gradcheck(lambda p, q: p * q, [2.0, 5.0]) is True


def test_gradcheck_fails_on_a_wrong_unary_row() -> None:
    """A row with a wrong rule (define_op refuses one, so it is made by hand), recorded
    the way Node's methods record: gradcheck names the input and both numbers."""
    square = ops.TANH._replace(
        name="test_wrong_square",
        forward=lambda x: x * x,
        partials=lambda out, x: (3.0 * x,),
        partial_of=(lambda out, x: 3.0 * x,),
        fixed=None,
    )
    record = node_module._unary(square)
    with pytest.raises(GradcheckError, match=r"MISMATCH w: value 1.5, analytic 4.5"):
        gradcheck(lambda w: record(w), [Node(1.5, "w")])
    assert "test_wrong_square" not in ops.TABLE


def test_gradcheck_tolerances_are_pytorchs(wrong_mul: ops.Op) -> None:
    """|analytic - numeric| <= atol + rtol |numeric|, atol=1e-5 and rtol=1e-3 by default.

    With the wrong rule, d(pq)/dp comes out as p = 1.0 where it is q = 1.0001.
    """
    assert gradcheck(lambda p, q: p * q, [1.0, 1.0001], raise_exception=False) is True
    assert gradcheck(lambda p, q: p * q, [1.0, 1.0001], rtol=1e-5, raise_exception=False) is False
    assert gradcheck(lambda p, q: p * q, [1.0, 1.0001], rtol=0, atol=2e-4) is True


def test_gradcheck_fn_returning_a_number() -> None:
    with pytest.raises(TypeError, match=r"fn must return a Node.*got float"):
        gradcheck(lambda a: a.value * 2, [1.0])


def test_gradcheck_inputs_must_be_a_sequence() -> None:
    with pytest.raises(TypeError, match="inputs must be a sequence"):
        # Wrong on purpose (hence the ignore below): the test is the error
        gradcheck(lambda a: a * 2, Node(1.0))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="inputs must be a sequence"):
        # Wrong on purpose (hence the ignore below): the test is the error
        gradcheck(lambda a: a * 2, 1.0)  # type: ignore[arg-type]


def test_gradcheck_bad_input_value() -> None:
    with pytest.raises(ValueError, match=r"gradcheck: input 1.*finite"):
        gradcheck(lambda a, b: a * b, [1.0, math.nan])
    with pytest.raises(TypeError, match=r"gradcheck: input 0.*boolean"):
        gradcheck(lambda a: a * 2, [True])


@pytest.mark.parametrize(
    ("settings", "error", "match"),
    [
        ({"eps": 0.0}, ValueError, r"gradcheck: eps must be a finite number > 0, got 0\.0"),
        ({"eps": -1e-6}, ValueError, r"eps must be a finite number > 0, got -1e-06"),
        ({"eps": math.nan}, ValueError, r"gradcheck: eps must be a finite number > 0: .*nan"),
        ({"eps": "1e-6"}, TypeError, r"gradcheck: eps must be a finite number > 0: expected"),
        ({"second_eps": 0}, ValueError, r"second_eps must be a finite number > 0, got 0"),
        ({"atol": -1.0}, ValueError, r"gradcheck: atol must be a finite number >= 0, got -1"),
        ({"rtol": math.inf}, ValueError, r"gradcheck: rtol must be a finite number >= 0: .*inf"),
        ({"order": True}, TypeError, r"gradcheck: order must be 1 or 2, got True"),
        ({"raise_exception": "no"}, TypeError, r"raise_exception must be True or False, got"),
    ],
)
def test_gradcheck_refuses_bad_settings_before_checking(
    settings: dict[str, object], error: type[Exception], match: str
) -> None:
    """eps = 0 once raised a bare ZeroDivisionError, nan named a Node, a str gave '+=';
    a negative tolerance reported a mismatch of 1e-10, and "no" raised on a mismatch."""
    with pytest.raises(error, match=match):
        gradcheck(lambda a: a * a, [2.0], **settings)  # type: ignore[arg-type]


def test_gradcheck_leaves_the_callers_nodes_alone() -> None:
    w, b = Node(0.5, "w"), Node(-0.25, "b")
    L = (w * 2.0 + b).sigmoid()
    L.backward()
    before = [(n.value, n.grad, n.name) for n in (w, b, L)]
    assert gradcheck(lambda p, q: (p * 2.0 + q).sigmoid(), [w, b]) is True
    assert [(n.value, n.grad, n.name) for n in (w, b, L)] == before


def test_gradcheck_leaves_the_callers_nodes_alone_on_failure(wrong_mul: ops.Op) -> None:
    w, b = Node(0.5, "w"), Node(-0.25, "b")
    w.grad, b.grad = 7.0, 8.0
    with pytest.raises(GradcheckError):
        gradcheck(lambda p, q: p * q, [w, b])
    assert (w.value, w.grad, b.value, b.grad) == (0.5, 7.0, -0.25, 8.0)


def test_numeric_grads_central_differences() -> None:
    grads = numeric_grads(lambda a, b: a * a * b, [3.0, 2.0], ["a", "b"])
    assert math.isclose(grads[0], 12.0, rel_tol=1e-8)
    assert math.isclose(grads[1], 9.0, rel_tol=1e-8)


def test_gradcheck_leaves_nodes_captured_by_fn_alone() -> None:
    """A model's parameters used inside fn are the caller's nodes too (gradcheck's
    docstring: "the caller's nodes and their grads are never touched")."""
    w = Node(2.0, "w")
    L = w * 3.0
    L.backward()
    assert w.grad == 3.0
    assert gradcheck(lambda x: x * w, [1.0]) is True
    assert w.grad == 3.0
    assert L.grad == 1.0
