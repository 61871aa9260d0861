"""Drawing a graph: the lecture view and the ops view as DOT text, and DOT as SVG or PNG.

`draw(L)` returns a `Drawing`: its ``source`` is the DOT text (built with the `graphviz`
package, imported only when a drawing is made, so ``import microgrand`` stays fast), it
shows itself as SVG in Jupyter and ``save("g.svg" | "g.png" | "g.dot")`` writes a file.

Two views of the same graph:

- The **lecture view** draws what the lecture draws: inputs as plain text on the left, one
  box per *named* node reading ``name = formula`` with the unnamed intermediate nodes folded
  into the formula (``z = w₁x₁ + w₂x₂ + b``), blue forward arrows, and red backward arrows
  labelled in the lecture's notation (``dw₁ = x₁·dz = −0.9003``). The derivative formulas
  come from the op table's ``formulas``; on top of them sit the lecture's simplifications:
  the cross-entropy written out from primitives reads ``L(a, y)`` with
  ``da = −y/a + (1−y)/(1−a)``, its sigmoid reads ``ŷ = a = σ(z)`` with ``dz = a − y``, and
  `bce_with_logits` gets ``dz = a − y`` too. Leaves marked ``requires_grad=False`` (data
  such as x₁, x₂ and the label y) and constants get no red arrow.
- The **ops view** draws one box per primitive (name, value, grad), the op symbols, and on
  each edge the op's local derivative, as text and as a number.

Images come from a layout program run as a subprocess with a timeout: the system Graphviz
``dot`` when it is on PATH, otherwise ``graphviz-pure`` (a pip-installable port of
Graphviz), or the one named by ``engine=``.

Safety: names are user text and end up in DOT and SVG. Node ids are generated (``n0``,
``n1``, ... in traversal order), never user text, and every label goes through one helper,
`escape_label` (control characters and lone surrogates made visible, length capped, ``&``
escaped, then `graphviz.escape`); no record shapes, no URL/href/tooltip attributes.

Nothing here recurses over the graph: the graph is walked with explicit stacks, and a
graph too big to lay out in reasonable time is refused with `GraphTooLargeError` before
any work proportional to its size is done.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from microgrand import engine as _engine
from microgrand.notation import (
    LABEL_LINE_LIMIT,
    NAME_LIMIT,
    ONE,
    Term,
    apply_template,
    clean_text,
    display_name,
    fmt,
    fmt_constant,
    formula_term,
    show,
    t_add,
    t_div,
    t_mul,
    t_neg,
    t_sub,
)
from microgrand.ops import TABLE

if TYPE_CHECKING:
    from microgrand.node import Node

__all__ = [
    "ENGINES",
    "LABEL_LIMIT",
    "MAX_NODES",
    "VIEWS",
    "Drawing",
    "GraphTooLargeError",
    "RenderError",
    "RendererNotFoundError",
    "draw",
    "escape_label",
    "find_renderer",
]

VIEWS = ("lecture", "ops")
ENGINES = ("dot", "graphviz-pure")
FORMATS = {".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot"}

# Labels on edges are what makes `dot` slow (600 nodes with labelled edges: 6 s, without
# labels: 0.2 s). Above LABEL_LIMIT drawn items the gradients move into the boxes and the
# edge labels are dropped; above MAX_NODES graph nodes a drawing is refused (2,000 unlabelled
# items already take `dot` 3.5 s, 4,000 take 18 s, 20,000 never finished).
LABEL_LIMIT = 150
FIRST_COLUMN_LIMIT = 12
MAX_NODES = 1000
TIMEOUT = 60.0
PNG_DPI = 150

# Derivative formulas are only worked out through this many folded (unnamed) nodes; past it
# the red arrow shows the number alone, and nothing grows without bound.
FORMULA_NODE_LIMIT = 24

BLUE = "#1f4e9c"
RED = "#c62828"
HIGHLIGHT = "#fff3b0"

INSTALL_HINT = (
    "install Graphviz (it provides `dot`: apt-get install graphviz, brew install graphviz, "
    "or https://graphviz.org/download/) or run `pip install 'graphviz-pure<0.3'`; "
    "saving to a .dot file needs neither"
)


class RenderError(RuntimeError):
    """The layout program failed or took longer than its timeout."""


class RendererNotFoundError(RenderError):
    """Neither `dot` nor `graphviz-pure` (or not the one asked for) could be found."""


class GraphTooLargeError(ValueError):
    """The graph has more nodes than a drawing can lay out in reasonable time."""


# --- escaping: every label goes through escape_label -------------------------------------


def escape_label(lines: str | Sequence[str]) -> str:
    """The one way text becomes a DOT label: clean each line, escape ``&`` first, then
    `graphviz.escape` (doubles backslashes, so ``\\N``/``\\G`` and a trailing backslash are
    literal; stops ``<...>`` being read as HTML), and join lines with DOT's ``\\n``."""
    import graphviz

    if isinstance(lines, str):
        lines = [lines]
    escaped = [str(graphviz.escape(clean_text(line).replace("&", "&amp;"))) for line in lines]
    return graphviz.nohtml("\\n".join(escaped))  # type: ignore[no-any-return]


