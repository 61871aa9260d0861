"""Code generation for `microgrand.compile`: the statements of a traced graph.

One statement per node, in the graph's names (``t1, t2, ...`` for unnamed nodes): first
the forward pass in topological order, then the backward pass in the engine's order, each
gradient written from its op's derivative term tree (``dz = da * (a * (1.0 - a))``). The
same forward statements run on floats and on numpy arrays; the numpy backward pass also
sums scalar gradients over the examples. `microgrand.generated` assembles the functions.

Bit for bit with the engine: every value and product is computed by the same float
operations in the same order (``x.grad = g * dx``, then ``x.grad += g * dx`` for later
uses), as the engine's partials functions (`formula.compile_partials`) write them: squares
of a variable as products (``x**2`` and ``x*x`` differ in the last bit for about one float
in a thousand), whole exponents with ``**``, others through ``power``. Copies the engine
makes by multiplying by 1.0 or -1.0 are folded away (exact), and subexpressions of numbers
are evaluated here with the same float functions.
"""

from __future__ import annotations

import ast
import builtins
import copy
import keyword
from collections.abc import Sequence
from dataclasses import dataclass, field

from microgrand.codegen_exprs import (
    key,
    leads_with_minus,
    literal,
    literal_value,
    negate,
    negated_name,
    sum_over_examples,
    times,
    unparse,
    uses,
)
from microgrand.codegen_nodes import foldable, summed_on_arrival, wants_grad
from microgrand.codegen_terms import BINARY, POWER, call_name, partial_expr, safe_name
from microgrand.define import CODE_NAMES
from microgrand.engine import CONSTANT, DATA, PARAMETER, op_row
from microgrand.node import Node
from microgrand.ops import (
    BCE_WITH_LOGITS,
    DIV,
    FORMULA_FUNCTIONS,
    LOG,
    NEG,
    POW,
    SIGMOID,
    TABLE,
    Op,
)

# Ops whose result is finite whenever their inputs are, or which raise (math.exp overflow):
# values they make need no check. +, -, *, / and user ops can overflow without a word.
SAFE = {"neg", "exp", "log", "sigmoid", "tanh", "step", "relu", "pow", "bce_with_logits"}
# Names the generated code uses for itself: besides the functions, ``result`` makes the
# Result, ``dot`` and ``total`` sum over the examples, ``examples`` is m, ``finite`` sums
# a long graph's finiteness checks.
RESERVED = frozenset({*keyword.kwlist, *dir(builtins), *FORMULA_FUNCTIONS, POWER} | CODE_NAMES)


@dataclass
class Plan:
    """What the generated function computes, and the statements that compute it.

    Attributes:
        root: the traced root; inputs: the traced input leaves, in call order.
        names: the code name of every node that has one (inputs, statements, frozen).
        frozen: code name -> traced value of the leaves that are not inputs.
        helpers: code name -> op of every function-call op the code uses.
        forward, backward: the statements, one per node (backward: one per product).
        inline: forward statements the float version writes out instead (index -> line).
        checked: names whose finiteness the float version checks (see `SAFE`).
        labels: code names of inputs used as a `bce_with_logits` label (must be in [0, 1]).
        named: the named computed nodes whose values and gradients are returned.
        grads: nodes whose gradients are returned -> their expression in the code.
    """

    root: Node
    inputs: list[Node]
    names: dict[Node, str] = field(default_factory=dict)
    frozen: dict[str, float] = field(default_factory=dict)
    helpers: dict[str, Op] = field(default_factory=dict)
    forward: list[str] = field(default_factory=list)
    inline: dict[int, str] = field(default_factory=dict)
    backward: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    named: list[Node] = field(default_factory=list)
    grads: dict[Node, str] = field(default_factory=dict)
    computed: list[Node] = field(default_factory=list)
    namer: _Names | None = None
    reuse: dict[object, str] = field(default_factory=dict)  # forward expression's key -> its name
    said: dict[str, str] = field(default_factory=dict)  # that name -> its statement
    params: list[str] = field(default_factory=list)  # one per input: the code's parameters

    @property
    def label_positions(self) -> list[int]:
        """Where the labels are among the inputs."""
        return [self.params.index(name) for name in self.labels]

    @property
    def outputs(self) -> list[str]:
        """What the function returns: the root's value, named values, then gradients."""
        return [
            self.names[self.root],
            *(self.names[n] for n in self.named),
            *self.grads.values(),
        ]


