"""The lecture view's special cases, in one place: how the lecture writes its loss.

Everywhere else the lecture view is generic: boxes read ``name = formula`` from the op
table's templates, and red arrows carry the chain rule of the op table's derivative
formulas. The lecture simplifies exactly three things, and this module holds all three:

- the cross-entropy written out from primitives, −(y·log(a) + (1 − y)·log(1 − a)), is one
  box reading ``L(a, y)`` whose red arrow to a reads ``da = −y/a + (1−y)/(1−a)`` (and, when
  y is a Node that wants a gradient, the arrow to y reads ``dy = log(1 − a) − log(a)``);
- the sigmoid that feeds that loss and nothing else reads ``ŷ = a = σ(z)`` and its red arrow
  reads ``dz = a − y`` (the two steps multiplied out and simplified, as the lecture does);
- `bce_with_logits(z, y)` reads ``L(a, y), a = σ(z)`` and its arrow to z reads ``dz = a − y``;
  on a network's output unit z[l]ⱼ, the course's ``L(a[l], y), a[l] = σ(z[l]ⱼ)`` and
  ``dz[l]ⱼ = a[l] − y`` (`activation_name`).

`Lecture` (in `lecture_view`) asks `recognize` once per drawing and then asks the
recognized `Loss` for the text of the boxes and arrows it covers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from microgrand.typeset import ONE, Typeset, t_add, t_call, t_div, t_neg, t_sub

if TYPE_CHECKING:
    from microgrand.node import Node


@dataclass
class Loss:
    """The lecture's cross-entropy written out from primitives, recognized on the root.

    Attributes:
        a: the prediction node (the argument of both logs).
        y: the label: a leaf (data, or a Node that wants a gradient), or the number when
            y was a plain float.
        inner: ids of the unnamed nodes folded into the ``L(a, y)`` box.
    """

    a: Node
    y: Node | float
    inner: set[int] = field(default_factory=set)


def _is_one(node: Node) -> bool:
    return node.is_constant and node.value == 1.0


def recognize(root: Node, uses: dict[int, int]) -> Loss | None:
    """Match −(y·log(a) + (1 − y)·log(1 − a)), the loss as the lecture writes it.

    y may be a number (then 1 − y is a constant), or a leaf Node, data or one that wants
    a gradient (then 1 − y is an unnamed ``1 - y`` node): learners write it every way.
    """

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
    if a_again is not a or not _is_one(one):
        return None
    inner = {id(n) for n in (total, first, second, log_a, log_1a, one_minus_a)}
    if y.is_constant:
        if not (one_minus_y.is_constant and one_minus_y.value == 1.0 - y.value):
            return None
        return Loss(a, y.value, inner)
    if not y.is_leaf:
        return None
    if one_minus_y.op == "sub" and unnamed_single(one_minus_y):
        c, y_again = one_minus_y.parents
        if _is_one(c) and y_again is y:
            inner.add(id(one_minus_y))
            return Loss(a, y, inner)
    return None


def _atom(text: str) -> Typeset:
    return ("atom", text, 5)


# A network's z[l]ⱼ (`microgrand.nn` names it so), with the unit in subscripts or, typed in
# ASCII, in digits (z[2]1, z[2]_1); capitals for the vectorized Z[l].
_LAYER_Z = re.compile(r"([zZ])\[([0-9]+)\](_?[0-9]*|[₀-₉]*)")


def activation_name(z: str, drawn: Collection[str]) -> str:
    """What σ(z) is called in the loss box: ``a`` for the lecture's z; for a network's z[l]ⱼ
    the course's ``a[l]`` (``A[l]`` for Z[l]), or ``a[l]ⱼ`` when the drawing has other
    units of layer l (`drawn` holds the drawn names), so that the name says which unit."""
    match = _LAYER_Z.fullmatch(z)
    if match is None:
        return "a"
    letter, layer, unit = match.groups()
    others = [
        name
        for name in drawn
        if (m := _LAYER_Z.fullmatch(name)) and m.group(1, 2) == (letter, layer) and name != z
    ]
    return f"{'a' if letter == 'z' else 'A'}[{layer}]" + (unit if others else "")


class LossLabels:
    """The text of the boxes and red arrows the lecture writes its own way.

    Args:
        loss: the recognized loss of the root, or None.
        root: the drawing's root.
        uses: how many times each node of the graph is used.
        names: the drawn name of a node (inputs and boxes), e.g. ``"w₁"``.
        operand: how a node reads inside a formula, e.g. ``"w₁x₁ + w₂x₂ + b"``.
        drawn: every drawn name (which units of a network's layer the drawing has).
    """

    def __init__(
        self,
        loss: Loss | None,
        root: Node,
        uses: dict[int, int],
        names: Callable[[Node], str],
        operand: Callable[[Node], str],
        drawn: Collection[str],
    ) -> None:
        self.drawn = drawn
        self.loss = loss
        self.root = root
        self.uses = uses
        self.name = names
        self.operand = operand

    def y_name(self) -> str:
        """The label's name in the loss box and formulas (``y`` for a plain number)."""
        assert self.loss is not None
        y = self.loss.y
        return "y" if isinstance(y, float) else self.name(y)

    def box_text(self, box: Node, formula: str) -> str | None:
        """``L(a, y)``, ``ŷ = a = σ(z)`` or ``L(a, y), a = σ(z), y = 1``; None otherwise.

        `formula` is what the box would read in general (``σ(z)``).
        """
        name = self.name(box)
        if self.loss is not None and box is self.root:
            text = f"L({self.name(self.loss.a)}, {self.y_name()})"
            return text if name == "L" else f"{name} = {text}"
        if box.op == "bce_with_logits":
            z, y = box.parents
            label, a = self.operand(y), self._bce_a(box)
            text = f"L({a}, y), {a} = σ({self.operand(z)})"
            text += "" if label == "y" else f", y = {label}"
            return text if name == "L" else f"{name} = {text}"
        if self.loss is not None and box is self.loss.a and box.op == "sigmoid" and name == "a":
            return f"ŷ = a = {formula}"
        return None

    def _sigmoid_of_loss(self, box: Node) -> bool:
        """The sigmoid whose output a feeds the loss and nothing else (log(a) and 1 − a)."""
        return (
            self.loss is not None
            and box is self.loss.a
            and box.op == "sigmoid"
            and self.uses[id(box)] == 2
        )

    def red_formula(self, box: Node, node: Node) -> Typeset | None:
        """d node on the arrow from node into box, when the lecture writes it its own way."""
        loss = self.loss
        if loss is not None and box is self.root:
            y = _atom(self.y_name())
            a = _atom(self.name(loss.a))
            if node is loss.a:
                return t_add(t_div(t_neg(y), a), t_div(t_sub(ONE, y), t_sub(ONE, a)))
            if node is loss.y:  # −(log(a) − log(1 − a))
                return t_sub(t_call("log", t_sub(ONE, a)), t_call("log", a))
        if self._sigmoid_of_loss(box):
            return t_sub(_atom(self.name(box)), _atom(self.y_name()))
        if box.op == "bce_with_logits" and node is box.parents[0]:
            return t_sub(_atom(self._bce_a(box)), _atom("y"))
        return None

    def _bce_a(self, box: Node) -> str:
        """The name of σ(z) in a `bce_with_logits` box: a, or a network's a[l]."""
        return activation_name(self.operand(box.parents[0]), self.drawn)