# --- the graph: bounded walk, order, consumers ----------------------------------------------


def _walk(root: Node, limit: int) -> dict[int, tuple[Node, float]]:
    """Every node of root's graph with its grad, refusing graphs over `limit` nodes.

    The walk stops as soon as the limit is passed, so a million-node graph is refused in
    microseconds, not after a full traversal.
    """
    seen = {id(root): (root, root.grad)}
    stack = [root]
    while stack:
        node = stack.pop()
        for parent in node.parents:
            if id(parent) not in seen:
                seen[id(parent)] = (parent, parent.grad)
                if len(seen) > limit:
                    raise GraphTooLargeError(
                        f"this graph has more than {limit} nodes; a drawing that large would "
                        "take minutes to lay out and be unreadable. Draw a smaller graph "
                        "(name an intermediate node and draw that), or pass a larger "
                        "max_nodes= if you really want it."
                    )
                stack.append(parent)
    return seen


def _order(root: Node, limit: int) -> list[Node]:
    """The engine's topological order (parents first, root last), grads left untouched."""
    seen = _walk(root, limit)
    try:
        return _engine.ancestors(root)
    finally:
        # A drawing only reads the graph: put back any grad the walk may have reset.
        for node, grad in seen.values():
            node.grad = grad


@dataclass
class Progress:
    """How far a backward pass has got, for the step-by-step drawings.

    Attributes:
        processed: ids of computed nodes whose backward step has run (their red arrows
            carry numbers); None means the whole pass has run.
        highlight: ids of nodes to highlight (their gradient was just completed).
    """

    processed: frozenset[int] | None = None
    highlight: frozenset[int] = frozenset()


class Graph:
    """A root's graph prepared for drawing: its nodes in order, and who uses each."""

    def __init__(self, root: Node, max_nodes: int = MAX_NODES) -> None:
        from microgrand.node import Node

        if not isinstance(root, Node):
            raise TypeError(f"draw: expected a Node, got {type(root).__name__}")
        self.root = root
        self.order: list[Node] = _order(root, max_nodes)
        self.consumers: dict[int, list[Node]] = {id(n): [] for n in self.order}
        for node in self.order:
            for parent in node.parents:
                users = self.consumers[id(parent)]
                if not users or users[-1] is not node:
                    users.append(node)
        self.uses: dict[int, int] = {id(n): 0 for n in self.order}
        for node in self.order:
            for parent in node.parents:
                self.uses[id(parent)] += 1
        self.computed_newest_first = [n for n in reversed(self.order) if not n.is_leaf]

    def grad_known(self, node: Node, progress: Progress) -> bool:
        """Whether the backward pass has finished node's gradient."""
        if progress.processed is None or node is self.root:
            return True
        users = self.consumers[id(node)]
        return bool(users) and all(id(u) in progress.processed for u in users)


# --- the lecture view ------------------------------------------------------------------------


@dataclass
class _Loss:
    """The lecture's cross-entropy written out from primitives, recognized on the root."""

    a: Node
    y: Node | float  # a data leaf, or the number when y was a plain float
    inner: set[int] = field(default_factory=set)


