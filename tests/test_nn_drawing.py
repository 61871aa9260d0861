"""Drawing a network: the scalar lecture view of a 2-4-1 (weights beside their layer, one
column per layer, notebook width) and the layer view in the course's vector notation."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from render_helpers import available, first_column_top_to_bottom

from microgrand import draw
from microgrand.nn import MLP
from microgrand.notation import wrap_formula
from microgrand.render import ENGINES, RendererNotFoundError, find_renderer

NOTEBOOK_WIDTH_PT = 1300  # about 1,730 px: scaled into a 1,200 px output area, 14 pt stays ≥ 9.7 px


def needs_renderer() -> None:
    try:
        find_renderer()
    except RendererNotFoundError:
        pytest.skip("no layout program installed")


def network_loss() -> MLP:
    return MLP(2, [4, 1], seed=3, scale=1.0)


def text_positions(svg: str) -> dict[str, float]:
    """The x coordinate of each text line's start in the SVG, by its text."""
    root = ET.fromstring(svg)
    positions: dict[str, float] = {}
    for element in root.iter("{http://www.w3.org/2000/svg}text"):
        if element.text:
            positions.setdefault(element.text, float(element.attrib["x"]))
    return positions


def test_the_lecture_view_puts_each_layers_weights_beside_it() -> None:
    net = network_loss()
    L = net.loss([1.5, -2.0], 1.0)
    L.backward()
    source = draw(L).source
    first_column = source[source.index("subgraph inputs") : source.index("}")]
    for name in ("x₁", "x₂", "W[1]₁₁", "W[1]₄₂", "b[1]₃"):
        assert f'"{name} = ' in first_column, name
    for name in ("W[2]₁₁", "W[2]₁₄", "b[2]₁"):
        assert f'"{name} = ' not in first_column and f'"{name} = ' in source, name
    # A network's many red arrows move their numbers into the boxes: dz[1]₁ under z[1]₁.
    assert "dz[1]₁ = " in source and "dW[2]₁₁ = " in source
    # z[2] has five terms: its formula is broken over two lines.
    assert "z[2]₁ = W[2]₁₁·a[1]₁ + W[2]₁₂·a[1]₂\\n+ W[2]₁₃·a[1]₃" in source


def test_the_networks_loss_box_reads_the_courses_a2() -> None:
    """The 2-4-1's loss box reads L(a[2], y) as the course writes it (not L(a, y), a = ...),
    and the arrow into z[2]₁ reads dz[2]₁ = a[2] − y."""
    net = network_loss()
    L = net.loss([1.5, -2.0], 1.0)
    L.backward()
    source = draw(L).source
    assert '"L(a[2], y), a[2] = σ(z[2]₁), y = 1\\n' in source
    assert "L(a, y)" not in source and "a = σ" not in source
    one_unit = MLP(1, [1], seed=3)  # few arrows: the formulas stay on them
    L = one_unit.loss([2.0], 0.0)
    L.backward()
    source = draw(L, formulas=True).source
    assert '"L(a[1], y), a[1] = σ(z[1]₁), y = 0\\n' in source
    assert "dz[1]₁ = a[1] − y = " in source


def test_the_loss_box_names_the_activation_whatever_the_notation() -> None:
    """Units written in ASCII (z[2]1, z[2]_1) or capitals (Z[2]) read as the course's a[2]
    (A[2]); a layer with other units drawn keeps the unit (a[2]₁, a[2]₂); any other z
    keeps the one-neuron lecture's a."""
    from microgrand import Node, bce_with_logits
    from microgrand.lecture_loss import activation_name

    drawn = {"z[1]₁", "z[1]₂", "z[2]₁"}
    assert activation_name("z[2]₁", drawn) == "a[2]"
    assert activation_name("z[2]1", set()) == activation_name("z[2]_1", set()) == "a[2]"
    assert activation_name("Z[2]", set()) == "A[2]"
    assert activation_name("z[2]₁", {"z[2]₁", "z[2]₂"}) == "a[2]₁"
    assert activation_name("z[2]_2", {"z[2]_1", "z[2]_2"}) == "a[2]_2"
    for z in ("z", "z₂", "logit", "z[2]x", "w₁x₁ + b", "z[2]₁[3]"):
        assert activation_name(z, drawn) == "a", z
    w1, w2, x = Node(0.5, "w1"), Node(-0.3, "w2"), Node(2.0, "x", requires_grad=False)
    first = bce_with_logits((w1 * x).named("z[2]1"), 1.0).named("L")
    second = bce_with_logits((w2 * x).named("z[2]2"), 0.0).named("K")
    J = (first + second).named("J")
    J.backward()
    source = draw(J, formulas=True).source
    assert '"L(a[2]1, y), a[2]1 = σ(z[2]1), y = 1\\n' in source
    assert '"K = L(a[2]2, y), a[2]2 = σ(z[2]2), y = 0\\n' in source
    assert "dz[2]2 = a[2]2 − y = " in source


