"""Checks on what users pass in, and the wording of every error the engine raises.

microgrand never returns inf or nan and never lets a raw ``math domain error`` escape: each
error names the op, the node and the value, and where a learner is likely to meet it (log
of a saturated sigmoid) it says what to do instead. The engine calls these helpers only
once something has gone wrong, so their cost never shows in a normal run.
"""

from __future__ import annotations

import numbers
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from microgrand.node import Node
    from microgrand.ops import Op


def short(text: str, limit: int = 40) -> str:
    """Cut `text` to `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def a_or_an(word: str) -> str:
    """The word with its article, by its first letter: an integer, a float32."""
    return f"an {word}" if word[:1].lower() in tuple("aeiou") else f"a {word}"


def clean_name(name: str) -> str:
    """A user's name as a message shows it: cleaned and cut like every label.

    Names are user text: an ESC, a newline or a bidi override must not reach a terminal
    raw, and a 10,000-character name must not flood it (`microgrand.labels.clean_text`,
    which drawings and `explain` use too).
    """
    from microgrand.labels import NAME_LIMIT, clean_text  # on the error path only

    return clean_text(name, NAME_LIMIT)


def quote_name(name: str) -> str:
    """A user's name quoted in a sentence of a message (``'w1'``), cleaned and cut."""
    return f"'{clean_name(name)}'"


def describe(node: Node) -> str:
    """How an error message names a node: its name, or what made it."""
    if node._name is not None:
        return quote_name(node._name)
    if node.is_constant:
        return f"the constant {node._v!r}"
    if node.op is not None:
        return f"an unnamed {node.op} node"
    return "an unnamed leaf"


def to_float(value: object, what: str) -> float:
    """Check that `value` is a finite real number and return it as a built-in float."""
    kind = type(value)
    if kind is float:  # the common case first: no ABC check, no import
        # The ignore below: kind is float, but mypy does not narrow `value` through `kind`
        if value - value == 0.0:  # type: ignore[operator]
            return value  # type: ignore[return-value]  # a float, as above
        raise ValueError(f"{what}: the value must be finite, got {value!r}")
    if isinstance(value, bool) or kind.__name__ in ("bool_", "bool"):
        raise TypeError(
            f"{what}: got the boolean {value!r}; booleans are not accepted as numbers "
            "(mixing them in is almost always a bug): write 1.0 or 0.0"
        )
    if kind.__name__ == "timedelta64":  # numpy registers it as an integer
        raise TypeError(
            f"{what}: got the time span {value!r} (numpy timedelta64), not a number: "
            "divide it by a unit first, e.g. span / np.timedelta64(1, 's')"
        )
    if not isinstance(value, numbers.Real):  # int, float, Fraction, numpy reals are Real
        from microgrand.node import Node  # here, on the error path: node imports this module

        if isinstance(value, Node):
            raise TypeError(f"{what}: expected a real number, got a Node ({value!r})")
        raise TypeError(
            f"{what}: expected a real number (int, float, numpy real scalar or Fraction), "
            f"got {kind.__name__} {short(repr(value))}"
        )
    try:
        result = float(value)
    except OverflowError:
        raise ValueError(f"{what}: {short(str(value))} is too large for a float") from None
    if result - result != 0.0:  # true for inf and nan only
        if value == value and abs(value) != abs(result):
            # finite in its own type (numpy.longdouble('1e4000')), inf only as a float
            raise ValueError(
                f"{what}: {short(str(value))} is finite but does not fit a float "
                "(whose largest value is about 1.8e308)"
            )
        raise ValueError(f"{what}: the value must be finite, got {result!r}")
    return result


def whole_number(value: object, what: str) -> int:
    """`value` as a count of steps: a whole number (numpy's too, not a bool), 0 or more."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{what} must be a whole number, got {short(repr(value))}")
    if value < 0:
        raise ValueError(f"{what} must be 0 or more, got {value}")
    return int(value)


def container_error(what: str, arg: object) -> TypeError | None:
    """For a container given as an input (a list, a generator, a masked array, an array
    subclass...): the error that says what to pass instead; None for anything else."""
    from microgrand.node import Node  # here: node imports this module

    kind = type(arg)
    # numpy's scalars have __array__ too, but neither of these: they are numbers
    if issubclass(kind, str | bytes | Node) or not (
        hasattr(kind, "__iter__") or hasattr(kind, "__len__")
    ):
        return None
    why = ""
    numpy = sys.modules.get("numpy")  # an ndarray is from numpy: imported already, then
    if kind.__name__ == "MaskedArray":
        why = " (its mask would be ignored: x.compressed() keeps the unmasked examples)"
    elif numpy is not None and isinstance(arg, numpy.ndarray):
        why = " (a subclass of numpy's array: np.asarray(x) gives the plain array)"
    name = kind.__name__  # a list; array.array, numpy.MaskedArray, pandas.Series
    if kind.__module__ != "builtins":
        name = f"{kind.__module__.partition('.')[0]}.{name}"
    return TypeError(
        f"{what} is {a_or_an(short(name))}{why}: pass m examples as a 1-d numpy array "
        "(np.array(values)), one number as a float"
    )


def check_name(name: object) -> str | None:
    """A node's name is a str (or None): drawings and error messages print it."""
    if name is None or isinstance(name, str):
        return None if name is None else str(name)
    raise TypeError(f"a node's name must be a str or None, got {type(name).__name__}")


