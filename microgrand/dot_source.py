"""DOT emitters: the lecture view and the ops view of a graph as DOT text.

Both views read a `Graph` (and the lecture view its `Lecture` model) and write DOT with
the `graphviz` package, imported only when a drawing is made so that ``import microgrand``
stays fast. Nothing here runs a layout program (that is `layout`).

Safety: names are user text and end up in DOT and SVG. Node ids are generated (``n0``,
``n1``, ... in traversal order), never user text, and every label goes through one helper,
`escape_label` (control characters and lone surrogates made visible, length capped, ``&``
escaped, then `graphviz.escape`); no record shapes, no URL/href/tooltip attributes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from microgrand.engine import op_row
from microgrand.labels import clean_text, fmt, fmt_constant
from microgrand.layout import DotSource, Sizer
from microgrand.lecture_view import MAX_NODES, BackwardStage, Graph, Lecture, columns
from microgrand.notation import formula_term, show, wrap_formula
from microgrand.ops import op_partial
from microgrand.typeset import Typeset

if TYPE_CHECKING:
    from microgrand.node import Node

VIEWS = ("lecture", "ops")

# Labels on edges are what makes `dot` slow (600 nodes with labelled edges: 6 s, without
# labels: 0.2 s). Above LABEL_LIMIT drawn items the gradients move into the boxes and the
# edge labels are dropped.
LABEL_LIMIT = 150
FIRST_COLUMN_LIMIT = 12
RED_LABELS_PER_BOX = 6

# A drawing deeper than this many columns (boxes in the lecture view, ops in the ops view)
# is stacked top to bottom instead of growing one row forever: a notebook's output area is
# ~1,000-1,300 px wide. The lecture's three columns (z, a, L) take ~1,450 px; each op of
# the ops view ~600 px (J = 3(a + bc), 3 ops: 1,580 px; logistic regression, 8 ops deep:
# 5,280 px as a row, 845 px wide stacked).
STACK_DEPTH = {"lecture": 6, "ops": 3}

BLUE = "#1f4e9c"
RED = "#c62828"
HIGHLIGHT = "#fff3b0"


def escape_label(lines: str | Sequence[str]) -> str:
    """The one way text becomes a DOT label: clean each line, escape ``&`` first, then
    `graphviz.escape` (doubles backslashes, so ``\\N``/``\\G`` and a trailing backslash are
    literal; stops ``<...>`` being read as HTML), and join lines with DOT's ``\\n``."""
    import graphviz

    if isinstance(lines, str):
        lines = [lines]
    escaped = [str(graphviz.escape(clean_text(line).replace("&", "&amp;"))) for line in lines]
    # The ignore below: graphviz is untyped
    return graphviz.nohtml("\\n".join(escaped))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Options:
    """What a drawing shows."""

    view: str = "lecture"
    values: bool = True
    grads: bool = True
    formulas: bool | None = None
    max_nodes: int = MAX_NODES


def _depth(heads: list[Node], tails: Callable[[Node], Iterable[Node]]) -> int:
    """The most columns a path crosses (see `lecture_view.columns`)."""
    return max(columns(heads, tails).values(), default=0)


def _new_digraph(large: bool, stacked: bool = False) -> Any:
    import graphviz

    dot = graphviz.Digraph(name="microgrand")
    rankdir = "TB" if stacked else "LR"
    dot.attr(rankdir=rankdir, nodesep="0.3", ranksep="0.9" if not large else "0.5")
    dot.attr("node", fontsize="14")
    dot.attr("edge", fontsize="12")
    return dot


