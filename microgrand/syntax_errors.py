"""A statement Python cannot read, said in one line (`parse` raises it as a ParseError).

Python's own message is often 'invalid syntax' at a place that does not help: a keyword
typed as a name (``lambda = 0.1``) and a statement that stops at its '=' are said in
words; any other error gives the column, and the text around it in a long statement.
"""

from __future__ import annotations

import io
import keyword
import tokenize

from microgrand.whitelist import shorten


def syntax_error(statement: str, error: SyntaxError) -> str:
    """One line, however long the statement: its start, the column, and the text around it
    with a ``|`` at the column. A keyword typed as a name, and a statement that stops at
    its '=', are said in words (Python says 'invalid syntax', at the wrong place)."""
    word = _keyword_as_name(statement)
    if word is not None:
        return (
            f"{word!r} is a Python keyword, so it cannot be a name (try {word}_) "
            f"in {shorten(statement)!r}"
        )
    if statement.endswith("="):
        return f"nothing follows '=' in {shorten(statement)!r}: give a number or an expression"
    message = f"syntax error in {shorten(statement)!r}"
    if not error.offset or error.lineno != 1:
        return f"{message}: {error.msg}"
    at = min(error.offset - 1, len(statement))
    if len(statement) <= 60:
        return f"{message} at column {at + 1}: {error.msg}"
    before = statement[max(0, at - 25) : at]
    after = statement[at : at + 25]
    near = (
        ("…" if at > 25 else "") + before + "|" + after + ("…" if at + 25 < len(statement) else "")
    )
    return f"{message} at column {at + 1}: {error.msg} (near {near!r})"


# The tokens on either side of an operand: a keyword between them stands where a name goes.
_BEFORE_OPERAND = {"=", "+", "-", "*", "/", "**", "(", ","}
_AFTER_OPERAND = {"=", "+", "-", "*", "/", "**", ")", ","}


def _keyword_as_name(statement: str) -> str | None:
    """The first keyword typed where a name goes (``lambda = 0.1``, ``3*in``), else None."""
    try:
        tokens = [
            token.string
            for token in tokenize.generate_tokens(io.StringIO(statement).readline)
            if token.type in (tokenize.NAME, tokenize.OP, tokenize.NUMBER)
        ]
    except (tokenize.TokenError, SyntaxError):
        return None
    for i, word in enumerate(tokens):
        if keyword.iskeyword(word) and word not in ("True", "False", "None"):
            before = tokens[i - 1] if i else "="
            after = tokens[i + 1] if i + 1 < len(tokens) else ")"
            if before in _BEFORE_OPERAND and after in _AFTER_OPERAND:
                return word
    return None
