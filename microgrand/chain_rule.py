"""`explain`: one gradient as the chain rule, spelled out with formulas and numbers.

For ``explain(L, w1)`` it prints what the lecture writes on the board::

    dw1 = dL/da * da/dz * dz/dw1
        = (-y/a + (1 - y)/(1 - a)) * a * (1 - a) * x1
        = -1.819 * 0.2475 * 2
        = -0.9003

It works for any graph: every path from the root down to the node is a product of the
local derivatives that the op table (`microgrand.ops`) gives as formula text and as
rules; the gradient is the sum over paths. Named nodes are the stops of a path; unnamed
nodes between two stops are collapsed into one factor (their local derivatives
multiplied), and where several paths join two stops the factor is their sum. Nothing
recurses, and a graph with too many paths is refused instead of printing pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from microgrand import engine
from microgrand.node import Node
from microgrand.notation import fmt_constant, number
from microgrand.ops import TABLE

DEFAULT_MAX_PATHS = 64
_EXPRESSION_LIMIT = 40  # longer sub-expressions print as "…": the numbers carry the meaning
_FACTOR_LIMIT = 120  # a longer collapsed factor prints as its d-notation
_WHERE_TERMS = 8  # a factor summing more paths prints only its total
_ATOM = 6  # precedence of a name or a number (binds tighter than any op)
_VARIABLE = re.compile(r"\b(out|x|y)\b")

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

    def __str__(self) -> str:
        return "\n".join(self.lines)

    def _repr_html_(self) -> str:
        from html import escape

        return f"<pre>{escape(str(self))}</pre>"


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
    text = _Text(root, node)
    # The engine's walk, first: a stale graph is refused (as backward refuses it), even
    # for dL/dL. It only reads the graph: every grad stays as backward set it.
    order = engine.ancestors(root)
    if node is root:
        label = text.label(root)
        line = f"d{label} = d{label}/d{label} = 1"
        return Explanation(label, label, (), 1.0, 1, (line,))
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
    chains = _chains(_paths(root, node, reaches), node, text)
    value = sum(chain.value for chain in chains)
    lines = _layout(text.label(root), text.label(node), chains, value)
    if not node.requires_grad:
        kind = "a constant" if node.is_constant else "data (requires_grad=False)"
        lines += (f"  ({text.label(node)} is {kind}: backward leaves its grad at 0.0)",)
    return Explanation(text.label(root), text.label(node), chains, value, count, lines)


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


def _layout(root: str, node: str, chains: tuple[Chain, ...], value: float) -> tuple[str, ...]:
    notation = " + ".join(
        " * ".join(f"{_d(f.upper)}/{_d(f.lower)}" for f in chain.factors) for chain in chains
    )
    formulas = _sum([_product([f.formula for f in chain.factors]) for chain in chains])
    numbers = _sum([_product([number(f.value) for f in chain.factors]) for chain in chains])
    # d(root)/d(node) is written dnode, as the lecture writes dw1 for dL/dw1; when the root
    # is itself a derivative (dz, from microgrand.grad), d(dz)/dz says which is which.
    head = f"{_d(root)}/{_d(node)} = " if _is_derivative(root) else f"{_d(node)} = "
    pad = " " * (len(head) - 2) + "= "
    lines = [head + notation]
    previous = notation
    for line in (formulas, numbers, number(value)):
        if line != previous:  # a one-factor chain's formula may already be its value
            lines.append(pad + line)
            previous = line
    for chain in chains:
        for f in chain.factors:
            if len(f.terms) > _WHERE_TERMS:
                factor = f"{_d(f.upper)}/{_d(f.lower)}"
                lines.append(f"  where {factor} sums {len(f.terms)} paths = {number(f.value)}")
            elif len(f.terms) > 1:
                lines.append(
                    f"  where {_d(f.upper)}/{_d(f.lower)} sums {len(f.terms)} paths: "
                    f"{_sum([number(t) for t in f.terms])} = {number(f.value)}"
                )
    return tuple(lines)


def _is_derivative(label: str) -> bool:
    """A label like dz or dw1: a gradient (from microgrand.grad) that was named so."""
    return len(label) > 1 and label[0] == "d" and label[1].isalpha()


def _d(label: str) -> str:
    """d of a label: dz, but d(dz) for a label that is a derivative itself."""
    return f"d({label})" if _is_derivative(label) else f"d{label}"


def _product(factors: list[str]) -> str:
    if len(factors) == 1:
        return factors[0]
    parts = []
    for i, factor in enumerate(factors):
        wrap = _has_top_level(factor, "+-") or (i > 0 and factor.startswith("-"))
        parts.append(f"({factor})" if wrap else factor)
    return " * ".join(parts)


def _sum(terms: list[str]) -> str:
    # A term's leading "-" is the sign of its first factor or summand, so "A + -t" can
    # be written "A - t" whatever follows in t (products bind tighter; sums associate).
    text = terms[0]
    for term in terms[1:]:
        text += f" - {term[1:]}" if term.startswith("-") else f" + {term}"
    return text


def _has_top_level(text: str, operators: str) -> bool:
    """True when `text` has a binary operator from `operators` outside parentheses.

    A + or - counts only after an operand (not as a sign: "-y", "x * -2"); erring towards
    True only adds parentheses.
    """
    depth = 0
    last = ""  # the last non-space character seen at depth 0
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
            last = ")"
        elif depth == 0 and char != " ":
            if char in operators and (
                char not in "+-" or last.isalnum() or (last != "" and last in ")….")
            ):
                return True
            last = char
    return False


def _wrap(text: str) -> str:
    """Parenthesize an expression unless it is a single name, number or call."""
    atomic = not _has_top_level(text, "+-*/^") and not text.startswith("-")
    return text if atomic else f"({text})"


class _Text:
    """How nodes and local derivatives are written; remembers each node's expression."""

    def __init__(self, root: Node, node: Node) -> None:
        self._expressions: dict[int, tuple[str, int]] = {}
        self._ends = {id(root): "out", id(node): "node"}

    def label(self, node: Node) -> str:
        """The node's name, else its expression if short, else "out" (root) or "node"."""
        if node.name is not None:
            return node.name
        text = self.expression(node)
        if len(text) > 20 or "…" in text:
            return self._ends.get(id(node), "node")
        return _wrap(text)

    def expression(self, node: Node) -> str:
        """The node as a formula over named nodes and numbers."""
        return self._expression(node)[0]

    def _expression(self, node: Node) -> tuple[str, int]:
        memo = self._expressions
        stack = [node]
        while stack:  # post-order with an explicit stack: unnamed chains may be deep
            current = stack[-1]
            if id(current) in memo:
                stack.pop()
                continue
            if current.name is not None:
                memo[id(current)] = (current.name, _ATOM)
            elif current.is_constant:
                text = fmt_constant(current.value, ascii=True)
                # a negative number is parenthesized inside any op: "x * (-2)"
                memo[id(current)] = (text, 0 if text.startswith("-") else _ATOM)
            elif current.op is None:  # an unnamed leaf: show what it holds
                text = fmt_constant(current.value, ascii=True)
                memo[id(current)] = (text, 0 if text.startswith("-") else _ATOM)
            else:
                missing = [p for p in current.parents if id(p) not in memo]
                if missing:
                    stack.extend(missing)
                    continue
                memo[id(current)] = self._render(current)
            stack.pop()
        return memo[id(node)]

    def _render(self, node: Node) -> tuple[str, int]:
        op = TABLE[node.op or ""]
        template = op.template.replace("−", "-")
        if template == "{0}{1}":  # juxtaposition reads badly with names like w1 and x1
            template = "{0} * {1}"
        inputs = []
        for i, parent in enumerate(node.parents):
            text, precedence = self._expressions[id(parent)]
            right = i == 1 and op.name in ("sub", "div", "pow")
            wrap = precedence < op.precedence or (right and precedence == op.precedence)
            if op.name == "pow" and i == 0:
                wrap = precedence <= op.precedence
            inputs.append(f"({text})" if wrap and op.precedence < 5 else text)
        text = template.format(*inputs)
        if len(text) > _EXPRESSION_LIMIT:
            text = "…"
            return text, _ATOM
        return text, op.precedence

    def factor(self, upper: Node, lower: Node, stretches: list[list[Edge]]) -> Factor:
        """d(upper)/d(lower) summed over the stretches (paths of unnamed nodes) joining them."""
        texts = []
        values = []
        for stretch in stretches:
            text, value = self._stretch(stretch)
            texts.append(text)
            values.append(value)
        formula = _sum(texts)
        upper_label, lower_label = self.label(upper), self.label(lower)
        if len(formula) > _FACTOR_LIMIT:
            formula = f"{_d(upper_label)}/{_d(lower_label)}"
        return Factor(upper_label, lower_label, formula, sum(values), tuple(values))

    def _stretch(self, stretch: list[Edge]) -> tuple[str, float]:
        """The product of local derivatives along one stretch, as simplified text and value."""
        negative = False
        numerators: list[str] = []
        denominators: list[str] = []
        value = 1.0
        for node, index in stretch:
            op = TABLE[node.op or ""]
            parents = node.parents
            value *= op.partial_of[index](node.value, *(p.value for p in parents))
            formula = op.formulas[index]
            if len(numerators) + len(denominators) > _FACTOR_LIMIT // 4:
                continue  # far too long to print (`factor` shows d-notation): skip the text
            if formula == "1":
                continue
            if formula == "-1":
                negative = not negative
                continue
            names = {"out": node, "x": parents[0], "y": parents[-1]}
            if formula.startswith("1 / "):
                denominators.append(self._substitute(formula[4:], names))
            else:
                numerators.append(self._substitute(formula, names))
        top = " * ".join(f"({n})" if _has_top_level(n, "+-") else n for n in numerators)
        if not top:
            top = "1"
        if denominators:
            bottom = " * ".join(denominators)
            bottom = _wrap(bottom) if len(denominators) == 1 else f"({bottom})"
            top = f"{_wrap(top) if _has_top_level(top, '+-') else top}/{bottom}"
        if negative:
            if _has_top_level(top, "+-"):
                top = f"-({top})"
            else:  # -(-a/b) is a/b: a product's leading minus is the whole product's sign
                top = top[1:] if top.startswith("-") else f"-{top}"
        return top, value

    def _substitute(self, formula: str, names: dict[str, Node]) -> str:
        def replace(match: re.Match[str]) -> str:
            text = self.expression(names[match.group(1)])
            start, end = match.span()
            alone = formula.strip() == match.group(1)
            in_call = formula[start - 1 : start] == "(" and formula[end : end + 1] == ")"
            return text if alone or in_call else _wrap(text)

        return _VARIABLE.sub(replace, formula)