def lecture_source(graph: Graph, options: Options, progress: BackwardStage) -> DotSource:
    """DOT text of the lecture view."""
    model = Lecture(graph)
    root = graph.root
    large = _gradients_in_boxes(model)
    has_data = any(n.is_leaf and not n.requires_grad for n in model.inputs)
    grads_ready = options.grads and root.grad == 1.0
    formulas = _show_formulas(options.formulas, model, grads_ready, has_data)

    ids: dict[int, str] = {}
    for node in [*model.inputs, *model.boxes]:
        ids[id(node)] = f"n{len(ids)}"

    depth = _depth(model.boxes, lambda box: (node for node, _, _ in model.edge_list[id(box)]))
    stacked = depth > STACK_DEPTH["lecture"]
    dot = _new_digraph(large, stacked)
    sizer = Sizer()
    highlight = progress.highlight

    def grad_text(node: Node) -> str:
        return fmt(node.grad) if graph.grad_known(node, progress) else "?"

    def input_node(parent: Any, node: Node, node_id: str) -> None:
        grad = grad_text(node) if large and grads_ready and node.requires_grad else None
        _input_node(parent, model, node, node_id, options.values, grad, id(node) in highlight)

    tail_id, pinned = _place_inputs(dot, model, ids, input_node, has_data, stacked)
    # An input written next to each user is drawn as its copies only.
    sizer.nodes = len(ids) - len({node for node, _ in tail_id}) + len(tail_id)
    for box in model.boxes:
        lines = wrap_formula(model.box_text(box))
        if options.values:
            lines.append(fmt(box.value))
        if large and grads_ready and box is not root:
            lines.append(f"{model.gradient(box)} = {grad_text(box)}")
        attrs = {"shape": "box"}
        if id(box) in highlight:
            attrs.update(style="filled", fillcolor=HIGHLIGHT, penwidth="2")
        dot.node(ids[id(box)], escape_label(lines), **attrs)
    for box in model.boxes:
        processed = progress.processed is None or id(box) in progress.processed
        head = ids[id(box)]
        for node, term, number in model.edge_list[id(box)]:
            tail = tail_id.get((id(node), id(box)), ids[id(node)])
            dot.edge(tail, head, color=BLUE)
            sizer.edge(tail, head)
            if not node.requires_grad:
                continue
            attrs = {"dir": "back", "color": RED, "fontcolor": RED}
            if not large:
                label = _red_label(model, box, node, term, number, formulas, grads_ready, processed)
                attrs["label"] = escape_label(label)
            if progress.processed is not None and id(node) in highlight:
                attrs["penwidth"] = "2"
            dot.edge(tail, head, **attrs)
            sizer.edge(tail, head, labelled="label" in attrs)
    return DotSource(str(dot.source), "lecture", sizer.nodes, sizer.items(pinned))


def _show_formulas(
    formulas: bool | None, model: Lecture, grads_ready: bool, has_data: bool
) -> bool:
    """Whether the red arrows carry formulas: as `formulas` says, or else as the lecture."""
    if formulas is not None:
        return formulas
    # Formulas are the point of the logistic-regression lecture (the update rules you
    # implement); the earlier J = 3(a + bc) lecture works with the numbers alone.
    # Without gradient numbers (grads=False, or before backward) formulas are all there is.
    return not grads_ready or has_data or model.loss is not None


