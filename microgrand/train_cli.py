"""The ``microgrand train`` command: training on iris, the course's sets or a CSV, reported.

Logistic regression by gradient descent here; Newton's method (``--method newton``) in
`microgrand.newton_cli` and the shallow network (``--hidden N``) in `microgrand.network_cli`.

`register(subparsers)` adds the subcommand to the parser of `microgrand.cli`;
`train_and_report` is the training part that ``microgrand demo`` shares. Options for other
ways of training belong in `register` and are passed on through `train_and_report`.

"J at epoch k" is logreg's one definition (see `microgrand.logreg.TrainResult`): the
progress bar, the table and "final J" all print ``result.losses[k]``. What the J curve says
went wrong (J going up: the steps overshoot; J not moving: nothing to learn from) is said on
stderr as a warning with what to try; it never stops a run that is merely slow.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from microgrand import network, network_cli
from microgrand.arguments import PROG, counted, epochs, non_negative_float, positive_float
from microgrand.datasets import IRIS, DataError, Dataset, load, standardize
from microgrand.logreg import (
    ENGINES,
    Engine,
    TrainResult,
    accuracy,
    barely_moved,
    train,
    went_up,
)
from microgrand.newton import MAX_ITERATIONS as NEWTON_MAX_ITERATIONS
from microgrand.newton import TOL as NEWTON_TOL
from microgrand.notation import number
from microgrand.progress import Progress

ALPHA = 0.1  # logistic regression's defaults (a network's are the course's: network.ALPHA)
EPOCHS = 1000
LOSS_ROWS = 6  # how many (epoch, J) rows a training run prints, the first and last included


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``train`` subcommand to the subparsers of the `microgrand` parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "train",
        help="full-batch gradient descent on iris, the flower, two moons or your own CSV",
        description="Logistic regression by full-batch gradient descent, autograd computing "
        "the gradients (or Newton's method, --method newton, with the Hessian of J from "
        "autograd); the two features are standardized (mean 0, std 1) first. With "
        "--hidden N: the course's shallow network (N tanh units, a sigmoid output) trained on "
        "the compiled, vectorized graph.",
    )
    parser.add_argument(
        "--data",
        default=IRIS,
        metavar="iris|flower|moons|PATH.csv",
        help="'iris' (shipped: setosa vs versicolor on sepal length and width), 'flower' (the "
        "course's planar flower, 400 points), 'moons' (two moons, 400 points) or a CSV with "
        "a header row and three columns: two numeric features, then a 0/1 label (default iris)",
    )
    parser.add_argument(
        "--alpha",
        type=positive_float,
        help=f"learning rate (default {ALPHA}; {network.ALPHA:g} with --hidden)",
    )
    parser.add_argument(
        "--epochs",
        type=epochs,
        help=f"number of epochs (default {EPOCHS}; {network.ITERATIONS} with --hidden)",
    )
    parser.add_argument(
        "--no-standardize",
        action="store_true",
        help="train on the raw features (plain gradient descent gets much slower)",
    )
    _add_method_options(parser)
    network_cli.add_options(parser)
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="compiled",
        help="'compiled': the one-example graph compiled once and run on numpy arrays of all "
        "m examples (default); 'graph': a graph of Nodes built every epoch (the dynamic engine)",
    )
    parser.set_defaults(func=run)
    return parser


def _add_method_options(parser: argparse.ArgumentParser) -> None:
    """The options that choose between gradient descent and Newton's method, and tune them."""
    parser.add_argument(
        "--method",
        choices=("gd", "newton"),
        default="gd",
        help="gd: gradient descent; newton: Newton's method, with the Hessian of J from "
        "autograd (grad of grad), compared with gradient descent at --alpha for --epochs "
        "(default gd)",
    )
    parser.add_argument(
        "--l2",
        type=non_negative_float,
        default=0.0,
        metavar="LAMBDA",
        help="add the L2 term (LAMBDA/2m)(w1² + w2²) to J, for both methods (default 0)",
    )
    parser.add_argument(
        "--tol",
        type=non_negative_float,
        default=None,
        help="newton: stop when J changes by at most this much in one iteration "
        f"(default {NEWTON_TOL:g})",
    )
    parser.add_argument(
        "--max-iterations",
        type=epochs,
        default=None,
        metavar="N",
        help=f"newton: stop after N iterations at the latest (default {NEWTON_MAX_ITERATIONS})",
    )