def _recognize_loss(root: Node, uses: dict[int, int]) -> _Loss | None:
    """Match −(y·log(a) + (1 − y)·log(1 − a)), the loss as the lecture writes it."""

    def unnamed_single(node: Node) -> bool:
        return node.name is None and uses[id(node)] == 1

    if root.op != "neg":
        return None
    total = root.parents[0]
    if total.op != "add" or not unnamed_single(total):
        return None
    first, second = total.parents
    if first.op != "mul" or second.op != "mul":
        return None
    if not (unnamed_single(first) and unnamed_single(second)):
        return None
    y, log_a = first.parents
    one_minus_y, log_1a = second.parents
    if log_a.op != "log" or log_1a.op != "log":
        return None
    if not (unnamed_single(log_a) and unnamed_single(log_1a)):
        return None
    (a,) = log_a.parents
    (one_minus_a,) = log_1a.parents
    if one_minus_a.op != "sub" or not unnamed_single(one_minus_a):
        return None
    one, a_again = one_minus_a.parents
    if a_again is not a or not one.is_constant or one.value != 1.0:
        return None
    inner = {id(n) for n in (total, first, second, log_a, log_1a, one_minus_a)}
    if y.is_constant:
        if not (one_minus_y.is_constant and one_minus_y.value == 1.0 - y.value):
            return None
        return _Loss(a, y.value, inner)
    if not y.is_leaf or y.requires_grad:
        return None
    if one_minus_y.op == "sub" and unnamed_single(one_minus_y):
        c, y_again = one_minus_y.parents
        if c.is_constant and c.value == 1.0 and y_again is y:
            inner.add(id(one_minus_y))
            return _Loss(a, y, inner)
    return None


