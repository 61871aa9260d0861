"""The text of the generated functions, and the globals each one runs with.

`microgrand.codegen` plans the statements; this module assembles them into functions:
the float version (`source`: a type check that sends anything but floats to the general
path, the statements inside ``try``, one finiteness check, the Result) and the numpy
version for a given set of array inputs (`array_source`: the same forward statements and a
backward pass that sums scalar gradients over the examples). `namespace` binds the names
the code calls (``exp``, ``sigmoid``, ...) to float functions or to numpy ones.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Callable
from typing import Any

from microgrand import inplace
from microgrand.codegen import Plan, _Names, plan_backward
from microgrand.codegen_terms import POWER
from microgrand.engine import DATA
from microgrand.node import Node
from microgrand.ops import FORMULA_FUNCTIONS, NEG

# Above this many rows of six terms the finiteness check is one statement per row.
_ONE_CHECK_ROWS = 100


def source(p: Plan, fname: str) -> str:
    """The float function, with its checks, as source text."""
    from microgrand import parts

    if parts.is_long(p):
        return parts.float_source(p, fname)
    params = ", ".join(p.params)
    body = statements(p)
    if not p.forward and not p.backward:
        body.append("pass  # the root is a leaf: nothing to compute")
    returned = ", ".join(p.outputs) + ("," if len(p.outputs) == 1 else "")
    terms = [f"{name} - {name}" for name in dict.fromkeys(p.checked)]
    rows = [" + ".join(terms[i : i + 6]) for i in range(0, len(terms), 6)]
    scalar = [
        *float_head(p, fname),
        "    try:",
        *(f"        {line}" for line in body),
        "    except (ArithmeticError, ValueError):  # the engine names the node: fail",
        f"        return fail({params})",
    ]
    if len(rows) > _ONE_CHECK_ROWS:
        # One expression of 2,000 terms is already too deep for Python's compiler
        # (RecursionError): a graph that checks more than 600 values (longer than 5,000
        # statements it is written in parts) sums its checks one row at a time.
        scalar += [f"    {line}" for line in finite_check(p.checked, f"return fail({params})")]
    elif rows:
        # One addition per value first: inf or nan makes the sum times 0.0 nan. Only then
        # (or when finite values add up past the largest float) the exact test, x - x.
        values = [
            " + ".join(list(dict.fromkeys(p.checked))[i : i + 6]) for i in range(0, len(terms), 6)
        ]
        scalar += [
            "    # Strict numerics: an inf or nan in any of these makes the sums nan.",
            "    if (",
            *(f"        {'+ ' if i else ''}{row}" for i, row in enumerate(values)),
            "    ) * 0.0 != 0.0 and (",
            *(f"        {'+ ' if i else ''}{row}" for i, row in enumerate(rows)),
            "    ) != 0.0:",
            f"        return fail({params})",
        ]
    scalar.append(f"    return result(({returned}))")
    return "\n".join(scalar) + "\n"


def statements(p: Plan) -> list[str]:
    """The float version's statements: forward, then backward (with comments)."""
    root = p.names[p.root]
    forward = [p.inline.get(i, line) for i, line in enumerate(p.forward)]
    body = ["# forward", *forward]
    if p.backward:
        body += [f"# backward: d<v> is d{root}/d<v>", *p.backward, *copies(p, p.grads)]
    return body


def float_head(p: Plan, fname: str) -> list[str]:
    """The float function's first lines: up to the call of `general` for anything but
    floats (ints, arrays, bad values) or a label out of [0, 1]."""
    params = ", ".join(p.params)
    root = p.names[p.root]
    head = f"def {fname}({params + ', ' if params else ''}reduce='sum'):"
    dispatch = " is ".join(["float", *(f"{name}.__class__" for name in p.params)])
    condition = [f"not {dispatch}"] if p.params else []
    condition += ["reduce != 'sum'", *(f"not 0.0 <= {y} <= 1.0" for y in p.labels)]
    return [
        head,
        f'    """{root} and its gradients on floats, the engine\'s arithmetic in its order."""',
        *(f"    {line}" for line in frozen_comments(p)),
        "    # Not all floats (ints, arrays, bad values) or a label out of [0, 1]: general",
        f"    if {' or '.join(condition)}:",
        f"        return general({params + ', ' if params else ''}reduce=reduce)",
    ]


def frozen_comments(p: Plan) -> list[str]:
    """One comment per leaf that is not an input."""
    return [
        f"# {k} = {v!r} is not an input: frozen at its traced value" for k, v in p.frozen.items()
    ]


