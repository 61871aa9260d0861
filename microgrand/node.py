"""`Node`: one scalar in a computation graph, and the operator sugar that builds graphs.

A Node holds a float ``value``, a ``grad``, an optional ``name``, the primitive ``op`` that
made it and its ``parents`` (a tuple, in argument order). Every operator just looks up a row
of the op table (`microgrand.ops`), runs its forward function and records the result.

Why it looks the way it does:
- ``__slots__``, no per-node closures and the (at most two) parents in slots of their own
  rather than in a tuple: a node is one small object, the only one per node that the
  cyclic garbage collector has to track, and a graph holds no reference cycles, so
  reference counting alone frees it.
- Every value is a finite float. A forward op that would give inf or nan, or that is
  undefined (log(0)), raises an exception naming the op, the node and the value.
- Numbers combined with nodes become *constants*: leaves that the drawings and `explain`
  can tell from the user's leaves (``J = 3v``). Constants are immutable and hold no
  gradient, so equal constants are shared between uses to save memory and time.
- A leaf's value may be set (gradient descent does it); nodes carry a stamp (see
  `microgrand.engine`), so a backward pass can tell that a leaf changed after the graph
  was built on it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from microgrand import copying, engine
from microgrand.checks import check_name, describe, forward_error, not_finite, short, to_float
from microgrand.engine import CONSTANT, DATA, PARAMETER, Kind, clock, tick
from microgrand.ops import (
    ADD,
    BCE_WITH_LOGITS,
    DIV,
    EXP,
    LOG,
    MUL,
    NEG,
    POW,
    RELU,
    SIGMOID,
    SUB,
    TANH,
    Op,
)

__all__ = ["Node", "Number", "bce_with_logits", "constant", "describe", "to_float"]

Number = int | float
_new = object.__new__


# Equal constants are shared: they are immutable and never hold a gradient. The cache is
# bounded (cleared when full) so a long run with ever-new constants cannot grow it forever.
_CONSTANTS: dict[float, Node] = {}
_CONSTANTS_MAX = 4096
_CACHED = frozenset({float, int})  # the types whose values are looked up in the cache


def constant(value: object, op_name: str) -> Node:
    """The constant node for a number combined with a node by op `op_name`."""
    v = to_float(value, f"{op_name}: the number combined with a Node")
    if v == 0.0:
        # 0.0 == -0.0 as dict keys, but x * -0.0 and x * 0.0 differ in sign: two nodes.
        return _NEGATIVE_ZERO if math.copysign(1.0, v) < 0.0 else _ZERO
    node = _CONSTANTS.get(v)
    if node is None:
        node = _new_constant(v)
        if len(_CONSTANTS) >= _CONSTANTS_MAX:
            _CONSTANTS.clear()
        _CONSTANTS[v] = node  # a race between threads at worst makes one constant twice
    return node


def _new_constant(v: float) -> Node:
    node = _new(Node)
    node._v = v
    node.grad = 0.0
    node._name = None
    node._op = CONSTANT
    node._p0 = None
    node._p1 = None
    node._stamp = 0
    return node


def _binary(op: Op, reflected: bool = False) -> Callable[[Node, object], Node]:
    """Make the operator method for a two-input op (`reflected`: number on the left)."""
    forward = op.forward

    def method(self: Node, other: object) -> Node:
        operand: Node | None
        if other.__class__ is Node:
            operand = other
        else:
            # Inlined cache hit of constant(): numbers on one side are very common.
            operand = _CONSTANTS.get(other) if other.__class__ in _CACHED else None  # type: ignore[call-overload]
            if operand is None:
                operand = constant(other, op.name)
        if reflected:
            x, y = operand, self
        else:
            x, y = self, operand
        try:
            v = forward(x._v, y._v)
        except (ArithmeticError, ValueError) as error:
            raise forward_error(op, (x, y), error) from None
        if v - v != 0.0:
            raise not_finite(op, (x, y), v)
        # Made in place rather than by a shared helper (here and in _unary): a function
        # call per node is a tenth of the cost of building a graph.
        node = _new(Node)
        node._v = v
        node.grad = 0.0
        node._name = None
        node._op = op
        node._p0 = x
        node._p1 = y
        node._stamp = next(clock)
        return node

    method.__name__ = f"__r{op.name}__" if reflected else f"__{op.name}__"
    method.__doc__ = f"Record `{op.name}` ({op.template.format('x', 'y')})."
    return method


def _unary(op: Op) -> Callable[[Node], Node]:
    """Make the method for a one-input op."""
    forward = op.forward

    def method(self: Node) -> Node:
        try:
            v = forward(self._v)
        except (ArithmeticError, ValueError) as error:
            raise forward_error(op, (self,), error) from None
        if v - v != 0.0:
            raise not_finite(op, (self,), v)
        node = _new(Node)
        node._v = v
        node.grad = 0.0
        node._name = None
        node._op = op
        node._p0 = self
        node._p1 = None
        node._stamp = next(clock)
        return node

    method.__name__ = op.name
    method.__doc__ = f"Record `{op.name}`: {op.template.format('x')}."
    return method


class Node:
    """A scalar value in a computation graph, with its gradient after `backward()`.

    Args:
        value: a finite real number (int, float, numpy real scalar, Fraction), stored as
            a float.
        name: an optional label, used by drawings, `explain` and error messages.
        requires_grad: False marks the leaf as data (the lecture's x1, x2 and y): it is
            drawn without a backward arrow and its grad stays 0.0.
    """

    __slots__ = ("_name", "_op", "_p0", "_p1", "_stamp", "_v", "grad")

    _v: float
    grad: float
    _name: str | None
    _op: Op | Kind
    _p0: Node | None
    _p1: Node | None
    _stamp: int

    def __init__(self, value: Number, name: str | None = None, *, requires_grad: bool = True):
        if requires_grad is True:
            self._op = PARAMETER
        elif requires_grad is False:
            self._op = DATA
        else:
            raise TypeError(f"requires_grad must be True or False, got {requires_grad!r}")
        # The common case (a float and a str or no name) skips the general checks.
        if value.__class__ is float and value - value == 0.0:
            self._v = value
        else:
            self._v = to_float(value, "Node")
        self._name = name if name is None or name.__class__ is str else check_name(name)
        self.grad = 0.0
        self._p0 = None
        self._p1 = None
        self._stamp = 0  # leaves take a stamp only when their value is set

    # --- attributes -------------------------------------------------------------------
    @property
    def value(self) -> float:
        """The node's value; a leaf's may be set, a computed node's may not."""
        return self._v

    @value.setter
    def value(self, new: Number) -> None:
        if self._op is not PARAMETER and self._op is not DATA:
            what = "a constant" if self._op is CONSTANT else f"a computed ({self.op}) node"
            raise AttributeError(
                f"cannot set the value of {describe(self)}: it is {what}, whose value follows "
                "from its inputs. Set a leaf's value and build the graph again."
            )
        new_value = to_float(new, f"setting the value of {describe(self)}")
        # The same value again (gradient descent at a minimum) does not make graphs stale.
        if new_value != self._v or math.copysign(1.0, new_value) != math.copysign(1.0, self._v):
            self._v = new_value
            self._stamp = tick()

    @property
    def name(self) -> str | None:
        """The node's label, or None."""
        return self._name

    @name.setter
    def name(self, name: str | None) -> None:
        if self._op is CONSTANT:
            raise AttributeError(
                f"cannot name the constant {self._v!r}: numbers combined with nodes are "
                f"shared constants. For a named number write Node({self._v!r}, name=..., "
                "requires_grad=False) and use that node instead."
            )
        self._name = check_name(name)

    @property
    def op(self) -> str | None:
        """The name of the primitive that made this node; None for leaves and constants."""
        op = self._op
        return op.name if isinstance(op, Op) else None

    @property
    def parents(self) -> tuple[Node, ...]:
        """The op's inputs, in argument order (empty for leaves)."""
        p0 = self._p0
        if p0 is None:
            return ()
        p1 = self._p1
        return (p0,) if p1 is None else (p0, p1)

    @property
    def is_leaf(self) -> bool:
        """True for nodes no op made: parameters, data and constants."""
        return self._op.__class__ is Kind

    @property
    def is_constant(self) -> bool:
        """True for a number that was combined with a node (``3`` in ``3 * v``)."""
        return self._op is CONSTANT

    @property
    def requires_grad(self) -> bool:
        """False for data leaves and constants: backward leaves their grad at 0.0."""
        return self._op is not DATA and self._op is not CONSTANT

    def named(self, name: str) -> Node:
        """Set the name and return this same node, for one-liners: ``(a * b).named("u")``."""
        self.name = name
        return self

    # --- graph-wide -------------------------------------------------------------------
    # The engine's functions are the methods themselves (no extra call per backward).
    backward = engine.backward
    zero_grad = engine.zero_grad

    # --- operators --------------------------------------------------------------------
    __add__ = _binary(ADD)
    __radd__ = _binary(ADD, reflected=True)
    __sub__ = _binary(SUB)
    __rsub__ = _binary(SUB, reflected=True)
    __mul__ = _binary(MUL)
    __rmul__ = _binary(MUL, reflected=True)
    __truediv__ = _binary(DIV)
    __rtruediv__ = _binary(DIV, reflected=True)
    _pow = _binary(POW)
    __neg__ = _unary(NEG)
    exp = _unary(EXP)
    log = _unary(LOG)
    sigmoid = _unary(SIGMOID)
    tanh = _unary(TANH)
    relu = _unary(RELU)

    def __pow__(self, exponent: Number) -> Node:
        """Record ``self ** exponent``; the exponent must be a number, not a Node."""
        if isinstance(exponent, Node):
            raise TypeError(
                "pow: the exponent must be a number, not a Node; "
                "for a Node exponent write (exponent * base.log()).exp()"
            )
        return self._pow(exponent)

    def __rpow__(self, base: object) -> Node:
        raise TypeError(
            f"pow: {short(repr(base))} ** Node is not supported: the exponent must be a number; "
            "for a number base write (node * math.log(base)).exp()"
        )

    # --- Python protocols -------------------------------------------------------------
    def __repr__(self) -> str:
        extra = "" if self.op is None else f", op={self.op!r}"
        if self._op is CONSTANT:
            extra = ", constant"
        elif self._op is DATA:
            extra = ", data"
        name = self._name
        if name is None:
            return f"Node({self._v!r}, grad={self.grad!r}{extra})"
        if name.isidentifier() and name.isprintable() and len(name) <= 40:
            return f"Node({name}={self._v!r}, grad={self.grad!r}{extra})"
        return f"Node(name={short(name)!r}, value={self._v!r}, grad={self.grad!r}{extra})"

    __copy__ = copying.copy_node
    __deepcopy__ = copying.deepcopy_node
    __reduce__ = copying.reduce_node


_ZERO = _new_constant(0.0)
_NEGATIVE_ZERO = _new_constant(-0.0)


def bce_with_logits(z: Node, y: Number | Node) -> Node:
    """The lecture's loss ``L(sigmoid(z), y)`` as one numerically stable primitive.

    Its local derivative is exactly the lecture's ``dz = a - y``, and it never forms
    log(0), so saturated examples (|z| > ~37) cannot crash a long training run.

    Args:
        z: the logit, a Node.
        y: the label, a number in [0, 1], or a Node holding one (its gradient is -z; a
            data leaf like the lecture's y gets none).
    """
    if z.__class__ is Node and (y.__class__ is float or y.__class__ is int) and 0 <= y <= 1:
        return _bce(z, y)  # the common case, checked in one line: training calls this a lot
    if not isinstance(z, Node):
        raise TypeError(f"bce_with_logits: z must be a Node (the logit), got {type(z).__name__}")
    if isinstance(y, Node):
        if not 0.0 <= y._v <= 1.0:
            raise ValueError(
                f"bce_with_logits: the label y must be in [0, 1], got {describe(y)} = {y._v!r}"
            )
        return _bce(z, y)
    label = to_float(y, "bce_with_logits: the label y")
    if not 0.0 <= label <= 1.0:
        raise ValueError(f"bce_with_logits: the label y must be in [0, 1], got {label!r}")
    return _bce(z, label)


_bce = _binary(BCE_WITH_LOGITS)
