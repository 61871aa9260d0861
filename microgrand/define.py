"""How an op is made: `define_op`, the op table's rows (`Op`) and the table itself.

`define_op` turns a name, a forward function on floats and one derivative formula per input
into a row of the table: it parses the formulas into term trees (`microgrand.formula`),
generates the partials functions and the engine's fast-path facts from the trees, checks
the formulas against central differences of the forward function (a wrong formula is
refused, with both numbers), and makes the op a `Node` method and a ``microgrand.<name>``
function. The engine, the drawings, `explain` and ``microgrand draw`` read the table, so
an op is one call. The built-in rows (`microgrand.ops`) are defined the same way.
"""

from __future__ import annotations

import keyword
import math
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from microgrand import formula, node
from microgrand.formula import HELPERS, Term

__all__ = [
    "FORMULA_FUNCTIONS",
    "OPERATORS",
    "TABLE",
    "Op",
    "define_op",
    "function_ops",
    "op_partial",
]


class Op(NamedTuple):
    """One primitive: what it computes, how it differentiates, how it is written.

    A NamedTuple: immutable, its fields read at C speed, and no `dataclasses` import (which
    would pull `inspect` into every `import microgrand`).

    Attributes:
        name: the op's name: its Node method, its ``microgrand`` function, its name in
            ``microgrand draw`` and in drawings (``"mul"``, ``"sigmoid"``).
        forward: the function on floats (for the built-ins, equal to plain Python
            arithmetic bit for bit).
        formulas: the derivative formulas as text, one per input, in ``out``, ``x``, ``y``.
        derivatives: the formulas parsed into term trees, one per input: the definition
            everything below is generated from (`microgrand.formula.evaluate` evaluates one).
        partials: ``(out, *inputs) -> (d out/d input, ...)``, one entry per input.
        partial_of: one function per input, ``(out, *inputs) -> d out/d input`` for that
            input alone (the engine's, when the other input holds no gradient; drawings).
        fixed: the partials when they are numbers that do not depend on the inputs
            (``add``: ``(1.0, 1.0)``), read off `derivatives`.
        swap: True when the partials are ``(y, x)`` (``mul``), read off `derivatives`.
            The engine uses `fixed` and `swap` without calling `partials`.
        symbol: a short symbol for one-box-per-op drawings (``"×"``, ``"σ"``).
        template: how the op reads inside a formula, ``{0}`` and ``{1}`` standing for its
            inputs (``"{0} + {1}"``, ``"σ({0})"``).
        precedence: binding strength of ``template``, used to add parentheses: 1 for
            ``+``/``-``, 2 for ``*``/``/``, 3 for unary minus, 4 for ``**``, 5 for calls
            (and 0, always parenthesized, for a user's template that is not a call).
        builtin: True for the rows microgrand defines (they cannot be redefined).
        array: the op on numpy float64 arrays, element by element (``define_op``'s
            ``array=``), or None: compiled graphs run on m examples call it instead of
            `forward` once per example. The built-ins' array forms are in
            `microgrand.array_ops`.
    """

    name: str
    forward: Callable[..., float]
    formulas: tuple[str, ...]
    derivatives: tuple[Term, ...]
    partials: Callable[..., tuple[float, ...]]
    partial_of: tuple[Callable[..., float], ...]
    fixed: tuple[float, ...] | None
    swap: bool
    symbol: str
    template: str
    precedence: int
    builtin: bool = False
    array: Callable[..., Any] | None = None

    @property
    def arity(self) -> int:
        """How many inputs the op takes."""
        return len(self.formulas)

    @property
    def function(self) -> Callable[..., node.Node]:
        """``microgrand.<name>``: the op as a function of its inputs, in order."""
        return FUNCTIONS[self.name]


TABLE: dict[str, Op] = {}
# Each op's function, ``microgrand.<name>`` (kept apart from the row: the Node methods it
# calls are made from the finished row, so that every node records the row in the table).
FUNCTIONS: dict[str, Callable[..., node.Node]] = {}

