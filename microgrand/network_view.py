"""The layer view of a network: the course's vector notation, one box per layer quantity.

The course draws a shallow network's computation graph with vectors, not scalars::

    x → z[1] = W[1]x + b[1] → a[1] = tanh(z[1]) → z[2] = W[2]a[1] + b[2] → a[2] = σ(z[2])
      → L(a[2], y)

with W[1], b[1] entering at layer 1 and W[2], b[2] at layer 2, and backprop as red arrows
labelled with its formulas: ``dz[2] = a[2] − y``, ``dW[2] = dz[2]a[1]ᵀ``, ``db[2] = dz[2]``,
``dz[1] = W[2]ᵀdz[2] * g[1]′(z[1])``, ``dW[1] = dz[1]xᵀ``, ``db[1] = dz[1]``. `draw_network`
draws that for any `MLP` (any depth: layer l reads a[l−1], with a[0] = x), each item with its
shape; the ``vectorized`` view draws the m-example version in capitals (``Z[1] = W[1]X +
b[1]``, ``dW[1] = (1/m) dZ[1]Xᵀ``, ``db[1] = (1/m) Σ dZ[1]``). The scalar picture, one box
per unit, is the lecture view of ``net.loss(x, y)`` (`microgrand.draw`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from microgrand.dot_source import BLUE, RED, escape_label
from microgrand.layout import TIMEOUT
from microgrand.notation import infix

if TYPE_CHECKING:
    from microgrand.nn import MLP
    from microgrand.render import Drawing

NETWORK_VIEWS = ("layers", "vectorized")
_G = {"tanh": "tanh", "relu": "ReLU", "sigmoid": "σ", "linear": ""}
# g′ written the way the course writes it, in terms of the layer's a (or z for ReLU).
_G_PRIME = {
    "tanh": "1 − {a}²",
    "sigmoid": "{a}(1 − {a})",
    "relu": "1 if {z} > 0, else 0",
    "linear": "1",
}


class _Names:
    """The course's names for layer quantities, small letters or (vectorized) capitals."""

    def __init__(self, vectorized: bool) -> None:
        self.vectorized = vectorized

    def z(self, layer: int) -> str:
        return f"{'Z' if self.vectorized else 'z'}[{layer}]"

    def a(self, layer: int) -> str:
        if layer == 0:
            return "X" if self.vectorized else "x"
        return f"{'A' if self.vectorized else 'a'}[{layer}]"

    @property
    def y(self) -> str:
        return "Y" if self.vectorized else "y"

    @property
    def columns(self) -> int | str:
        """How many columns the layer quantities have: m examples, or the one."""
        return "m" if self.vectorized else 1

    def mean(self, text: str) -> str:
        """(1/m)·text for the vectorized formulas (the cost averages over examples)."""
        return f"(1/m) {text}" if self.vectorized else text


def _shape(rows: int | str, cols: int | str) -> str:
    return f"{rows} × {cols}"


class _Canvas:
    """The layer view's three kinds of mark on one DOT graph, each styled in one place: an
    item (its lines escaped), a blue forward arrow and a red backward arrow with its formula.

    A backward arrow is an edge in the forward direction drawn with its arrowhead at the
    tail (``dir="back"``), so the layout still ranks the layers left to right.
    """

    def __init__(self, dot: Any) -> None:
        self.dot = dot

    def item(self, node_id: str, lines: list[str], **attrs: str) -> None:
        self.dot.node(node_id, escape_label(lines), **attrs)

    def forward(self, tail: str, head: str) -> None:
        self.dot.edge(tail, head, color=BLUE)

    def backward(self, tail: str, head: str, label: str | list[str]) -> None:
        self.dot.edge(tail, head, escape_label(label), dir="back", color=RED, fontcolor=RED)


