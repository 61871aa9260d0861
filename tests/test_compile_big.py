"""`microgrand.compile` on long graphs, and the code writer's shortcuts that make it fast.

The writer's own printer (`codegen_exprs.unparse`) must give `ast.unparse`'s text, so that
generated code stays exactly what it was (the snapshots in tests/snapshots/compiled-*.txt).
"""

from __future__ import annotations

import ast
import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microgrand.codegen_exprs import key, unparse

NAMES = st.sampled_from(["x", "t1", "dz", "a"])
NUMBERS = st.sampled_from([0.0, -0.0, 1.0, 2.5, 1e-7, 1e300, float("inf"), float("nan")])
OPERATORS = st.sampled_from([ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow])


def leaves() -> st.SearchStrategy[ast.expr]:
    return st.one_of(
        NAMES.map(lambda n: ast.Name(n)),
        NUMBERS.map(lambda v: ast.Constant(v)),
        st.integers(-3, 3).map(lambda v: ast.Constant(v)),  # not written by codegen: ast's
    )


def extend(children: st.SearchStrategy[ast.expr]) -> st.SearchStrategy[ast.expr]:
    return st.one_of(
        st.builds(lambda a, op, b: ast.BinOp(a, op(), b), children, OPERATORS, children),
        children.map(lambda a: ast.UnaryOp(ast.USub(), a)),
        st.builds(
            lambda f, args: ast.Call(ast.Name(f), args, []), NAMES, st.lists(children, max_size=3)
        ),
    )


EXPRESSIONS = st.recursive(leaves(), extend, max_leaves=12)


# Where parentheses are decided: ** groups from the right, - and / from the left.
TRICKY = ["(a ** b) ** c", "a ** b ** c", "(-x) ** 2.0", "x ** (-2.0)", "a - (b - c)", "a - b - c"]
TRICKY += ["a / (b * c)", "-(a + b)", "--a", "f(-a, b + c) * (a - b)", "-a * b", "-(a * b)"]


@pytest.mark.parametrize("text", TRICKY)
def test_unparse_writes_ast_unparse_text_where_parentheses_matter(text: str) -> None:
    expr = ast.parse(text, mode="eval").body
    assert unparse(expr) == ast.unparse(expr) == text


@given(EXPRESSIONS)
def test_unparse_writes_what_ast_unparse_writes(expr: ast.expr) -> None:
    assert unparse(expr) == ast.unparse(expr)


@given(EXPRESSIONS, EXPRESSIONS)
def test_keys_are_equal_exactly_when_ast_dump_is(a: ast.expr, b: ast.expr) -> None:
    assert (key(a) == key(b)) == (ast.dump(a) == ast.dump(b))
    assert key(a) == key(copy.deepcopy(a))