# The ops written with Python's operators; all others are written as calls by name.
OPERATORS = frozenset(formula.OPERATOR_OPS.values()) | {"neg"}

# The functions a formula may call besides out, x and y: ops written as calls, and the
# helpers (tests evaluate formula text with these; `define_op` adds each new op).
FORMULA_FUNCTIONS: dict[str, Callable[..., float]] = dict(HELPERS)


def function_ops() -> dict[str, int]:
    """The ops written as calls (``sigmoid(z)``, ``log(a)``), name -> number of inputs."""
    return {name: op.arity for name, op in TABLE.items() if name not in OPERATORS}


def op_partial(op: Op, i: int, out: float, inputs: Sequence[float]) -> float:
    """d out/d input i at these values, or nan where it is not defined (a drawing shows
    ``nan`` for a slope at a pole rather than failing)."""
    try:
        return op.partial_of[i](out, *inputs)
    except (ArithmeticError, ValueError):
        return math.nan


# --- the rule `gradcheck` uses (PyTorch's), here because define_op checks formulas with it --


EPS = 1e-6  # PyTorch's defaults
ATOL = 1e-5
RTOL = 1e-3


def close(analytic: float, numeric: float, atol: float = ATOL, rtol: float = RTOL) -> bool:
    """PyTorch's rule: ``abs(analytic - numeric) <= atol + rtol * abs(numeric)``."""
    return abs(analytic - numeric) <= atol + rtol * abs(numeric)


def central_difference(
    f: Callable[..., float], values: Sequence[float], i: int, eps: float = EPS
) -> float:
    """``(f(v + eps) - f(v - eps)) / (2 eps)`` in input i of f at `values`."""
    up, down = list(values), list(values)
    up[i] += eps
    down[i] -= eps
    return (f(*up) - f(*down)) / (2.0 * eps)


# --- define_op ---------------------------------------------------------------------------------

# The names compiled code uses for itself (`microgrand.codegen` reserves them): an op's
# function is called by its name there, so an op called `result` or `float` would replace
# them (a wrong sum for `total`, every float call sent down the slow path for `float`).
CODE_NAMES = frozenset(
    {"reduce", "result", "dot", "total", "examples", "finite", "float", "power", "np"}
    | {"general", "fail"}  # the compiled object's slow paths, called from the float code
    | {"own"}  # the numpy code's copy of a returned array that is an input or returned twice
)
_RESERVED = frozenset({"out", "x", "y", *HELPERS})
# Where the formulas are checked against central differences: away from 0 (relu's kink,
# log's pole) and from each other; points where forward is not defined are skipped.
_CHECK_POINTS = (0.3, 0.7, 1.3, -0.6, 2.1, -1.7, 0.45)
_CALL_TEMPLATE = re.compile(r"\w+\(.*\)", re.DOTALL)


