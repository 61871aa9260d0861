"""How labels write what the user gave: names and numbers, and text made safe to show.

Names get the lecture's subscripts (``x1`` is written ``x₁``); user text has its control
characters, lone surrogates and bidi overrides made visible (`clean_text`: drawings,
`explain` and notebooks show names through it, and the command line's errors file paths
through `clean_path`; `distinct_names` tells apart nodes that
share a name); numbers have one formatter (`fmt`), in
Unicode for drawings and notebooks or ASCII for terminals. `gradient_name` is the one rule
for how a gradient is written (``dw1``, or ``d(dz)/dw1`` when the root is a derivative).
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from collections.abc import Sequence

NAME_LIMIT = 40
LABEL_LINE_LIMIT = 160
PATH_LIMIT = 100

# --- text: names and numbers -------------------------------------------------------

_SUBSCRIPT_SIGNS = "₀₁₂₃₄₅₆₇₈₉"
_SUBSCRIPTS = str.maketrans("0123456789", _SUBSCRIPT_SIGNS)
_LETTERS_THEN_DIGITS = re.compile(r"([A-Za-z]+)([0-9]+)")
# Bidirectional overrides can make a label read differently from its text: show them too.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _visible(ch: str) -> str:
    """A visible stand-in for a character SVG/XML cannot hold or a reader cannot see."""
    return ch.encode("unicode_escape").decode("ascii")


def clean_text(text: str, limit: int = LABEL_LINE_LIMIT) -> str:
    """Make user text safe to show: control characters, line and paragraph separators
    (U+2028, U+2029: line breaks to some terminals), lone surrogates, non-characters and
    bidi overrides become visible escapes (``\\x07``), and the length is capped with ``…``."""
    out = []
    for ch in text:
        code = ord(ch)
        if (
            unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp")
            or ch in _BIDI
            or (code & 0xFFFE) == 0xFFFE
            or 0xFDD0 <= code <= 0xFDEF
        ):
            out.append(_visible(ch))
        else:
            out.append(ch)
    result = "".join(out)
    if len(result) > limit:
        result = result[: limit - 1] + "…"
    return result


def clean_path(path: str | os.PathLike[str], limit: int = PATH_LIMIT) -> str:
    """A file's path as a message shows it: cleaned as user text, and cut at its start
    when too long, so that the file's own name stays in view."""
    text = clean_text(os.fspath(path), sys.maxsize)
    return text if len(text) <= limit else "…" + text[len(text) - limit + 1 :]


def display_name(name: str) -> str:
    """How a user's name is written: ``x1`` becomes ``x₁``; capped and cleaned."""
    match = _LETTERS_THEN_DIGITS.fullmatch(name)
    if match:
        name = match.group(1) + match.group(2).translate(_SUBSCRIPTS)
    return clean_text(name, NAME_LIMIT)


def distinct_names(names: Sequence[str | None], *, ascii: bool = False) -> list[str | None]:
    """Shown names (one per distinct node, in drawing order) made distinct: nodes that
    would print alike get an occurrence number, ``a₁`` and ``a₂`` (``a_1``, ``a_2`` in
    ASCII), skipping any that another node's name already reads; ``x₁`` twice is ``x₁,₁``
    and ``x₁,₂``, as the course joins two subscripts. None (no name) stays None.

    A formula names a node by its text, so two nodes that read alike would read as one
    (``a·a`` for two different a's looks like a²): the one rule for drawings and `explain`.
    """
    counts: dict[str, int] = {}
    for name in names:
        if name is not None:
            counts[name] = counts.get(name, 0) + 1
    taken = set(counts)
    numbered = {name: 0 for name, count in counts.items() if count > 1}
    result: list[str | None] = []
    for name in names:
        if name is None or name not in numbered:
            result.append(name)
            continue
        while True:
            numbered[name] += 1
            candidate = _occurrence(name, numbered[name], ascii)
            if candidate not in taken:
                break
        taken.add(candidate)
        result.append(candidate)
    return result


def _occurrence(name: str, k: int, ascii: bool) -> str:
    """`name` with occurrence number k: a₂, x₁,₂ (a_2, x1_2 in ASCII)."""
    if ascii:
        return f"{name}_{k}"
    joiner = "," if name[-1:] in _SUBSCRIPT_SIGNS else ""
    return name + joiner + str(k).translate(_SUBSCRIPTS)


# --- numbers: the one formatter, in Unicode (drawings, notebooks) or ASCII (terminals) ---


def fmt(value: float, *, ascii: bool = False) -> str:
    """A value as the lecture writes it: 4 significant digits (-0.4502), with a real minus
    sign (−) unless `ascii`."""
    text = format(value, ".4g")
    if text in ("-0", "0"):
        text = "0"
    return text if ascii else text.replace("-", "−")


def number(value: float) -> str:
    """`fmt` for terminals: ASCII, as `explain` and the command line print numbers."""
    return fmt(value, ascii=True)


def fmt_constant(value: float, *, ascii: bool = False) -> str:
    """A number written inside a formula: 3, not 3.0; else 6 significant digits."""
    if value.is_integer() and abs(value) < 1e15:
        text = str(int(value))
    else:
        text = format(value, ".6g")
    return text if ascii else text.replace("-", "−")


# --- gradients: d(root)/d(node) ---------------------------------------------------------


def is_derivative(label: str) -> bool:
    """A label like dz or dw1: a gradient (from `microgrand.grad`) that was named so."""
    return len(label) > 1 and label[0] == "d" and label[1].isalpha()


def d(label: str) -> str:
    """d of a label: dz, but d(dz) for a label that is a derivative itself."""
    return f"d({label})" if is_derivative(label) else f"d{label}"


def gradient_name(root: str, node: str) -> str:
    """How d(root)/d(node) is written: ``dnode``, as the lecture writes dw1 for dL/dw1; when
    the root is itself a derivative (dz, from `microgrand.grad`), ``d(dz)/dnode`` says which
    is which."""
    return f"{d(root)}/{d(node)}" if is_derivative(root) else d(node)