class Lecture:
    """The lecture view's model: which nodes are inputs, which are boxes, and their text."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        root = graph.root
        uses = graph.uses
        self.loss = _recognize_loss(root, uses)
        loss_inner = self.loss.inner if self.loss else set()
        self.boxes: list[Node] = []
        for node in graph.order:
            if node.is_leaf:
                continue
            if node is root or (
                id(node) not in loss_inner and (node.name is not None or uses[id(node)] > 1)
            ):
                self.boxes.append(node)
        self.inputs = [n for n in graph.order if n.is_leaf and not n.is_constant]
        # The lecture lists inputs in the order they are first used (x₁, w₁, x₂, w₂, b); the
        # two inputs of one op with the data first, as the slide does (x₁ above w₁).
        first_use: dict[int, tuple[int, int]] = {}
        for index, node in enumerate(graph.order):
            for position, parent in enumerate(node.parents):
                first_use.setdefault(id(parent), (index, position))
        unused = (-1, 0)  # only a root that is itself a leaf has no use
        self.inputs.sort(
            key=lambda n: (
                first_use.get(id(n), unused)[0],
                n.requires_grad,
                first_use.get(id(n), unused)[1],
            )
        )
        self.names = self._names()
        self.formula: dict[int, tuple[str, int, bool]] = {}
        self._fold()
        self.position = {id(n): i for i, n in enumerate([*self.inputs, *self.boxes])}
        self.edge_list = {id(box): self.edges(box) for box in self.boxes}
        self.box_users: dict[int, int] = {}
        for box in self.boxes:
            for node, _, _ in self.edge_list[id(box)]:
                self.box_users[id(node)] = self.box_users.get(id(node), 0) + 1

    def _names(self) -> dict[int, str]:
        names: dict[int, str] = {}
        taken = {n.name for n in self.graph.order if n.name is not None}
        counter = 0
        for node in [*self.inputs, *self.boxes]:
            if node.name is not None:
                names[id(node)] = display_name(node.name)
                continue
            if node is self.graph.root and self.loss is not None:
                names[id(node)] = "L"
                continue
            while True:
                counter += 1
                generated = f"t{counter}"
                if generated not in taken:
                    break
            names[id(node)] = display_name(generated)
        return names

    def operand(self, node: Node) -> tuple[str, int, bool]:
        """How a node reads inside a formula: (text, precedence, is_number)."""
        if node.is_constant:
            text = fmt_constant(node.value)
            return text, 3 if text.startswith("−") else 5, True
        if id(node) in self.names:
            return self.names[id(node)], 5, False
        return self.formula[id(node)]

    def _fold(self) -> None:
        """Write every computed node as a formula over the drawn items, parents first."""
        for node in self.graph.order:
            if node.is_leaf:
                continue
            op = TABLE[node.op]  # type: ignore[index]
            text, prec = apply_template(op, [self.operand(p) for p in node.parents])
            if len(text) > 4 * LABEL_LINE_LIMIT:  # long folds are cut when shown anyway
                text = text[: 4 * LABEL_LINE_LIMIT]
            self.formula[id(node)] = (text, prec, False)

    def box_text(self, box: Node) -> str:
        """The first line of a box: ``z = w₁x₁ + w₂x₂ + b``, ``ŷ = a = σ(z)``, ``L(a, y)``."""
        name = self.names[id(box)]
        if self.loss is not None and box is self.graph.root:
            text = f"L({self.names[id(self.loss.a)]}, {self._y_name()})"
            return text if name == "L" else f"{name} = {text}"
        if box.op == "bce_with_logits":
            z, y = box.parents
            text = f"L(a, y), a = σ({self.operand(z)[0]}), y = {self.operand(y)[0]}"
            return text if name == "L" else f"{name} = {text}"
        formula = self.formula[id(box)][0]
        if self.loss is not None and box is self.loss.a and box.op == "sigmoid" and name == "a":
            return f"ŷ = a = {formula}"
        return f"{name} = {formula}"

    def _y_name(self) -> str:
        assert self.loss is not None
        y = self.loss.y
        return self.names[id(y)] if not isinstance(y, float) else "y"

    def _y_term(self) -> Term:
        return ("atom", self._y_name(), 5)

    def folded(self, box: Node) -> list[Node]:
        """The unnamed nodes folded into a box (the box first)."""
        result = [box]
        stack = [box]
        while stack:
            node = stack.pop()
            for parent in node.parents:
                if not parent.is_leaf and id(parent) not in self.names:
                    result.append(parent)
                    stack.append(parent)
        return result

    def edges(self, box: Node) -> list[tuple[Node, Term | None, float]]:
        """The box's drawn inputs, each with d box/d input as a term and as a number.

        The derivative sums the products of the op table's local derivatives along every
        path through the folded nodes (iteratively; the term is dropped past
        FORMULA_NODE_LIMIT folded nodes).
        """
        symbolic = len(self.folded(box)) <= FORMULA_NODE_LIMIT
        found: dict[int, tuple[Node, Term | None, float]] = {}
        stack: list[tuple[Node, Term | None, float]] = [(box, ONE, 1.0)]
        while stack:
            node, term, number = stack.pop()
            op = TABLE[node.op]  # type: ignore[index]
            values = [p.value for p in node.parents]
            try:
                partials = op.partials(node.value, *values)
            except (ArithmeticError, ValueError):  # e.g. sqrt's slope at 0, before backward
                partials = (math.nan,) * op.arity
            variables: dict[str, Term] = {}
            if symbolic:
                variables["out"] = self._term(node)
                for letter, parent in zip("xy", node.parents, strict=False):
                    variables[letter] = self._term(parent)
            for i, parent in enumerate(node.parents):
                if parent.is_constant:
                    continue
                local = formula_term(op.formulas[i], variables) if symbolic else None
                if symbolic and term is not None and local is not None:
                    product: Term | None = t_mul(term, local)
                else:
                    product = None
                contribution = number * partials[i]
                if id(parent) in self.names:
                    if id(parent) in found:
                        _, old_term, old_number = found[id(parent)]
                        total = (
                            t_add(old_term, product)
                            if old_term is not None and product is not None
                            else None
                        )
                        found[id(parent)] = (parent, total, old_number + contribution)
                    else:
                        found[id(parent)] = (parent, product, contribution)
                else:
                    stack.append((parent, product, contribution))
        result = list(found.values())
        result.sort(key=lambda item: self.position[id(item[0])])
        return result

    def _term(self, node: Node) -> Term:
        if node.is_constant:
            return ("num", node.value)
        text, prec, _ = self.operand(node)
        return ("atom", text, prec)

    def red_formula(self, box: Node, node: Node, term: Term | None) -> Term | None:
        """d node as the lecture writes it: the table's chain rule, or its simplification."""
        if self.loss is not None and box is self.graph.root and node is self.loss.a:
            y = self._y_term()
            a: Term = ("atom", self.names[id(node)], 5)
            return t_add(t_div(t_neg(y), a), t_div(t_sub(ONE, y), t_sub(ONE, a)))
        # dL/dz = a − y holds when a feeds the loss and nothing else (log(a) and 1 − a).
        sigmoid_box = (
            self.loss is not None
            and box is self.loss.a
            and box.op == "sigmoid"
            and self.graph.uses[id(box)] == 2
        )
        if sigmoid_box or (box.op == "bce_with_logits" and node is box.parents[0]):
            if sigmoid_box:
                return t_sub(("atom", self.names[id(box)], 5), self._y_term())
            return t_sub(("atom", "a", 5), ("atom", "y", 5))
        if term is None:
            return None
        upstream: Term = ONE if box is self.graph.root else ("atom", "d" + self.names[id(box)], 5)
        return t_mul(term, upstream)