def _place_inputs(
    dot: Any,
    model: Lecture,
    ids: dict[int, str],
    input_node: Callable[[Any, Node, str], None],
    has_data: bool,
    stacked: bool,
) -> tuple[dict[tuple[int, int], str], frozenset[str]]:
    """Write the inputs: in the first column as the lecture does, or next to their users.

    Returns the ids of the copies of inputs drawn once per user, by (input, box), and the
    ids pinned to the first column.
    """
    label_y = model.loss.y if model.loss is not None else None
    # The lecture puts every input in the first column. In a deep graph that makes long
    # labelled edges across many ranks, which is what makes `dot` slow (70 boxes with an
    # input each: over 60 s); there the inputs sit next to the box that uses them, and an
    # input used by several boxes is written next to each (60 boxes sharing one input:
    # 7,379 layout items drawn once, 181 drawn next to each user).
    # A stacked drawing (top to bottom) has no first column: its inputs sit by their users.
    in_column = not stacked and len(model.boxes) <= FIRST_COLUMN_LIMIT
    starts = model.first_column(has_data) if in_column else set()
    first_column = [n for n in model.inputs if n is not label_y and id(n) in starts]
    elsewhere = [n for n in model.inputs if n is label_y or id(n) not in starts]
    with dot.subgraph(name="inputs") as column:
        column.attr(rank="min")
        for node in first_column:
            input_node(column, node, ids[id(node)])
        # Invisible edges between neighbours hold the lecture's order, top to bottom (`dot`
        # would reorder the rank: x₂ above x₁). They cross no rank: they cost no layout.
        for upper, lower in model.column_order(first_column):
            column.edge(ids[id(upper)], ids[id(lower)], style="invis", minlen="0")
    copies: dict[tuple[int, int], str] = {}
    shared = {id(n) for n in elsewhere if model.box_users.get(id(n), 0) > 1}
    for node in elsewhere:
        if id(node) not in shared:
            input_node(dot, node, ids[id(node)])
    for box in model.boxes:
        for node, _, _ in model.edge_list[id(box)]:
            if id(node) in shared:
                copy_id = f"n{len(ids) + len(copies)}"
                copies[id(node), id(box)] = copy_id
                input_node(dot, node, copy_id)
    return copies, frozenset(ids[id(node)] for node in first_column)


def _gradients_in_boxes(model: Lecture) -> bool:
    """Whether gradients go into the boxes instead of onto red labels.

    Past LABEL_LIMIT items the labels make `dot` slow. Many red labels into one box (a 2-4-1
    network's z[2] has 9) stack up and take most of the width: there too the gradients move
    into the boxes, which keeps a network readable at notebook width.
    """
    red_per_box = max(
        (sum(n.requires_grad for n, _, _ in model.edge_list[id(box)]) for box in model.boxes),
        default=0,
    )
    return len(model.inputs) + len(model.boxes) > LABEL_LIMIT or red_per_box > RED_LABELS_PER_BOX


def _input_node(
    dot: Any,
    model: Lecture,
    node: Node,
    node_id: str,
    values: bool,
    grad: str | None,
    highlighted: bool,
) -> None:
    name = model.names[id(node)]
    lines = [f"{name} = {fmt(node.value)}" if values else name]
    if grad is not None:
        lines.append(f"{model.gradient(node)} = {grad}")
    attrs = {"shape": "plaintext"}
    if highlighted:
        attrs.update(style="filled", fillcolor=HIGHLIGHT)
    dot.node(node_id, escape_label(lines), **attrs)


def _red_label(
    model: Lecture,
    box: Node,
    node: Node,
    term: Typeset | None,
    number: float,
    formulas: bool,
    grads: bool,
    processed: bool,
) -> str:
    shared = model.box_users[id(node)] > 1
    # A node used by several boxes gets one arrow from each: each adds its share (the
    # engine's `x.grad += ...`), so the arrow says += and shows that share.
    head = f"{model.gradient(node)} {'+=' if shared else '='} "
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


