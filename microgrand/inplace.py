"""Reusing dead temporaries: the numpy version of compiled code writes results in place.

On m examples every array operation of the generated code makes a new array of m floats,
and fresh arrays cost more than the arithmetic on them (new pages fault in, caches go
cold). `rewrite` takes the numpy version's statements and, where an operand of ``+``,
``-``, ``*``, ``/``, a negation or a numpy ufunc (exp, log, tanh) is a temporary array used
for the last time, writes the result into it: ``t3 = np.add(t1, t2, out=t1)``. A compound
expression becomes one step per operation, each written into the temporary before it:
``da = t6 * (1.0 / t7)`` is ``da = 1.0 / t7`` then ``da *= t6``.

The numbers are the same, bit for bit: the same operations on the same numbers in the same
order (numpy's ``a + b`` is ``np.add(a, b)``); only the operands of ``+`` and ``*`` may
swap, which is exact in IEEE arithmetic. Never written into: an input, a value or a
gradient that the Result returns (a later call must not change an earlier Result), and a
numpy scalar (a number, not an array). Every array in the code has the shape (m,)
(`vectorize.prepare` checks the inputs, and scalars broadcast), so any dead temporary array
can hold the result.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# Sums over the examples: a number, even of arrays.
SUMS = frozenset({"dot", "total"})
FUNCTIONS = {
    ast.Add: "np.add",
    ast.Sub: "np.subtract",
    ast.Mult: "np.multiply",
    ast.Div: "np.divide",
}
SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
COMMUTATIVE = (ast.Add, ast.Mult)  # a + b is b + a exactly, as a * b is b * a
TEMPORARY = "_"  # provisional names of the steps a compound expression becomes start with it
HEADER = [
    "# A temporary array that is not used again lends its memory to the next result:",
    "# out=... names it, and t *= ... writes into t. Fewer new arrays, the same numbers;",
    "# inputs and the arrays returned are never written into.",
]


@dataclass
class Step:
    """One operation: ``name = expr``, or ``name <aug>= expr``; `buffer` is the operand
    whose array the result is written into (None: a new array)."""

    name: str
    expr: ast.expr
    statement: int  # which of the original statements it comes from
    aug: ast.operator | None = None
    buffer: str | None = None


def rewrite(
    statements: list[str],
    arrays: set[str],
    keep: set[str],
    ufuncs: frozenset[str] | set[str],
    fresh: Callable[[], str],
    aliasing: frozenset[str] | set[str] = frozenset(),
) -> list[list[str]]:
    """The statements rewritten to write into dead temporaries, as lines per statement.

    Args:
        statements: the numpy version's statements (an optional ``  # note`` each).
        arrays: the names that hold arrays on entry (the array inputs).
        keep: the names never written into: inputs and what the function returns.
        ufuncs: functions the code calls that are numpy ufuncs (they take ``out=``).
        fresh: makes a new variable name (for a step of a compound expression).
        aliasing: functions whose result may be one of their arguments (or a view of
            it): neither their result nor their arguments are ever written into.
    """
    notes = [text.partition("  # ")[2] for text in statements]
    steps, owned, arrays = _steps(statements, set(arrays), aliasing)
    last: dict[str, int] = {}
    for i, step in enumerate(steps):
        for name in _read(step):
            last[name] = i
    for i, step in enumerate(steps):
        if step.aug is None and _in_place(step.expr, ufuncs):
            for name in _preferred(step.expr):
                if name in owned and name in arrays and name not in keep and last[name] == i:
                    step.buffer = name
                    break
    final = _namer(steps, fresh)
    made: list[list[Step]] = [[] for _ in statements]
    for step in steps:
        made[step.statement].append(step)
    lines = []
    for text, note, group in zip(statements, notes, made, strict=True):
        if len(group) == 1 and group[0].buffer is None:
            lines.append([text])  # one operation into a new array: the statement as it was
            continue
        lines.append([_line(step, final) for step in group])
        if note:
            lines[-1][0] += f"  # {note}"
    return lines


def _steps(
    statements: list[str], arrays: set[str], aliasing: frozenset[str] | set[str]
) -> tuple[list[Step], set[str], set[str]]:
    """Each statement as steps of one operation each; the names the steps make that hold
    an array of their own (which may be written into later), and every name that holds
    an array."""
    steps: list[Step] = []
    owned: set[str] = set()
    aliased: set[str] = set()
    counter = itertools.count(1)

    def temporary() -> str:
        return f"{TEMPORARY}{next(counter)}"

    # One parse of all of them: a long graph has 100,000 statements.
    trees = ast.parse("\n".join(text.partition("  # ")[0] for text in statements)).body
    if len(trees) != len(statements):
        raise ValueError("inplace: each statement must be one line")
    for k, (text, tree) in enumerate(zip(statements, trees, strict=True)):
        start = len(steps)
        if isinstance(tree, ast.AugAssign) and isinstance(tree.target, ast.Name):
            target = tree.target.id
            value = _atoms(tree.value, steps, arrays, temporary, k)
            steps.append(Step(target, value, k, aug=tree.op))
        elif isinstance(tree, ast.Assign) and isinstance(tree.targets[0], ast.Name):
            target = tree.targets[0].id
            if isinstance(tree.value, ast.Name):  # a copy (codegen writes none): one array,
                aliased.update((target, tree.value.id))  # two names: write into neither
                steps.append(Step(target, tree.value, k))
                if tree.value.id in arrays:
                    arrays.add(target)
                continue
            value = _atoms(tree.value, steps, arrays, temporary, k)
            if isinstance(value, ast.Name) and value.id.startswith(TEMPORARY):
                steps[-1].name = target  # the last operation makes the statement's value
            else:
                steps.append(Step(target, value, k))
        else:
            raise ValueError(f"inplace: not an assignment: {text!r}")  # codegen writes none
        for step in steps[start:]:
            if step.aug is None:
                owned.add(step.name)
            if isinstance(step.expr, ast.Call) and _called(step.expr) in aliasing:
                aliased.update([step.name, *(n.id for n in _names(step.expr))])
        if _is_array(value, arrays) or target in arrays:
            arrays.add(target)
    return steps, owned - aliased, arrays


def _atoms(
    expr: ast.expr, steps: list[Step], arrays: set[str], temporary: Callable[[], str], k: int
) -> ast.expr:
    """expr with each array operation in it computed by a step of its own, in Python's
    order of evaluation; returns what is left: a name, or an expression of numbers."""
    if isinstance(expr, ast.BinOp):
        left = _atoms(expr.left, steps, arrays, temporary, k)
        right = _atoms(expr.right, steps, arrays, temporary, k)
        expr = ast.BinOp(left, expr.op, right)
    elif isinstance(expr, ast.UnaryOp):
        expr = ast.UnaryOp(expr.op, _atoms(expr.operand, steps, arrays, temporary, k))
    elif isinstance(expr, ast.Call):
        args = [_atoms(a, steps, arrays, temporary, k) for a in expr.args]
        expr = ast.Call(expr.func, args, expr.keywords)
    else:
        return expr
    if not _is_array(expr, arrays):
        return expr  # a number: computed where it stands
    name = temporary()
    steps.append(Step(name, expr, k))
    arrays.add(name)
    return ast.Name(name)


def _called(call: ast.Call) -> str | None:
    return call.func.id if isinstance(call.func, ast.Name) else None


def _is_array(expr: ast.expr, arrays: set[str]) -> bool:
    """Whether expr is an array of m examples: an operation on one (numpy broadcasts the
    numbers), except a sum over the examples. Anything unknown is taken for a number,
    which is never written into."""
    if isinstance(expr, ast.Name):
        return expr.id in arrays
    if isinstance(expr, ast.BinOp):
        return _is_array(expr.left, arrays) or _is_array(expr.right, arrays)
    if isinstance(expr, ast.UnaryOp):
        return _is_array(expr.operand, arrays)
    if isinstance(expr, ast.Call):
        if _called(expr) in SUMS:
            return False
        return any(_is_array(a, arrays) for a in expr.args)
    return False


def _in_place(expr: ast.expr, ufuncs: frozenset[str] | set[str]) -> bool:
    """An operation that can write into one of its operands."""
    if isinstance(expr, ast.BinOp):
        return type(expr.op) in FUNCTIONS
    if isinstance(expr, ast.UnaryOp):
        return isinstance(expr.op, ast.USub)
    return isinstance(expr, ast.Call) and _called(expr) in ufuncs


def _operands(expr: ast.expr) -> list[ast.expr]:
    if isinstance(expr, ast.BinOp):
        return [expr.left, expr.right]
    if isinstance(expr, ast.UnaryOp):
        return [expr.operand]
    if isinstance(expr, ast.Call):
        return list(expr.args)
    return []


def _preferred(expr: ast.expr) -> list[str]:
    """The operands that are names, in the order to try them as the result's array: a
    step of the same statement first (``da *= t6`` reads better than ``out=``), then left
    to right."""
    names = [a.id for a in _operands(expr) if isinstance(a, ast.Name)]
    return sorted(names, key=lambda name: not name.startswith(TEMPORARY))


def _read(step: Step) -> Iterator[str]:
    """The names a step reads."""
    if step.aug is not None:
        yield step.name
    yield from (n.id for n in _names(step.expr))


def _names(expr: ast.expr) -> Iterator[ast.Name]:
    """The names in an expression (ast.walk, for the few kinds of node codegen writes,
    several times faster: a long graph has 100,000 statements)."""
    stack = [expr]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Name):
            yield item
        elif isinstance(item, ast.BinOp):
            stack += (item.right, item.left)
        elif isinstance(item, ast.UnaryOp):
            stack.append(item.operand)
        elif isinstance(item, ast.Call):
            stack += reversed(item.args)
        elif not isinstance(item, ast.Constant):
            stack += reversed([n for n in ast.iter_child_nodes(item) if isinstance(n, ast.expr)])


def _namer(steps: list[Step], fresh: Callable[[], str]) -> Callable[[str], str]:
    """The final name of each name: a step that writes into the step before it in the same
    statement continues its name (``da = 1.0 / t7; da *= t6``); other steps of a compound
    expression get fresh names, in the order they run."""
    continues: dict[str, str] = {}
    for step in steps:
        if step.buffer is not None and step.buffer.startswith(TEMPORARY):
            continues[step.buffer] = step.name
    names: dict[str, str] = {}

    def final(name: str) -> str:
        if not name.startswith(TEMPORARY):
            return name
        if name not in names:
            # A chain of temporaries ends in a statement's name or a fresh one.
            names[name] = final(continues[name]) if name in continues else fresh()
        return names[name]

    return final


def _line(step: Step, final: Callable[[str], str]) -> str:
    """The step as a line of Python."""

    expr = step.expr  # made by _atoms for this step alone: its names can be renamed in place
    for node in list(_names(expr)):
        node.id = final(node.id)
    name = final(step.name)
    if step.aug is not None:
        return f"{name} {SYMBOLS[type(step.aug)]}= {ast.unparse(expr)}"
    if step.buffer is None:
        return f"{name} = {ast.unparse(expr)}"
    buffer = final(step.buffer)
    if isinstance(expr, ast.BinOp):
        left, right = ast.unparse(expr.left), ast.unparse(expr.right)
        if buffer == name and left == name:
            return f"{name} {SYMBOLS[type(expr.op)]}= {right}"
        if buffer == name and isinstance(expr.op, COMMUTATIVE):  # swapped: exact
            return f"{name} {SYMBOLS[type(expr.op)]}= {left}"
        return f"{name} = {FUNCTIONS[type(expr.op)]}({left}, {right}, out={buffer})"
    if isinstance(expr, ast.UnaryOp):
        return f"{name} = np.negative({ast.unparse(expr.operand)}, out={buffer})"
    assert isinstance(expr, ast.Call)  # _in_place: the step's operation is a ufunc call
    args = ", ".join(ast.unparse(a) for a in expr.args)
    return f"{name} = {ast.unparse(expr.func)}({args}, out={buffer})"