def define_op(
    name: str,
    forward: Callable[..., float],
    derivatives: str | Sequence[str],
    *,
    symbol: str | None = None,
    template: str | None = None,
    array: Callable[..., Any] | None = None,
) -> Op:
    """Define a new op: a Node method, a ``microgrand.<name>`` function, and a row that
    backward, drawings, `explain` and ``microgrand draw`` all read.

    Example::

        microgrand.define_op(
            "softplus",
            lambda x: max(x, 0.0) + math.log1p(math.exp(-abs(x))),
            ["sigmoid(x)"],
            array=lambda x: np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x))),
        )
        y = x.softplus()  # or microgrand.softplus(x)

    Args:
        name: a Python identifier that is not yet a Node attribute or ``microgrand`` name
            (an op of your own may be defined again, for example by re-running a cell).
        forward: the op on floats, one argument per input.
        derivatives: one formula per input (a str for one input), in ``out`` (the
            result), ``x`` and ``y`` (the inputs): numbers, ``+ - * / **``, parentheses,
            the table's functions (``sigmoid``, ``exp``, ``log``, ``tanh``, ``step(v)``: 1
            if v > 0 else 0, ...) and the helper ``is_zero(v)`` (1 if v == 0 else 0).
        symbol: the op's symbol in one-box-per-op drawings (default: the name).
        template: how formulas write it, ``{0}``/``{1}`` for the inputs (default
            ``"name({0})"`` or ``"name({0}, {1})"``).
        array: the same op on numpy float64 arrays, element by element (numpy's
            functions: ``np.exp``, ``np.log1p``, ``np.maximum``, ...), for graphs compiled
            with `microgrand.compile` and run on arrays of m examples. Without it they call
            `forward` once per example, in Python: correct, but tens of times slower (34x
            for softplus at m = 10,000; the generated code says so in a comment). It is
            checked against `forward` at the points the formulas are checked at (as one
            array, and as numpy floats), and must return one finite float64 per element;
            in compiled code it runs under numpy's
            ``errstate(over/invalid/divide="raise")``, so an overflow is reported like any
            other, naming the node and the first example (or the array form, where
            `forward` is finite there).

    Raises:
        ValueError: the name is taken or invalid, a formula does not parse, it disagrees
            with central differences of `forward`, or `array` disagrees with `forward`
            (both numbers are shown).
        TypeError: forward or array is not callable, forward takes a different number of
            inputs, or array does not return a float64 array of its inputs' shape.
    """
    formulas = (derivatives,) if isinstance(derivatives, str) else tuple(derivatives)
    _check_name(name)
    arity = len(formulas)
    if template is None:
        template = f"{name}({', '.join(f'{{{i}}}' for i in range(arity))})"
    precedence = 5 if _CALL_TEMPLATE.fullmatch(template) else 0
    return _define(name, forward, formulas, symbol or name, template, precedence, array=array)


def _check_name(name: object) -> None:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"define_op: the name must be a Python identifier, got {name!r}")
    if name.startswith("_") or name in _RESERVED:
        raise ValueError(f"define_op: {name!r} is reserved (private, a variable or a helper)")
    if name in CODE_NAMES:
        raise ValueError(
            f"define_op: {name!r} is a name compiled code uses for itself: choose another"
        )
    old = TABLE.get(name)
    if old is not None:
        if old.builtin:
            raise ValueError(f"define_op: {name!r} is a built-in op and cannot be redefined")
        return  # a user's op, defined again
    package = sys.modules.get("microgrand")
    for owner, where in ((node.Node, "Node"), (package, "microgrand")):
        if owner is not None and hasattr(owner, name):
            raise ValueError(f"define_op: {name!r} would clash with {where}.{name}")


def _define(
    name: str,
    forward: Callable[..., float],
    formulas: tuple[str, ...],
    symbol: str,
    template: str,
    precedence: int,
    builtin: bool = False,
    array: Callable[..., Any] | None = None,
) -> Op:
    """Parse, generate, check and register a row; install its method and function."""
    _check_row_shape(name, forward, formulas, template, array)
    callables = {**function_ops(), **dict.fromkeys(HELPERS, 1)}
    callables[name] = len(formulas)  # a formula may use its own op
    try:
        trees = tuple(formula.parse(text, len(formulas), callables) for text in formulas)
    except formula.ParseError as problem:
        raise formula.ParseError(f"define_op({name!r}): {problem}") from None
    functions = {**{n: o.forward for n, o in TABLE.items()}, **HELPERS, name: forward}
    partials, partial_of = formula.compile_partials(trees, functions)
    op = Op(
        name,
        forward,
        formulas,
        trees,
        partials,
        partial_of,
        formula.constant_partials(trees),
        formula.is_swap(trees),
        symbol,
        template,
        precedence,
        builtin=builtin,
        array=array,
    )
    forward, points = _check_derivatives(op)
    op = op._replace(forward=forward)
    if array is not None:  # numpy is imported here only: define_op needs it for array= alone
        from microgrand import array_ops

        array_ops.check_form(name, forward, array, points)
    FUNCTIONS[name] = node.install(op)
    TABLE[name] = op
    if name not in OPERATORS:
        FORMULA_FUNCTIONS[name] = op.forward
    package = sys.modules.get("microgrand")
    if package is not None:
        setattr(package, name, op.function)
    return op