# --- building DOT ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """What a drawing shows."""

    view: str = "lecture"
    values: bool = True
    grads: bool = True
    formulas: bool | None = None
    max_nodes: int = MAX_NODES


def _new_digraph(large: bool) -> Any:
    import graphviz

    dot = graphviz.Digraph(name="microgrand")
    dot.attr(rankdir="LR", nodesep="0.3", ranksep="0.9" if not large else "0.5")
    dot.attr("node", fontsize="14")
    dot.attr("edge", fontsize="12")
    return dot


def lecture_source(graph: Graph, options: Options, progress: Progress) -> str:
    """DOT text of the lecture view."""
    model = Lecture(graph)
    root = graph.root
    large = len(model.inputs) + len(model.boxes) > LABEL_LIMIT
    has_data = any(n.is_leaf and not n.requires_grad for n in model.inputs)
    grads_ready = options.grads and root.grad == 1.0
    formulas = options.formulas
    if formulas is None:
        # Formulas are the point of the logistic-regression lecture (the update rules you
        # implement); the earlier J = 3(a + bc) lecture works with the numbers alone.
        # Without gradient numbers (grads=False, or before backward) formulas are all there is.
        formulas = not grads_ready or has_data or model.loss is not None

    ids: dict[int, str] = {}
    for node in [*model.inputs, *model.boxes]:
        ids[id(node)] = f"n{len(ids)}"

    dot = _new_digraph(large)
    highlight = progress.highlight
    label_y = model.loss.y if model.loss is not None else None
    # The lecture puts every input in the first column. In a deep graph that makes long
    # labelled edges across many ranks, which is what makes `dot` slow (70 boxes with an
    # input each: over 60 s); there the inputs sit next to the box that uses them.
    in_column = len(model.boxes) <= FIRST_COLUMN_LIMIT
    first_column = [n for n in model.inputs if n is not label_y and in_column]
    elsewhere = [n for n in model.inputs if n is label_y or not in_column]

    def grad_text(node: Node) -> str:
        return fmt(node.grad) if graph.grad_known(node, progress) else "?"

    with dot.subgraph(name="inputs") as column:
        column.attr(rank="min")
        for node in first_column:
            _input_node(
                column,
                model,
                node,
                ids,
                options,
                large and grads_ready,
                grad_text,
                id(node) in highlight,
            )
    for node in elsewhere:
        _input_node(
            dot, model, node, ids, options, large and grads_ready, grad_text, id(node) in highlight
        )
    for box in model.boxes:
        lines = [model.box_text(box)]
        if options.values:
            lines.append(fmt(box.value))
        if large and grads_ready and box is not root:
            lines.append(f"d{model.names[id(box)]} = {grad_text(box)}")
        attrs = {"shape": "box"}
        if id(box) in highlight:
            attrs.update(style="filled", fillcolor=HIGHLIGHT, penwidth="2")
        dot.node(ids[id(box)], escape_label(lines), **attrs)
    for box in model.boxes:
        processed = progress.processed is None or id(box) in progress.processed
        for node, term, number in model.edge_list[id(box)]:
            dot.edge(ids[id(node)], ids[id(box)], color=BLUE)
            if not node.requires_grad:
                continue
            attrs = {"dir": "back", "color": RED, "fontcolor": RED}
            if not large:
                label = _red_label(model, box, node, term, number, formulas, grads_ready, processed)
                attrs["label"] = escape_label(label)
            if progress.processed is not None and id(node) in highlight:
                attrs["penwidth"] = "2"
            dot.edge(ids[id(node)], ids[id(box)], **attrs)
    return str(dot.source)