def network_source(net: MLP, *, vectorized: bool = False) -> str:
    """DOT text of the layer view of `net` (see the module docstring)."""
    import graphviz

    names = _Names(vectorized)
    sizes = [net.n_in, *net.sizes]
    columns = names.columns
    depth = len(net.layers)
    dot = graphviz.Digraph(name="microgrand_network")
    dot.attr(rankdir="LR", nodesep="0.25", ranksep="0.3")
    dot.attr("node", fontsize="14")
    dot.attr("edge", fontsize="12")
    canvas = _Canvas(dot)
    item, forward, backward = canvas.item, canvas.forward, canvas.backward

    item("a0", [names.a(0), _shape(sizes[0], columns)], shape="plaintext")
    for number, layer in enumerate(net.layers, start=1):
        a_prev, z, a = names.a(number - 1), names.z(number), names.a(number)
        W, b = f"W[{number}]", f"b[{number}]"
        item(f"W{number}", [W, _shape(sizes[number], sizes[number - 1])], shape="plaintext")
        item(f"b{number}", [b, _shape(sizes[number], 1)], shape="plaintext")
        formula = f"{z} = {W}{a_prev} + {b}"
        item(f"z{number}", [formula, _shape(sizes[number], columns)], shape="box")
        g = _G[layer.activation]
        activation = f"{a} = {g}({z})" if g else f"{a} = {z}"
        item(f"a{number}", [activation, _shape(sizes[number], columns)], shape="box")
        for tail in (f"a{number - 1}", f"W{number}", f"b{number}"):
            forward(tail, f"z{number}")
        forward(f"z{number}", f"a{number}")
        dz = "d" + z
        backward(f"W{number}", f"z{number}", f"d{W} = {names.mean(f'{dz}{a_prev}ᵀ')}")
        bias = f"Σ {dz}" if vectorized else dz
        backward(f"b{number}", f"z{number}", f"d{b} = {names.mean(bias)}")
        if number > 1:
            backward(f"a{number - 1}", f"z{number}", f"d{a_prev} = {W}ᵀ{dz}")
        if number < depth:
            g_prime = f"g[{number}]′({z})"
            lines = [f"{dz} = W[{number + 1}]ᵀd{names.z(number + 1)} * {g_prime}"]
            if layer.activation != "linear":
                lines.append(f"{g_prime} = " + _G_PRIME[layer.activation].format(a=a, z=z))
            backward(f"z{number}", f"a{number}", lines)
    _loss_end(canvas, net, names)
    return str(dot.source)


def _loss_end(canvas: _Canvas, net: MLP, names: _Names) -> None:
    """What follows the last layer: the loss box, the label y, their forward arrows, and
    the backward arrows the output's sigmoid and the loss give (dz = a − y; da, the
    lecture's formula, on the one-example view only)."""
    depth = len(net.layers)
    item, forward, backward = canvas.item, canvas.forward, canvas.backward
    last_a, last_z = names.a(depth), names.z(depth)
    loss = f"J = (1/m) Σ L({last_a}, {names.y})" if names.vectorized else f"L({last_a}, {names.y})"
    item("L", [loss, _shape(1, 1)], shape="box")
    item("y", [names.y, _shape(1, names.columns)], shape="plaintext")
    forward(f"a{depth}", "L")
    forward("y", "L")
    if net.output == "sigmoid":
        backward(f"z{depth}", f"a{depth}", f"d{last_z} = {last_a} − {names.y}")
        if not names.vectorized:
            # the lecture's da = −y/a + (1−y)/(1−a), spaced as every formula (`infix`)
            one_minus_y, one_minus_a = (infix("1", "−", v, tight=True) for v in ("y", last_a))
            quotient = f"({one_minus_y})/({one_minus_a})"
            backward(f"a{depth}", "L", [f"d{last_a} = −y/{last_a}", f"+ {quotient}"])


def draw_network(
    net: MLP,
    *,
    view: str = "layers",
    engine: str | None = None,
    timeout: float = TIMEOUT,
    width: int | None = None,
) -> Drawing:
    """Draw `net` the way the course draws a network: one box per layer quantity.

    Args:
        net: the network (`microgrand.nn.MLP`).
        view: ``"layers"`` (one example: x, z[1], a[1], ...) or ``"vectorized"`` (m
            examples: X, Z[1], A[1], ..., with the (1/m) of the cost).
        engine: the layout program (see `microgrand.draw`).
        timeout: seconds the layout program may take.
        width: the most pixels wide the images may be (see `microgrand.draw`).
    """
    from microgrand.render import Drawing

    if view not in NETWORK_VIEWS:
        raise ValueError(
            f"draw: a network is drawn in the view {' or '.join(map(repr, NETWORK_VIEWS))}, "
            f"got {view!r} (for one box per unit draw the graph of net.loss(x, y))"
        )
    source = network_source(net, vectorized=view == "vectorized")
    summary = f"<microgrand drawing of {net!r}, {view} view: .save('network.svg'), .source for DOT>"
    return Drawing(source, summary, engine=engine, timeout=timeout, width=width)