def _check_row_shape(
    name: str,
    forward: object,
    formulas: tuple[str, ...],
    template: str,
    array: object,
) -> None:
    """Refuse a row whose parts have the wrong kind or count, before anything is parsed.

    Each mistake gets its own message naming the op, rather than surfacing later from the
    formula parser, the derivative check or the first drawing that fills the template.
    """
    if not callable(forward):
        raise TypeError(f"define_op({name!r}): forward must be callable, got {forward!r}")
    if array is not None and not callable(array):
        raise TypeError(
            f"define_op({name!r}): array must be a function on numpy arrays, got {array!r}"
        )
    if len(formulas) not in (1, 2) or not all(isinstance(f, str) for f in formulas):
        raise ValueError(
            f"define_op({name!r}): give one derivative formula (a str) per input, for one or "
            f"two inputs; got {formulas!r}"
        )
    try:
        template.format(*"xy"[: len(formulas)])
    except (IndexError, KeyError, ValueError) as problem:
        raise ValueError(f"define_op({name!r}): bad template {template!r}: {problem}") from None


def _check_derivatives(op: Op) -> tuple[Callable[..., float], list[tuple[float, ...]]]:
    """Compare each formula with central differences of forward (gradcheck's rule) at a
    few points; return forward, made to return floats if it returns other numbers, and the
    points where it was checked (where forward is defined)."""
    forward, n = op.forward, len(_CHECK_POINTS)
    checked: list[tuple[float, ...]] = []
    non_float = False
    for i in range(n):
        args = [_CHECK_POINTS[(i + 3 * k) % n] for k in range(op.arity)]
        try:
            out = _call(op, forward, args)
            non_float = non_float or type(forward(*args)) is not float
            numeric = [
                central_difference(lambda *a: _call(op, forward, a), args, k)
                for k in range(op.arity)
            ]
        except (ArithmeticError, ValueError):
            continue  # forward is not defined (or not finite) here or next to here
        for k in range(op.arity):
            try:
                analytic = op.partial_of[k](out, *args)
            except (ArithmeticError, ValueError) as problem:
                raise ValueError(_mismatch(op, k, args, math.nan, numeric[k], problem)) from None
            if not close(analytic, numeric[k]):
                raise ValueError(_mismatch(op, k, args, analytic, numeric[k]))
        checked.append(tuple(args))
    if len(checked) < 2:
        raise ValueError(
            f"define_op({op.name!r}): forward is not defined (or not finite) at enough of the "
            f"points {_CHECK_POINTS} to check the derivative formulas"
        )
    if non_float:
        original = forward

        def forward(*args: float) -> float:
            return float(original(*args))

    return forward, checked


def _call(op: Op, forward: Callable[..., float], args: Sequence[float]) -> float:
    try:
        value = float(forward(*args))
    except TypeError as problem:
        raise TypeError(
            f"define_op({op.name!r}): forward must take {op.arity} number"
            f"{'s' if op.arity > 1 else ''} (one per derivative formula) and return a "
            f"number: {problem}"
        ) from None
    if value - value != 0.0:
        raise ValueError("not finite")
    return value


def _mismatch(
    op: Op, k: int, args: Sequence[float], analytic: float, numeric: float, problem: object = None
) -> str:
    at = ", ".join(f"{v} = {a!r}" for v, a in zip("xy", args, strict=False))
    got = f"fails ({problem})" if problem is not None else f"gives {analytic:.6g}"
    return (
        f"define_op({op.name!r}): the derivative formula for {'xy'[k]}, {op.formulas[k]!r}, "
        f"{got} at {at}, but central differences of forward give {numeric:.6g}"
    )


def builtin(
    name: str,
    symbol: str,
    template: str,
    precedence: int,
    forward: Callable[..., float],
    *formulas: str,
) -> Op:
    """Define one of microgrand's own rows (no name checks; they cannot be redefined)."""
    return _define(name, forward, formulas, symbol, template, precedence, builtin=True)
