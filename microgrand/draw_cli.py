"""The ``microgrand draw`` command: draw a graph typed on the command line.

    microgrand draw "u = b*c; v = a + u; J = 3*v" a=5 b=3 c=2 -o J.svg
    microgrand draw --lecture -o lecture.png
    microgrand draw --lecture -o backprop.html      # the backward pass, step by step

`register(subparsers)` adds the subcommand to the parser of `microgrand.cli`. The text
is parsed by `microgrand.parse` (Python's `ast` and a whitelist, never `eval`); errors in
it are one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from typing import TYPE_CHECKING, Any

from microgrand.labels import clean_path
from microgrand.ops import function_ops
from microgrand.render import ENGINES, VIEWS

if TYPE_CHECKING:
    from microgrand.node import Node

PROG = "microgrand draw"

EXAMPLES = """\
examples:
  microgrand draw "u = b*c; v = a + u; J = 3*v" a=5 b=3 c=2 -o J.svg
  microgrand draw "z = w1*x1 + w2*x2 + b; a = sigmoid(z)" x1=2 x2=-1 w1=0.3 w2=0.5 b=0.1 \\
      --data x1,x2 -o z.png
  microgrand draw --lecture -o lecture.png
  microgrand draw --lecture --view ops --no-values -o ops.svg
  microgrand draw --lecture -o backprop.html     (the backward pass, step by step)

Each 'name = expression' names a node; 'name=number' gives a leaf its value. Expressions
allow numbers, names, + - * / **, parentheses and the functions
{functions}.
Leaves listed in --data are data (requires_grad=False): they get no backward arrow and no
gradient, like the lecture's x1, x2 and y.
"""


def functions_help() -> str:
    """The op table's functions as ``--help`` lists them: ``exp(x), ..., bce_with_logits(x, y)``."""
    calls = [f"{name}({', '.join('xy'[:arity])})" for name, arity in function_ops().items()]
    return textwrap.fill(", ".join(calls), width=88, initial_indent="  ", subsequent_indent="  ")


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``draw`` subcommand to the subparsers of the `microgrand` parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "draw",
        help="draw a graph typed on the command line (or the lecture's) as SVG, PNG or DOT",
        description="Draw a computation graph, values and gradients included, the way the\n"
        "lecture draws it (or one box per op with --view ops).",  # raw: wrapped here
        epilog=EXAMPLES.format(functions=functions_help()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "statements",
        nargs="*",
        metavar="STATEMENT",
        help="'name = expression' statements (separated by ';') and name=value leaves",
    )
    parser.add_argument(
        "--lecture",
        action="store_true",
        help="draw the lecture's logistic-regression graph (x1, x2, w1, w2, b -> z -> a -> L)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="where to write: .svg, .png, .dot, or .html for the step-by-step backward pass "
        "(default: the DOT text on stdout)",
    )
    parser.add_argument("--view", choices=VIEWS, default="lecture", help="(default lecture)")
    parser.add_argument("--no-values", action="store_true", help="leave the values out")
    parser.add_argument("--no-grads", action="store_true", help="leave the gradients out")
    parser.add_argument(
        "--data",
        default="",
        metavar="NAMES",
        help="comma-separated leaves that are data (requires_grad=False), e.g. x1,x2",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default=None,
        help="layout program (default: dot if on PATH, else graphviz-pure)",
    )
    parser.add_argument(
        "--width",
        type=_pixels,
        metavar="PIXELS",
        help="scale a wider .svg or .png down to this many pixels wide",
    )
    parser.add_argument(
        "--code",
        action="store_true",
        help="print the Python code microgrand.compile generates instead of drawing "
        "(the same as 'microgrand code')",
    )
    from microgrand import code_cli

    code_cli.add_options(parser)
    parser.set_defaults(func=run)
    return parser