def run(args: argparse.Namespace) -> int:
    """`microgrand train`: full-batch gradient descent, printing J, parameters, accuracy."""
    if not args.data.strip():
        raise DataError("--data is empty: give 'iris' or the path of a CSV file")
    _refuse_newton_options(args)
    data = load(args.data)
    if args.hidden is not None:
        _refuse(
            [("--method newton", args.method != "gd"), ("--l2", bool(args.l2))],
            "{} for logistic regression, not --hidden",
        )
        return network_cli.run(args, data, args.data)
    if args.plot is not None:
        raise DataError("--plot draws a network's decision boundary: add --hidden N")
    _refuse(
        [("--activation", args.activation is not None), ("--seed", args.seed is not None)],
        "{} a network: add --hidden N (logistic regression has no hidden layer)",
        verbs=("shapes", "shape"),
    )
    args.alpha = ALPHA if args.alpha is None else args.alpha
    args.epochs = EPOCHS if args.epochs is None else args.epochs
    standardized = not args.no_standardize
    scaling = "standardized (mean 0, std 1)" if standardized else "raw (not standardized)"
    print(f"Data: {data.name}, m = {data.m}; features {scaling}")
    if args.l2:
        print(f"J with the L2 term (λ/2m)(w1² + w2²), λ = {args.l2:g}")
    if args.method == "newton":
        from microgrand.newton_cli import newton_and_report

        return newton_and_report(data, args, standardized=standardized)
    print(f"Gradient descent: alpha = {args.alpha:g}, {counted(args.epochs, 'epoch')}")
    train_and_report(
        data, args.alpha, args.epochs, standardized=standardized, l2=args.l2, engine=args.engine
    )
    return 0


def _refuse(
    options: list[tuple[str, bool]], message: str, verbs: tuple[str, str] = ("is", "are")
) -> None:
    """DataError if options were given (flag, given) that this run would leave unused: the
    `message` after their names and the verb ("--l2 is ...", "--seed and --l2 are ...")."""
    given = [flag for flag, on in options if on]
    if given:
        verb = verbs[0] if len(given) == 1 else verbs[1]
        raise DataError(message.format(f"{' and '.join(given)} {verb}"))


def _refuse_newton_options(args: argparse.Namespace) -> None:
    """--tol and --max-iterations tune Newton's method: given without it, say so (not ignore)."""
    if args.method != "newton":
        _refuse(
            [
                ("--tol", args.tol is not None),
                ("--max-iterations", args.max_iterations is not None),
            ],
            "{} to Newton's method: add --method newton (gradient descent runs for --epochs)",
            verbs=("belongs", "belong"),
        )
    args.tol = NEWTON_TOL if args.tol is None else args.tol
    args.max_iterations = (
        NEWTON_MAX_ITERATIONS if args.max_iterations is None else args.max_iterations
    )


