"""``microgrand train --method newton``: Newton's method, reported next to gradient descent.

Newton's method runs first and prints J at every iteration (there are few); then gradient
descent runs on the same J (same data, same L2 term) at ``--alpha`` for ``--epochs``, and
one table puts the two side by side: iterations, final J, accuracy and time, and the
iteration at which Newton's J fell below gradient descent's final J. "J at iteration k"
is J after k steps, as "J at epoch k" is for gradient descent (`microgrand.logreg`).
"""

from __future__ import annotations

import argparse
import sys
import time

from microgrand.arguments import PROG, counted
from microgrand.datasets import DataError, Dataset, standardize
from microgrand.logreg import Parameters, TrainResult, accuracy, train
from microgrand.newton import NewtonResult, SingularHessianError, newton
from microgrand.notation import number
from microgrand.progress import Progress


def newton_and_report(data: Dataset, args: argparse.Namespace, *, standardized: bool) -> int:
    """Run Newton's method and gradient descent on `data` and print both; the exit code.

    Uses ``args.l2``, ``args.tol``, ``args.max_iterations`` (Newton) and ``args.alpha``,
    ``args.epochs``, ``args.engine`` (gradient descent). A nearly singular Hessian prints
    the iterations done and a one-line error, and returns 1.
    """
    features = standardize(data).data if standardized else data
    print("Newton's method: (w1, w2, b) := (w1, w2, b) - H⁻¹·(dw1, dw2, db),")
    print("  with the Hessian H of J from autograd (the gradient of the gradient);")
    print(
        f"  stop when J changes by at most {args.tol:g} in one iteration, "
        f"or after {counted(args.max_iterations, 'iteration')}"
    )
    start = time.perf_counter()
    try:
        result = newton(
            features.x1,
            features.x2,
            features.y,
            l2=args.l2,
            tol=args.tol,
            max_iterations=args.max_iterations,
        )
    except SingularHessianError as error:
        print(iteration_table(error.result))
        print(f"{PROG}: error: {_cli_words(str(error))}", file=sys.stderr)
        return 1
    newton_seconds = time.perf_counter() - start
    print(iteration_table(result))
    if result.converged:
        print(f"stopped at iteration {result.iterations}: J changed by at most {args.tol:g}")
    else:
        print(
            f"stopped after {counted(result.iterations, 'iteration')} (--max-iterations) before J "
            f"settled to within {args.tol:g}"
        )
    _print_parameters(data, features, result.params, standardized)

    gd, gd_seconds = _gradient_descent(features, args)
    print(
        f"\nNewton's method vs gradient descent (alpha = {args.alpha:g}, "
        f"{counted(args.epochs, 'epoch')}) on the same J:"
    )
    rows = [
        ("gradient descent", gd.epochs, gd.final_loss, gd.params, gd_seconds),
        ("Newton's method", result.iterations, result.final_loss, result.params, newton_seconds),
    ]
    print(_comparison(rows, features))
    print(_verdict(result, gd.final_loss, gd.epochs, args.tol))
    return 0


def iteration_table(result: NewtonResult) -> str:
    """J at every iteration, with how much it fell (and the part of a damped step taken)."""
    width = max(len("iteration"), len(str(result.iterations)))
    lines = [f"  {'iteration'.rjust(width)}  J"]
    for k, cost in enumerate(result.losses):
        before = result.losses[k - 1]
        change = "" if k == 0 else f"  (down {number(before - cost)})"
        if k > 0 and cost > before:
            change = f"  (up {number(cost - before)})"
        if 0 < k <= len(result.fractions) and result.fractions[k - 1] < 1.0:
            change += f", {number(result.fractions[k - 1])} of the Newton step"
        lines.append(f"  {str(k).rjust(width)}  {number(cost)}{change}")
    return "\n".join(lines)


def _print_parameters(
    data: Dataset, features: Dataset, params: Parameters, standardized: bool
) -> None:
    w1, w2, b = params
    note = " (on the standardized features)" if standardized else ""
    print(f"w1 = {number(w1)}, w2 = {number(w2)}, b = {number(b)}{note}")
    correct = round(accuracy(params, features.x1, features.x2, features.y) * data.m)
    print(f"training accuracy: {100 * correct / data.m:.4g}% ({correct}/{data.m})")


def _gradient_descent(features: Dataset, args: argparse.Namespace) -> tuple[TrainResult, float]:
    start = time.perf_counter()
    with Progress(args.epochs, "gradient descent, for comparison") as bar:
        try:
            result = train(
                features.x1,
                features.x2,
                features.y,
                alpha=args.alpha,
                epochs=args.epochs,
                l2=args.l2,
                engine=getattr(args, "engine", "compiled"),
                on_epoch=lambda epoch, J: bar.update(epoch, f"J = {number(J)}"),
            )
        except (OverflowError, ValueError) as error:
            raise DataError(
                f"gradient descent (for the comparison) diverged at alpha = {args.alpha:g} "
                f"({error}); try a smaller --alpha"
            ) from None
    return result, time.perf_counter() - start


def _comparison(rows: list[tuple[str, int, float, Parameters, float]], features: Dataset) -> str:
    header = ("method", "iterations", "final J", "accuracy", "time")
    cells = [header] + [
        (
            name,
            str(steps),
            number(J),
            f"{100 * accuracy(params, features.x1, features.x2, features.y):.4g}%",
            f"{seconds:.2f} s",
        )
        for name, steps, J, params, seconds in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for row in cells:
        parts = [row[0].ljust(widths[0])]
        parts += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        lines.append("  " + "  ".join(parts))
    return "\n".join(lines)


def _verdict(result: NewtonResult, gd_final: float, gd_epochs: int, tol: float) -> str:
    reached = next((k for k, cost in enumerate(result.losses) if cost <= gd_final), None)
    if reached is not None:
        return (
            f"Newton's method reached gradient descent's final J = {number(gd_final)} at "
            f"iteration {reached}: {counted(reached, 'iteration')} where gradient descent took "
            f"{counted(gd_epochs, 'epoch')}."
        )
    if result.final_loss - gd_final <= tol:
        return (
            f"Both ended at J = {number(gd_final)} (Newton's method within its tolerance "
            f"{tol:g}): {counted(result.iterations, 'iteration')} where gradient descent took "
            f"{counted(gd_epochs, 'epoch')}."
        )
    return (
        f"Newton's method stopped at J = {number(result.final_loss)}, above gradient "
        f"descent's final J = {number(gd_final)}: a smaller --tol lets it go further."
    )


def _cli_words(message: str) -> str:
    """The library's advice in the command's words (l2 = 0.1 is --l2 0.1)."""
    message = message.removeprefix("newton: ")
    message = message.replace("a larger tolerance on J", "a larger --tol")
    message = message.replace("(l2 = 0.1)", "(--l2 0.1)").replace("larger l2", "larger --l2")
    return message.replace("smaller l2", "smaller --l2")
