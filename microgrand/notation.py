"""How the lecture writes formulas: small formula trees, simplified and typeset.

The drawings show formulas in the lecture's notation (``z = w₁x₁ + w₂x₂ + b``,
``dz = a − y``, ``da = −y/a + (1−y)/(1−a)``). This module turns the op table's templates
and derivative formulas into that text: a formula is parsed (with `ast`, never evaluated)
into a small tree of terms, simplified the way a person would (``1·x`` is ``x``, ``0 + x``
is ``x``: the builders of `microgrand.typeset`), and printed with just
the parentheses that precedence needs and with multiplication by juxtaposition. Names,
numbers and safe user text are `microgrand.labels`' job (re-exported here, where callers
have always found them). It works on text only: it knows nothing of graphs or of Graphviz.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from microgrand import formula
from microgrand.labels import (
    LABEL_LINE_LIMIT,
    NAME_LIMIT,
    clean_text,
    display_name,
    fmt,
    fmt_constant,
    number,
)
from microgrand.ops import FORMULA_FUNCTIONS, Op, function_ops
from microgrand.typeset import (
    Typeset,
    t_add,
    t_call,
    t_div,
    t_mul,
    t_neg,
    t_pow,
    t_sub,
)

__all__ = [
    "FORMULA_LINE",
    "LABEL_LINE_LIMIT",
    "NAME_LIMIT",
    "apply_template",
    "clean_text",
    "display_name",
    "fmt",
    "fmt_constant",
    "formula_term",
    "infix",
    "number",
    "operands_tight",
    "power_text",
    "show",
    "tree_term",
    "wrap_formula",
]

FORMULA_LINE = 44  # a longer box formula is broken before a top-level " + " (z[2] of a network)

_SUBSCRIPT_DIGITS = frozenset("₀₁₂₃₄₅₆₇₈₉")
_SUPERSCRIPT_SIGNS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"


def _is_short(text: str) -> bool:
    """One letter with optional subscripts (``x₁``, ``ŷ``): safe to juxtapose (``w₁x₁``)."""
    return (
        len(text) >= 1
        and text[0].isalpha()
        and all(ch in _SUBSCRIPT_DIGITS or ch == "′" for ch in text[1:])
    )


def _wrapped(text: str) -> bool:
    """True if the text is one parenthesized group or ends in a call's parentheses."""
    if not text.endswith(")"):
        return False
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0 and i != len(text) - 1:
                return False
    return text.startswith("(") or "(" in text


def _product_joint(left: str, right: str, left_number: bool, right_number: bool) -> str:
    """How a product's two factors are joined: juxtaposed (``3v``, ``bc``, ``a(1 − a)``),
    with a space before a call (``y log(a)``, never ``ylog(a)``), or with a dot (``a·b₂c``)."""
    # A power is juxtaposed as its base would be (a²(1 − a), 2a²).
    left, right = left.rstrip(_SUPERSCRIPT_SIGNS), right.rstrip(_SUPERSCRIPT_SIGNS)
    if right_number or not right or left == right:
        return "·"  # x·x⁻², never xx⁻²
    left_ok = (left_number and not left.startswith("−")) or _is_short(left) or _wrapped(left)
    if not left_ok:
        return "·"
    if _wrapped(right) and not right.startswith("("):  # a call: a name, then (...)
        return " "
    return "" if _is_short(right) or _wrapped(right) else "·"


# --- formulas as small expression trees (built and simplified by `microgrand.typeset`) ------

_FUNCTION_SYMBOLS = {"sigmoid": "σ"}
_BUILD = {"add": t_add, "sub": t_sub, "mul": t_mul, "div": t_div, "pow": t_pow}