class _Names:
    """Unique identifiers: user names where they are safe, t1, t2, ... otherwise."""

    def __init__(self) -> None:
        self.used: set[str] = set(RESERVED) | set(TABLE)  # op names are function names
        self.counter = 0

    def __deepcopy__(self, memo: dict[int, object]) -> _Names:
        # The names are strings: a copy of the set is a deep copy (copy.deepcopy's walk of
        # a million-node graph's names took half a second).
        twin = _Names.__new__(_Names)
        twin.used, twin.counter = set(self.used), self.counter
        return twin

    def take(self, wanted: str | None) -> str:
        if wanted is not None and safe_name(wanted):
            name, k = wanted, 1
            while name in self.used:
                k += 1
                name = f"{wanted}_{k}"
            self.used.add(name)
            return name
        while True:
            self.counter += 1
            name = f"t{self.counter}"
            if name not in self.used:
                self.used.add(name)
                return name


def plan(root: Node, inputs: Sequence[Node], order: list[Node]) -> Plan:
    """Write the statements for the forward and backward pass of root's graph.

    `order` is `engine.ancestors(root)`: leaves first, then computed nodes parents-first.
    """
    p = Plan(root, list(inputs))
    names = _Names()
    for leaf in p.inputs:
        p.names[leaf] = names.take(leaf.name)
    p.params = [p.names[leaf] for leaf in p.inputs]
    computed = [n for n in order if n._p0 is not None]
    for node in order:
        if node._p0 is None and node not in p.names and node._op is not CONSTANT:
            p.names[node] = names.take(node.name)
            p.frozen[p.names[node]] = node.value
    for node in computed:
        p.names[node] = names.take(node.name)
    p.named = [n for n in computed if n.name is not None and n is not root]
    p.computed, p.namer = computed, names
    _forward(p, computed)
    floats = plan_backward(p)
    p.backward, p.grads = floats.lines, floats.grads
    p.checked += floats.checked
    return p


def operand(p: Plan, node: Node) -> ast.expr:
    """A node as it appears in an expression: its name, or a constant's literal."""
    if node._op is CONSTANT:
        return literal(node.value)
    return ast.Name(p.names[node])


def _forward(p: Plan, computed: list[Node]) -> None:
    # inf and nan spread through +, -, *, / and into the root; only an op that can squash
    # them back to a finite number (sigmoid(inf) = 1, 1 / inf = 0) needs its input checked.
    # Such a value starts at an input or an op that is not SAFE (`silent`), and passes on
    # through -x and log(x) too (t = x * y; sigmoid(-t) squashes the overflow of t through
    # the -).
    consumers_squash: set[Node] = set()
    inputs = set(p.inputs)
    silent = set(p.inputs)
    for node in computed:
        op = op_row(node)
        if op.name not in SAFE or (op in (NEG, LOG) and node._p0 in silent):
            silent.add(node)
        args = [operand(p, parent) for parent in node.parents]
        expr: ast.expr
        if op.name in BINARY:
            expr = ast.BinOp(args[0], BINARY[op.name], args[1])
            if op is DIV:
                consumers_squash.add(node._p1)  # type: ignore[arg-type]  # div has two inputs
        elif op is NEG:
            expr = ast.UnaryOp(ast.USub(), args[0])
        # The ignore below: pow has two inputs
        elif op is POW and node._p1._op is CONSTANT and node._p1.value.is_integer():  # type: ignore[union-attr]
            # A constant whole exponent: ** is real for every base. Any other exponent
            # (a fraction, or a Node whose value may change) goes through power's check.
            expr = ast.BinOp(args[0], ast.Pow(), args[1])
            # The ignore below: a computed node has a first input
            consumers_squash.add(node._p0)  # type: ignore[arg-type]
        else:
            helper = POWER if op is POW else call_name(p, op)
            expr = ast.Call(ast.Name(helper), args, [])
            if op is not LOG:  # log(inf) is inf, log(nan) nan, log(-inf) raises: no squash
                consumers_squash.update(node.parents)
        label = node._p1
        if op is BCE_WITH_LOGITS and label in inputs and p.names[label] not in p.labels:
            p.labels.append(p.names[label])
        if op is SIGMOID:  # on floats, ops.sigmoid's two branches inline: no call
            x, out = unparse(args[0]), p.names[node]
            p.inline[len(p.forward)] = (
                f"{out} = 1.0 / (1.0 + exp(-{x})) if {x} >= 0.0 else (_e := exp({x})) / (1.0 + _e)"
                f"  # {out} = sigmoid({x})"
            )
        p.forward.append(f"{p.names[node]} = {unparse(expr)}")
        if p.reuse.setdefault(key(expr), p.names[node]) == p.names[node]:
            p.said[p.names[node]] = p.forward[-1]
    squashed = silent & consumers_squash
    checked = [p.root, *(n for n in [*p.inputs, *computed] if n in squashed)]
    p.checked = list(dict.fromkeys(p.names[n] for n in checked if n._op is not CONSTANT))


@dataclass
class BackwardPlan:
    """The backward pass for one kind of call: its statements, the expression of each
    returned gradient, and the gradients the float version checks."""

    lines: list[str]
    grads: dict[Node, str]
    checked: list[str]


