"""The generated code of a long graph, as a driver and parts of at most `PART` statements.

Python compiles one function of a million statements in minutes and gigabytes (its
compiler holds the whole function's tables, and some of its passes grow faster than the
function), while functions of a few thousand statements compile at a steady few µs per
statement. So the code of a graph with more than `LONG` statements is a driver, the
function `compile` returns, with the same dispatch, checks and error path as a short
graph's, which calls ``_part1(_live)``, ``_part2(_live)``, ... in order. The parts hold
the very statements `microgrand.generated` writes for a short graph, in the same order, so
every value is the same float, bit for bit.

A value one part makes and a later part uses is handed over in one tuple per pair of parts
through the dict ``_live``: ``_live[3, 7] = (t5, t9)`` at the end of part 3, and
``t5, t9 = _live.pop((3, 7))`` at the start of part 7 (part 0 is the driver, which hands on
the inputs). One tuple per pair rather than one statement per value: Python compiles a
statement that copies a value as slowly as the statement that computed it.

- **Floats**: each part checks the values it made last whose finiteness the short version
  checks (`generated.finite_check`) and raises FloatingPointError, which the driver's
  ``except`` turns into ``fail``: the engine re-runs the example and names the node.
- **Arrays**: each part deletes a value after its last use, as the short version does, and
  a part's other locals go when it returns.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from types import CodeType
from typing import TYPE_CHECKING, Any

from microgrand.generated import (
    IDENTIFIER,
    TARGET,
    array_head,
    copies,
    finite_check,
    float_head,
    owned,
    statements,
)

if TYPE_CHECKING:
    from microgrand.codegen import BackwardPlan, Plan

LONG = 5_000  # statements above which the code is split (the lecture's graph has 27)
PART = 2_000  # statements per part

_SEPARATOR = "\n\n\n"  # between the functions of a source text


def is_long(p: Plan) -> bool:
    """Whether p's code is split into parts."""
    return len(p.forward) + len(p.backward) > LONG


def float_source(p: Plan, fname: str) -> str:
    """The float function of a long graph: the driver, then its parts."""
    params = ", ".join(p.params)
    returned = ", ".join(p.outputs) + ("," if len(p.outputs) == 1 else "")
    body = statements(p)
    failure = f"return fail({params})"
    handed, parts, unchecked = _split(body, p.params, f"return ({returned})", p.checked)
    driver = [
        *float_head(p, fname),
        *_about(len(body), len(parts)),
        "    _live = {}",
        *(f"    {line}" for line in handed),
        "    try:",
        *(f"        _part{j}(_live)" for j in range(1, len(parts))),
        f"        _outputs = _part{len(parts)}(_live)",
        "    except (ArithmeticError, ValueError):  # the engine names the node: fail",
        f"        {failure}",
        *(f"    {line}" for line in (finite_check(unchecked, failure) if unchecked else [])),
        "    return result(_outputs)",
    ]
    return _text(driver, parts)


def array_source(p: Plan, fname: str, back: BackwardPlan) -> str:
    """The numpy function of a long graph (see `generated.array_source`): the driver, then
    its parts, each value deleted after its last use."""
    root = p.names[p.root]
    returned = owned(p, [p.names[p.root], *(p.names[n] for n in p.named), *back.grads.values()])
    body = ["# forward", *p.forward]
    if back.lines:
        body.append(f"# backward: d<v> is d{root}/d<v> (for scalars: summed over the examples)")
        body += [*back.lines, *copies(p, back.grads)]
    given = [*p.params, "examples"]
    handed, parts, _ = _split(body, given, f"return ({', '.join(returned)},)", deletes=True)
    driver = [
        *array_head(p, fname),
        *_about(len(body), len(parts)),
        "    _live = {}",
        *(f"    {line}" for line in handed),
        *(f"    _part{j}(_live)" for j in range(1, len(parts))),
        f"    return _part{len(parts)}(_live)",
    ]
    return _text(driver, parts)


def _about(count: int, parts: int) -> list[str]:
    return [
        f"    # A long graph: {count:,} statements in {parts:,} parts of at most {PART:,} (below),",
        "    # which hand the values a later part uses over through _live.",
    ]


def _text(driver: list[str], parts: list[list[str]]) -> str:
    functions = ["\n".join(driver)]
    for j, body in enumerate(parts, start=1):
        functions.append("\n".join([f"def _part{j}(_live):", *(f"    {x}" for x in body)]))
    return _SEPARATOR.join(functions) + "\n"


