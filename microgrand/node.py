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
from typing import TYPE_CHECKING

from microgrand import copying, engine
from microgrand.checks import check_name, describe, forward_error, not_finite, short, to_float
from microgrand.engine import CONSTANT, DATA, PARAMETER, Kind, clock, tick

if TYPE_CHECKING:
    from typing import SupportsFloat, TypeAlias

    from microgrand.ops import Op

    # What an op takes besides a Node: int, float, a numpy real scalar, a Fraction.
    Operand: TypeAlias = "Node | SupportsFloat"

__all__ = ["Node", "Number", "constant", "describe", "install", "make", "to_float"]

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


def make(
    value: float, op: Op | Kind, p0: Node | None = None, p1: Node | None = None, stamp: int = 0
) -> Node:
    """The node factory: the one place that fills a Node's slots (computed nodes, constants,
    copies and unpickled nodes all come from here; `Node()` makes the user's leaves).

    One call per node costs about 7 % of building a chain and 5 % of the lecture's
    one-example step (instruction counts, benchmarks/icount.py): under the 10 % that would
    justify copying these lines into each operator.
    """
    node = _new(Node)
    node._v = value
    node.grad = 0.0
    node._name = None
    node._op = op
    node._p0 = p0
    node._p1 = p1
    node._stamp = stamp
    return node


def _new_constant(v: float) -> Node:
    return make(v, CONSTANT)


def _doc(op: Op) -> str:
    """The docstring of an op's method: what it records and its derivatives."""
    inputs = "xy"[: op.arity]
    slopes = "; ".join(f"d/d{v} = {f}" for v, f in zip(inputs, op.formulas, strict=True))
    return f"Record `{op.name}`: out = {op.template.format(*inputs)}; {slopes}."


_NO_MODULUS = object()


def _modulus_error(op: Op, modulus: object) -> str:
    if op.name == "pow":
        return (
            f"pow with a modulus (pow(x, y, {short(repr(modulus))})) is not supported for "
            "Nodes: modular arithmetic has no derivative; use x ** y"
        )
    return f"{op.name} takes one other input, got a third: {short(repr(modulus))}"


def _binary(op: Op, reflected: bool = False) -> Callable[[Node, object], Node]:
    """Make the operator method for a two-input op (`reflected`: number on the left)."""
    forward = op.forward

    def method(self: Node, other: object, modulus: object = _NO_MODULUS) -> Node:
        if modulus is not _NO_MODULUS:  # only pow(node, y, m) passes a third argument
            raise TypeError(_modulus_error(op, modulus))
        operand: Node | None
        if other.__class__ is Node:
            operand = other
        else:
            # Inlined cache hit of constant(): numbers on one side are very common.
            # The ignore below: `other` is one of the _CACHED number types here
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
        return make(v, op, x, y, next(clock))

    method.__name__ = f"__r{op.name}__" if reflected else op.name
    method.__doc__ = _doc(op)
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
        return make(v, op, self, None, next(clock))

    method.__name__ = op.name
    method.__doc__ = _doc(op)
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
        # The ignore below: not a Kind: an Op row
        return None if op.__class__ is Kind else op.name  # type: ignore[union-attr]

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

    # --- ops ------------------------------------------------------------------------
    # Each row of the op table becomes a method here (`install`, called by `define_op`):
    # ``a.exp()``, ``a.add(b)``, and the operators ``a + b``, ``2 ** a``. The declarations
    # below only tell type checkers about the built-in rows (a test compares them with
    # the table).
    if TYPE_CHECKING:

        def __add__(self, other: Operand) -> Node: ...
        def __radd__(self, other: SupportsFloat) -> Node: ...
        def __sub__(self, other: Operand) -> Node: ...
        def __rsub__(self, other: SupportsFloat) -> Node: ...
        def __mul__(self, other: Operand) -> Node: ...
        def __rmul__(self, other: SupportsFloat) -> Node: ...
        def __truediv__(self, other: Operand) -> Node: ...
        def __rtruediv__(self, other: SupportsFloat) -> Node: ...
        def __pow__(self, other: Operand) -> Node: ...
        def __rpow__(self, other: SupportsFloat) -> Node: ...
        def __neg__(self) -> Node: ...
        def add(self, other: Operand) -> Node: ...
        def sub(self, other: Operand) -> Node: ...
        def mul(self, other: Operand) -> Node: ...
        def div(self, other: Operand) -> Node: ...
        def pow(self, other: Operand) -> Node: ...
        def neg(self) -> Node: ...
        def exp(self) -> Node: ...
        def log(self) -> Node: ...
        def sigmoid(self) -> Node: ...
        def tanh(self) -> Node: ...
        def step(self) -> Node: ...
        def relu(self) -> Node: ...
        def bce_with_logits(self, other: Operand) -> Node: ...

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


# Python's operators for the ops that have one; the other ops are methods only.
_OPERATORS = {
    "add": ("__add__", "__radd__"),
    "sub": ("__sub__", "__rsub__"),
    "mul": ("__mul__", "__rmul__"),
    "div": ("__truediv__", "__rtruediv__"),
    "pow": ("__pow__", "__rpow__"),
    "neg": ("__neg__",),
}


def install(op: Op) -> Callable[..., Node]:
    """Make `op` a Node method (and operator, if it has one); return its function.

    A one-input op becomes ``node.name()``, a two-input op ``node.name(other)`` with a
    number or a Node as `other`. The returned function, ``microgrand.name(...)``, takes
    the inputs in order; for a two-input op either may be a number.
    """
    function = _unary_function(op) if op.arity == 1 else _binary_function(op)
    function.__name__ = function.__qualname__ = op.name
    function.__doc__ = _doc(op)
    return function


def _unary_function(op: Op) -> Callable[[Node], Node]:
    method = _unary(op)
    setattr(Node, op.name, method)
    if op.name in _OPERATORS:
        setattr(Node, _OPERATORS[op.name][0], method)

    def function(x: Node) -> Node:
        if x.__class__ is not Node:
            raise TypeError(f"{op.name}: expected a Node, got {type(x).__name__} {short(repr(x))}")
        return method(x)

    return function


def _binary_function(op: Op) -> Callable[[Node | Number, Node | Number], Node]:
    method, reflected = _binary(op), _binary(op, reflected=True)
    setattr(Node, op.name, method)
    if op.name in _OPERATORS:
        setattr(Node, _OPERATORS[op.name][0], method)
        setattr(Node, _OPERATORS[op.name][1], reflected)

    def function(x: Node | Number, y: Node | Number) -> Node:
        if x.__class__ is Node:
            return method(x, y)
        if y.__class__ is Node:
            return reflected(y, x)
        raise TypeError(
            f"{op.name}: at least one input must be a Node, got {type(x).__name__} "
            f"{short(repr(x))} and {type(y).__name__} {short(repr(y))}"
        )

    return function
