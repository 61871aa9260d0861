"""The `microgrand` command: `demo` (the lecture, checked and explained) and `train`.

Each subcommand sets ``func``, a function ``(args) -> exit code``. Results go to stdout,
progress bars and errors to stderr. Errors are one line: exit code 2 for bad usage, 1 for
unusable data. The `draw` subcommand lives in `microgrand.draw_cli` (its `register`
function adds it to the subparsers) and is picked up when that module exists.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import io
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from microgrand import lecture
from microgrand.chain_rule import number, topological_order
from microgrand.datasets import IRIS, DataError, Dataset, load, standardize
from microgrand.logreg import LectureGraph, TrainResult, accuracy, train
from microgrand.progress import Progress

PROG = "microgrand"
LOSS_LINES = 6  # how many (epoch, J) lines a training run prints


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (the usage text is one --help away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def finite_float(text: str) -> float:
    """An argparse type: a finite real number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0 (a learning rate)."""
    value = finite_float(text)
    if value <= 0.0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def label(text: str) -> float:
    """An argparse type: the label y, 0 or 1."""
    value = finite_float(text)
    if value not in (0.0, 1.0):
        raise argparse.ArgumentTypeError(f"the label must be 0 or 1, got {text}")
    return value


def epochs(text: str) -> int:
    """An argparse type: a whole number of epochs, at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The `microgrand` parser with its subcommands (and `draw` when it is installed)."""
    parser = _Parser(
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
    demo.set_defaults(func=run_demo)

    train_parser = subparsers.add_parser(
        "train",
        help="full-batch gradient descent on iris or your own CSV",
        description="Logistic regression by full-batch gradient descent, autograd computing "
        "the gradients. The two features are standardized (mean 0, std 1) first.",
    )
    train_parser.add_argument(
        "--data",
        default=IRIS,
        metavar="iris|PATH.csv",
        help="'iris' (shipped: setosa vs versicolor on sepal length and width) or a CSV with "
        "a header row and three columns: two numeric features, then a 0/1 label (default iris)",
    )
    train_parser.add_argument(
        "--alpha", type=positive_float, default=0.1, help="learning rate (default 0.1)"
    )
    train_parser.add_argument(
        "--epochs", type=epochs, default=1000, help="number of epochs (default 1000)"
    )
    train_parser.add_argument(
        "--no-standardize",
        action="store_true",
        help="train on the raw features (plain gradient descent gets much slower)",
    )
    train_parser.set_defaults(func=run_train)

    # `draw` is written separately; before it exists the command works without it.
    if importlib.util.find_spec("microgrand.draw_cli") is not None:
        importlib.import_module("microgrand.draw_cli").register(subparsers)
    return parser


def _version() -> str:
    from microgrand import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    for stream in (sys.stdout, sys.stderr):
        # σ, Δ and — must not crash a terminal or pipe whose encoding lacks them
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        names = ", ".join(_commands(parser))
        parser.error(f"choose a command: {names}")
    try:
        return func(args)
    except DataError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (`| head`) left: stop quietly, and keep Python's exit-time flush of
        # stdout from raising again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _commands(parser: argparse.ArgumentParser) -> list[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


# --- demo --------------------------------------------------------------------------------


def run_demo(args: argparse.Namespace) -> int:
    """`microgrand demo`: the lecture's example checked, explained, drawn; then training."""
    from microgrand.chain_rule import explain
    from microgrand.comparison import compare
    from microgrand.logreg import step

    x1, x2, w1, w2, b, y = args.x1, args.x2, args.w1, args.w2, args.b, args.y
    z = w1 * x1 + w2 * x2 + b
    a = lecture.sigmoid(z)
    if not 0.0 < a < 1.0:
        print(
            f"{PROG} demo: error: at z = w1*x1 + w2*x2 + b = {z:g}, a = σ(z) rounds to "
            f"{a:g}, where the lecture's loss takes log(0); choose smaller values",
            file=sys.stderr,
        )
        return 1
    comparison = compare(x1, x2, w1, w2, b, y)
    g = comparison.graph
    out = sys.stdout
    print("The lecture's logistic regression on one example", file=out)
    print(f"  x1 = {x1:g}, x2 = {x2:g}, w1 = {w1:g}, w2 = {w2:g}, b = {b:g}, y = {y:g}", file=out)
    print(
        f"  z = w1*x1 + w2*x2 + b = {number(g.z.value)},  a = σ(z) = {number(g.a.value)},  "
        f"L(a, y) = {number(g.L.value)}",
        file=out,
    )
    print("\nL.backward() vs the lecture's formulas vs central finite differences:", file=out)
    print(_indent(str(comparison)), file=out)
    worst = max(
        abs(r.autograd - r.closed_form) / max(abs(r.closed_form), 1e-300) for r in comparison.rows
    )
    if worst == 0.0:
        verdict = "Autograd equals the lecture's formulas bit for bit on every quantity."
    else:
        verdict = f"Autograd equals the lecture's formulas to a relative {worst:.1e}."
    print(verdict, file=out)

    print("\nWhy: the chain rule, from each op's local derivative:", file=out)
    print(_indent(str(explain(g.L, g.w1))), file=out)

    image = _write_drawing(g)
    if image is not None:
        print(f"\nThe graph with values and gradients: {image}", file=out)

    dw1 = g.w1.grad
    new = step(g, args.alpha)
    print(
        f"\nOne gradient-descent step (alpha = {args.alpha:g}): "
        f"w1 := w1 - alpha*dw1 = {number(w1)} - {args.alpha:g} * {_signed(dw1)} = "
        f"{number(new.w1.value)}",
        file=out,
    )
    print(
        f"  likewise w2 := {number(new.w2.value)}, b := {number(new.b.value)}; "
        f"L goes from {number(g.L.value)} to {number(new.L.value)}",
        file=out,
    )

    data = load(IRIS)
    print(
        f"\nGradient descent on real data: {data.name}\n"
        f"  (features standardized to mean 0, std 1), m = {data.m}, "
        f"alpha = {args.alpha:g}, {args.epochs} epochs",
        file=out,
    )
    _train_and_report(data, args.alpha, args.epochs, standardized=True)
    return 0


