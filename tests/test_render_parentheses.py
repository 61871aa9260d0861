"""Parentheses in the lecture view: box formulas and derivative labels keep their meaning.

A second, independent check beside test_render_lecture.py's precedence test: one
expression per rule, box and red labels both, so that dropping a pair of parentheses
anywhere (``f = a/(b*c)`` drawn ``da = 1/bc``) fails a test that names the rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from microgrand import Node, draw, explain

LABEL = re.compile(r'label="((?:[^"\\]|\\.)*)"')
Build = Callable[[Node, Node, Node], Node]


def leaves() -> tuple[Node, Node, Node]:
    return Node(2.0, "a"), Node(3.0, "b"), Node(4.0, "c")


def formulas_only(build: Build) -> list[str]:
    """Every label of the lecture view with formulas and no numbers, f's box first."""
    f = build(*leaves()).named("f")
    f.backward()
    labels = LABEL.findall(draw(f, values=False, grads=False).source)
    return [label for label in labels if label.startswith(("f = ", "d"))]


BOXES: list[tuple[str, Build, str]] = [
    ("a/(b*c)", lambda a, b, c: a / (b * c), "f = a/(bc)"),
    ("a/(b/c)", lambda a, b, c: a / (b / c), "f = a/(b/c)"),
    ("(a/b)/c", lambda a, b, c: (a / b) / c, "f = a/b/c"),
    ("(a+b)*c", lambda a, b, c: (a + b) * c, "f = (a + b)c"),
    ("a*(b+c)", lambda a, b, c: a * (b + c), "f = a(b + c)"),
    ("a-(b+c)", lambda a, b, c: a - (b + c), "f = a − (b + c)"),
    ("(a-b)-c", lambda a, b, c: (a - b) - c, "f = a − b − c"),
    ("(a+b)/(b-c)", lambda a, b, c: (a + b) / (b - c), "f = (a+b)/(b−c)"),
    ("-(a+b)*c", lambda a, b, c: -(a + b) * c, "f = −(a + b)c"),
]


@pytest.mark.parametrize(("build", "box"), [case[1:] for case in BOXES], ids=[b[0] for b in BOXES])
def test_box_formulas_keep_their_parentheses(build: Build, box: str) -> None:
    assert formulas_only(build)[0] == box


DERIVATIVES: list[tuple[str, Build, str]] = [
    ("a/(b*c)", lambda a, b, c: a / (b * c), "da = 1/(bc)"),
    ("a/(b/c)", lambda a, b, c: a / (b / c), "da = 1/(b/c)"),
    ("a/(b+c)", lambda a, b, c: a / (b + c), "da = 1/(b+c)"),
    ("(a+b)/(b-c)", lambda a, b, c: (a + b) / (b - c), "dc = f/(b−c)"),
]


@pytest.mark.parametrize(
    ("build", "label"), [case[1:] for case in DERIVATIVES], ids=[d[0] for d in DERIVATIVES]
)
def test_derivative_labels_keep_their_parentheses(build: Build, label: str) -> None:
    assert label in formulas_only(build)


@pytest.mark.parametrize(("build", "box"), [case[1:] for case in BOXES], ids=[b[0] for b in BOXES])
def test_no_label_has_two_minus_signs_in_a_row(build: Build, box: str) -> None:
    """−(−f/y) is written f/y (it used to read −−f/(b − c))."""
    for label in formulas_only(build):
        assert "−−" not in label and "--" not in label, label


def test_explain_writes_the_same_parentheses() -> None:
    a, b, c = leaves()
    f = (a / (b * c)).named("f")
    assert "= 1/(b * c)" in str(explain(f, a))
