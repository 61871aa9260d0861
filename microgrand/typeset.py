"""Formulas as small trees, simplified the way a person simplifies them.

A `Typeset` is a formula ready to print (`microgrand.notation` prints it, in Unicode or
ASCII). Each builder here (`t_add`, `t_mul`, `t_div`, ...) makes one node of such a tree
and simplifies as it goes, the way the lecture writes its formulas: ``1·x`` is ``x``,
``0 + x`` is ``x``, numbers go first (``3v``), ``y·(1/a)`` is ``y/a``, a repeated factor is a
power (``y/a/a`` is ``y/a²``). The rules change only how a formula reads, never a number:
they fold numbers exactly and cancel nothing that could be undefined (``a⁻¹·a`` stays).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from microgrand.formula import HELPERS
from microgrand.ops import TABLE

__all__ = [
    "ONE",
    "ZERO",
    "Typeset",
    "t_add",
    "t_call",
    "t_div",
    "t_mul",
    "t_neg",
    "t_pow",
    "t_sub",
]

# A Typeset is a formula ready to print, as a plain tuple: ("num", value) |
# ("atom", text, precedence[, key, tight text]) | ("neg", t) | ("call", function, t) |
# (op, left, right) for op in add sub mul div pow. (Not `formula.Term`, the derivative tree
# it is printed from.) An atom that stands for a node carries the node's identity as its
# key: the builders compare terms as tuples (a·a is a²), so two nodes that print alike are
# never one factor; a drawing's folded node also says how it reads inside a quotient
# (`notation.infix`: 1 − a is 1−a there).
Typeset = tuple[Any, ...]
ONE: Typeset = ("num", 1.0)
ZERO: Typeset = ("num", 0.0)


def _num(term: Typeset) -> float | None:
    return term[1] if term[0] == "num" else None


def _finite(value: float) -> bool:
    return value - value == 0.0


def t_neg(a: Typeset) -> Typeset:
    """−a, simplified."""
    if a[0] == "num":
        return ("num", -a[1] if a[1] != 0 else 0.0)
    if a[0] == "neg":
        return a[1]  # type: ignore[no-any-return]  # a term is a plain tuple: its items are Any
    if a[0] in ("mul", "div") and a[1][0] == "neg":
        return (a[0], a[1][1], a[2])  # −(−f/y) is f/y, never −−f/y
    return ("neg", a)


def t_add(a: Typeset, b: Typeset) -> Typeset:
    """a + b, simplified."""
    na, nb = _num(a), _num(b)
    if na is not None and nb is not None:
        return ("num", na + nb)
    if na == 0:
        return b
    if nb == 0:
        return a
    if b[0] == "neg":
        return t_sub(a, b[1])
    return ("add", a, b)


def t_sub(a: Typeset, b: Typeset) -> Typeset:
    """a − b, simplified."""
    na, nb = _num(a), _num(b)
    if na is not None and nb is not None:
        return ("num", na - nb)
    if nb == 0:
        return a
    if na == 0:
        return t_neg(b)
    if b[0] == "neg":
        return t_add(a, b[1])
    return ("sub", a, b)


def t_mul(a: Typeset, b: Typeset) -> Typeset:
    """a·b, simplified (numbers move to the front: ``3v``)."""
    na, nb = _num(a), _num(b)
    if na is not None and nb is not None:
        return ("num", na * nb)
    if na == 0 or nb == 0:
        return ZERO
    if na == 1:
        return b
    if nb == 1:
        return a
    if na == -1:
        return t_neg(b)
    if nb == -1:
        return t_neg(a)
    if a[0] == "neg":
        return t_neg(t_mul(a[1], b))
    if b[0] == "neg":
        return t_neg(t_mul(a, b[1]))
    if b[0] == "div" and _num(b[1]) == 1:
        return t_div(a, b[2])  # y·(1/a) is y/a
    if a[0] == "div" and _num(a[1]) == 1:
        return t_div(b, a[2])
    power = _one_power(a, b)
    if power is not None:
        return power  # a·a is a², as the course writes it
    if b[0] == "mul" and (power := _one_power(a, b[1])) is not None:
        return t_mul(power, b[2])  # a·(a(1 − a)) is a²(1 − a)
    if a[0] == "mul" and (power := _one_power(a[2], b)) is not None:
        return t_mul(a[1], power)  # (3a)·a is 3a²
    if nb is not None:
        a, b, na, nb = b, a, nb, na  # the number first: 3v
    if na is not None and b[0] == "mul" and _num(b[1]) is not None:
        return t_mul(("num", na * b[1][1]), b[2])  # 2·(3v) is 6v
    return ("mul", a, b)


def t_div(a: Typeset, b: Typeset) -> Typeset:
    """a/b, simplified."""
    na, nb = _num(a), _num(b)
    if nb == 1:
        return a
    if na is not None and nb is not None and nb != 0 and (na / nb).is_integer():
        return ("num", na / nb)
    if na == 0:
        return ZERO
    if a[0] == "neg":
        return t_neg(t_div(a[1], b))  # (−a)/b is −(a/b): the sign leads, as people write
    if a[0] == "div":
        power = _one_power(a[2], b)
        if power is not None:
            return t_div(a[1], power)  # (y/a)/a is y/a², as the course writes it
    return ("div", a, b)


def _one_power(a: Typeset, b: Typeset) -> Typeset | None:
    """a·b as one power of their common base (a·a is a², a²·a is a³), else None. Only
    positive exponents add up, so nothing cancels (a⁻¹·a stays: it is not 1 at a = 0)."""
    (base, m), (other, n) = _power_parts(a), _power_parts(b)
    if base != other or base[0] == "num" or m <= 0 or n <= 0:
        return None
    return t_pow(base, ("num", m + n))


def _power_parts(term: Typeset) -> tuple[Typeset, float]:
    """A factor as its base and whole exponent: a² is (a, 2), a is (a, 1)."""
    if term[0] == "pow" and term[2][0] == "num" and term[2][1].is_integer():
        return term[1], term[2][1]
    return term, 1.0


def t_pow(a: Typeset, b: Typeset) -> Typeset:
    """a^b, simplified."""
    na, nb = _num(a), _num(b)
    if nb == 1:
        return a
    if nb == 0:
        return ONE
    if na is not None and nb is not None:
        try:
            value = na**nb
        except (ArithmeticError, ValueError):
            return ("pow", a, b)
        if isinstance(value, float) and _finite(value):
            return ("num", value)
    return ("pow", a, b)


def _piecewise_constant(function: str) -> Callable[[float], float] | None:
    """The function's forward if it is piecewise constant, read off the op table (a
    one-input op whose derivative is the number 0, as ``step``), or a helper (``is_zero``);
    else None."""
    if function in HELPERS:
        return HELPERS[function]
    op = TABLE.get(function)
    return op.forward if op is not None and op.fixed == (0.0,) else None


def t_call(function: str, *args: Typeset) -> Typeset:
    """function(args); a step of a number is that number (``is_zero(2)`` is 0)."""
    constant = _piecewise_constant(function)
    if constant is not None and args[0][0] == "num":
        try:
            value = constant(args[0][1])
        except (ArithmeticError, ValueError):  # a user's op, outside its domain: as written
            return ("call", function, *args)
        if isinstance(value, float) and _finite(value):
            return ("num", value)
    if function == "is_zero":
        # pow's slope y·x**(y − 1 + is_zero(y)) adds it only so that the slope at y = 0 is
        # 0 (also at x = 0): formulas are written as the textbook writes them, y·x**(y − 1).
        return ZERO
    return ("call", function, *args)
