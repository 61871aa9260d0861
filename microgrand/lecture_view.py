"""What a drawing shows, before any DOT: the graph in order, and the lecture view's model.

`Graph` is a root's graph prepared for either view: its nodes in the engine's topological
order (`engine.ancestors`, bounded so that a huge graph is refused at once) and who uses
each node. `BackwardStage` says how far a backward pass has got (for the step-by-step
frames).

`Lecture` is the lecture view's model: which nodes are inputs (plain text in the first
column), which are boxes (named nodes, the root, and unnamed nodes used twice), what each
box reads (``z = w₁x₁ + w₂x₂ + b``: unnamed intermediate nodes folded into the formula of
the named node that uses them), and each box's drawn inputs with d box/d input as a formula
and a number, from the op table's derivative formulas and the chain rule. The few places
where the lecture writes things its own way (the loss, ``ŷ = a``, ``dz = a − y``) live in
`lecture_loss`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from microgrand import engine as _engine
from microgrand.labels import (
    LABEL_LINE_LIMIT,
    display_name,
    distinct_names,
    fmt_constant,
    gradient_name,
)
from microgrand.lecture_loss import LossLabels, recognize
from microgrand.notation import apply_template, formula_term, operands_tight, show
from microgrand.ops import op_partial
from microgrand.typeset import ONE, Typeset, t_add, t_mul

if TYPE_CHECKING:
    from microgrand.node import Node

# Above MAX_NODES graph nodes a drawing is refused before anything is built (2,000
# unlabelled items already take `dot` 3.5 s, 4,000 take 18 s, 20,000 never finished).
MAX_NODES = 1000

# Derivative formulas are only worked out through this many folded (unnamed) nodes; past it
# the red arrow shows the number alone, and nothing grows without bound.
FORMULA_NODE_LIMIT = 24

GraphTooLargeError = _engine.GraphTooLargeError


@dataclass
class BackwardStage:
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
        try:
            self.order: list[Node] = _engine.ancestors(root, limit=max_nodes)
        except GraphTooLargeError:
            raise GraphTooLargeError(
                f"this graph has more than {max_nodes} nodes; a drawing that large would "
                "take minutes to lay out and be unreadable. Draw a smaller graph "
                "(name an intermediate node and draw that), or pass a larger "
                "max_nodes= if you really want it."
            ) from None
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

    def grad_known(self, node: Node, progress: BackwardStage) -> bool:
        """Whether the backward pass has finished node's gradient."""
        if progress.processed is None or node is self.root:
            return True
        users = self.consumers[id(node)]
        return bool(users) and all(id(u) in progress.processed for u in users)


# The course's letters for data: x (x₁, x1, x_1, x[1], X) and the label y.
_DATA_NAME = re.compile(r"[xXyY](?:[0-9₀-₉]+|_[0-9]+|\[[0-9]+\])?")


def is_data(node: Node) -> bool:
    """Whether a leaf is the lecture's data: requires_grad=False, or an ordinary Node that a
    learner named as the course names data (x₁, y), which the slide draws above its weight."""
    return not node.requires_grad or (
        node.name is not None and _DATA_NAME.fullmatch(node.name) is not None
    )


def columns(heads: list[Node], tails: Callable[[Node], Iterable[Node]]) -> dict[int, int]:
    """The column of each head, by id: `heads` in topological order, `tails` their drawn
    inputs (a node that is no head is in column 0), each head one after its latest input."""
    column: dict[int, int] = {}
    for head in heads:
        column[id(head)] = 1 + max((column.get(id(t), 0) for t in tails(head)), default=0)
    return column


def input_order(order: list[Node]) -> list[Node]:
    """The inputs (leaves that are not constants) of a graph in the engine's order (`order`,
    as `engine.ancestors` gives it), in the order the lecture lists them: as they are first
    used (x₁, w₁, x₂, w₂, b), the two inputs of one op with the data first, as the slide
    does (x₁ above w₁), also when the learner left x₁ an ordinary Node (`is_data`)."""
    first_use: dict[int, tuple[int, int]] = {}
    for index, node in enumerate(order):
        for position, parent in enumerate(node.parents):
            first_use.setdefault(id(parent), (index, position))
    unused = (-1, 0)  # only a root that is itself a leaf has no use
    inputs = [n for n in order if n.is_leaf and not n.is_constant]
    inputs.sort(
        key=lambda n: (
            first_use.get(id(n), unused)[0],
            not is_data(n),
            first_use.get(id(n), unused)[1],
        )
    )
    return inputs


