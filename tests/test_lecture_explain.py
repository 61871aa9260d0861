"""`explain` spells out the chain rule; its printed numbers multiply out to the gradient."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microgrand import Node
from microgrand.chain_rule import TooManyPathsError, explain
from microgrand.logreg import LectureGraph, lecture_graph, three_abc_graph

NUMBER = re.compile(r"^[-+*() .0-9e]+$")


def numbers_line(text: str) -> str:
    """The line of plain numbers (the chain with every factor evaluated)."""
    lines = [
        line.split("= ", 1)[1] for line in text.splitlines() if line.lstrip().startswith(("d", "="))
    ]
    candidates = [line for line in lines if NUMBER.match(line) and ("*" in line or "+" in line)]
    assert candidates, text
    return candidates[-1]


def evaluate(expression: str) -> float:
    """Multiply and sum the printed numbers (only digits, signs, *, + and parentheses)."""
    assert NUMBER.match(expression), expression
    value = eval(expression, {"__builtins__": {}})  # safe: checked to be arithmetic only
    assert isinstance(value, (int, float))
    return float(value)


def test_dw1_reads_like_the_lecture() -> None:
    g = lecture_graph()
    g.L.backward()
    e = explain(g.L, g.w1)
    text = str(e)
    assert text.splitlines()[0] == "dw1 = dL/da * da/dz * dz/dw1"
    assert "(-y/a + (1-y)/(1-a)) * a * (1 - a) * x1" in text
    assert "-1.819 * 0.2475 * 2" in text
    assert "= -0.9003" in text
    assert math.isclose(evaluate(numbers_line(text)), g.w1.grad, rel_tol=1e-3)
    assert math.isclose(e.value, g.w1.grad, rel_tol=1e-12)
    assert g.w1.grad != 0.0  # explain only reads the graph: grads are left as they were


@pytest.mark.parametrize("name", ["w1", "w2", "b", "z", "a"])
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_every_lecture_gradient_multiplies_out(name: str, y: float) -> None:
    g = lecture_graph(1.5, -0.5, 0.2, -0.7, 0.3, y)
    g.L.backward()
    node = getattr(g, name)
    e = explain(g.L, node)
    assert math.isclose(e.value, node.grad, rel_tol=1e-12, abs_tol=1e-15)
    text = str(e)
    last = text.splitlines()
    assert any(line.strip() == f"= {float(f'{node.grad:.4g}'):.4g}" for line in last), text
    if any("*" in line for line in last[1:]):
        got = evaluate(numbers_line(text))
        assert math.isclose(got, node.grad, rel_tol=2e-3, abs_tol=1e-4)


def test_da_is_a_sum_of_two_paths() -> None:
    g = lecture_graph(2.0, -1.0, 0.3, 0.5, 0.1, 0.0)
    g.L.backward()
    e = explain(g.L, g.a)
    assert len(e.chains) == 1 and len(e.chains[0].factors[0].terms) == 2
    assert "where dL/da sums 2 paths" in str(e)
    assert "-y/a + (1-y)/(1-a)" in str(e)


def test_diamond_shows_a_sum() -> None:
    x = Node(3.0, "x")
    p = (x * 2).named("p")
    q = x.exp().named("q")
    f = (p + q).named("f")
    f.backward()
    e = explain(f, x)
    text = str(e)
    assert text.splitlines()[0] == "dx = df/dp * dp/dx + df/dq * dq/dx"
    assert len(e.chains) == 2
    numbers = numbers_line(text)
    assert "+" in numbers
    assert math.isclose(evaluate(numbers), x.grad, rel_tol=1e-3)
    assert math.isclose(e.value, x.grad, rel_tol=1e-12)


def test_unnamed_nodes_collapse_and_a_node_used_twice_counts_twice() -> None:
    x = Node(3.0, "x")
    y = (x * x + x.exp() / x).named("y")
    y.backward()
    e = explain(y, x)
    assert e.paths == 4  # x * x twice, exp(x)/x through exp and directly
    assert math.isclose(e.value, x.grad, rel_tol=1e-12)
    assert str(e).splitlines()[0] == "dx = dy/dx"


def test_the_three_abc_graph() -> None:
    g = three_abc_graph()
    g.J.backward()
    text = str(explain(g.J, g.b))
    assert text.splitlines() == [
        "db = dJ/dv * dv/du * du/db",
        "   = 3 * 1 * c",
        "   = 3 * 1 * 2",
        "   = 6",
    ]
    assert str(explain(g.J, g.c)).endswith("= 9")
    assert str(explain(g.J, g.J)) == "dJ = dJ/dJ = 1"


def test_path_explosion_is_refused() -> None:
    x = Node(1.0, "x")
    y = x
    for _ in range(12):  # each level doubles the paths: 4096
        y = y * y
    with pytest.raises(TooManyPathsError, match="4096 paths"):
        explain(y, x)
    assert explain(y, x, max_paths=5000).paths == 4096


def test_deep_graphs_do_not_recurse() -> None:
    x = Node(1.0, "x")
    y = x
    for _ in range(20_000):
        y = y * 1.0
    e = explain(y.named("y"), x)
    assert e.value == 1.0


def test_a_node_outside_the_graph() -> None:
    g = lecture_graph()
    with pytest.raises(ValueError, match="does not depend on"):
        explain(g.L, Node(1.0, "stranger"))
    with pytest.raises(TypeError):
        explain(g.L, 1.0)  # type: ignore[arg-type]  # wrong on purpose: the test is the error


@pytest.mark.parametrize("explained", ["a", "L"])
def test_a_stale_graph_is_refused(explained: str) -> None:
    """The leaf changed after L was made: L.value is still 1.0, so d(a*a)/da = 2a = 10
    would explain a graph that no longer exists. explain refuses, as backward does."""
    a = Node(1.0, "a")
    L = (a * a).named("L")
    a.value = 5.0
    with pytest.raises(RuntimeError, match=r"leaf 'a' \(now 5.0\).*Build the graph again"):
        explain(L, a if explained == "a" else L)


def test_compare_refuses_a_stale_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    from microgrand import comparison

    def stale_lecture_graph(*point: float) -> LectureGraph:
        graph = lecture_graph(*point)
        graph.w2.value = 7.0
        return graph

    monkeypatch.setattr(comparison, "lecture_graph", stale_lecture_graph)
    with pytest.raises(RuntimeError, match=r"leaf 'w2' \(now 7.0\)"):
        comparison.compare()


def test_explain_names_data_leaves() -> None:
    g = lecture_graph()
    g.L.backward()
    text = str(explain(g.L, g.x1))
    assert "x1 is data (requires_grad=False): backward leaves its grad at 0.0" in text
    assert "= -1.819 * 0.2475 * 0.3" in text  # the derivative itself is still w1 * dz


SAFE_UNARY = ["neg", "tanh", "sigmoid"]
SAFE_BINARY = ["add", "sub", "mul"]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(SAFE_UNARY + SAFE_BINARY),
            st.integers(0, 100),
            st.integers(0, 100),
            st.booleans(),
        ),
        min_size=1,
        max_size=8,
    ),
    st.floats(-2.0, 2.0),
    st.floats(-2.0, 2.0),
)
def test_explain_equals_backward_on_random_graphs(
    steps: list[tuple[str, int, int, bool]], u: float, v: float
) -> None:
    nodes = [Node(u, "u"), Node(v, "v")]
    for k, (op, i, j, named) in enumerate(steps):
        x, y = nodes[i % len(nodes)], nodes[j % len(nodes)]
        if op == "add":
            out = x + y
        elif op == "sub":
            out = x - y
        elif op == "mul":
            out = x * y
        elif op == "neg":
            out = -x
        else:
            out = getattr(x, op)()
        nodes.append(out.named(f"n{k}") if named else out)
    root = nodes[-1]
    root.backward()
    for leaf in nodes[:2]:
        if leaf is root:
            continue
        try:
            e = explain(root, leaf, max_paths=10_000)
        except ValueError:  # root does not depend on this leaf
            assert leaf.grad == 0.0
            continue
        assert math.isclose(e.value, leaf.grad, rel_tol=1e-9, abs_tol=1e-12)
        assert str(e).splitlines()[0].startswith(f"d{leaf.name} = ")


def test_a_negated_negative_factor_reads_without_a_double_minus() -> None:
    """-1 (neg's slope) times -t/y (div's in its denominator) is t/y, never '--t/y'."""
    x, y = Node(2.0, "x"), Node(3.0, "y")
    out = ((-(x / y)) / y).named("out")
    text = str(explain(out, y))
    assert "--" not in text
    assert "= x/y**3 - out/y" in text  # ((x/y)/y)/y, as a power: the minus signs cancel


def test_control_characters_in_names_are_escaped_as_the_drawings_escape_them() -> None:
    """A name holding an ANSI colour code and a newline must not drive the terminal (nor
    split a line): explain shows it as the drawings do, through the one `clean_text`."""
    from microgrand.labels import clean_text, display_name

    hostile = "w\x1b[31m\nred"
    w = Node(0.5, hostile)
    x = Node(2.0, "x")
    L = (w * x).sigmoid().named("L")
    e = explain(L, w)
    for lines in (e.lines, e.unicode_lines):
        text = "\n".join(lines)
        assert "\x1b" not in text
        assert all("\n" not in line for line in lines)
    assert e.node == clean_text(hostile) == "w\\x1b[31m\\nred"
    assert e.lines[0].startswith("dw\\x1b[31m\\nred = ")
    assert e.unicode_lines[0].startswith(f"d{display_name(hostile)} = ")
    assert "\x1b" not in e._repr_html_()
    with pytest.raises(ValueError, match=r"w\\x1b\[31m\\nred") as refused:
        explain(x, w)
    assert "\x1b" not in str(refused.value)
