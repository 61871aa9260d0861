"""How `explain` writes a chain rule out: the lines of an `Explanation`, in ASCII for a
terminal or in the drawings' Unicode for a notebook.

`microgrand.chain_rule` finds the paths and their factors; this module only lays them out
(the d-notation line, the formulas, the numbers, the value, and a "where" line for each
factor that sums several paths).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from microgrand.labels import d, fmt, gradient_name

if TYPE_CHECKING:
    from microgrand.chain_rule import Chain

ATOM = 6  # precedence of a name or a number (binds tighter than any op)
_WHERE_TERMS = 8  # a factor summing more paths prints only its total


class Style(NamedTuple):
    """How a terminal (ASCII) or a notebook (Unicode, as the drawings) writes the lines."""

    ascii: bool
    minus: str
    times: str


ASCII = Style(True, "-", " * ")
UNICODE = Style(False, "−", " · ")


def layout(
    root: str, node: str, chains: tuple[Chain, ...], value: float, style: Style
) -> tuple[str, ...]:
    """The lines of d(root)/d(node): d-notation, formulas, numbers, value, then "where"s."""

    def number(v: float) -> str:
        return fmt(v, ascii=style.ascii)

    notation = " + ".join(
        style.times.join(f"{d(f.upper)}/{d(f.lower)}" for f in chain.factors) for chain in chains
    )
    formulas = join_sum(
        [product([(f.formula, f.precedence) for f in c.factors], style) for c in chains], style
    )
    numbers = join_sum(
        [product([number_factor(f.value, style) for f in c.factors], style) for c in chains], style
    )
    head = f"{gradient_name(root, node)} = "
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
                factor = f"{d(f.upper)}/{d(f.lower)}"
                lines.append(f"  where {factor} sums {len(f.terms)} paths = {number(f.value)}")
            elif len(f.terms) > 1:
                lines.append(
                    f"  where {d(f.upper)}/{d(f.lower)} sums {len(f.terms)} paths: "
                    f"{join_sum([number(t) for t in f.terms], style)} = {number(f.value)}"
                )
    return tuple(lines)


def number_factor(value: float, style: Style) -> tuple[str, int]:
    """A factor's value as (text, precedence), ready for `product`."""
    text = fmt(value, ascii=style.ascii)
    return text, 3 if text.startswith(style.minus) else ATOM


def product(factors: list[tuple[str, int]], style: Style) -> str:
    """Factors (text, precedence) joined by ``*``: sums and later negatives in parentheses."""
    if len(factors) == 1:
        return factors[0][0]
    parts = []
    for i, (factor, precedence) in enumerate(factors):
        wrap = precedence < 2 or (i > 0 and factor.startswith(style.minus))
        parts.append(f"({factor})" if wrap else factor)
    return style.times.join(parts)


def join_sum(terms: list[str], style: Style) -> str:
    """Terms joined by ``+``, a negative term written with a minus instead."""
    # A term's leading "-" is the sign of its first factor or summand, so "A + -t" can
    # be written "A - t" whatever follows in t (products bind tighter; sums associate).
    text = terms[0]
    for term in terms[1:]:
        minus = style.minus
        text += f" {minus} {term[1:]}" if term.startswith(minus) else f" + {term}"
    return text
