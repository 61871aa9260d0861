"""``microgrand train --hidden N``: the course's shallow network from the command line.

`add_options` adds ``--hidden``, ``--activation``, ``--seed`` and ``--plot`` to the
``train`` subcommand (`microgrand.train_cli`); `run` trains when ``--hidden`` is given:

- one size (``--hidden 4``): the course's run, full-batch gradient descent on the compiled,
  vectorized graph (α = 1.2, 10,000 iterations unless ``--alpha``/``--epochs`` say
  otherwise), the cost every 1,000 iterations, then ``training accuracy: NN% (k/m)``;
  ``--plot boundary.png`` saves the decision boundary (needs matplotlib);
- several sizes (``--hidden 1,2,3,4,5,20,50``): the course's table of accuracy per
  hidden-layer size (``--plot`` draws one panel per size, the course's figure).

The built-in planar sets (flower, moons) are used as the course uses them, unscaled; iris
and CSV files are standardized as for logistic regression unless ``--no-standardize``.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
from collections.abc import Iterator
from typing import Any

from microgrand.arguments import counted, given
from microgrand.datasets import FLOWER, MOONS, DataError, Dataset, standardize
from microgrand.labels import clean_path, number
from microgrand.network import (
    ALPHA,
    ITERATIONS,
    NetworkResult,
    TrainingDiverged,
    hidden_size_table,
    train_network,
)
from microgrand.nn import DEFAULT_SEED, HIDDEN_ACTIVATIONS, MLP
from microgrand.progress import Progress

COST_EVERY = 1000  # the course prints the cost every 1,000 iterations
_ON = {
    "compiled": "on the compiled vectorized graph",
    "graph": "on the dynamic engine (a graph of Nodes for all m examples every iteration: slow)",
}
_UPDATE_EVERY = {"compiled": 100, "graph": 1}  # progress-bar updates, about 10 a second
MAX_HIDDEN = 1000
ACTIVATION = "tanh"  # the course's hidden layer


def hidden_sizes(text: str) -> list[int]:
    """An argparse type: one hidden-layer size or a comma-separated list (``1,2,3,4,5``)."""
    sizes = []
    for part in text.split(","):
        try:
            size = int(part.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r}: expected whole numbers separated by commas, like 4 or 1,2,3,4,5"
            ) from None
        if not 1 <= size <= MAX_HIDDEN:
            raise argparse.ArgumentTypeError(
                f"a hidden layer needs 1 to {MAX_HIDDEN} units, got {size}"
            )
        if size in sizes:  # the same network trained twice, its row printed twice
            raise argparse.ArgumentTypeError(f"{text!r}: {size} is listed twice")
        sizes.append(size)
    return sizes


def seed(text: str) -> int:
    """An argparse type: a seed numpy's generator takes (0 to 2**32 - 1)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(
            f"must be from 0 to 2**32 - 1 (4294967295), got {given(text)}"
        )
    return value


def add_options(parser: argparse.ArgumentParser) -> None:
    """Add the network's options to the ``train`` parser."""
    group = parser.add_argument_group(
        "a shallow neural network instead of logistic regression (the course's week 3)"
    )
    group.add_argument(
        "--hidden",
        type=hidden_sizes,
        metavar="N[,N...]",
        help="train an n_x-N-1 network with N hidden units (defaults then: --alpha 1.2, "
        "--epochs 10000, as the course); several sizes print the course's accuracy table",
    )
    group.add_argument(  # default None: given without --hidden, `train` says so
        "--activation",
        choices=HIDDEN_ACTIVATIONS,
        help=f"the hidden layer's activation (default {ACTIVATION}, the course's)",
    )
    group.add_argument(
        "--seed",
        type=seed,
        help=f"seed of the small random initial weights (default {DEFAULT_SEED}, the course's)",
    )
    group.add_argument(
        "--plot",
        metavar="PATH.png",
        help="save the decision boundary as a picture (.png, .svg or .pdf; needs matplotlib)",
    )


def run(args: argparse.Namespace, data: Dataset, source: str) -> int:
    """Train the network(s) that ``--hidden`` asks for on `data`; returns the exit code."""
    sizes: list[int] = args.hidden
    args.activation = ACTIVATION if args.activation is None else args.activation
    args.seed = DEFAULT_SEED if args.seed is None else args.seed
    alpha = ALPHA if args.alpha is None else args.alpha
    iterations = ITERATIONS if args.epochs is None else args.epochs
    scaled = not args.no_standardize and source not in (FLOWER, MOONS)
    features = standardize(data).data if scaled else data
    X, Y = [features.x1, features.x2], features.y
    how = "standardized (mean 0, std 1)" if scaled else "raw"
    if args.plot is not None:  # before the training, not after it
        from microgrand.boundary import check_path

        with _plot_errors(args.plot):
            check_path(args.plot)
    print(f"Data: {data.name}, m = {data.m}; features {how}")
    if len(sizes) > 1:
        return _table(args, X, Y, sizes, alpha, iterations)
    net = MLP(2, [sizes[0], 1], activation=args.activation, seed=args.seed)
    shape = f"2-{sizes[0]}-1"
    print(f"Network: {shape}, {args.activation} hidden layer, sigmoid output (seed {args.seed})")
    print(
        f"Gradient descent: alpha = {alpha:g}, {counted(iterations, 'iteration')}, "
        f"{_ON[args.engine]}"
    )
    with Progress(iterations, f"training {shape}") as bar:
        result = _train(net, X, Y, alpha, iterations, bar.update, args.engine)
    _print_costs(result)
    print(
        f"final J = {number(result.final_cost)} (after {counted(result.iterations, 'iteration')})"
    )
    print(f"training accuracy: {_percent(result)}")
    _warn_if_worse(result, alpha)
    if args.plot is not None:
        _plot(net, X, Y, args.plot)
    return 0