def formula_term(text: str, variables: dict[str, Typeset]) -> Typeset | None:
    """A derivative formula's text as a term, with ``out``/``x``/``y`` substituted.

    The text is parsed by the formula language's own parser (`microgrand.formula`).
    Returns None for text that does not parse, so a drawing still draws (its red arrows
    then show numbers only).
    """
    functions = {name: 1 for name in FORMULA_FUNCTIONS} | function_ops()
    try:
        tree = _parse(text, functions)
    except formula.ParseError:
        return None
    return tree_term(tree, variables)


@functools.cache
def _cached_parse(text: str, names: frozenset[tuple[str, int]]) -> formula.Term:
    return formula.parse(text, 2, dict(names))


def _parse(text: str, functions: dict[str, int]) -> formula.Term:
    return _cached_parse(text, frozenset(functions.items()))


def tree_term(tree: formula.Term, variables: dict[str, Typeset]) -> Typeset | None:
    """An op's derivative tree (`Op.derivatives`) as a printable term, simplified the way
    a person would; None if it uses a variable missing from `variables`."""
    if isinstance(tree, formula.Num):
        return ("num", tree.value)
    if isinstance(tree, formula.Var):
        return variables.get(tree.name)
    # The trees are a formula long: this recursion is over a formula, never over a graph.
    args = [tree_term(arg, variables) for arg in tree.args]
    if any(arg is None for arg in args):
        return None
    terms = [arg for arg in args if arg is not None]
    if tree.function in _BUILD:
        return _BUILD[tree.function](*terms)
    if tree.function == "neg":
        return t_neg(terms[0])
    return t_call(tree.function, *terms)


_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}


def infix(left: str, symbol: str, right: str, *, tight: bool = False) -> str:
    """A sum or difference written out: ``1 − a``; tight, ``1−a``, inside a quotient, as the
    lecture writes ``da = −y/a + (1−y)/(1−a)``. The one rule for how sums are spaced: the
    boxes, the red arrows, the layer view and `explain` (ASCII too: ``(1-y)/(1-a)``)."""
    space = "" if tight else " "
    return f"{left}{space}{symbol}{space}{right}"


def operands_tight(function: str, tight: bool = False) -> bool:
    """Whether the operands of op `function` are written tight (`infix`): a quotient's, and
    inside one those of the arithmetic below it; never a call's arguments (``log(1 − a)``)."""
    return function == "div" or (tight and function in _PRECEDENCE and function != "neg")


def show(term: Typeset, tight: bool = False, *, ascii: bool = False) -> tuple[str, int]:
    """Write a term; returns (text, precedence).

    Unicode (drawings, notebooks) as the lecture writes: ``−``, products by juxtaposition
    (``a(1 − a)``), ``σ``, superscript powers. ASCII (terminals, `explain`) as
    ``microgrand draw`` reads: ``-``, ``*``, ``sigmoid``, ``**``. Both write sums tight
    inside a quotient (`infix`: ``(1−y)/(1−a)``, ``(1-y)/(1-a)``); `tight` says the term
    stands inside one.
    """
    minus = "-" if ascii else "−"
    kind = term[0]
    if kind == "num":
        text = fmt_constant(term[1], ascii=ascii)
        return text, 3 if text.startswith(minus) else 5
    if kind == "atom":  # a drawing's folded node may say how it reads tight (`infix`)
        return (term[4] if tight and len(term) > 4 else term[1]), term[2]
    if kind == "call":
        name = term[1] if ascii else _FUNCTION_SYMBOLS.get(term[1], term[1])
        inner = ", ".join(show(arg, ascii=ascii)[0] for arg in term[2:])
        return f"{name}({inner})", 5
    if kind == "neg":
        inner, p = show(term[1], ascii=ascii)
        wrap = _needs_parentheses(3, 1, 0, inner, p) or inner.startswith(minus)
        return (minus + (f"({inner})" if wrap else inner)), 3
    prec = _PRECEDENCE[kind]
    tight_inside = operands_tight(kind, tight)  # sums inside a quotient: (1−y)/(1−a)
    left, lp = show(term[1], tight_inside, ascii=ascii)
    right, rp = show(term[2], tight_inside, ascii=ascii)
    if lp < prec or (kind == "pow" and lp == prec):
        left = f"({left})"
    negative = right.startswith(minus)
    if rp < prec or (rp == prec and kind != "add" and kind != "mul") or negative:
        right = f"({right})"
    if kind == "mul":
        if ascii:
            return f"{left} * {right}", prec
        joint = _product_joint(left, right, term[1][0] == "num", term[2][0] == "num")
        return f"{left}{joint}{right}", prec
    if kind == "div":
        return f"{left}/{right}", prec
    if kind == "pow":
        if ascii:
            return f"{left}**{right}", prec
        return power_text(left, right, term[2][1] if term[2][0] == "num" else None), prec
    return infix(left, "+" if kind == "add" else minus, right, tight=tight), prec