def _signed(value: float) -> str:
    """A number as a factor after "*": negative ones in parentheses, as on the board."""
    return f"({number(value)})" if value < 0 else number(value)


def _indent(text: str, by: str = "  ") -> str:
    return "\n".join(by + line if line else line for line in text.splitlines())


def _write_drawing(graph: LectureGraph) -> Path | None:
    """Draw the lecture view to lecture.svg (microgrand.render), else DOT text to lecture.dot."""
    folder = Path.cwd()
    try:
        if importlib.util.find_spec("microgrand.render") is not None:
            render = importlib.import_module("microgrand.render")
            drawing = render.draw(graph.L, view="lecture", values=True, grads=True)
            path = folder / "lecture.svg"
            try:
                drawing.save(path)
                return path
            except Exception as error:  # e.g. no layout engine: still leave the DOT text
                print(
                    f"{PROG}: could not write {path.name} ({error}); writing DOT", file=sys.stderr
                )
                source = str(drawing.source)
        else:
            source = _dot(graph)
        path = folder / "lecture.dot"
        path.write_text(source, encoding="utf-8")
        return path
    except OSError as error:
        print(f"{PROG}: could not write the drawing in {folder} ({error})", file=sys.stderr)
        return None


def _dot(graph: LectureGraph) -> str:
    """A minimal DOT drawing (values and grads) for when microgrand.render is missing."""
    order = topological_order(graph.L)
    ids = {id(node): f"n{i}" for i, node in enumerate(order)}
    lines = ["digraph lecture {", "  rankdir=LR;", "  node [shape=box];"]
    for node in order:
        title = node.name or node.op or number(node.value)
        text = f"{title} = {number(node.value)}"
        if node.requires_grad:
            text += f"\\nd{title} = {number(node.grad)}"
        lines.append(f'  {ids[id(node)]} [label="{text}"];')
        for parent in node.parents:
            lines.append(f"  {ids[id(parent)]} -> {ids[id(node)]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- train -------------------------------------------------------------------------------


def run_train(args: argparse.Namespace) -> int:
    """`microgrand train`: full-batch gradient descent, printing J, parameters, accuracy."""
    data = load(args.data)
    standardized = not args.no_standardize
    scaling = "standardized (mean 0, std 1)" if standardized else "raw (not standardized)"
    print(f"Data: {data.name}, m = {data.m}; features {scaling}", file=sys.stdout)
    print(f"Gradient descent: alpha = {args.alpha:g}, {args.epochs} epochs", file=sys.stdout)
    _train_and_report(data, args.alpha, args.epochs, standardized=standardized)
    return 0


def _train_and_report(data: Dataset, alpha: float, n_epochs: int, *, standardized: bool) -> None:
    features = data
    note = ""
    if standardized:
        scaled = standardize(data)
        features = scaled.data
        note = " (on the standardized features)"
    with Progress(n_epochs, "training") as bar:

        def on_epoch(epoch: int, J: float) -> None:
            bar.update(epoch + 1, f"J = {number(J)}")

        try:
            result = train(
                features.x1,
                features.x2,
                features.y,
                alpha=alpha,
                epochs=n_epochs,
                on_epoch=on_epoch,
            )
        except (OverflowError, ValueError) as error:
            raise DataError(
                f"training diverged at alpha = {alpha:g} ({error}); try a smaller --alpha"
                + ("" if standardized else " or drop --no-standardize")
            ) from None
    out = sys.stdout
    print(_loss_lines(result), file=out)
    w1, w2, b = result.params
    print(f"final J = {number(result.final_loss)} (after {len(result.losses)} epochs)", file=out)
    print(f"w1 = {number(w1)}, w2 = {number(w2)}, b = {number(b)}{note}", file=out)
    correct = round(accuracy(result.params, features.x1, features.x2, features.y) * data.m)
    print(f"training accuracy: {100 * correct / data.m:.4g}% ({correct}/{data.m})", file=out)


def _loss_lines(result: TrainResult) -> str:
    """J at a few evenly spaced epochs and at the end: enough to see it go down."""
    n = len(result.losses)
    shown = sorted({round(i * n / (LOSS_LINES - 1)) for i in range(LOSS_LINES - 1)})
    rows = [(str(epoch), result.losses[epoch]) for epoch in shown if epoch < n]
    width = max(len("epoch"), *(len(e) for e, _ in rows))
    lines = [f"  {'epoch'.rjust(width)}  J"]
    lines += [f"  {epoch.rjust(width)}  {number(J)}" for epoch, J in rows]
    return "\n".join(lines)
