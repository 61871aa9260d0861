"""Newton's method for the lecture's logistic regression, with the Hessian from autograd.

Gradient descent steps along -dw by a fixed α. Newton's method also uses the curvature:
with the gradient g = (dw1, dw2, db) and the Hessian H (the second derivatives of J, from
`microgrand.grad` of `microgrand.grad`), one step is

    (w1, w2, b) := (w1, w2, b) - H⁻¹ g

the minimum of the quadratic that matches J at the current point. Near the minimum each
step roughly doubles the number of correct digits, where gradient descent gains a constant
fraction per epoch: a handful of iterations instead of hundreds.

The step is damped: where the full step would not lower J enough (a start far from the
minimum), it is halved until it does (a backtracking line search), so the method cannot
diverge; near the minimum the full step is always taken. From w = b = 0 on iris it is
taken at every iteration.

Two things can go wrong, and both are said clearly:
- On linearly separable data (the shipped iris pair is) J has no finite minimizer: J goes
  to 0 as the weights grow without bound, and with it every a(1-a), so the Hessian tends to
  singular. The run stops when J changes by less than a tolerance; a Hessian that is
  nevertheless nearly singular raises `SingularHessianError` (never a nan). An L2 term
  (``l2 = λ``: J + (λ/2m)(w1² + w2²)) makes the minimizer finite and the Hessian regular.
- A Hessian with a nan or inf (overflow) is refused in the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from microgrand.gradients import grad
from microgrand.logreg import ZERO, BatchGraph, Parameters, batch_graph, data_nodes

if TYPE_CHECKING:
    from microgrand.lecture import Examples

# The Hessian counts as singular when its smallest eigenvalue is below this fraction of the
# largest curvature J can have, (1/4m) Σ x xᵀ (a(1-a) <= 1/4): a step then multiplies the
# gradient's rounding errors by more than 1e10.
SINGULAR = 1e-10
TOL = 1e-6  # the defaults of `newton` (and of ``microgrand train --method newton``)
MAX_ITERATIONS = 50


@dataclass(frozen=True, slots=True)
class NewtonResult:
    """What Newton's method returns; "J at iteration k" means J after k steps.

    Attributes:
        losses: J at iteration k for k = 0 (the start), 1, ..., iterations.
        params: the parameters after the last step.
        converged: True when the run stopped because J changed by less than the
            tolerance; False when it used up its iterations.
        fractions: for each step, the fraction of the Newton step taken (1.0: the full
            step; less where the full step would not have lowered J enough).
    """

    losses: list[float]
    params: Parameters
    converged: bool
    fractions: list[float] = field(default_factory=list)

    @property
    def iterations(self) -> int:
        """How many Newton steps were made."""
        return len(self.losses) - 1

    @property
    def final_loss(self) -> float:
        """J at `params`."""
        return self.losses[-1]


class SingularHessianError(ValueError):
    """The Hessian of J is (nearly) singular: a Newton step is not defined.

    Attributes:
        result: the run up to the last good iteration (its losses and parameters).
    """

    def __init__(self, message: str, result: NewtonResult) -> None:
        super().__init__(message)
        self.result = result


def newton(
    x1: Examples,
    x2: Examples,
    y: Examples,
    *,
    l2: float = 0.0,
    tol: float = TOL,
    max_iterations: int = MAX_ITERATIONS,
    start: Parameters = ZERO,
    on_iteration: Callable[[int, float], None] | None = None,
) -> NewtonResult:
    """Minimize J (plus the L2 term when ``l2 > 0``) by Newton's method.

    Each iteration builds J on all examples, takes the gradient as Nodes
    (``grad(J, [w1, w2, b], create_graph=True)``), differentiates each of them again for
    the rows of the Hessian, and solves H·step = gradient.

    Args:
        x1, x2, y: the examples' features and 0/1 labels.
        l2: λ of the L2 term (λ/2m)(w1² + w2²); 0 for the lecture's J.
        tol: stop when J changes by at most this much in one iteration.
        max_iterations: stop after this many steps at the latest.
        start: the parameters at iteration 0.
        on_iteration: called as ``on_iteration(k, J)`` with J at iteration k.

    Raises:
        SingularHessianError: the Hessian is nearly singular (or not finite); the message
            says why and what to do, and ``error.result`` holds the run so far.
    """
    _check_settings(l2, tol, max_iterations)
    x1_nodes, x2_nodes = data_nodes(x1), data_nodes(x2)
    labels = list(y)
    bound, advice = _singularity_scale(x1, x2, l2, len(labels))
    params = start
    losses: list[float] = []
    fractions: list[float] = []

    def cost(at: Parameters) -> float:
        return batch_graph(at, x1_nodes, x2_nodes, labels, l2=l2).J.value

    for k in range(max_iterations + 1):
        graph = batch_graph(params, x1_nodes, x2_nodes, labels, l2=l2)
        losses.append(graph.J.value)
        if on_iteration is not None:
            on_iteration(k, graph.J.value)
        if k > 0 and abs(losses[-2] - losses[-1]) <= tol:
            return NewtonResult(losses, params, True, fractions)
        if k == max_iterations:
            break
        gradient, hessian = derivatives(graph)
        so_far = NewtonResult(list(losses), params, False, list(fractions))
        step = _solve(hessian, gradient, bound, advice, so_far)
        params, fraction = _damped(params, step, gradient, losses[-1], cost)
        fractions.append(fraction)
    return NewtonResult(losses, params, False, fractions)


def _check_settings(l2: float, tol: float, max_iterations: int) -> None:
    """Refuse settings the iteration would misread, before any graph is built.

    A nan tolerance would silently turn the stopping test off, and a negative l2 makes J
    unbounded below (no minimum for Newton's method to find): each gets one ValueError
    naming it.
    """
    if not (math.isfinite(l2) and l2 >= 0.0):
        raise ValueError(f"newton: l2 must be a finite number >= 0, got {l2!r}")
    if not (math.isfinite(tol) and tol >= 0.0):
        raise ValueError(f"newton: tol must be a finite number >= 0, got {tol!r}")
    if max_iterations < 0:
        raise ValueError(f"newton: max_iterations must be 0 or more, got {max_iterations}")


def _singularity_scale(x1: Examples, x2: Examples, l2: float, m: int) -> tuple[float, str]:
    """J's largest possible curvature (the scale `_solve` judges a Hessian singular on) and
    the advice a singular Hessian's error ends with.

    Both depend on the data and l2 only, not on the iteration, so they are worked out once
    per run; the advice needs the data's own curvature range to tell dependent features
    and an overwhelming L2 term from separable data.
    """
    least, most = curvature_range(x1, x2)
    bound = most + l2 / max(m, 1)
    # The features themselves leave J flat in some direction (a constant feature, or one a
    # multiple of the other): a cause of a singular Hessian that no tolerance avoids.
    dependent = least <= SINGULAR * most
    overwhelming = most <= SINGULAR * bound
    return bound, _advice(l2, dependent, overwhelming)


def _damped(
    params: Parameters,
    step: list[float],
    gradient: list[float],
    J: float,
    cost: Callable[[Parameters], float],
) -> tuple[Parameters, float]:
    """Take the Newton step, or the first of its halves that lowers J enough.

    A backtracking line search (Armijo's rule): the fraction t of the step is accepted
    when J falls by at least 1e-4 of what the gradient promises, t·(gradient·step). Near
    the minimum the full step always passes, so Newton's fast convergence is kept; far
    from it (a start with large weights) the halving keeps a step from overshooting into
    a higher J. When no fraction down to 2⁻⁴⁰ lowers J, J is at its minimum to rounding:
    the parameters stay, and the next iteration stops at the tolerance.
    """
    promised = sum(g * s for g, s in zip(gradient, step, strict=True))
    fraction = 1.0
    for _ in range(41):
        trial = Parameters(*(p - fraction * s for p, s in zip(params, step, strict=True)))
        try:
            if cost(trial) <= J - 1e-4 * fraction * promised:
                return trial, fraction
        except (ArithmeticError, ValueError):
            pass  # a step so long that w·x overflows: shorter ones are tried
        fraction /= 2.0
    return params, 0.0


def derivatives(graph: BatchGraph) -> tuple[list[float], list[list[float]]]:
    """The gradient of J in (w1, w2, b) and its Hessian, both by autograd.

    The gradient is taken once as Nodes (its graph built from the op table's derivative
    formulas); each Hessian row is the gradient of one of those Nodes.
    """
    params = [graph.w1, graph.w2, graph.b]
    first = grad(graph.J, params, create_graph=True)
    hessian = [list(grad(g, params, allow_unused=True)) for g in first]
    return [g.value for g in first], hessian


def curvature_range(x1: Examples, x2: Examples) -> tuple[float, float]:
    """The smallest and largest eigenvalues of (1/4m) Σ x xᵀ with x = (x1, x2, 1).

    The largest is J's curvature at its largest (every a(1-a) = 1/4, as at w = b = 0): the
    scale singularity is judged on. The smallest is 0 when the features are linearly
    dependent, and then every Hessian of J is singular.
    """
    import numpy as np  # lazily: `import microgrand` stays fast

    X = np.array([list(x1), list(x2), [1.0] * len(x1)])
    eigenvalues = np.linalg.eigvalsh(X @ X.T / (4.0 * max(len(x1), 1)))
    return float(eigenvalues[0]), float(eigenvalues[-1])


def _advice(l2: float, dependent: bool, overwhelming: bool) -> str:
    """Why the Hessian is singular, and what to do: the end of SingularHessianError's text.

    `overwhelming`: the L2 term's curvature l2/m is so far above the data's that b, which
    it leaves alone, is flat beside w1 and w2 whatever the data: a larger l2 is worse.
    """
    if overwhelming:
        return (
            "the L2 term is so large beside the data's curvature that J is flat along b "
            "(which the L2 term leaves alone) by comparison; try a smaller l2"
        )
    if l2:
        return "even with the L2 term; try a larger l2"
    if dependent:
        return (
            "the features are linearly dependent (one is constant, or a multiple of the "
            "other), so J does not change along some direction of (w1, w2, b) and has no "
            "single minimum. Use other features, or add an L2 term (l2 = 0.1)"
        )
    return (
        "every example is classified with near certainty, so each a(1-a) is almost 0. On "
        "linearly separable data J has no finite minimizer (the weights grow without bound "
        "as J goes to 0): stop at a larger tolerance on J or add an L2 term (l2 = 0.1), "
        "which gives J a finite minimum"
    )


def _solve(
    hessian: list[list[float]],
    gradient: list[float],
    bound: float,
    advice: str,
    so_far: NewtonResult,
) -> list[float]:
    """H⁻¹·gradient, or SingularHessianError when H is nearly singular or not finite."""
    import numpy as np

    H = np.array(hessian)
    k = so_far.iterations
    if not np.all(np.isfinite(H)):
        raise SingularHessianError(
            f"newton: the Hessian of J at iteration {k} is not finite (an overflow): the "
            "weights have grown too large; stop earlier (a larger tolerance on J) or add "
            "an L2 term (l2 = 0.1)",
            so_far,
        )
    eigenvalues = np.linalg.eigvalsh(H)
    smallest = float(eigenvalues[0])
    if smallest <= SINGULAR * bound:
        raise SingularHessianError(
            f"newton: the Hessian of J is nearly singular at iteration {k} (smallest "
            f"eigenvalue {smallest:.3g}, {smallest / bound:.1e} of J's largest possible "
            f"curvature {bound:.3g}), so a Newton step is not defined. J = "
            f"{so_far.final_loss:.3g}: {advice}",
            so_far,
        )
    step = np.linalg.solve(H, np.array(gradient))
    return [float(s) for s in step]