_SUPERSCRIPTS = str.maketrans("0123456789-", _SUPERSCRIPT_SIGNS)


def power_text(base: str, exponent: str, number: float | None = None) -> str:
    """``base`` to the power ``exponent`` (both already parenthesized as needed): a whole
    number exponent as a superscript (``o²``, ``x⁻¹``), any other as ``**`` (``a**b``), as
    ``microgrand draw`` accepts it; never ``^``, which Python reads as xor."""
    if number is not None and number.is_integer() and abs(number) < 1000:
        return base + str(int(number)).translate(_SUPERSCRIPTS)
    return f"{base}**{exponent}"


def _needs_parentheses(precedence: int, arity: int, i: int, text: str, p: int) -> bool:
    """Whether operand i (text, precedence p) of an op needs parentheses."""
    if precedence >= 5:  # a call: its arguments are delimited already
        return False
    if arity == 1:
        # Unary minus: −bc and −a/b read right, −(a + b) and −(−a) need the parentheses.
        return p < 2 or p == precedence
    if i == 1 and text.startswith("−"):
        return True  # a/(−b), never a/−b
    return p < precedence or (p == precedence and (i == 1 or precedence == 4))


def apply_template(
    op: Op, operands: Sequence[tuple[str, int, bool]], *, tight: bool = False
) -> tuple[str, int]:
    """Write an op with the table's template; operands are (text, precedence, is_number),
    each already written tight where `operands_tight` says; a sum or difference is itself
    written tight when `tight` (it stands inside a quotient: `infix`)."""
    texts = []
    for i, (text, p, _) in enumerate(operands):
        if _needs_parentheses(op.precedence, op.arity, i, text, p):
            text = f"({text})"
        texts.append(text)
    if op.name in ("add", "sub"):
        return infix(texts[0], op.symbol, texts[1], tight=tight), op.precedence
    template = op.template
    if op.name == "pow":
        exponent = operands[1][0].replace("−", "-")
        try:
            number = float(exponent) if operands[1][2] else None
        except ValueError:
            number = None
        return power_text(texts[0], texts[1], number), op.precedence
    if "{0}{1}" in template:
        joint = _product_joint(texts[0], texts[1], operands[0][2], operands[1][2])
        template = template.replace("{0}{1}", "{0}" + joint + "{1}")
    return template.format(*texts), op.precedence


def wrap_formula(text: str, width: int = FORMULA_LINE) -> list[str]:
    """A box's formula as lines of about `width` characters, broken before a top-level
    ``+`` or ``−`` (``z[2]₁ = W[2]₁₁a[1]₁ + ... + b[2]₁`` on two lines)."""
    if len(text) <= width:
        return [text]
    pieces: list[str] = []
    depth = start = 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and text[i - 1 : i + 2] in (" + ", " − ") and i > start:
            pieces.append(text[start : i - 1])
            start = i
    pieces.append(text[start:])
    lines = [pieces[0]]
    for piece in pieces[1:]:
        if len(lines[-1]) + 1 + len(piece) > width:
            lines.append(piece)
        else:
            lines[-1] += " " + piece
    return lines
