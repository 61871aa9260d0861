"""The DOT text of both views: snapshots of the lecture's graphs and what the lecture shows.

The DOT source is the golden artifact: it is deterministic (generated ids n0, n1, ...), so
the drawings of the two lecture graphs are compared with files in tests/snapshots/. Set
MICROGRAND_UPDATE_SNAPSHOTS=1 to rewrite them after an intended change, and look at the
pictures (docs/images/) before committing the new snapshots.
"""

from __future__ import annotations

import math
import os
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from render_helpers import available, first_column_top_to_bottom, lecture_logreg, three_abc

from microgrand import MLP, Node, bce_with_logits, engine, grad
from microgrand.lecture_view import is_data
from microgrand.notation import formula_term, show
from microgrand.ops import TABLE
from microgrand.render import (
    ENGINES,
    LABEL_LIMIT,
    MAX_NODES,
    Graph,
    GraphTooLargeError,
    Lecture,
    draw,
)

SNAPSHOTS = Path(__file__).parent / "snapshots"


def check_snapshot(name: str, source: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("MICROGRAND_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(source, encoding="utf-8")
    assert source == path.read_text(encoding="utf-8"), f"{name} changed (see module docstring)"


LABEL = r'label=(?:"((?:[^"\\]|\\.)*)"|([^\s\]"]+))'


def labels(source: str) -> list[str]:
    return [m.group(1) or m.group(2) for m in re.finditer(LABEL, source)]


def red_labels(source: str) -> list[str]:
    return [
        m.group(1) or m.group(2) for m in re.finditer(r"\[" + LABEL + r"[^\]]*dir=back", source)
    ]


# --- snapshots --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("snapshot", "make", "kwargs"),
    [
        ("lecture-logreg-values.dot", lecture_logreg, {}),
        ("lecture-logreg-formulas.dot", lecture_logreg, {"values": False, "grads": False}),
        ("lecture-J.dot", three_abc, {}),
        ("ops-logreg.dot", lecture_logreg, {"view": "ops"}),
        ("ops-J.dot", three_abc, {"view": "ops"}),
    ],
)
def test_snapshot(snapshot: str, make: Callable[..., Any], kwargs: dict[str, Any]) -> None:
    root = make()
    check_snapshot(snapshot, draw(root, **kwargs).source)


def test_source_is_deterministic() -> None:
    assert draw(lecture_logreg()).source == draw(lecture_logreg()).source
    assert draw(three_abc(), view="ops").source == draw(three_abc(), view="ops").source


# --- the lecture view -------------------------------------------------------------------------


def test_lecture_logreg_reads_like_the_slide() -> None:
    source = draw(lecture_logreg()).source
    found = labels(source)
    assert found[:5] == ["x₁ = 2", "w₁ = 0.3", "x₂ = −1", "w₂ = 0.5", "b = 0.1"]
    assert "z = w₁x₁ + w₂x₂ + b\\n0.2" in found
    assert "ŷ = a = σ(z)\\n0.5498" in found
    assert "L(a, y)\\n0.5981" in found
    assert red_labels(source) == [
        "dw₁ = x₁·dz = −0.9003",
        "dw₂ = x₂·dz = 0.4502",
        "db = dz = −0.4502",
        "dz = a − y = −0.4502",
        "da = −y/a + (1−y)/(1−a) = −1.819",
    ]
    assert source.count("shape=box") == 3  # z, a, L: unnamed nodes are folded


def test_formulas_only_as_on_the_slide() -> None:
    source = draw(lecture_logreg(), values=False, grads=False).source
    assert red_labels(source) == [
        "dw₁ = x₁·dz",
        "dw₂ = x₂·dz",
        "db = dz",
        "dz = a − y",
        "da = −y/a + (1−y)/(1−a)",
    ]
    assert "0.2" not in source and "0.5498" not in source


@pytest.mark.parametrize("x_data", [True, False])
@pytest.mark.parametrize("data_first", [False, True])
def test_inputs_read_x1_w1_x2_w2_b_whether_x_is_data_or_a_node(
    x_data: bool, data_first: bool
) -> None:
    """The slide's column, top to bottom, however the learner writes it: x data or ordinary
    Nodes, w₁x₁ or x₁w₁ (the box reads as written)."""
    x1, x2 = (Node(v, name, requires_grad=not x_data) for v, name in ((2.0, "x1"), (-1.0, "x2")))
    w1, w2, b = Node(0.3, "w1"), Node(0.5, "w2"), Node(0.1, "b")
    y = Node(1.0, "y")  # an ordinary Node too: it wants a gradient (dy)
    z = (x1 * w1 + x2 * w2 + b) if data_first else (w1 * x1 + w2 * x2 + b)
    a = z.named("z").sigmoid().named("a")
    L = (-(y * a.log() + (1 - y) * (1 - a).log())).named("L")
    L.backward()
    source = draw(L).source
    assert labels(source)[:6] == ["x₁ = 2", "w₁ = 0.3", "x₂ = −1", "w₂ = 0.5", "b = 0.1", "y = 1"]
    box = "z = x₁w₁ + x₂w₂ + b\\n0.2" if data_first else "z = w₁x₁ + w₂x₂ + b\\n0.2"
    assert box in labels(source)
    reds = red_labels(draw(L, values=False, grads=False).source)
    assert reds[:-3] == (
        ["dw₁ = x₁·dz", "dw₂ = x₂·dz", "db = dz"]
        if x_data
        else ["dx₁ = w₁·dz", "dw₁ = x₁·dz", "dx₂ = w₂·dz", "dw₂ = x₂·dz", "db = dz"]
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_the_first_column_is_laid_out_in_the_slides_order(engine: str) -> None:
    """Top to bottom as the slides draw it, whatever order `dot` would pick to cut
    crossings: x₁, w₁, x₂, w₂, b; and a above b and c in J = 3(a + bc) (a enters the later
    box v, b and c the box u below it)."""
    if not available(engine):
        pytest.skip(f"{engine} is not installed")
    assert first_column_top_to_bottom(draw(lecture_logreg(), engine=engine).svg()) == [
        "x₁",
        "w₁",
        "x₂",
        "w₂",
        "b",
    ]
    assert first_column_top_to_bottom(draw(three_abc(), engine=engine).svg()) == ["a", "b", "c"]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_gradient_graph_keeps_the_lecture_views_column(engine: str) -> None:
    """The backward pass drawn as a graph (grad with create_graph=True) lists the leaves
    as the forward drawing does, top to bottom: dw₂'s graph, which also takes x₂ into its
    last box, read x₂, x₁, w₁, b, w₂ as `dot` laid it out."""
    if not available(engine):
        pytest.skip(f"{engine} is not installed")
    L = lecture_logreg()
    leaves = {node.name: node for node in Lecture(Graph(L)).inputs}
    forward = first_column_top_to_bottom(draw(L, engine=engine).svg())
    assert forward == ["x₁", "w₁", "x₂", "w₂", "b"]
    gradients = grad(L, [leaves["w1"], leaves["w2"], leaves["b"]], create_graph=True)
    for gradient, name in zip(gradients, ("dw1", "dw2", "db"), strict=True):
        gradient.named(name).backward()
        column = first_column_top_to_bottom(draw(gradient, engine=engine).svg())
        assert column == forward, (name, column)


def test_a_gradient_graph_lists_its_inputs_in_the_forward_views_order() -> None:
    """Every gradient of a 2-2-1 network, drawn: its inputs in the order the loss's drawing
    gives them (the leaves it has), so the columns of the two drawings agree."""
    net = MLP(2, [2, 1])
    L = net.loss([0.5, -1.0], 1.0)

    def names(root: Node) -> list[str]:
        model = Lecture(Graph(root))
        return [model.names[id(node)] for node in model.inputs]

    forward = names(L)
    for parameter, gradient in zip(
        net.parameters(), grad(L, net.parameters(), create_graph=True), strict=True
    ):
        drawn = names(gradient.named("g"))
        assert drawn == [name for name in forward if name in drawn], parameter.name


def test_which_inputs_are_the_lectures_data() -> None:
    """Data first in an op: requires_grad=False, or a Node named as the course names data."""
    for name in ("x", "x1", "x₁", "x_1", "x[1]", "X", "y", "y₁"):
        assert is_data(Node(1.0, name)), name
    for name in ("w1", "b", "xi", "max", "yhat", "a", "xα", "x 1", "x1b"):
        assert not is_data(Node(1.0, name)), name
    assert not is_data(Node(1.0))
    assert is_data(Node(1.0, "w", requires_grad=False))


def test_y_as_a_data_leaf_is_an_input_without_red_arrow() -> None:
    source = draw(lecture_logreg(y_as_node=True)).source
    assert "y = 1" in labels(source)
    assert "L(a, y)\\n0.5981" in labels(source)
    assert not any(label.startswith("dy") for label in red_labels(source))
    assert red_labels(source)[-1] == "da = −y/a + (1−y)/(1−a) = −1.819"


def _logreg_with_y_a_node(y_requires_grad: bool) -> Node:
    """The lecture's graph as a learner writes it with every leaf an ordinary Node."""
    x1, x2 = Node(2.0, name="x1"), Node(-1.0, name="x2")
    w1, w2, b = Node(0.3, name="w1"), Node(0.5, name="w2"), Node(0.1, name="b")
    y = Node(1.0, name="y", requires_grad=y_requires_grad)
    z = (w1 * x1 + w2 * x2 + b).named("z")
    a = z.sigmoid().named("a")
    L = (-(y * a.log() + (1 - y) * (1 - a).log())).named("L")
    L.backward()
    return L


@pytest.mark.parametrize("y_requires_grad", [True, False])
def test_y_as_an_ordinary_node_keeps_the_lecture_labels(y_requires_grad: bool) -> None:
    L = _logreg_with_y_a_node(y_requires_grad)
    source = draw(L).source
    found, reds = labels(source), red_labels(source)
    assert "L(a, y)\\n0.5981" in found
    assert "ŷ = a = σ(z)\\n0.5498" in found
    assert "dz = a − y = −0.4502" in reds
    assert "da = −y/a + (1−y)/(1−a) = −1.819" in reds
    assert "dw₁ = x₁·dz = −0.9003" in reds
    assert "dx₁ = w₁·dz = −0.135" in reds  # x₁ is an ordinary Node here: it gets an arrow
    dy = [label for label in reds if label.startswith("dy")]
    assert dy == (["dy = log(1 − a) − log(a) = −0.2"] if y_requires_grad else [])
    if y_requires_grad:  # the label's formula is the engine's number: −0.19998
        y, log_a = L.parents[0].parents[0].parents  # L = −(y·log(a) + ...)
        a = log_a.parents[0]
        assert math.isclose(y.grad, math.log(1 - a.value) - math.log(a.value), rel_tol=1e-12)
    assert source.count("shape=box") == 3


def test_products_of_a_name_and_a_call_are_not_run_together() -> None:
    a, y = Node(0.5, name="a"), Node(1.0, name="y")
    K = (y * a.log() + (1 - y) * (1 - a).log()).named("K")  # not the loss: no minus sign
    K.backward()
    found = labels(draw(K).source)
    assert "K = y log(a) + (1 − y) log(1 − a)\\n−0.6931" in found
    assert not any("ylog" in label or ")log" in label for label in found)


def test_data_leaves_get_no_red_arrow() -> None:
    reds = red_labels(draw(lecture_logreg()).source)
    assert not any(label.startswith(("dx₁", "dx₂")) for label in reds)


def test_three_abc_numbers_as_in_the_earlier_lecture() -> None:
    source = draw(three_abc()).source
    assert [label for label in labels(source) if "\\n" in label] == [
        "u = bc\\n6",
        "v = a + u\\n11",
        "J = 3v\\n33",
    ]
    assert sorted(red_labels(source)) == ["da = 3", "db = 6", "dc = 9", "du = 3", "dv = 3"]


def test_three_abc_with_formulas() -> None:
    reds = red_labels(draw(three_abc(), formulas=True).source)
    assert sorted(reds) == [
        "da = dv = 3",
        "db = c·du = 6",
        "dc = b·du = 9",
        "du = dv = 3",
        "dv = 3",
    ]


def test_bce_with_logits_reads_dz_equals_a_minus_y() -> None:
    w, x = Node(0.3, "w"), Node(2.0, "x", requires_grad=False)
    z = (w * x + 0.1).named("z")
    L = bce_with_logits(z, 1.0).named("L")
    L.backward()
    source = draw(L).source
    assert any(label.startswith("L(a, y), a = σ(z), y = 1") for label in labels(source))
    assert f"dz = a − y = {-0.3318:.4f}".replace("-", "−") in red_labels(source)


def test_shared_unnamed_node_gets_its_own_box_and_arrows_add_up() -> None:
    a = Node(2.0, "a")
    shared = a * 3  # unnamed, used by two named nodes
    p = (shared + 1).named("p")
    q = (shared * a).named("q")
    r = (p + q).named("r")
    r.backward()
    source = draw(r, formulas=True).source
    boxes = [label for label in labels(source) if label.startswith("t₁ = ")]
    assert boxes == ["t₁ = a·3\\n6"]
    # a feeds t₁ and q: each arrow shows its share, and the shares add up to a.grad.
    shares = [label for label in red_labels(source) if label.startswith("da +=")]
    assert len(shares) == 2
    total = sum(float(s.rsplit("= ", 1)[1].replace("−", "-")) for s in shares)
    assert abs(total - a.grad) <= 1e-3 * abs(a.grad)


def test_unnamed_root_and_leaves_get_generated_names() -> None:
    t = Node(1.5)
    out = t.tanh() * 2.0
    out.backward()
    found = labels(draw(out).source)
    assert "t₁ = 1.5" in found
    assert "t₂ = tanh(t₁)·2\\n1.81" in found


def test_grads_before_backward_are_left_out() -> None:
    a = Node(5.0, "a")
    J = (a * a).named("J")
    assert red_labels(draw(J).source) == ["da = a + a"]  # formulas only, no numbers yet
    J.backward()
    assert red_labels(draw(J).source) == ["da = 10"]
    assert red_labels(draw(J, formulas=False, grads=False).source) == ["da"]


@pytest.mark.parametrize("backpropagated", [True, False])
def test_drawing_does_not_change_grads_or_values(backpropagated: bool) -> None:
    """Every node of the graph, not only L (whose grad is always 1.0 after backward)."""
    L = lecture_logreg()
    if not backpropagated:
        L.zero_grad()
    nodes = engine.ancestors(L)
    before = [(n.value, n.grad) for n in nodes]
    assert len(nodes) > 10
    assert any(grad != 0.0 for _, grad in before) == backpropagated
    draw(L)
    draw(L, view="ops")
    draw(L, values=False, grads=False)
    assert [(n.value, n.grad) for n in nodes] == before


def test_every_op_in_the_table_draws() -> None:
    """A new op row draws with no renderer change: every row, both views."""
    for op in TABLE.values():
        x = Node(0.7, "x")
        out = op.function(x) if op.arity == 1 else op.function(x, 1.0)
        assert out is not None, op.name
        out.named("f").backward()
        for view in ("lecture", "ops"):
            assert "digraph" in draw(out, view=view, formulas=True).source


def test_every_table_formula_renders() -> None:
    variables = {v: ("atom", v, 5) for v in ("out", "x", "y")}
    for op in TABLE.values():
        for formula in op.formulas:
            term = formula_term(formula, variables)
            assert term is not None, (op.name, formula)
            assert show(term)[0]


def test_lecture_folds_unnamed_nodes() -> None:
    model = Lecture(Graph(lecture_logreg()))
    assert [model.names[id(box)] for box in model.boxes] == ["z", "a", "L"]
    assert [model.names[id(n)] for n in model.inputs] == ["x₁", "w₁", "x₂", "w₂", "b"]


def test_precedence_adds_parentheses() -> None:
    a, b, c = Node(1.0, "a"), Node(2.0, "b"), Node(3.0, "c")
    out = ((a - (b - c)) * (a + b) / -(b * c)).named("f")
    out.backward()
    assert "f = (a−(b−c))(a+b)/(−bc)\\n" in draw(out).source


# --- size limits ------------------------------------------------------------------------------


def test_large_graph_moves_grads_into_boxes() -> None:
    x = Node(0.5, "x")
    node = x
    for i in range(LABEL_LIMIT + 10):
        node = (node * 0.9 + 0.01).named(f"h{i}")
    node.backward()
    source = draw(node).source
    assert "dir=back" in source
    assert red_labels(source) == []  # red arrows kept, labels dropped
    assert "dh₀ = " in source and "dx = " in source


def test_large_graph_renders() -> None:
    """300 named boxes lay out (their time is in benchmarks/drawing.py)."""
    from microgrand.render import RendererNotFoundError, find_renderer

    try:
        find_renderer()
    except RendererNotFoundError:
        pytest.skip("no layout program installed")
    x = Node(0.5, "x")
    node = x
    for i in range(300):
        node = (node * 0.9 + 0.01).named(f"h{i}")
    node.backward()
    texts = set(ET.fromstring(draw(node, timeout=120.0).svg()).itertext())
    assert {"x = 0.5", "h₀ = x·0.9 + 0.01", "h₂₉₉ = h₂₉₈·0.9 + 0.01"} <= texts


def test_too_large_is_refused_fast() -> None:
    x = Node(0.5, "x")
    node = x
    for _ in range(MAX_NODES + 1):
        node = node + 1.0
    with pytest.raises(GraphTooLargeError, match="more than"):
        draw(node)
    with pytest.raises(GraphTooLargeError):
        draw(node, view="ops")


@pytest.mark.slow
def test_million_node_chain_fails_fast_without_recursion() -> None:
    limit = sys.getrecursionlimit()
    x = Node(0.5, "x")
    node = x
    for _ in range(1_000_000):
        node = node * 1.0000001
    with pytest.raises(GraphTooLargeError):
        draw(node)
    assert sys.getrecursionlimit() == limit


def test_deep_unnamed_fold_does_not_recurse() -> None:
    x = Node(0.5, "x")
    node = x
    for _ in range(MAX_NODES - 10):
        node = node.tanh()
    node.backward()
    source = draw(node, formulas=True).source
    assert "…" in source  # the folded formula is capped, the red arrow shows a number


def test_bad_arguments() -> None:
    with pytest.raises(TypeError):
        draw(3.0)  # type: ignore[arg-type]  # wrong on purpose: the test is the error
    with pytest.raises(ValueError, match="view"):
        draw(three_abc(), view="slides")


def test_deep_graph_with_many_inputs_lays_out() -> None:
    """Inputs leave the first column in deep graphs: 70 boxes once took `dot` over 60 s
    (the layout's time is in benchmarks/drawing.py; the timeout only stops a hang)."""
    from microgrand.render import RendererNotFoundError, find_renderer

    try:
        find_renderer()
    except RendererNotFoundError:
        pytest.skip("no layout program installed")
    node = Node(0.5, "x")
    for i in range(70):
        node = (node * Node(0.1 * i, f"w{i}") + 0.01).named(f"h{i}")
    node.backward()
    drawing = draw(node, timeout=20.0)
    assert red_labels(drawing.source)  # still small enough for labels
    assert "rank=min" in drawing.source and drawing.source.count("shape=plaintext") == 71
    texts = set(ET.fromstring(drawing.svg()).itertext())
    assert {"x = 0.5", "h₀ = xw₀ + 0.01", "dh₆₈ = 6.9"} <= texts


def test_large_ops_view_drops_edge_labels() -> None:
    x = Node(0.5, "x")
    node = x
    for _ in range(LABEL_LIMIT):
        node = node * 0.9 + 0.01
    node.backward()
    source = draw(node, view="ops").source
    assert "∂" not in source and "grad " in source