def _input_node(
    dot: Any,
    model: Lecture,
    node: Node,
    ids: dict[int, str],
    options: Options,
    grad_inside: bool,
    grad_text: Any,
    highlighted: bool,
) -> None:
    name = model.names[id(node)]
    lines = [f"{name} = {fmt(node.value)}" if options.values else name]
    if grad_inside and node.requires_grad:
        lines.append(f"d{name} = {grad_text(node)}")
    attrs = {"shape": "plaintext"}
    if highlighted:
        attrs.update(style="filled", fillcolor=HIGHLIGHT)
    dot.node(ids[id(node)], escape_label(lines), **attrs)


def _red_label(
    model: Lecture,
    box: Node,
    node: Node,
    term: Term | None,
    number: float,
    formulas: bool,
    grads: bool,
    processed: bool,
) -> str:
    name = model.names[id(node)]
    shared = model.box_users[id(node)] > 1
    # A node used by several boxes gets one arrow from each: each adds its share (the
    # engine's `x.grad += ...`), so the arrow says += and shows that share.
    head = f"d{name} {'+=' if shared else '='} "
    parts: list[str] = []
    formula = model.red_formula(box, node, term) if formulas else None
    value_text = None
    if grads:
        value = number * box.grad if shared else node.grad
        value_text = fmt(value) if processed else "?"
    if formula is not None:
        text = show(formula)[0]
        if not (formula[0] == "num" and value_text is not None and processed):
            parts.append(text)
    if value_text is not None:
        parts.append(value_text)
    if not parts:
        return head.rstrip(" =+")
    return head + " = ".join(parts)


def ops_source(graph: Graph, options: Options, progress: Progress) -> str:
    """DOT text of the ops view: one box per primitive, op symbols, local derivatives."""
    order = graph.order
    drawn = (
        sum(1 for n in order if not n.is_constant)
        + sum(1 for n in order if not n.is_leaf)
        + sum(1 for n in order for p in n.parents if p.is_constant)
    )
    large = drawn > LABEL_LIMIT
    grads_ready = options.grads and graph.root.grad == 1.0
    dot = _new_digraph(large)
    dot.attr("node", fontname="Courier", fontsize="12")
    dot.attr("edge", fontsize="11")
    ids: dict[int, str] = {}
    counter = 0

    def new_id() -> str:
        nonlocal counter
        counter += 1
        return f"n{counter - 1}"

    def name_of(node: Node) -> str | None:
        return display_name(node.name) if node.name is not None else None

    for node in order:
        if node.is_constant:
            continue
        if not node.is_leaf:
            op = TABLE[node.op]  # type: ignore[index]
            op_id = new_id()
            dot.node(op_id, escape_label(op.symbol), shape="ellipse")
            for i, parent in enumerate(node.parents):
                if parent.is_constant:
                    const_id = new_id()
                    dot.node(
                        const_id,
                        escape_label(fmt_constant(parent.value)),
                        shape="box",
                        style="dashed",
                        color="gray40",
                    )
                    dot.edge(const_id, op_id, color="gray40")
                    continue
                attrs: dict[str, str] = {}
                if parent.requires_grad and not large:
                    attrs["label"] = escape_label(_local_label(node, i, name_of, options.values))
                    attrs["fontcolor"] = RED
                dot.edge(ids[id(parent)], op_id, **attrs)
        box_id = new_id()
        ids[id(node)] = box_id
        parts = []
        name = name_of(node)
        if options.values:
            parts.append(f"{name} = {fmt(node.value)}" if name else fmt(node.value))
        elif name:
            parts.append(name)
        if grads_ready and node.requires_grad:
            parts.append(f"grad {fmt(node.grad) if graph.grad_known(node, progress) else '?'}")
        attrs = {"shape": "box"}
        if id(node) in progress.highlight:
            attrs.update(style="filled", fillcolor=HIGHLIGHT, penwidth="2")
        dot.node(box_id, escape_label(" │ ".join(parts) or " "), **attrs)
        if not node.is_leaf:
            dot.edge(op_id, box_id)
    return str(dot.source)