def test_the_2_4_1_lecture_view_fits_notebook_width_one_column_per_layer() -> None:
    needs_renderer()
    net = network_loss()
    L = net.loss([1.5, -2.0], 1.0)
    L.backward()
    svg = draw(L).svg()
    header = re.search(r'<svg width="([\d.]+)pt"', svg)
    assert header is not None
    width = float(header.group(1))
    assert width <= NOTEBOOK_WIDTH_PT
    x = text_positions(svg)

    def column(prefix: str) -> list[float]:
        return [v for text, v in x.items() if text.startswith(prefix)]

    # Columns left to right: x and W[1] | z[1] | a[1] and W[2] | z[2] | L.
    assert max(column("W[1]")) < min(column("z[1]"))
    assert max(column("z[1]")) < min(column("a[1]"))
    assert max(column("a[1]")) < min(column("z[2]₁ = "))
    assert max(column("W[2]")) < min(column("z[2]₁ = "))
    assert min(column("W[2]")) > max(column("z[1]"))


@pytest.mark.parametrize("engine", ENGINES)
def test_the_2_2_1_lecture_view_puts_x1_above_x2(engine: str) -> None:
    """The data column reads top to bottom as the lecture lists it (x₁ above x₂, each
    weight under the input it multiplies), however `dot` would order the rank to cut
    crossings (it drew x₂ above x₁ and W[1]₂₂ above W[1]₂₁)."""
    if not available(engine):
        pytest.skip(f"{engine} is not installed")
    net = MLP(2, [2, 1])
    L = net.loss([0.5, -1.0], 1.0)
    L.backward()
    drawing = draw(L, engine=engine)
    order = ["x₁", "W[1]₁₁", "x₂", "W[1]₁₂", "b[1]₁", "W[1]₂₁", "W[1]₂₂", "b[1]₂"]
    assert first_column_top_to_bottom(drawing.svg()) == order
    # the order is in the DOT itself: a chain of invisible edges down the first column
    chain = re.findall(r"(n\d+) -> (n\d+) \[[^]]*style=invis", drawing.source)
    assert [tail for tail, _ in chain] == [f"n{k}" for k in range(len(order) - 1)]


def test_logistic_regression_keeps_every_input_in_the_first_column() -> None:
    from microgrand.logreg import lecture_graph

    g = lecture_graph()
    g.L.backward()
    source = draw(g.L).source
    first_column = source[source.index("subgraph inputs") : source.index("}")]
    for name in ("x₁", "w₁", "x₂", "w₂", "b"):
        assert f'"{name} = ' in first_column
    assert "dw₁ = x₁·dz" in source  # few arrows: the formulas stay on them


def test_wrap_formula_breaks_only_at_top_level_plus_and_minus() -> None:
    assert wrap_formula("z = w₁x₁ + b") == ["z = w₁x₁ + b"]
    text = "L = −(y log a + (1 − y) log(1 − a)) + something rather long − x₁"
    assert wrap_formula(text, 40) == [
        "L = −(y log a + (1 − y) log(1 − a))",
        "+ something rather long − x₁",
    ]


def test_the_layer_view_draws_the_courses_vector_notation() -> None:
    source = draw(MLP(2, [4, 1])).source
    for text in (
        "z[1] = W[1]x + b[1]\\n4 × 1",
        "a[1] = tanh(z[1])",
        "z[2] = W[2]a[1] + b[2]\\n1 × 1",
        "a[2] = σ(z[2])",
        "L(a[2], y)",
        "W[1]\\n4 × 2",
        "W[2]\\n1 × 4",
        "dz[2] = a[2] − y",
        "dW[2] = dz[2]a[1]ᵀ",
        "db[2] = dz[2]",
        "dz[1] = W[2]ᵀdz[2] * g[1]′(z[1])\\ng[1]′(z[1]) = 1 − a[1]²",
        "dW[1] = dz[1]xᵀ",
        "db[1] = dz[1]",
        "da[1] = W[2]ᵀdz[2]",
    ):
        assert text in source, text
    # Parameters enter at their own layer: W[2] goes to z[2], not to z[1].
    assert "W2 -> z2" in source and "W2 -> z1" not in source
    # Data gets no red arrow.
    assert not re.search(r"a0 -> z1 \[[^]]*dir=back", source)
    assert not re.search(r"y -> L \[[^]]*dir=back", source)


def test_the_vectorized_layer_view_uses_capitals_and_the_mean() -> None:
    source = draw(MLP(2, [4, 1], activation="relu"), view="vectorized").source
    for text in (
        "Z[1] = W[1]X + b[1]\\n4 × m",
        "A[1] = ReLU(Z[1])",
        "dZ[2] = A[2] − Y",
        "dW[2] = (1/m) dZ[2]A[1]ᵀ",
        "db[1] = (1/m) Σ dZ[1]",
        "g[1]′(Z[1]) = 1 if Z[1] > 0, else 0",
        "J = (1/m) Σ L(A[2], Y)",
    ):
        assert text in source, text


def test_the_layer_view_of_a_deeper_network_chains_every_layer() -> None:
    source = draw(MLP(3, [5, 4, 1])).source
    assert "z[3] = W[3]a[2] + b[3]" in source
    assert "dz[2] = W[3]ᵀdz[3] * g[2]′(z[2])" in source
    assert "da[1] = W[2]ᵀdz[2]" in source


def test_the_layer_view_renders_as_svg_and_refuses_scalar_views() -> None:
    needs_renderer()
    svg = draw(MLP(2, [4, 1])).svg()
    ET.fromstring(svg)
    assert "z[1] = W[1]x + b[1]" in svg
    with pytest.raises(ValueError, match="a network is drawn in the view 'layers' or 'vectorized'"):
        draw(MLP(2, [4, 1]), view="ops")