def plan_backward(p: Plan, arrays: set[Node] | None = None) -> BackwardPlan:
    """The backward statements, in the engine's order and with its products.

    Args:
        p: the plan (its forward pass written).
        arrays: for the numpy version, the nodes whose values are arrays of m examples.
            A scalar node's gradient then sums its products over the examples as they
            arrive: ``dw1 = dot(dz, x1)`` (the lecture's X dZᵀ), ``db = total(dz)``.
    """
    wants = wants_grad(p)
    if arrays is not None and p.namer is not None and wants <= arrays:
        # Every node that takes a gradient holds m examples: nothing is summed over the
        # examples, so the statements are the float version's, written already.
        return BackwardPlan(p.backward, p.grads, [])
    names = copy.deepcopy(p.namer or _Names())  # the same names for every version
    grad: dict[Node, ast.expr] = {p.root: ast.Constant(1.0)}
    own: set[Node] = set()  # nodes whose gradient is a variable of their own
    array_names = {p.names[n] for n in arrays or ()}
    lines: list[str] = []
    order = sorted(p.computed, key=lambda n: n._stamp, reverse=True)
    folds = foldable(p, order, wants)
    on_arrival = summed_on_arrival(p, order, wants, arrays) if arrays is not None else set()
    per_example: set[Node] = set()  # scalar nodes whose gradient is kept one per example
    templates: dict[object, ast.expr] = {}
    # The engine's order: newest node first (stamps), each node's inputs x then y.
    for node in order:
        if node not in wants or node not in grad:
            continue
        op = op_row(node)
        for slot, parent in enumerate(node.parents):
            if parent not in wants:
                continue
            partial, reused = partial_expr(p, node, op, slot, templates)
            note = "".join(f"  # {p.said[name]}" for name in reused) if reused else ""
            product = times(grad[node], partial)
            if arrays is not None and (node in arrays or node in per_example):
                if parent in on_arrival:
                    product = sum_over_examples(product, array_names)
                elif parent not in arrays:
                    per_example.add(parent)
            if parent not in grad and (
                isinstance(product, ast.Name)
                or literal_value(product) is not None
                or negated_name(product)
                or parent in folds
            ):
                # A copy, a name's negation, or the one product a node whose gradient
                # only passes on (through +, - or one input) receives: no statement.
                grad[parent] = product
                continue
            # A new name is taken only for a gradient's first statement
            d_parent = "d" + p.names[parent]
            target = unparse(grad[parent]) if parent in own else names.take(d_parent)
            line, held = _add_to(parent, product, grad, own, target)
            lines.append(line + note)
            if array_names and uses(held, array_names):
                # A number that an array is added to is an array from then on
                # (d = 1.0 + -1.0, then d -= t3): sums over the examples must say so.
                array_names.add(target)
    return _returned(p, wants, lines, grad, per_example, array_names)


def _add_to(
    parent: Node, product: ast.expr, grad: dict[Node, ast.expr], own: set[Node], target: str
) -> tuple[str, ast.expr]:
    """The statement that adds product to parent's gradient, the variable `target` (a new
    one unless parent already has its own), and the expression the statement adds."""
    if parent in own:
        if leads_with_minus(product):  # da += -y * r is da -= y * r, exactly
            return f"{target} -= {unparse(negate(product))}", product
        return f"{target} += {unparse(product)}", product
    if parent in grad:  # a copy or a folded product came first: added to it here
        if leads_with_minus(product):
            product = ast.BinOp(grad[parent], ast.Sub(), negate(product))
        else:
            product = ast.BinOp(grad[parent], ast.Add(), product)
    own.add(parent)
    grad[parent] = ast.Name(target)
    return f"{target} = {unparse(product)}", product


def _returned(
    p: Plan,
    wants: set[Node],
    lines: list[str],
    grad: dict[Node, ast.expr],
    per_example: set[Node],
    array_names: set[str],
) -> BackwardPlan:
    """The plan: the statements, each returned gradient's expression, and the names the
    float version checks."""
    grads: dict[Node, str] = {}
    for node in [p.root, *p.inputs, *p.named]:
        # Data leaves hold no gradient (0.0, as in the engine): not computed at all.
        zero = ast.Constant(0.0)
        expr = zero if node._op is DATA else grad.get(node, zero)
        if node in per_example:  # summed over the examples only now, as the engine's are
            expr = sum_over_examples(expr, array_names)
        grads[node] = unparse(expr)
    # A gradient that is not finite spreads (times a partial, plus) into every gradient
    # below it: checking where the backward pass ends (parameters, and named nodes none of
    # whose inputs takes a gradient) covers all the others.
    ends = [leaf for leaf in p.inputs if leaf._op is PARAMETER]
    ends += [n for n in p.named if not any(parent in wants for parent in n.parents)]
    checked = [grads[n].removeprefix("-") for n in ends]
    checked = [name for name in checked if name.isidentifier()]
    return BackwardPlan(lines, grads, checked)