def _warn_if_worse(result: NetworkResult, alpha: float, which: str = "") -> None:
    """J is not convex in a network's weights and may rise for a while, but a run that ends
    above where it started has overshot (--alpha 1e10 printed J = 3.6e+08 and no word)."""
    if result.final_cost > result.costs[0]:
        print(
            f"microgrand: warning: {which}J ended higher than it started "
            f"({number(result.costs[0])} at iteration 0, {number(result.final_cost)} at the "
            "end): the steps overshoot "
            f"(alpha = {alpha:g} is too large); try a smaller --alpha",
            file=sys.stderr,
        )


def _train(
    net: MLP, X: Any, Y: Any, alpha: float, iterations: int, update: Any, engine: str
) -> NetworkResult:
    every = _UPDATE_EVERY[engine]

    def on_iteration(k: int, J: float) -> None:
        if k % every == 0 or k == iterations:
            update(k, f"J = {number(J)}")

    try:
        return train_network(
            net, X, Y, alpha=alpha, iterations=iterations, on_iteration=on_iteration, engine=engine
        )
    except (OverflowError, ValueError, ArithmeticError) as error:
        raise _diverged(alpha, error) from None


def _diverged(alpha: float, error: Exception) -> DataError:
    """One line: where training diverged (`TrainingDiverged` says it; other errors are
    quoted) and the advice, once."""
    where = f": {error.detail}" if isinstance(error, TrainingDiverged) else f" ({error})"
    return DataError(f"training diverged at alpha = {alpha:g}{where}; try a smaller --alpha")


def _table(
    args: argparse.Namespace, X: Any, Y: Any, sizes: list[int], alpha: float, iterations: int
) -> int:
    print(
        f"Networks 2-n_h-1, {args.activation} hidden layer, sigmoid output (seed {args.seed}); "
        f"alpha = {alpha:g}, {counted(iterations, 'iteration')} each, {_ON[args.engine]}"
    )
    every = _UPDATE_EVERY[args.engine]
    total = sum(sizes) * (iterations + 1)
    done = 0
    with Progress(total, "training") as bar:

        def on_iteration(n_h: int, k: int, J: float) -> None:
            nonlocal done
            done += n_h
            if k % every == 0:
                bar.update(done, f"n_h = {n_h}: J = {number(J)}")

        try:
            rows = hidden_size_table(
                X,
                Y,
                sizes,
                alpha=alpha,
                iterations=iterations,
                activation=args.activation,
                seed=args.seed,
                on_iteration=on_iteration,
                engine=args.engine,
            )
        except (OverflowError, ValueError, ArithmeticError) as error:
            raise _diverged(alpha, error) from None
    width = max(len(_percent(row.result)) for row in rows)
    print(f"  {'n_h':>4}  {'training accuracy'.ljust(width)}  final J")
    for row in rows:
        print(
            f"  {row.n_h:>4}  {_percent(row.result).ljust(width)}  {number(row.result.final_cost)}"
        )
    for row in rows:
        _warn_if_worse(row.result, alpha, f"n_h = {row.n_h}: ")
    if args.plot is not None:
        _plot([row.net for row in rows], X, Y, args.plot)
    return 0


def _print_costs(result: NetworkResult) -> None:
    n = result.iterations
    every = COST_EVERY if n >= COST_EVERY else max(1, math.ceil(n / 10))
    for k in range(0, n, every):
        print(f"Cost after iteration {k}: {result.costs[k]:f}")


def _percent(result: NetworkResult) -> str:
    return f"{100 * result.correct / result.m:.4g}% ({result.correct}/{result.m})"


def _plot(net: MLP | list[MLP], X: Any, Y: Any, path: str) -> None:
    from microgrand.boundary import plot_boundary

    with _plot_errors(path):
        plot_boundary(net, X, Y, path=path)
    print(f"decision boundary: {clean_path(path)}", file=sys.stdout)  # user text


@contextlib.contextmanager
def _plot_errors(path: str) -> Iterator[None]:
    """A plot that cannot be made or saved at `path` as one line (DataError)."""
    from microgrand.boundary import PlotUnavailableError

    try:
        yield
    except PlotUnavailableError as error:
        raise DataError(str(error)) from None
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or error
        raise DataError(f"could not save the plot to {clean_path(path)} ({reason})") from None