class Lecture:
    """The lecture view's model: which nodes are inputs, which are boxes, and their text."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        root = graph.root
        uses = graph.uses
        self.loss = recognize(root, uses)
        loss_inner = self.loss.inner if self.loss else set()
        self.boxes: list[Node] = []
        for node in graph.order:
            if node.is_leaf:
                continue
            if node is root or (
                id(node) not in loss_inner and (node.name is not None or uses[id(node)] > 1)
            ):
                self.boxes.append(node)
        self.inputs = input_order(graph.order)
        self.names = self._names()
        self.special = LossLabels(
            self.loss,
            root,
            uses,
            lambda n: self.names[id(n)],
            lambda n: self.operand(n)[0],
            frozenset(self.names.values()),
        )
        self.formula: dict[int, tuple[str, int, bool]] = {}
        self._fold()
        self.position = {id(n): i for i, n in enumerate([*self.inputs, *self.boxes])}
        self.edge_list = {id(box): self.edges(box) for box in self.boxes}
        self.box_users: dict[int, int] = {}
        for box in self.boxes:
            for node, _, _ in self.edge_list[id(box)]:
                self.box_users[id(node)] = self.box_users.get(id(node), 0) + 1

    def _names(self) -> dict[int, str]:
        """Each drawn node's name: the user's (told apart when two nodes share one: a₁, a₂),
        L for the lecture's unnamed loss, else a generated t₁, t₂, ..."""
        drawn = [*self.inputs, *self.boxes]
        shown: list[str | None] = []
        for node in drawn:
            if node.name is not None:
                shown.append(display_name(node.name))
            elif node is self.graph.root and self.loss is not None:
                shown.append("L")
            else:
                shown.append(None)
        shown = distinct_names(shown)
        taken = {n.name for n in self.graph.order if n.name is not None}
        taken.update(name for name in shown if name is not None)
        names: dict[int, str] = {}
        counter = 0
        for node, name in zip(drawn, shown, strict=True):
            while name is None:
                counter += 1
                generated = display_name(f"t{counter}")
                if f"t{counter}" not in taken and generated not in taken:
                    name = generated
            names[id(node)] = name
        return names

    def operand(self, node: Node, tight: bool = False) -> tuple[str, int, bool]:
        """How a node reads inside a formula: (text, precedence, is_number); `tight` inside
        a quotient (`notation.infix`: a folded 1 − a reads 1−a there)."""
        if node.is_constant:
            text = fmt_constant(node.value)
            return text, 3 if text.startswith("−") else 5, True
        if id(node) in self.names:
            return self.names[id(node)], 5, False
        return self.tight_formula[id(node)] if tight else self.formula[id(node)]

    def _fold(self) -> None:
        """Write every computed node as a formula over the drawn items, parents first, as
        it reads on its own and as it reads inside a quotient."""
        self.tight_formula: dict[int, tuple[str, int, bool]] = {}
        for node in self.graph.order:
            if node.is_leaf:
                continue
            op = _engine.op_row(node)
            for tight, formulas in ((False, self.formula), (True, self.tight_formula)):
                inner = operands_tight(op.name, tight)
                operands = [self.operand(p, inner) for p in node.parents]
                text, prec = apply_template(op, operands, tight=tight)
                if len(text) > 4 * LABEL_LINE_LIMIT:  # long folds are cut when shown anyway
                    text = text[: 4 * LABEL_LINE_LIMIT]
                formulas[id(node)] = (text, prec, False)

    def box_text(self, box: Node) -> str:
        """The first line of a box: ``z = w₁x₁ + w₂x₂ + b``, ``ŷ = a = σ(z)``, ``L(a, y)``."""
        formula = self.formula[id(box)][0]
        special = self.special.box_text(box, formula)
        return special if special is not None else f"{self.names[id(box)]} = {formula}"

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

    def edges(self, box: Node) -> list[tuple[Node, Typeset | None, float]]:
        """The box's drawn inputs, each with d box/d input as a term and as a number.

        The derivative sums the products of the op table's local derivatives along every
        path through the folded nodes (iteratively; the term is dropped past
        FORMULA_NODE_LIMIT folded nodes).
        """
        symbolic = len(self.folded(box)) <= FORMULA_NODE_LIMIT
        found: dict[int, tuple[Node, Typeset | None, float]] = {}
        stack: list[tuple[Node, Typeset | None, float]] = [(box, ONE, 1.0)]
        while stack:
            node, term, number = stack.pop()
            op = _engine.op_row(node)
            values = [p.value for p in node.parents]
            partials = [op_partial(op, i, node.value, values) for i in range(op.arity)]
            variables: dict[str, Typeset] = {}
            if symbolic:
                variables["out"] = self.term(node)
                for letter, parent in zip("xy", node.parents, strict=False):
                    variables[letter] = self.term(parent)
            for i, parent in enumerate(node.parents):
                if parent.is_constant:
                    continue
                local = formula_term(op.formulas[i], variables) if symbolic else None
                if symbolic and term is not None and local is not None:
                    product: Typeset | None = t_mul(term, local)
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

    def term(self, node: Node) -> Typeset:
        """How a node reads in a derivative formula, in both views: its name (a generated
        t₁ for an unnamed box), a number, or the formula of a node folded into a box."""
        written = self._written(node)
        if node.op in ("mul", "div") and id(node) not in self.names:
            # A folded product or quotient keeps its shape (one level, over its operands as
            # written): a·a reads a², and the quotient's derivative −out/y reads y/a², not
            # y/a/a, as the course writes them. A square is one node twice, not two nodes
            # that print alike (two nodes named a are a·a).
            first, second = node.parents
            x, y = self._written(first), self._written(second)
            if node.op == "mul" and first is second and x[0] != "num":
                return ("pow", x, ("num", 2.0))
            quotient = ("div", x, y)
            if node.op == "div" and show(quotient)[0] == written[1]:
                return quotient
        return written

    def _written(self, node: Node) -> Typeset:
        """A node as it is written inside a formula: a number, or its text as one atom,
        keyed by the node (`typeset`: only the same node twice is a square)."""
        if node.is_constant:
            return ("num", node.value)
        text, prec, _ = self.operand(node)
        return ("atom", text, prec, id(node), self.operand(node, tight=True)[0])

    def gradient(self, node: Node) -> str:
        """How the drawing writes the gradient of the root with respect to node: ``da``, or
        ``d(dz)/da`` when the root is itself a derivative (`labels.gradient_name`, the rule
        `explain` follows)."""
        return gradient_name(self.names.get(id(self.graph.root), ""), self.names[id(node)])

    def red_formula(self, box: Node, node: Node, term: Typeset | None) -> Typeset | None:
        """d node as the lecture writes it: its own simplification, or the chain rule."""
        special = self.special.red_formula(box, node)
        if special is not None:
            return special
        if term is None:
            return None
        upstream: Typeset = ONE if box is self.graph.root else ("atom", self.gradient(box), 5)
        return t_mul(term, upstream)

    def first_column(self, has_data: bool) -> set[int]:
        """The inputs drawn in the first column; the others sit next to the box that uses them.

        Without data (J = 3(a + bc)) every input starts the drawing, as on the slide. With
        data, the data starts it and so do the parameters of the first layer of boxes (those
        whose inputs are all leaves: logistic regression's w₁, w₂, b); a later layer's
        parameters sit beside the layer that uses them, as the course draws a network (W[2]
        and b[2] enter at z[2], not in the first column).
        """
        if not has_data:
            return {id(n) for n in self.inputs}
        later: set[int] = set()
        for box in self.boxes:
            edges = self.edge_list[id(box)]
            if any(not node.is_leaf for node, _, _ in edges):
                later.update(
                    id(node) for node, _, _ in edges if node.is_leaf and node.requires_grad
                )
        return {id(n) for n in self.inputs if id(n) not in later}

    def column_order(self, first_column: list[Node]) -> list[tuple[Node, Node]]:
        """Neighbours (upper, lower) in the first column, top to bottom.

        `dot` orders a rank to cut crossings, which drew x₂ above x₁ (a 2-2-1 network, the
        graph of a gradient); the DOT emitter holds the column in this order with an
        invisible edge between neighbours. Inputs that enter one column of boxes keep
        `input_order` (x₁, w₁, x₂, w₂, b into z; a network's first layer unit by unit);
        inputs that enter a later column go above those of an earlier one, as the slide
        draws a above b and c in J = 3(a + bc) (the later boxes in one row, the earlier ones
        hanging below it: no edge crosses another).
        """
        column = columns(self.boxes, lambda box: (n for n, _, _ in self.edge_list[id(box)]))
        entering: dict[int, int] = {}  # input -> the column of the first box it feeds
        for box in self.boxes:  # topological order
            for node, _, _ in self.edge_list[id(box)]:
                entering.setdefault(id(node), column[id(box)])
        # sorted() is stable: within one column, the order of `first_column`
        ordered = sorted(first_column, key=lambda node: -entering.get(id(node), 0))
        return list(pairwise(ordered))