def _shown(inputs: tuple[Node, ...]) -> str:
    return ", ".join(_valued(n) for n in inputs)


def _valued(node: Node) -> str:
    """A node and its value; an unnamed constant's name is its value, said once."""
    if node._name is None and node.is_constant:
        return describe(node)
    return f"{describe(node)} = {node._v!r}"


def forward_error(op: Op, inputs: tuple[Node, ...], error: Exception) -> Exception:
    """Turn an exception from a forward function into one that names op, nodes and values."""
    if op.name == "log":
        (x,) = inputs
        message = f"log(x) needs x > 0, but x = {x._v!r} ({describe(x)})."
        hint = saturation_hint(x)
        return ValueError(message + (" " + hint if hint else ""))
    if isinstance(error, ZeroDivisionError):
        return ZeroDivisionError(f"{op.name}: division by zero ({_shown(inputs)})")
    if isinstance(error, OverflowError):
        return OverflowError(f"{op.name}: the result is too large for a float ({_shown(inputs)})")
    if op.name == "pow":
        return ValueError(
            f"pow: a negative base needs a whole-number exponent ({_shown(inputs)}); "
            "a fractional power of a negative number is not real"
        )
    return type(error)(f"{op.name}: {error} ({_shown(inputs)})")


def saturation_hint(x: Node) -> str:
    """Explain log(0) that came from a sigmoid which rounded to exactly 0 or 1.

    Looks at x and the nodes up to two ops above it (``1 - a``, ``-a + 1``).
    """
    node = _sigmoid_near(x, lambda a: a in (0.0, 1.0))
    if node is None:
        return ""
    z: Node = node._p0  # type: ignore[assignment]  # a computed node has a first input
    return (
        f"It came from a saturated sigmoid: σ({describe(z)} = {z._v!r}) rounds "
        f"to exactly {node._v!r} in floating point, so log(a) or log(1 - a) is "
        "log(0). Compute the loss with microgrand.bce_with_logits(z, y), which "
        "never forms log(0)."
    )


def _sigmoid_near(x: Node, saturated: Callable[[float], bool]) -> Node | None:
    """The sigmoid node among x and the nodes up to two ops above it whose value is
    `saturated`, or None."""
    frontier = [x]
    for _ in range(3):
        for node in frontier:
            if node.op == "sigmoid" and saturated(node._v):
                return node
        frontier = [parent for node in frontier for parent in node.parents]
    return None


def not_finite(op: Op, inputs: tuple[Node, ...], value: float) -> OverflowError:
    """A forward result overflowed to inf (or became nan)."""
    return OverflowError(
        f"{op.name}: the result {value!r} is not a finite float ({_shown(inputs)}); "
        "values this large usually mean a learning rate or an input is far too big"
    )


def _the_base(base: Node) -> str:
    """Say "the base 'a' is -2.0", or "the base is the constant -2.0" (its value once)."""
    if base._name is None and base.is_constant:
        return f"the base is {describe(base)}"
    return f"the base {describe(base)} is {base._v!r}"


def partial_error(node: Node, error: Exception) -> ArithmeticError | ValueError:
    """A local derivative could not be computed (0 ** 0.5 at 0 has an infinite slope)."""
    if node.op == "pow" and isinstance(error, ValueError):
        base, exponent = node.parents
        return ValueError(
            f"pow: the exponent {describe(exponent)} needs a gradient, and d(a ** b)/db = "
            f"a ** b · log(a) needs a base a > 0, but {_the_base(base)}. A base "
            "that is not positive can only take an exponent that is a number or a data leaf "
            "(requires_grad=False)."
        )
    hint = next(filter(None, (_saturated_loss(parent) for parent in node.parents)), "")
    inner = str(error)
    if hint:  # `not_finite`'s advice (a learning rate too big) is not the cause here
        inner = inner.split("; values this large")[0]
    message = (
        f"backward through {node.op} ({describe(node)}): the local derivative is infinite or "
        f"too large for a float at {_shown(node.parents)} ({type(error).__name__}: {inner})"
    )
    return OverflowError(f"{message}. {hint}" if hint else message)


