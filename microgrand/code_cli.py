"""The ``microgrand code`` command: the Python code `microgrand.compile` writes for a graph.

    microgrand code "u = b*c; v = a + u; J = 3*v"
    microgrand code "z = w1*x1 + w2*x2 + b; L = bce_with_logits(z, y)" --data x1,x2 --numpy

The statements are the ones `microgrand draw` takes (`microgrand.parse`). Leaves need no
values here (those not given one are traced at 0.5, a point where log, division and the
sigmoid are all defined); every leaf becomes an input of the generated function, in the
order the statements first name them. ``microgrand draw ... --code`` prints the same.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

PROG = "microgrand code"
TRACE_VALUE = 0.5
# The lecture's graph as statements (`draw --lecture --code`), the loss written out.
LECTURE = "z = w1*x1 + w2*x2 + b; a = sigmoid(z); L = -(y*log(a) + (1 - y)*log(1 - a))"


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``code`` subcommand to the subparsers of the `microgrand` parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "code",
        help="print the Python code microgrand.compile generates for a typed graph",
        description="Compile a graph typed like 'u = b*c; v = a + u; J = 3*v' and print the "
        "generated forward and backward pass: one line per node, each derivative written "
        "from its op's formula.",
    )
    parser.add_argument("statements", nargs="+", metavar="STATEMENT", help="as for draw")
    add_options(parser)
    parser.set_defaults(func=run)
    return parser


def add_options(parser: argparse.ArgumentParser) -> None:
    """The options `code` and ``draw --code`` share (--data is draw's own already)."""
    parser.add_argument(
        "--numpy",
        action="store_true",
        help="print the version that runs on numpy arrays, the data leaves holding m examples",
    )
    if not any(action.dest == "data" for action in parser._actions):
        parser.add_argument(
            "--data",
            default="",
            metavar="NAMES",
            help="comma-separated leaves that are data (requires_grad=False), e.g. x1,x2",
        )


def run(args: argparse.Namespace) -> int:
    """Run ``microgrand code``; returns the exit code (2 for errors in the typed graph)."""
    from microgrand.formula import ParseError

    data = [name.strip() for name in args.data.split(",") if name.strip()]
    try:
        print(generated_code(args.statements, data, numpy=args.numpy), end="")
    except ParseError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except (ValueError, ArithmeticError, TypeError) as error:
        print(f"{PROG}: error: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


def generated_code(statements: list[str], data: list[str], *, numpy: bool = False) -> str:
    """The source `compile` generates for the typed graph (or its numpy version)."""
    import microgrand
    from microgrand.parse import parse_graph

    parsed = parse_graph(statements, data=data, purpose="compile", unvalued=TRACE_VALUE)
    leaves = {leaf.name: leaf for leaf in _leaves(parsed.root)}
    inputs = [leaves[name] for name in parsed.names if name in leaves]
    compiled = microgrand.compile(parsed.root, inputs)
    if not numpy:
        return compiled.source
    arrays = [leaf for leaf in inputs if not leaf.requires_grad]
    if not arrays:
        raise ValueError("--numpy needs data leaves to hold the m examples: name them in --data")
    compiled(*(np_ones(leaf.name in {a.name for a in arrays}) for leaf in inputs))
    (source,) = compiled.array_sources.values()
    return source


def np_ones(array: bool) -> Any:
    """A 2-example array of 0.5 for a data leaf, else 0.5 (the call that makes the code)."""
    import numpy as np

    return np.full(2, TRACE_VALUE) if array else TRACE_VALUE


def _leaves(root: Any) -> list[Any]:
    from microgrand.engine import ancestors

    return [node for node in ancestors(root) if node.is_leaf and not node.is_constant]