def finite_check(names: list[str], failure: str) -> list[str]:
    """A check that each of these floats is finite, summed one row at a time (the sum of
    x - x is 0.0 for finite values, nan as soon as one is inf or nan), then `failure`."""
    terms = [f"{name} - {name}" for name in dict.fromkeys(names)]
    rows = [" + ".join(terms[i : i + 6]) for i in range(0, len(terms), 6)]
    return [
        "# Strict numerics: an inf or nan in any of these makes the sum nan.",
        f"finite = {rows[0]}",
        *(f"finite += {row}" for row in rows[1:]),
        "if finite != 0.0:",
        f"    {failure}",
    ]


def copies(p: Plan, grads: dict[Node, str]) -> list[str]:
    """Comments for the gradients that are another's number (db = dz): not computed twice."""
    lines = []
    for node, expr in grads.items():
        name = f"d{p.names[node]}"
        # total(dv), the sum over the examples of dv itself, is returned as it is
        if node is not p.root and node._op is not DATA and expr not in (name, f"total({name})"):
            lines.append(f"# {name} = {expr}")
    return lines


def array_source(
    p: Plan, fname: str, arrays: set[Node], *, in_place: bool = True
) -> tuple[str, bool]:
    """The numpy version for calls where `arrays` are the nodes holding m examples: the
    same forward statements, and a backward pass that sums into scalar nodes' gradients.

    Each temporary is deleted after its last use, so that numpy reuses its memory for the
    next one instead of asking the OS for more (for 100,000 examples a temporary is 800 KB,
    and fresh pages cost more than the arithmetic on them). In a short graph's code, with
    `in_place` (the default), results are written into dead temporaries
    (`microgrand.inplace`), so that fewer arrays are made at all; a long graph's
    (`parts.is_long`) is written in parts without that rewrite, whatever `in_place` says.
    Returns the source and whether the function returns the root's negation
    (`_summed_root`): then the caller negates the root's sum.
    """
    from microgrand import parts

    back = plan_backward(p, arrays)
    if parts.is_long(p):  # written in parts, without the rewrites below
        return parts.array_source(p, fname, back), False
    root = p.names[p.root]
    used = _identifiers([*p.forward[:-1], *back.lines])
    forward, negated = _summed_root(p, arrays, used)
    returned = owned(p, [negated or root, *(p.names[n] for n in p.named), *back.grads.values()])
    # A returned gradient may be an expression of a name (-dt5): keep what it uses.
    kept = {n.id for r in returned for n in ast.walk(ast.parse(r)) if isinstance(n, ast.Name)}
    keep = {*kept, *p.params}
    statements = [*forward, *back.lines]
    groups, header = [[s] for s in statements], list[str]()
    if in_place:
        groups, header = _in_place(p, statements, arrays, keep, used)
    steps = _with_deletes(groups, keep=keep)
    lines = [
        *array_head(p, fname),
        *(f"    {line}" for line in header),
        "    # forward",
        *(f"    {line}" for step in steps[: len(forward)] for line in step),
    ]
    if negated:
        lines.append(
            f"    # {root} = -{negated} is left out: only the sum of {root} is returned, "
            f"-(the sum of {negated}) exactly"
        )
    if back.lines:
        lines.append(
            f"    # backward: d<v> is d{root}/d<v> (for scalars: summed over the examples)"
        )
        backward = [line for step in steps[len(forward) :] for line in step]
        lines += [f"    {line}" for line in [*backward, *copies(p, back.grads)]]
    lines.append(f"    return ({', '.join(returned)},)")
    return "\n".join(lines) + "\n", negated is not None


def owned(p: Plan, returned: list[str]) -> list[str]:
    """The returned expressions, each entry a value of its own: an input's name, or a name
    returned a second time (db = dz; z as a value and as du's gradient), goes through `own`
    (`array_ops.own`: a copy of an array, a number as it is). The caller's array must not
    come back as a result (d(x·y)/dy is x), and no two entries may be one array: writing
    into one would change the other."""
    seen: set[str] = set()
    out = []
    for r in returned:
        out.append(f"own({r})" if r in p.params or r in seen else r)
        seen.add(r)
    return out


def array_head(p: Plan, fname: str) -> list[str]:
    """The numpy version's first lines: signature, docstring, frozen leaves, slow ops."""
    root = p.names[p.root]
    slow = [
        f"# {name} runs its float function once per example (Python speed): "
        f"define_op({name!r}, ..., array=...) gives it a numpy form"
        for name, op in p.helpers.items()
        if not op.builtin and op.array is None
    ]
    return [
        f"def {fname}({', '.join([*p.params, 'examples'])}):",
        f'    """{root} and its gradients on numpy arrays (run under np.errstate: raise)."""',
        *(f"    {line}" for line in [*frozen_comments(p), *slow]),
    ]