def ops_source(graph: Graph, options: Options, progress: BackwardStage) -> DotSource:
    """DOT text of the ops view: one box per primitive, op symbols, local derivatives."""
    order = graph.order
    large = _ops_items(order) > LABEL_LIMIT
    grads_ready = options.grads and graph.root.grad == 1.0
    computed = [n for n in order if not n.is_leaf]
    dot = _new_digraph(large, stacked=_depth(computed, lambda n: n.parents) > STACK_DEPTH["ops"])
    dot.attr("node", fontname="Courier", fontsize="12")
    dot.attr("edge", fontsize="11")
    ids: dict[int, str] = {}
    sizer = Sizer()

    def new_id() -> str:
        sizer.nodes += 1
        return f"n{sizer.nodes - 1}"

    # One naming in both views: the lecture view's model names the nodes (t₁ for an
    # unnamed node that is a box there) and writes the others as formulas.
    model = Lecture(graph)

    def name_of(node: Node) -> str | None:
        return model.names.get(id(node))

    for node in order:
        if node.is_constant:
            continue
        if not node.is_leaf:
            op = op_row(node)
            op_id = new_id()
            dot.node(op_id, escape_label(op.symbol), shape="ellipse")
            for i, parent in enumerate(node.parents):
                if parent.is_constant:
                    _constant_input(dot, sizer, new_id(), op_id, parent.value)
                    continue
                attrs: dict[str, str] = {}
                if parent.requires_grad and not large:
                    attrs["label"] = escape_label(_local_label(node, i, model, options.values))
                    attrs["fontcolor"] = RED
                dot.edge(ids[id(parent)], op_id, **attrs)
                sizer.edge(ids[id(parent)], op_id, labelled="label" in attrs)
        box_id = new_id()
        ids[id(node)] = box_id
        grad = None
        if grads_ready and node.requires_grad:
            grad = fmt(node.grad) if graph.grad_known(node, progress) else "?"
        attrs = {"shape": "box"}
        if id(node) in progress.highlight:
            attrs.update(style="filled", fillcolor=HIGHLIGHT, penwidth="2")
        text = _ops_box_text(name_of(node), node.value, options.values, grad)
        dot.node(box_id, escape_label(text), **attrs)
        if not node.is_leaf:
            dot.edge(op_id, box_id)
            sizer.edge(op_id, box_id)
    return DotSource(str(dot.source), "ops", sizer.nodes, sizer.items())


def _constant_input(dot: Any, sizer: Sizer, const_id: str, op_id: str, value: float) -> None:
    """A constant input of an op in the ops view: a dashed gray box with its value, and a
    gray edge to the op's ellipse.

    The walk gives constants no box of their own: each use is drawn beside the op that
    reads it, and since a constant takes no gradient its edge has no derivative label.
    """
    dot.node(
        const_id,
        escape_label(fmt_constant(value)),
        shape="box",
        style="dashed",
        color="gray40",
    )
    dot.edge(const_id, op_id, color="gray40")
    sizer.edge(const_id, op_id)


def _ops_items(order: list[Node]) -> int:
    """How many items the ops view draws: a box per non-constant node, an ellipse per op
    and a dashed box per constant input."""
    return (
        sum(1 for n in order if not n.is_constant)
        + sum(1 for n in order if not n.is_leaf)
        + sum(1 for n in order for p in n.parents if p.is_constant)
    )


def _ops_box_text(name: str | None, value: float, values: bool, grad: str | None) -> str:
    """A box of the ops view: ``name = value │ grad g`` (the parts that are shown)."""
    parts = []
    if values:
        parts.append(f"{name} = {fmt(value)}" if name else fmt(value))
    elif name:
        parts.append(name)
    if grad is not None:
        parts.append(f"grad {grad}")
    return " │ ".join(parts) or " "


def _local_label(node: Node, i: int, model: Lecture, values: bool) -> str:
    """The local derivative on an edge of the ops view: ``∂ = a(1 − a) = 0.2475``, each
    node written as the lecture view writes it (never as a bare x or y, which could be
    read as the user's x or y)."""
    op = op_row(node)
    variables = {"out": model.term(node)}
    for letter, parent in zip("xy", node.parents, strict=False):
        variables[letter] = model.term(parent)
    term = formula_term(op.formulas[i], variables)
    parts = ["∂"]
    if term is not None:
        parts.append(show(term)[0])
    if values:
        number = op_partial(op, i, node.value, [p.value for p in node.parents])
        if term is None or term[0] != "num":
            parts.append(fmt(number))
    return " = ".join(parts)


def build_source(root: Node, options: Options, progress: BackwardStage | None = None) -> DotSource:
    """The DOT text of a drawing, with its size."""
    if options.view not in VIEWS:
        raise ValueError(f"draw: view must be one of {', '.join(VIEWS)}, got {options.view!r}")
    graph = Graph(root, options.max_nodes)
    progress = progress or BackwardStage()
    if options.view == "ops":
        return ops_source(graph, options, progress)
    return lecture_source(graph, options, progress)