def _local_label(node: Node, i: int, name_of: Any, values: bool) -> str:
    """The local derivative on an edge of the ops view: ``∂ = a(1 − a) = 0.2475``."""
    op = TABLE[node.op]  # type: ignore[index]

    def var(n: Node, fallback: str) -> Term:
        if n.is_constant:
            return ("num", n.value)
        name = name_of(n)
        # An unnamed operand is called by its op ("log"), never by a bare x or y, which
        # could be read as the user's x or y (the lecture's label is y).
        return ("atom", name if name else (n.op or fallback), 5)

    variables = {"out": var(node, "out")}
    for letter, parent in zip("xy", node.parents, strict=False):
        variables[letter] = var(parent, letter)
    term = formula_term(op.formulas[i], variables)
    parts = ["∂"]
    if term is not None:
        parts.append(show(term)[0])
    if values:
        try:
            number = op.partials(node.value, *(p.value for p in node.parents))[i]
        except (ArithmeticError, ValueError):
            number = math.nan
        if term is None or term[0] != "num":
            parts.append(fmt(number))
    return " = ".join(parts)


def build_source(root: Node, options: Options, progress: Progress | None = None) -> str:
    """The DOT text of a drawing."""
    if options.view not in VIEWS:
        raise ValueError(f"draw: view must be one of {', '.join(VIEWS)}, got {options.view!r}")
    graph = Graph(root, options.max_nodes)
    progress = progress or Progress()
    if options.view == "ops":
        return ops_source(graph, options, progress)
    return lecture_source(graph, options, progress)


# --- layout programs ---------------------------------------------------------------------------


def _scripts_dir() -> str | None:
    import sysconfig

    try:
        return sysconfig.get_path("scripts")
    except KeyError:  # pragma: no cover - unusual install schemes
        return None


def _find_graphviz_pure() -> str | None:
    import shutil

    names = ["graphviz-pure.exe", "graphviz-pure"] if os.name == "nt" else ["graphviz-pure"]
    scripts = _scripts_dir()
    if scripts:
        for name in names:
            candidate = Path(scripts) / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    return shutil.which("graphviz-pure")


def find_renderer(engine: str | None = None) -> tuple[str, str]:
    """The layout program to use: (engine name, executable path).

    Args:
        engine: "dot" or "graphviz-pure"; None picks `dot` when it is on PATH, else
            `graphviz-pure` (next to the Python interpreter, or on PATH).

    Raises:
        RendererNotFoundError: nothing suitable is installed; the message says what to do.
    """
    import shutil

    if engine is not None and engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)} or None, got {engine!r}")
    if engine in (None, "dot"):
        found = shutil.which("dot")
        if found:
            return "dot", found
        if engine == "dot":
            raise RendererNotFoundError(
                "engine='dot' was asked for but `dot` is not on PATH: install Graphviz "
                "(apt-get install graphviz, brew install graphviz), or use "
                "engine='graphviz-pure' (pip install 'graphviz-pure<0.3')"
            )
    pure = _find_graphviz_pure()
    if pure:
        return "graphviz-pure", pure
    if engine == "graphviz-pure":
        raise RendererNotFoundError(
            "engine='graphviz-pure' was asked for but it is not installed: "
            "pip install 'graphviz-pure<0.3' (or use engine='dot' with Graphviz installed)"
        )
    raise RendererNotFoundError(f"no Graphviz layout program found: {INSTALL_HINT}")


def run_layout(
    source: str, fmt_name: str, engine: str | None = None, timeout: float = TIMEOUT
) -> bytes:
    """Lay out DOT text and return the image bytes (``fmt_name`` is "svg" or "png")."""
    if fmt_name == "dot":
        return source.encode("utf-8")
    if fmt_name not in ("svg", "png"):
        raise ValueError(f"unknown image format {fmt_name!r}: use svg, png or dot")
    import subprocess

    name, exe = find_renderer(engine)
    command = [exe, f"-T{fmt_name}"]
    if fmt_name == "png":
        command.append(f"-Gdpi={PNG_DPI}")
    try:
        result = subprocess.run(
            command, input=source.encode("utf-8"), capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"{name} did not finish laying out the graph within {timeout:g} s; draw a "
            "smaller graph, or pass a larger timeout="
        ) from None
    except OSError as error:
        raise RendererNotFoundError(f"could not run {name} ({exe}): {error}") from None
    if result.returncode != 0 or not result.stdout:
        # graphviz-pure prints width warnings for non-ASCII text on stderr: they are noise
        # and only shown when the program actually failed.
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RenderError(
            f"{name} failed (exit code {result.returncode}): "
            f"{message[-1] if message else 'no output'}"
        )
    return result.stdout