def _unused_option(args: argparse.Namespace) -> str | None:
    """What is wrong with options that would change nothing here, or None: the user asked
    for them, so ignoring them in silence would hand back something else than asked."""
    if args.lecture and args.data:
        return (
            "--data marks leaves of typed statements; the lecture's graph has its data "
            "already (x1, x2 and y)"
        )
    if args.code:
        drawing_options = (
            ("-o", args.output is not None),
            ("--view", args.view != "lecture"),
            ("--no-values", args.no_values),
            ("--no-grads", args.no_grads),
            ("--engine", args.engine is not None),
            ("--width", args.width is not None),
        )
        for flag, given in drawing_options:
            if given:
                redirect = " (to save the code, redirect it: > FILE.py)" if flag == "-o" else ""
                return f"--code prints the code: it draws nothing, so {flag} is not used{redirect}"
    elif args.numpy:
        return "--numpy belongs to --code (the code that runs on numpy arrays)"
    if args.no_grads and (args.output or "").lower().endswith((".html", ".htm")):
        return (
            "--no-grads: the step-by-step page shows the backward pass, gradients and all; "
            "draw to .svg or .png to leave them out"
        )
    return None


def _output_error(output: str | None, width: int | None) -> str | None:
    """What is wrong with -o and --width, or None: a file whose format its name does not
    say, or a width for something other than an image."""
    suffixes = (".svg", ".png", ".dot", ".gv", ".html", ".htm")
    if output is not None and not output.lower().endswith(suffixes):
        return f"cannot tell the format from '{clean_path(output)}': use {', '.join(suffixes)}"
    if width is not None and not (output or "").lower().endswith((".svg", ".png")):
        return "--width scales images: use it with -o FILE.svg or FILE.png"
    return None


def _pixels(text: str) -> int:
    """argparse type of --width: a positive whole number of pixels."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            f"expected a positive whole number of pixels, got {text!r}"
        )
    return int(text)


def _write_dot(source: str) -> None:
    """DOT text is UTF-8 (Graphviz's default charset) whatever the terminal's encoding."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(source)
        return
    sys.stdout.flush()
    buffer.write(source.encode("utf-8"))
    buffer.flush()


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    """Run ``microgrand draw``; returns the exit code (2 for errors in the typed graph)."""
    from microgrand.parse import ParseError, parse_graph
    from microgrand.render import GraphTooLargeError, RenderError, draw

    if args.lecture and args.statements:
        return _fail("give either --lecture or statements, not both", 2)
    data = [name.strip() for name in args.data.split(",") if name.strip()]
    unused = _unused_option(args)
    if unused is not None:
        return _fail(unused, 2)
    if args.code:
        from microgrand import code_cli

        if args.lecture:
            args.statements = [code_cli.LECTURE]
            args.data = "x1,x2,y"
        return code_cli.run(args)
    wrong_output = _output_error(args.output, args.width)
    if wrong_output is not None:
        return _fail(wrong_output, 2)
    try:
        if args.lecture:
            from microgrand.logreg import lecture_graph

            root = lecture_graph().L
        else:
            graph = parse_graph(args.statements, data=data)
            root = graph.root
            _say_what_is_drawn(graph.results)
        root.backward()
        output = args.output
        if output is not None and output.lower().endswith((".html", ".htm")):
            from microgrand.backprop_steps import save_steps

            save_steps(root, output, view=args.view, values=not args.no_values, engine=args.engine)
            return 0
        drawing = draw(
            root,
            view=args.view,
            values=not args.no_values,
            grads=not args.no_grads,
            engine=args.engine,
        )
        if output is None:
            _write_dot(drawing.source)
        else:
            drawing.save(output, width=args.width)
    except (ParseError, GraphTooLargeError) as error:
        return _fail(str(error), 2)
    except BrokenPipeError:
        raise  # the reader left: `microgrand.cli` stops quietly
    except OSError as error:
        where = "the DOT text to stdout" if args.output is None else clean_path(args.output)
        return _fail(f"cannot write {where}: {error.strerror or error}", 1)
    except (RenderError, ValueError, ArithmeticError, TypeError) as error:
        return _fail(str(error).splitlines()[0] if str(error) else type(error).__name__, 1)
    return 0


def _say_what_is_drawn(results: list[Node]) -> None:
    """Statements that make separate results draw only the last: say so on stderr."""
    if len(results) > 1:
        root = results[-1].name
        others = " and ".join(str(node.name) for node in results[:-1])
        total = " + ".join(str(node.name) for node in results)
        print(
            f"{PROG}: note: {others} {'is' if len(results) == 2 else 'are'} not used by "
            f"{root}, so only {root} (the last result) is drawn; to draw them all, add a "
            f"statement that uses them, like total = {total}",
            file=sys.stderr,
        )