def _split(
    lines: list[str],
    given: Sequence[str],
    last: str,
    checked: Sequence[str] = (),
    *,
    deletes: bool = False,
) -> tuple[list[str], list[list[str]], list[str]]:
    """Cut `lines` into parts and write what each hands over to the later ones.

    Args:
        lines: the statements (comments too), in order.
        given: the names the driver holds (the inputs, and ``examples``).
        last: the return statement that ends the last part.
        checked: names whose finiteness is checked, each in the part that assigns it last.
        deletes: ``del`` each value after its last use (the numpy version).

    Returns:
        The driver's lines that hand the inputs over, the parts' bodies, and the checked
        names that no statement assigns (inputs and frozen leaves: the driver checks them).
    """
    steps = [*lines, last]
    where, handed, seen_last = _flow(steps, given)
    dead: dict[int, list[str]] = {}
    if deletes:
        for name, i in seen_last.items():
            if name not in given and i < len(steps) - 1:
                dead.setdefault(i, []).append(name)
    count = (len(steps) + PART - 1) // PART
    checks: dict[int, list[str]] = {}
    for name in checked:
        checks.setdefault(where.get(name, 0), []).append(name)
    into: dict[int, list[str]] = {}  # part -> its lines that take values over
    out: dict[int, list[str]] = {}  # part -> its lines that hand values on
    for (k, to), names in handed.items():
        into.setdefault(to, []).append(f"{_names(names)} = _live.pop(({k}, {to}))")
        out.setdefault(k, []).append(f"_live[{k}, {to}] = {_names(names)}")
    parts: list[list[str]] = []
    for j in range(1, count + 1):
        body = into.get(j, [])
        for i in range((j - 1) * PART, min(j * PART, len(steps) - 1)):
            body.append(steps[i])
            if i in dead:
                body.append(f"del {', '.join(sorted(dead[i]))}")
        if j in checks:
            body += finite_check(checks[j], 'raise FloatingPointError("not finite")')
        body += out.get(j, [])
        if j == count:
            body.append(last)
        if all(line.startswith("#") for line in body):
            body.append("pass  # comments only")
        parts.append(body)
    return out.get(0, []), parts, checks.get(0, [])


def _flow(
    steps: list[str], given: Sequence[str]
) -> tuple[dict[str, int], dict[tuple[int, int], dict[str, None]], dict[str, int]]:
    """Which values each part takes over from which earlier part.

    Returns the part that assigns each name last (0: the driver's `given`), the names each
    pair of parts (from, to) hands over, and the last step that uses or assigns each name.
    """
    where = dict.fromkeys(given, 0)  # name -> the part that assigned it last, so far
    handed: dict[tuple[int, int], dict[str, None]] = {}
    seen_last: dict[str, int] = {}
    find, assignment = IDENTIFIER.findall, TARGET.match
    for part, start in enumerate(range(0, len(steps), PART), start=1):
        local: set[str] = set()  # names this part has, so far
        for i in range(start, min(start + PART, len(steps))):
            code = steps[i].partition("#")[0]  # generated code holds no strings
            match = assignment(code)
            used = find(code, match.end()) if match else find(code)
            if match and match.group(2):  # x += ..., x *= ... read x
                used.append(match.group(1))
            for name in used:
                if name in where:
                    seen_last[name] = i
                    if name not in local:
                        handed.setdefault((where[name], part), {})[name] = None
                        local.add(name)
            if match:
                target = match.group(1)
                where[target] = part
                seen_last[target] = i
                local.add(target)
    return where, handed, seen_last


def _names(names: dict[str, None]) -> str:
    """A tuple of names, as the target or the value of an assignment."""
    return f"({next(iter(names))},)" if len(names) == 1 else ", ".join(names)


def define(source: str, filename: str, namespace: dict[str, Any]) -> None:
    """Run the function definitions of `source` in `namespace`, one function at a time (so
    the compiler holds one part at once), each keeping its line numbers in `source`."""
    line = 0
    for piece in source.split(_SEPARATOR):
        code = builtins.compile(piece, filename, "exec")
        if line:
            code = code.replace(co_consts=tuple(_moved(c, line) for c in code.co_consts))
        builtins.exec(code, namespace)
        line += piece.count("\n") + _SEPARATOR.count("\n")


def _moved(const: object, lines: int) -> object:
    """A function's code `lines` further down (its line table counts from its first line)."""
    if isinstance(const, CodeType):
        return const.replace(co_firstlineno=const.co_firstlineno + lines)
    return const
