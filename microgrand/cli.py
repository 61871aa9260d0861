"""The `microgrand` command: `demo` (the lecture, checked and explained), `train`, `draw`, `code`.

Each subcommand sets ``func``, a function ``(args) -> exit code``. Results go to stdout,
progress bars and errors to stderr. Errors are one line: exit code 2 for bad usage, 1 for
unusable data. The `train`, `draw` and `code` subcommands live in `microgrand.train_cli`,
`microgrand.draw_cli` and `microgrand.code_cli` (each one's `register` function adds it to
the subparsers).

The module imports only what the top-level parser needs: the subcommands and the demo's
machinery load inside `main`, where Ctrl-C is one line, not a traceback.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO, cast

from microgrand.arguments import (
    PROG,
    ClosedStream,
    Parser,
    counted,
    epochs,
    finite_float,
    label,
    positive_float,
)

if TYPE_CHECKING:
    from pathlib import Path

    from microgrand.comparison import Comparison
    from microgrand.logreg import LectureGraph


def build_parser() -> argparse.ArgumentParser:
    """The `microgrand` parser with its subcommands (and `draw` when it is installed)."""
    parser = Parser(
        prog=PROG,
        description="A tiny exact scalar autograd engine that teaches backprop the way the "
        "logistic-regression lecture does.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")

    demo = subparsers.add_parser(
        "demo",
        help="the lecture's example: autograd vs the formulas, the chain rule, training",
        description="Build the lecture's one-example graph (z = w1*x1 + w2*x2 + b, a = σ(z), "
        "L(a, y)), show that autograd equals the lecture's formulas for L, da, dz, dw1, dw2 "
        "and db, spell out the chain rule for dw1, draw the graph to lecture.svg in the "
        "current folder, then train on the iris data with gradient descent.",
    )
    point = demo.add_argument_group("the example (defaults: the lecture demo's point)")
    for name, default, what in (
        ("x1", 2.0, "feature"),
        ("x2", -1.0, "feature"),
        ("w1", 0.3, "weight"),
        ("w2", 0.5, "weight"),
        ("b", 0.1, "bias"),
    ):
        point.add_argument(
            f"--{name}",
            type=finite_float,
            default=default,
            metavar="N",
            help=f"{what} {name} (default {default:g})",
        )
    point.add_argument(
        "--y", type=label, default=1.0, metavar="0|1", help="the label y (default 1)"
    )
    demo.add_argument(
        "--alpha", type=positive_float, default=0.1, help="learning rate (default 0.1)"
    )
    demo.add_argument(
        "--epochs", type=epochs, default=500, help="training epochs on iris (default 500)"
    )
    demo.add_argument(
        "--second",
        action="store_true",
        help="also print the second derivatives: grad of grad vs the lecture's Hessian",
    )
    demo.set_defaults(func=run_demo)

    # here, not at the top: main catches Ctrl-C while they load (about 50 ms)
    from microgrand import train_cli

    train_cli.register(subparsers)

    from microgrand import code_cli, draw_cli  # here: `microgrand demo` need not load them

    draw_cli.register(subparsers)
    code_cli.register(subparsers)
    return parser


def _version() -> str:
    from microgrand import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    _prepare_streams()
    try:  # the parser too: building it imports every subcommand (Ctrl-C lands there)
        parser = build_parser()
        args = parser.parse_args(argv)
        func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
        if func is None:
            names = ", ".join(_commands(parser))
            parser.error(f"choose a command: {names}")
        code = func(args)
        sys.stdout.flush()  # a full disk shows here, not in Python's exit-time flush
        return code
    except ValueError as error:
        if not _is_data_error(error):
            raise
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (`| head`) left: stop quietly.
        _drop_stdout()
        return 1
    except OSError as error:
        # Writing the results failed: stdout closed (`>&-`) or a full disk (`> /dev/full`).
        reason = error.strerror or str(error)
        print(f"{PROG}: error: cannot write the results: {reason}", file=sys.stderr)
        _drop_stdout()
        return 1


def _is_data_error(error: BaseException) -> bool:
    """True for a `microgrand.datasets.DataError` (one can exist only once its module is
    loaded: so the module need not be imported before main's ``try``)."""
    datasets = sys.modules.get("microgrand.datasets")
    return datasets is not None and isinstance(error, datasets.DataError)


def _prepare_streams() -> None:
    """Make stdout and stderr safe to write to, whatever the shell gave us."""
    if sys.stderr is None:  # `2>&-`: errors cannot be shown; do not crash on them
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (lives until exit)
    if sys.stdout is None:  # `>&-`: a command that writes results says so in one line
        sys.stdout = cast(TextIO, ClosedStream())
    for stream in (sys.stdout, sys.stderr):
        # σ, Δ and — must not crash a terminal or pipe whose encoding lacks them
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")


def _drop_stdout() -> None:
    """Send what is left of stdout nowhere, so Python's exit-time flush cannot fail again."""
    try:
        fileno = sys.stdout.fileno()
    except (OSError, AttributeError, ValueError):
        sys.stdout = cast(TextIO, ClosedStream())
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fileno)
    os.close(devnull)