def train_and_report(
    data: Dataset,
    alpha: float,
    n_epochs: int,
    *,
    standardized: bool,
    l2: float = 0.0,
    engine: Engine = "compiled",
) -> None:
    """Train on `data`, with a progress bar and warnings on stderr and the results on stdout.

    `l2` is λ of the L2 term of J (0: the lecture's J); `engine` is `logreg.train`'s.
    """
    features = standardize(data).data if standardized else data
    constant = _constant_features(data)
    if constant:
        names = " and ".join(constant)
        _warn(
            f"feature{'s' if len(constant) > 1 else ''} {names} "
            f"{'have' if len(constant) > 1 else 'has'} the same value in every row: "
            "a constant feature cannot tell the classes apart"
        )
    watch = _Watch(alpha, standardized)
    with Progress(n_epochs, "training") as bar:

        def on_epoch(epoch: int, J: float) -> None:
            bar.update(epoch, f"J = {number(J)}")
            hint = watch.see(epoch, J)
            if hint:
                bar.note(hint)

        try:
            result = train(
                features.x1,
                features.x2,
                features.y,
                alpha=alpha,
                epochs=n_epochs,
                on_epoch=on_epoch,
                l2=l2,
                engine=engine,
            )
        except (OverflowError, ValueError) as error:
            raise DataError(
                f"training diverged at alpha = {alpha:g} ({error}); try a smaller --alpha"
                + ("" if standardized else " or drop --no-standardize")
            ) from None
    if watch.warned and result.final_loss > result.losses[0]:
        _warn(
            f"training diverged: J ended at {number(result.final_loss)}, above its start "
            f"{number(result.losses[0])}; {watch.advice}"
        )
    elif barely_moved(result.losses) and not watch.warned:
        _warn(_stuck(result, alpha, standardized, bool(constant)))
    _print_results(data, features, result, standardized)


def _print_results(
    data: Dataset, features: Dataset, result: TrainResult, standardized: bool
) -> None:
    print(loss_table(result))
    w1, w2, b = result.params
    print(f"final J = {number(result.final_loss)} (after {counted(result.epochs, 'epoch')})")
    note = " (on the standardized features)" if standardized else ""
    print(f"w1 = {number(w1)}, w2 = {number(w2)}, b = {number(b)}{note}")
    correct = round(accuracy(result.params, features.x1, features.x2, features.y) * data.m)
    print(f"training accuracy: {100 * correct / data.m:.4g}% ({correct}/{data.m})")


def loss_table(result: TrainResult) -> str:
    """J at a few evenly spaced epochs, the start and the end included: enough to see it go."""
    n = result.epochs
    shown = sorted({round(i * n / (LOSS_ROWS - 1)) for i in range(LOSS_ROWS)})
    rows = [(str(epoch), result.losses[epoch]) for epoch in shown]
    width = max(len("epoch"), *(len(e) for e, _ in rows))
    lines = [f"  {'epoch'.rjust(width)}  J"]
    lines += [f"  {epoch.rjust(width)}  {number(J)}" for epoch, J in rows]
    return "\n".join(lines)


class _Watch:
    """Watches J epoch by epoch and says once, as soon as it happens, that J went up."""

    def __init__(self, alpha: float, standardized: bool) -> None:
        self.alpha = alpha
        self.standardized = standardized
        self.previous: float | None = None
        self.warned = False
        self.advice = "try a smaller --alpha" + (
            "" if standardized else " or drop --no-standardize"
        )

    def see(self, epoch: int, J: float) -> str | None:
        before, self.previous = self.previous, J
        if self.warned or before is None or not went_up(before, J):
            return None
        self.warned = True
        return _warning(
            f"J went up from {number(before)} at epoch {epoch - 1} to {number(J)} at epoch "
            f"{epoch}: the steps overshoot the minimum (alpha = {self.alpha:g} is too large for "
            f"these features); {self.advice}"
        )


def _stuck(result: TrainResult, alpha: float, standardized: bool, constant: bool) -> str:
    moved = (
        f"J barely moved in {counted(result.epochs, 'epoch')} "
        f"({number(result.losses[0])} at epoch 0, "
        f"{number(result.final_loss)} at epoch {result.epochs})"
    )
    if constant:
        return f"{moved}: the features carry nothing to learn from"
    advice = "try more --epochs or a larger --alpha"
    return f"{moved} at alpha = {alpha:g}: {advice}" + (
        "" if standardized else ", or drop --no-standardize"
    )


def _constant_features(data: Dataset) -> list[str]:
    return [
        name
        for name, column in zip(data.feature_names, (data.x1, data.x2), strict=True)
        if min(column) == max(column)
    ]


def _warning(message: str) -> str:
    return f"{PROG}: warning: {message}"


def _warn(message: str) -> None:
    print(_warning(message), file=sys.stderr)
