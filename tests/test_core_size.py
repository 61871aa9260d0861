"""The core stays small enough to read in one sitting.

The core is the op table, `Node` and the engine (ops.py, node.py, engine.py): what a
learner reads to see how backpropagation works. Counted as source lines (no blank lines,
comments or docstrings) it stays under BUDGET; the input checks and error wording
(checks.py) and copying (copying.py) live outside it. This test holds that line, so the
core cannot grow unnoticed.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

CORE = ("ops.py", "node.py", "engine.py")
BUDGET = 500
PACKAGE = Path(__file__).resolve().parent.parent / "microgrand"


def source_lines(path: Path) -> int:
    """Lines holding code: not blank, not only a comment, not part of a docstring."""
    text = path.read_text(encoding="utf-8")
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                docstrings.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    code: set[int] = set()
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type not in skip and token.type != tokenize.ENDMARKER:
            code.update(range(token.start[0], token.end[0] + 1))
    return len(code - docstrings)


def test_source_lines_counts_only_code(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    lines = ['"""Doc', "", 'string."""', "# comment", "x = 1  # why", "", "def f():"]
    lines += ['    """Doc."""', "    return x", ""]
    sample.write_text("\n".join(lines))
    assert source_lines(sample) == 3


def test_the_core_stays_small() -> None:
    counts = {name: source_lines(PACKAGE / name) for name in CORE}
    assert sum(counts.values()) < BUDGET, counts