def _commands(parser: argparse.ArgumentParser) -> list[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


# --- demo --------------------------------------------------------------------------------


def run_demo(args: argparse.Namespace) -> int:
    """`microgrand demo`: the lecture's example checked, explained, drawn; then training."""
    from microgrand import train_cli
    from microgrand.datasets import IRIS, load
    from microgrand.labels import number

    comparison, explanation, new = _lecture_example(args)
    g = comparison.graph
    x1, x2, w1, w2, b, y = args.x1, args.x2, args.w1, args.w2, args.b, args.y
    print("The lecture's logistic regression on one example")
    print(f"  x1 = {x1:g}, x2 = {x2:g}, w1 = {w1:g}, w2 = {w2:g}, b = {b:g}, y = {y:g}")
    print(
        f"  z = w1*x1 + w2*x2 + b = {number(g.z.value)},  a = σ(z) = {number(g.a.value)},  "
        f"L(a, y) = {number(g.L.value)}"
    )
    print("\nL.backward() vs the lecture's formulas vs central finite differences:")
    print(_indent(comparison.text(second=False)))  # the front page stays short
    worst = max(
        abs(r.autograd - r.closed_form) / max(abs(r.closed_form), 1e-300) for r in comparison.rows
    )
    if worst == 0.0:
        print("Autograd equals the lecture's formulas bit for bit on every quantity.")
    else:
        print(f"Autograd equals the lecture's formulas to a relative {worst:.1e}.")
    if args.second:
        from microgrand.comparison import SECOND_TITLE  # loaded already, by compare

        print(f"\n{SECOND_TITLE}:")
        print(_indent(comparison.second_text()))

    print("\nWhy: the chain rule, from each op's local derivative:")
    print(_indent(explanation))

    image = _write_drawing(g)
    if image is not None:
        print(f"\nThe graph with values and gradients: {image}")

    alpha = args.alpha
    print(
        f"\nOne gradient-descent step (alpha = {alpha:g}): "
        f"w1 := w1 - alpha*dw1 = {number(w1)} - {alpha:g} * {_signed(g.w1.grad)} = "
        f"{number(new.w1.value)}"
    )
    print(
        f"  likewise w2 := {number(new.w2.value)}, b := {number(new.b.value)}; "
        f"L goes from {number(g.L.value)} to {number(new.L.value)}"
    )

    data = load(IRIS)
    print(
        f"\nGradient descent on real data: {data.name}\n"
        f"  (features standardized to mean 0, std 1), m = {data.m}, "
        f"alpha = {alpha:g}, {counted(args.epochs, 'epoch')}"
    )
    train_cli.train_and_report(data, alpha, args.epochs, standardized=True)
    return 0


def _lecture_example(args: argparse.Namespace) -> tuple[Comparison, str, LectureGraph]:
    """The comparison table, the chain rule for dw1 and one step, before anything is printed.

    Extreme values (a rounding to 0 or 1, a gradient or a step too large for a float) are
    one line of error, not half a demo and a traceback.
    """
    from microgrand import lecture
    from microgrand.chain_rule import explain
    from microgrand.comparison import compare
    from microgrand.datasets import DataError
    from microgrand.logreg import descent_step

    x1, x2, w1, w2, b, y = args.x1, args.x2, args.w1, args.w2, args.b, args.y
    z = w1 * x1 + w2 * x2 + b
    a = lecture.sigmoid(z)
    if not 0.0 < a < 1.0:
        raise DataError(
            f"at z = w1*x1 + w2*x2 + b = {z:g}, a = σ(z) rounds to {a:g}, where the "
            "lecture's loss takes log(0); choose smaller values"
        )
    try:
        comparison = compare(x1, x2, w1, w2, b, y)
        explanation = str(explain(comparison.graph.L, comparison.graph.w1))
    except (ArithmeticError, ValueError) as error:
        raise DataError(
            f"at z = {z:g} (a = σ(z) = {a:.4g}) the lecture's example leaves the range of "
            f"floats ({str(error).rstrip('.')}); choose values nearer 0"
        ) from None
    try:
        new = descent_step(comparison.graph, args.alpha)
    except (ArithmeticError, ValueError) as error:
        raise DataError(
            f"the gradient-descent step at alpha = {args.alpha:g} leaves the range of floats "
            f"({str(error).rstrip('.')}); choose a smaller --alpha"
        ) from None
    return comparison, explanation, new


def _signed(value: float) -> str:
    """A number as a factor after "*": negative ones in parentheses, as on the board."""
    from microgrand.labels import number

    return f"({number(value)})" if value < 0 else number(value)


def _indent(text: str, by: str = "  ") -> str:
    return "\n".join(by + line if line else line for line in text.splitlines())


def _write_drawing(graph: LectureGraph) -> Path | None:
    """Draw the lecture view to lecture.svg, or leave its DOT text in lecture.dot."""
    from pathlib import Path

    from microgrand.render import draw

    try:
        folder = Path.cwd()
    except FileNotFoundError:  # deleted under us: the drawing is skipped, not the demo
        print(f"{PROG}: warning: no drawing: the current folder no longer exists", file=sys.stderr)
        return None
    try:
        drawing = draw(graph.L, view="lecture", values=True, grads=True)
        path = folder / "lecture.svg"
        try:
            drawing.save(path)
            return path
        except Exception as error:  # e.g. no layout program: still leave the DOT text
            print(f"{PROG}: could not write {path.name} ({error}); writing DOT", file=sys.stderr)
        path = folder / "lecture.dot"
        path.write_text(str(drawing.source), encoding="utf-8")
        return path
    except OSError as error:
        print(f"{PROG}: could not write the drawing in {folder} ({error})", file=sys.stderr)
        return None