# --- the drawing ----------------------------------------------------------------------------


PathLike = Union[str, "os.PathLike[str]"]


class Drawing:
    """A drawing of a graph: DOT text that shows itself as SVG in Jupyter.

    Attributes:
        source: the DOT text (the golden artifact: deterministic for a given graph).
        engine: the layout program to use, or None for the default.
        caption: a one-line description (used by step-by-step pages).
    """

    def __init__(
        self,
        source: str,
        summary: str,
        *,
        engine: str | None = None,
        caption: str = "",
        timeout: float = TIMEOUT,
    ) -> None:
        self.source = source
        self.summary = summary
        self.engine = engine
        self.caption = caption
        self.timeout = timeout
        self._svg: str | None = None

    def pipe(self, format: str = "svg", *, engine: str | None = None) -> bytes:
        """The drawing as bytes in `format` ("svg", "png" or "dot")."""
        return run_layout(self.source, format, engine or self.engine, self.timeout)

    def svg(self) -> str:
        """The drawing as SVG text (laid out once, then cached)."""
        if self._svg is None:
            self._svg = self.pipe("svg").decode("utf-8")
        return self._svg

    def save(self, path: PathLike, *, engine: str | None = None) -> Path:
        """Write the drawing to `path`; its suffix (.svg, .png, .dot) picks the format.

        Raises:
            RendererNotFoundError: for .svg/.png when no layout program is installed.
        """
        target = Path(path)
        fmt_name = FORMATS.get(target.suffix.lower())
        if fmt_name is None:
            raise ValueError(
                f"cannot tell the format from {target.name!r}: use a .svg, .png or .dot suffix"
            )
        if fmt_name == "svg" and engine is None:
            data = self.svg().encode("utf-8")
        else:
            data = self.pipe(fmt_name, engine=engine)
        target.write_bytes(data)
        return target

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None
    ) -> dict[str, str]:
        """Jupyter's display hook: SVG plus a text summary; never raises."""
        try:
            return {"image/svg+xml": self.svg(), "text/plain": self.summary}
        except RendererNotFoundError:
            return {"text/plain": f"{self.summary}\n(no image: {INSTALL_HINT})"}
        except Exception as error:  # display must never raise in a notebook
            return {"text/plain": f"{self.summary}\n(no image: {error})"}

    def __repr__(self) -> str:
        return self.summary


def draw(
    root: Node,
    *,
    view: str = "lecture",
    values: bool = True,
    grads: bool = True,
    formulas: bool | None = None,
    engine: str | None = None,
    max_nodes: int = MAX_NODES,
    timeout: float = TIMEOUT,
) -> Drawing:
    """Draw root's graph.

    Args:
        root: the output node (usually the loss), after ``root.backward()`` for gradients.
        view: "lecture" (named boxes, as the lecture draws it) or "ops" (one box per op).
        values: show the forward values.
        grads: show gradient numbers (only once ``root.backward()`` has run).
        formulas: show derivative formulas on the red arrows; None shows them when the
            graph has data leaves or the lecture's loss (and always when grads=False).
        engine: "dot", "graphviz-pure" or None (dot if on PATH, else graphviz-pure).
        max_nodes: refuse graphs with more nodes than this (GraphTooLargeError).
        timeout: seconds the layout program may take.
    """
    options = Options(view, values, grads, formulas, max_nodes)
    source = build_source(root, options)
    return Drawing(source, _summary(root, view), engine=engine, timeout=timeout)


def _summary(root: Node, view: str) -> str:
    name = clean_text(root.name, NAME_LIMIT) if root.name is not None else "an unnamed node"
    return f"<microgrand drawing of {name}, {view} view: .save('graph.svg'), .source for DOT>"