def gradient_overflow(
    node: Node,
    grad: float,
    computed: list[Node],
    caller: str = "backward",
    gradient_of: Callable[[Node], float] | None = None,
) -> OverflowError:
    """Name the product that made `node`'s gradient `grad` inf or nan, and why.

    `caller` is the function that computed it (`backward`, or `grad`, which keeps its
    gradients apart from ``node.grad``); `gradient_of` gives the gradient each consumer of
    `node` had (its grad, or grad's own table), so that the product that overflowed can be
    named: the op, its node and values, and its local derivative.
    """
    users = [user for user in computed if node in user.parents]
    head = f"{caller}: the gradient of {describe(node)} is {grad!r}, not a finite float; "
    product = _overflowed_product(node, users, gradient_of) if gradient_of else ""
    if not product:
        ops = ", ".join(sorted({user.op or "?" for user in users}))
        product = f"it overflowed in the chain-rule products through {ops}."
    hint = _saturated_loss(node) or (
        "Values or derivatives this large usually mean an input or learning rate is far too big."
    )
    return OverflowError(f"{head}{product} {hint}")


def _saturated_loss(node: Node) -> str:
    """Why a derivative at `node` overflows when it comes from a sigmoid near 0, and what to
    do (the lecture's loss written with log a divides by a); "" otherwise."""
    a = _sigmoid_near(node, lambda a: 0.0 < a < 1e-150)
    if a is None:
        return ""
    z: Node = a._p0  # type: ignore[assignment]  # a computed node has a first input
    return (
        f"It comes from a saturated sigmoid: a = σ({describe(z)} = {z._v!r}) = {a._v:.4g}. "
        "Written with log(a), the loss has the derivative da = -y/a, and grad of grad "
        "divides by a again (d(da)/da = y/a²): near a = 0 these leave the floats, although "
        f"dz = a - y and d²L/dz² = a(1 - a) = {a._v * (1.0 - a._v):.4g} are small. Compute "
        "the loss with microgrand.bce_with_logits(z, y): its gradient σ(z) - y and its "
        "second derivative a(1 - a) never divide by a."
    )


def _overflowed_product(node: Node, users: list[Node], gradient_of: Callable[[Node], float]) -> str:
    """The chain-rule product g·(local derivative) into `node` that is not finite, said
    with the op, its node and values, and the derivative's formula; "" if none is."""
    from microgrand.engine import op_row  # on the error path only: engine imports this

    for user in users:
        op = op_row(user)
        values = [parent._v for parent in user.parents]
        for i, parent in enumerate(user.parents):
            if parent is not node:
                continue
            try:
                slope = op.partial_of[i](user._v, *values)
            except (ArithmeticError, ValueError):
                continue  # partial_error names that one where it happens
            g = gradient_of(user)
            product = g * slope
            if product - product == 0.0:
                continue
            formula = op.formulas[i]
            if slope - slope != 0.0:
                why = f"its local derivative in {describe(node)}, {formula}, is {slope!r}"
                if g == 0.0:  # no overflow: the product is nan, though the gradient is 0
                    why += f", times the gradient 0.0 of the {user.op} node: 0 × inf is nan"
                if op.name == "div" and i == 1:  # -out / y is -x/y²
                    why += (
                        f" (that is -x/y² with y = {describe(node)} = {node._v:.4g}: one over "
                        "its square is beyond floats)"
                    )
                elif 0.0 < abs(node._v) < 1.0:
                    sep = "; " if g == 0.0 else ": "
                    why += f"{sep}it divides by {describe(node)} = {node._v:.4g}, this close to 0"
            else:
                why = (
                    f"its local derivative in {describe(node)}, {formula} = {slope:.4g}, "
                    f"times the gradient {g:.4g} of the {user.op} node is beyond floats"
                )
            outcome = "overflowed" if product == product else "is nan"
            return (
                f"it {outcome} in the chain-rule product through {user.op} "
                f"({_valued(user)}, from {_shown(user.parents)}): {why}."
            )
    return ""


def concurrent_backward(node: Node) -> RuntimeError:
    """Another backward pass, running at the same time, disturbed `node`'s gradient."""
    return RuntimeError(
        f"backward: the gradient of {describe(node)} became nan while another backward() "
        "ran at the same time (in another thread). A node holds one grad, so passes over "
        f"graphs that share {describe(node)} overwrite each other's sums: let them take "
        "turns (hold one threading.Lock around backward() and the reading of the grads)."
    )


def stale(leaf: Node, user: Node) -> RuntimeError:
    """A leaf's value was set after `user` was computed from it."""
    return RuntimeError(
        f"the value of leaf {describe(leaf)} (now {leaf._v!r}) was set after "
        f"{describe(user)} was computed from it, so that node's value and any gradient "
        "through it would be stale. Build the graph again from the leaves after "
        "changing their values."
    )
