"""The Node API a user touches: op names, parents, names, identity, repr, leaf kinds."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from microgrand import bce_with_logits
from microgrand.node import Node

A, B = 0.75, 0.5

BUILDERS: list[tuple[str, Callable[[Node, Node], Node]]] = [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b),
    ("pow", lambda a, b: a**2),
    ("neg", lambda a, b: -a),
    ("exp", lambda a, b: a.exp()),
    ("log", lambda a, b: a.log()),
    ("sigmoid", lambda a, b: a.sigmoid()),
    ("tanh", lambda a, b: a.tanh()),
    ("relu", lambda a, b: a.relu()),
    ("bce_with_logits", lambda a, b: bce_with_logits(a, B)),
]


@pytest.mark.parametrize(("name", "build"), BUILDERS, ids=[name for name, _ in BUILDERS])
def test_op_names_are_pinned(name: str, build: Callable[[Node, Node], Node]) -> None:
    a, b = Node(A, "a"), Node(B, "b")
    out = build(a, b)
    assert out.op == name
    assert out.parents[0] is a
    assert not out.is_leaf
    assert not out.is_constant
    assert out.requires_grad


def test_reflected_op_names() -> None:
    a = Node(A, "a")
    assert [(1 + a).op, (1 - a).op, (2 * a).op, (2 / a).op] == ["add", "sub", "mul", "div"]


def test_parents_in_argument_order() -> None:
    a, b = Node(A, "a"), Node(B, "b")
    for out in (a - b, a / b, a + b, a * b):
        assert out.parents == (a, b)
        assert isinstance(out.parents, tuple)
    for out in (b - a, b / a):
        assert out.parents == (b, a)
    assert (b - a).value == B - A
    assert (b / a).value == B / A


def test_leaves_have_no_parents_and_no_op() -> None:
    w = Node(1.0, "w")
    x = Node(2.0, "x", requires_grad=False)
    for leaf in (w, x):
        assert leaf.parents == ()
        assert leaf.op is None
        assert leaf.is_leaf
        assert not leaf.is_constant
    assert w.requires_grad
    assert not x.requires_grad


def test_constants() -> None:
    w = Node(1.0, "w")
    three = (3 * w).parents[0]
    assert three.is_constant
    assert three.is_leaf
    assert not three.requires_grad
    assert three.value == 3.0
    assert type(three.value) is float
    assert three.op is None


def test_negative_zero_constant_keeps_its_sign() -> None:
    w = Node(1.0, "w")
    plus = w * 0.0
    minus = w * -0.0
    assert math.copysign(1.0, plus.value) == 1.0
    assert math.copysign(1.0, minus.value) == -1.0


def test_values_are_floats() -> None:
    assert type(Node(3).value) is float
    assert type((Node(3) + 1).value) is float
    assert type((Node(3) ** 2).value) is float


def test_named_returns_the_same_node() -> None:
    a = Node(2.0)
    u = a * 3
    assert u.named("u") is u
    assert u.name == "u"
    u.name = "v"
    assert u.name == "v"
    u.name = None
    assert u.name is None
    assert a.name is None


def test_identity_hash_and_equality() -> None:
    a, b = Node(1.0, "a"), Node(1.0, "a")
    assert a == a
    assert a != b
    assert (a == b) is False
    assert len({a, b, a}) == 2
    grads = {a: 1, b: 2}
    assert grads[a] == 1
    assert hash(a) == hash(a)


@pytest.mark.parametrize(
    "compare",
    [
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
        lambda a, b: a < 2.0,
        lambda a, b: a >= 2.0,
    ],
)
def test_no_comparison_operators(compare: Callable[[Node, Node], bool]) -> None:
    with pytest.raises(TypeError, match="not supported between instances"):
        compare(Node(1.0), Node(2.0))


def test_in_place_add_rebinds() -> None:
    c = Node(1.0, "c")
    old = c
    c += 1
    assert c is not old
    assert old.value == 1.0
    assert old.name == "c"
    assert old.op is None
    assert c.value == 2.0
    assert c.parents[0] is old
    c *= 3
    assert c.value == 6.0
    assert old.value == 1.0


def test_leaf_value_can_be_set() -> None:
    w = Node(1.0, "w")
    w.value = 2
    assert w.value == 2.0
    assert type(w.value) is float
    x = Node(1.0, "x", requires_grad=False)
    x.value = -3.5
    assert x.value == -3.5


def test_repr_is_short() -> None:
    w = Node(0.5, "w1")
    L = ((w * 2.0).exp() + 1).log().named("L")
    text = repr(L)
    assert text == "Node(L=1.3132616875182228, grad=0.0, op='log')"
    assert repr(w) == "Node(w1=0.5, grad=0.0)"
    assert repr(Node(2.0)) == "Node(2.0, grad=0.0)"
    assert "data" in repr(Node(1.0, "x", requires_grad=False))
    assert "constant" in repr((w * 3.0).parents[1])


def test_repr_escapes_control_characters() -> None:
    for name in ["a\nb", "tab\there", "bell\x07", "\x1b[31mred", "rtl\u202e"]:
        text = repr(Node(1.0, name))
        assert "\n" not in text
        assert "\t" not in text
        assert "\x07" not in text
        assert "\x1b" not in text
        assert "\u202e" not in text
        assert text.isprintable()


def test_repr_truncates_long_names() -> None:
    text = repr(Node(1.0, "w" * 10_000))
    assert len(text) < 120


class Trap:
    """Put where a node's parent was: reading anything from it fails the test."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"repr read {name!r} of a parent: it walked the graph")


def test_repr_does_not_walk_the_graph() -> None:
    """repr reads the node alone: its parents are replaced by traps, and repr still works."""
    c = Node(1.0, "c0")
    for _ in range(3):
        c = (c + 1.0).named("c")
    c._p0 = c._p1 = Trap()  # type: ignore[assignment]  # a test-only corruption
    text = repr(c)
    assert text == "Node(c=4.0, grad=0.0, op='add')"


def test_node_is_not_a_float() -> None:
    """No __float__: a Node cannot slip into math.* and lose its graph silently."""
    with pytest.raises(TypeError):
        float(Node(1.0))  # type: ignore[arg-type]  # wrong on purpose: the test is the error
    with pytest.raises(TypeError):
        math.exp(Node(1.0))  # type: ignore[arg-type]  # wrong on purpose: the test is the error


def test_no_instance_dict() -> None:
    with pytest.raises(AttributeError):
        Node(1.0).extra = 1  # type: ignore[attr-defined]  # wrong on purpose: the test is the error


def test_one_node_factory() -> None:
    """The slots of a Node are filled in one place (node.make), besides Node() itself."""
    import re
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "microgrand"
    fillers = {}
    for path in package.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        count = len(re.findall(r"\b\w+\._p1 = ", text))
        if count:
            fillers[path.name] = count
    assert fillers == {"node.py": 2}, fillers  # make() and Node.__init__
    from microgrand import copying
    from microgrand.node import make

    copy = copying.rebuild(2.5, 0.0, "c", "parameter", ())
    assert (copy.value, copy.name, copy.parents, copy.requires_grad) == (2.5, "c", (), True)
    assert make(1.5, copy._op).value == 1.5
