"""`explain`: one gradient as the chain rule, spelled out with formulas and numbers.

For ``explain(L, w1)`` it prints what the lecture writes on the board::

    dw1 = dL/da * da/dz * dz/dw1
        = (-y/a + (1-y)/(1-a)) * a * (1 - a) * x1
        = -1.819 * 0.2475 * 2
        = -0.9003

It works for any graph: every path from the root down to the node is a product of the
local derivatives that the op table (`microgrand.ops`) gives as formula text and as
rules; the gradient is the sum over paths. Named nodes are the stops of a path; unnamed
nodes between two stops are collapsed into one factor (their local derivatives
multiplied), and where several paths join two stops the factor is their sum. Nothing
recurses, and a graph with too many paths is refused instead of printing pages.
Laying the chains out as lines is `microgrand.chain_text`'s job; names are shown
through `microgrand.labels` (escaped, as the drawings show them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from microgrand import engine
from microgrand.chain_text import ASCII, ATOM, UNICODE, layout
from microgrand.labels import NAME_LIMIT, clean_text, d, display_name, distinct_names
from microgrand.lecture_view import input_order
from microgrand.node import Node
from microgrand.notation import show, tree_term
from microgrand.typeset import ONE, ZERO, Typeset, t_add, t_mul

DEFAULT_MAX_PATHS = 64
_EXPRESSION_LIMIT = 40  # longer sub-expressions print as "…": the numbers carry the meaning
_FACTOR_LIMIT = 120  # a longer collapsed factor prints as its d-notation

Edge = tuple[Node, int]  # (node, index of the parent the path continues to)


class TooManyPathsError(ValueError):
    """The root reaches the node along more paths than `explain` will print."""


@dataclass(frozen=True, slots=True)
class Factor:
    """One factor of a chain: d(upper)/d(lower) between two consecutive named stops.

    Attributes:
        upper: the label of the stop nearer the root.
        lower: the label of the stop nearer the node.
        formula: the factor as text, from the op table's formulas (a sum if paths join).
        value: its value.
        terms: one value per path between the two stops (more than one: a sum).
    """

    upper: str
    lower: str
    formula: str
    value: float
    terms: tuple[float, ...]
    precedence: int = field(default=6, repr=False)


@dataclass(frozen=True, slots=True)
class Chain:
    """One route from the root to the node through named stops: a product of factors."""

    factors: tuple[Factor, ...]
    value: float


@dataclass(frozen=True, slots=True)
class Explanation:
    """The chain rule for d(root)/d(node): printable, and its parts as data.

    Attributes:
        root: the root's label.
        node: the node's label.
        chains: the routes through named stops; the gradient is the sum of their values.
        value: that sum.
        paths: how many paths from root to node there are in the graph.
    """

    root: str
    node: str
    chains: tuple[Chain, ...]
    value: float
    paths: int
    lines: tuple[str, ...] = field(repr=False)
    unicode_lines: tuple[str, ...] = field(default=(), repr=False)

    def __str__(self) -> str:
        return "\n".join(self.lines)

    def _repr_html_(self) -> str:
        from html import escape

        # Notebooks get the drawings' Unicode notation (σ, −, ·, x₁); terminals ASCII.
        return f"<pre>{escape(chr(10).join(self.unicode_lines or self.lines))}</pre>"


def explain(root: Node, node: Node, *, max_paths: int = DEFAULT_MAX_PATHS) -> Explanation:
    """Spell out d(root)/d(node) as the chain rule over every path, with numbers.

    Args:
        root: the output (the lecture's L or J).
        node: the node whose gradient to explain (w1).
        max_paths: refuse (TooManyPathsError) when root reaches node along more paths.

    Raises:
        RuntimeError: a leaf was set after a node that uses it was made (stale graph).
        ValueError: root does not depend on node.
        TooManyPathsError: more than max_paths paths.
    """
    if not isinstance(root, Node) or not isinstance(node, Node):
        raise TypeError("explain(root, node): both arguments must be Nodes")
    # The engine's walk, first: a stale graph is refused (as backward refuses it), even
    # for dL/dL. It only reads the graph: every grad stays as backward set it.
    order = engine.ancestors(root)
    text, fancy = _Text(root, node, order, ascii=True), _Text(root, node, order, ascii=False)
    if node is root:
        label, pretty = text.label(root), fancy.label(root)
        line = f"d{label} = d{label}/d{label} = 1"
        return Explanation(
            label, label, (), 1.0, 1, (line,), (f"d{pretty} = d{pretty}/d{pretty} = 1",)
        )
    reaches = {id(node)}
    for current in order:  # parents come first, so one pass finds every node above `node`
        if any(id(p) in reaches for p in current.parents):
            reaches.add(id(current))
    if id(root) not in reaches:
        raise ValueError(
            f"explain: {text.label(root)} does not depend on {text.label(node)} "
            "(the node is not in the root's graph)"
        )
    count = _count_paths(order, reaches, root, node)
    if count > max_paths:
        raise TooManyPathsError(
            f"explain: {text.label(root)} reaches {text.label(node)} along {count} paths, "
            f"more than max_paths={max_paths}: too many to print. Explain a node nearer the "
            "root, or pass a larger max_paths."
        )
    paths = _paths(root, node, reaches)
    chains = _chains(paths, node, text)
    value = sum(chain.value for chain in chains)
    lines = layout(text.label(root), text.label(node), chains, value, ASCII)
    unicode_lines = layout(
        fancy.label(root), fancy.label(node), _chains(paths, node, fancy), value, UNICODE
    )
    if not node.requires_grad:
        kind = "a constant" if node.is_constant else "data (requires_grad=False)"
        lines += (f"  ({text.label(node)} is {kind}: backward leaves its grad at 0.0)",)
        unicode_lines += (f"  ({fancy.label(node)} is {kind}: backward leaves its grad at 0.0)",)
    return Explanation(
        text.label(root), text.label(node), chains, value, count, lines, unicode_lines
    )


def _count_paths(order: list[Node], reaches: set[int], root: Node, node: Node) -> int:
    counts = {id(root): 1}
    for current in reversed(order):  # children before parents
        n = counts.get(id(current), 0)
        if n == 0 or current is node:
            continue
        for parent in current.parents:  # a node used twice (x * x) is two paths
            if id(parent) in reaches:
                counts[id(parent)] = counts.get(id(parent), 0) + n
    return counts.get(id(node), 0)


def _paths(root: Node, node: Node, reaches: set[int]) -> list[list[Edge]]:
    """Every path from root to node, as edges; depth-first with an explicit stack."""
    # A trail entry is (edge, index of the previous entry): paths share their prefixes,
    # so a deep graph costs one entry per step rather than one list per step.
    trail: list[tuple[Edge, int]] = []
    stack: list[tuple[Node, int]] = [(root, -1)]
    paths: list[list[Edge]] = []
    while stack:
        current, at = stack.pop()
        if current is node:
            path: list[Edge] = []
            while at >= 0:
                edge, at = trail[at]
                path.append(edge)
            path.reverse()
            paths.append(path)
            continue
        for index in reversed(range(len(current.parents))):
            parent = current.parents[index]
            if id(parent) in reaches:
                trail.append(((current, index), at))
                stack.append((parent, len(trail) - 1))
    return paths


def _chains(paths: list[list[Edge]], node: Node, text: _Text) -> tuple[Chain, ...]:
    """Group paths by their named stops and collapse each stretch between stops."""
    # per route (its stops): per factor, the distinct stretches, keyed by their edges
    routes: dict[tuple[int, ...], list[dict[tuple[tuple[int, int], ...], list[Edge]]]] = {}
    stops_of: dict[tuple[int, ...], list[Node]] = {}
    for path in paths:
        stops = [path[0][0]]
        stretches: list[list[Edge]] = [[]]
        for current, index in path:
            stretches[-1].append((current, index))
            parent = current.parents[index]
            if parent.name is not None or parent is node:
                stops.append(parent)
                stretches.append([])
        stretches.pop()
        key = tuple(id(stop) for stop in stops)
        stops_of[key] = stops
        routes.setdefault(key, [{} for _ in stretches])
        for collected, stretch in zip(routes[key], stretches, strict=True):
            collected.setdefault(tuple((id(n), i) for n, i in stretch), stretch)
    chains = []
    for key, stretches_by_factor in routes.items():
        stops = stops_of[key]
        factors = tuple(
            text.factor(stops[i], stops[i + 1], list(stretches.values()))
            for i, stretches in enumerate(stretches_by_factor)
        )
        value = 1.0
        for factor in factors:
            value *= factor.value
        chains.append(Chain(factors, value))
    return tuple(chains)


class _Text:
    """How nodes and local derivatives are written: term trees (`microgrand.notation`)
    printed in ASCII, the notation of the drawings for a terminal."""

    def __init__(self, root: Node, node: Node, order: list[Node], *, ascii: bool) -> None:
        self._terms: dict[int, Typeset] = {}
        self._ends = {id(root): "out", id(node): "node"}
        self.ascii = ascii
        # Nodes that share a name are told apart as the drawings tell them apart (a₁, a₂,
        # numbered in the lecture view's order): the same node reads the same in both.
        named = [n for n in input_order(order) if n.name is not None]
        named += [n for n in order if not n.is_leaf and n.name is not None]
        shown = distinct_names([self._shown(n) for n in named], ascii=ascii)
        self._names = {id(n): name for n, name in zip(named, shown, strict=True) if name}

    def _shown(self, node: Node) -> str:
        assert node.name is not None
        return clean_text(node.name, NAME_LIMIT) if self.ascii else display_name(node.name)

    def name(self, node: Node) -> str:
        """A named node's label: as typed (ASCII), or as the drawings write it (x₁); either
        way made safe to show as the drawings make it (a name holding an escape sequence or
        a newline must not drive the terminal), capped at the drawings' length, and told
        apart from another node of the same name (`labels.distinct_names`)."""
        return self._names.get(id(node)) or self._shown(node)

    def label(self, node: Node) -> str:
        """The node's name, else its expression if short, else "out" (root) or "node"."""
        if node.name is not None:
            return self.name(node)
        text, precedence = show(self.term(node), ascii=self.ascii)
        if len(text) > 20 or "…" in text:
            return self._ends.get(id(node), "node")
        return text if precedence >= 5 else f"({text})"

    def term(self, node: Node) -> Typeset:
        """The node as a formula over named nodes and numbers (long ones cut to "…")."""
        memo = self._terms
        stack = [node]
        while stack:  # post-order with an explicit stack: unnamed chains may be deep
            current = stack[-1]
            if id(current) in memo:
                stack.pop()
                continue
            if current.name is not None:
                memo[id(current)] = ("atom", self.name(current), ATOM, id(current))
            elif current.op is None:  # a constant, or an unnamed leaf: show what it holds
                memo[id(current)] = ("num", current.value)
            else:
                missing = [p for p in current.parents if id(p) not in memo]
                if missing:
                    stack.extend(missing)
                    continue
                memo[id(current)] = self._op_term(current)
            stack.pop()
        return memo[id(node)]

    def _op_term(self, node: Node) -> Typeset:
        args = [self._terms[id(p)] for p in node.parents]
        name = node.op or ""
        if name in _OPERATOR_TERMS:
            term: Typeset = (_OPERATOR_TERMS[name], *args)
        else:
            term = ("call", name, *args)
        if len(show(term, ascii=self.ascii)[0]) > _EXPRESSION_LIMIT:
            return ("atom", "…", ATOM, id(node))  # one "…" is not another
        return term

    def factor(self, upper: Node, lower: Node, stretches: list[list[Edge]]) -> Factor:
        """d(upper)/d(lower) summed over the stretches (paths of unnamed nodes) joining them."""
        total: Typeset | None = ZERO
        values = []
        for stretch in stretches:
            term, value = self._stretch(stretch)
            total = None if total is None or term is None else t_add(total, term)
            values.append(value)
        upper_label, lower_label = self.label(upper), self.label(lower)
        formula, precedence = show(total, ascii=self.ascii) if total is not None else ("", 0)
        if total is None or len(formula) > _FACTOR_LIMIT:
            formula, precedence = f"{d(upper_label)}/{d(lower_label)}", ATOM
        return Factor(upper_label, lower_label, formula, sum(values), tuple(values), precedence)

    def _stretch(self, stretch: list[Edge]) -> tuple[Typeset | None, float]:
        """The product of the local derivatives along one stretch: its term and value."""
        product: Typeset | None = ONE
        value = 1.0
        for node, index in stretch:
            op = engine.op_row(node)
            parents = node.parents
            value *= op.partial_of[index](node.value, *(p.value for p in parents))
            if product is None or len(show(product, ascii=self.ascii)[0]) > _FACTOR_LIMIT:
                product = None  # far too long to print (`factor` shows d-notation)
                continue
            variables = {"out": self.term(node), "x": self.term(parents[0])}
            variables["y"] = self.term(parents[-1])
            local = tree_term(op.derivatives[index], variables)
            product = None if local is None else t_mul(product, local)
        return product, value


# The operators of the op table, as term kinds (the other ops are calls by name).
_OPERATOR_TERMS = {"add": "add", "sub": "sub", "mul": "mul", "div": "div", "pow": "pow"}
_OPERATOR_TERMS["neg"] = "neg"