def _in_place(
    p: Plan, statements: list[str], arrays: set[Node], keep: set[str], used: set[str]
) -> tuple[list[list[str]], list[str]]:
    """`inplace.rewrite` of the statements, and the comment that says why (if it wrote
    anything in place)."""
    from microgrand.array_ops import UFUNCS

    names = copy.deepcopy(p.namer) if p.namer is not None else _Names()
    names.used.update(used, p.names.values())
    given = {p.names[n] for n in arrays.intersection(p.inputs)}
    # A user's array form may return its input itself (or a view of it): its result and
    # its arguments are never written into.
    opaque = {name for name, op in p.helpers.items() if op.array is not None}
    groups = inplace.rewrite(
        statements, given, keep, UFUNCS, lambda: names.take(None), aliasing=opaque
    )
    same = groups == [[s] for s in statements]
    return groups, [] if same else inplace.HEADER


def _summed_root(p: Plan, arrays: set[Node], used: set[str]) -> tuple[list[str], str | None]:
    """The forward statements without the root's when the root is the negation of an
    array (the lecture's L = -(y log a + ...)) that no other statement uses (`used`):
    only the root's sum is returned, and the sum of -t is -(the sum of t) exactly
    (rounding is symmetric; `vectorize.finish` minds the sign of a zero), so negating
    every example is one pass saved. Returns the statements and t's name (or None)."""
    root, parent = p.root, p.root._p0
    if root._op is not NEG or parent not in arrays or parent is None or p.computed[-1] is not root:
        return p.forward, None
    name = p.names[root]
    if p.forward[-1] != f"{name} = -{p.names[parent]}" or name in used:
        return p.forward, None
    return p.forward[:-1], p.names[parent]


# A name in a generated line (each line is a statement with an optional "  # " note, and
# holds no strings): a regular expression finds them all far faster than a parse. TARGET
# matches an assignment's target, and its operator when it is augmented (d *= e reads d).
# `parts` reads the lines with these too.
IDENTIFIER = re.compile(r"\b[^\W\d]\w*")
TARGET = re.compile(r"(\w+) ([-+*/]?)= ")


def _identifiers(lines: list[str]) -> set[str]:
    """Every name the lines use or assign (function names too)."""
    return set(IDENTIFIER.findall("\n".join(line.partition("  # ")[0] for line in lines)))


def _with_deletes(groups: list[list[str]], keep: set[str]) -> list[list[str]]:
    """Each group of lines (one statement's), with ``del`` of the variables each line was
    the last to use after it."""
    assigned: set[str] = set()
    last: dict[str, tuple[int, int]] = {}
    for i, group in enumerate(groups):
        for j, line in enumerate(group):
            code = line.partition("  # ")[0]
            target = TARGET.match(code)
            if target is not None:
                assigned.add(target[1])
            for name in IDENTIFIER.findall(code):
                last[name] = (i, j)
    dead: dict[tuple[int, int], list[str]] = {}
    for name, at in last.items():
        if name in assigned and name not in keep:
            dead.setdefault(at, []).append(name)
    return [
        [
            out
            for j, line in enumerate(group)
            for out in [line, *([f"del {', '.join(sorted(dead[i, j]))}"] if (i, j) in dead else [])]
        ]
        for i, group in enumerate(groups)
    ]


def namespace(p: Plan, *, arrays: bool) -> dict[str, Any]:
    """The globals the generated code runs with: float functions, or numpy ones."""
    from microgrand.ops import power

    scope: dict[str, Any] = {}
    functions: dict[str, tuple[Callable[..., float], int]] = {
        name: (f, 1) for name, f in FORMULA_FUNCTIONS.items()
    }
    functions[POWER] = (power, 2)
    functions.update({name: (op.forward, op.arity) for name, op in p.helpers.items()})
    if arrays:
        import numpy as np

        from microgrand import array_ops

        for name, (f, arity) in functions.items():
            scope[name] = array_ops.form(name, f, arity)
        for name, op in p.helpers.items():  # the rows this graph was traced with
            if op.array is not None:
                scope[name] = array_ops.user_form(name, op.array)
        scope["dot"], scope["total"], scope["own"] = array_ops.dot, np.add.reduce, array_ops.own
        scope["np"] = np  # the in-place code calls np.add(a, b, out=t), ...
        scope.update({k: np.float64(v) for k, v in p.frozen.items()})
    else:
        scope.update({name: f for name, (f, _) in functions.items()})
        scope.update(p.frozen)
    return scope
