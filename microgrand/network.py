"""Training the course's shallow network: gradient descent on the compiled, vectorized graph.

The network's graph of one example (``x₁, x₂ → z[1] → a[1] → z[2] → L``, with the label y
a data leaf) is traced once with `microgrand.compile`; every iteration then runs its
forward and backward pass over all m examples as numpy arrays, with ``reduce="mean"``:
the value is the course's cost J = (1/m) Σ L and the gradients are its dW[1], db[1], ...
The dynamic engine would rebuild about 30 nodes per example per iteration (15-28 ms per
iteration on the flower); it stays the oracle in the tests.

`train_network` is full-batch gradient descent as the course runs it (α = 1.2, 10,000
iterations); `predict` gives ŷ = a[L] for new examples; `hidden_size_table` trains one
network per hidden-layer size, the course's table.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from microgrand.checks import to_float, whole_number
from microgrand.nn import MLP, Activation, input_names
from microgrand.node import Node

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from microgrand.compile import Compiled

    Array = NDArray[np.float64]

ALPHA = 1.2  # the course's learning rate for the flower
ITERATIONS = 10_000
COURSE_HIDDEN_SIZES = (1, 2, 3, 4, 5, 20, 50)
ENGINES = ("compiled", "graph")
# The most the lecture's cost -(1/m) Σ (y log a + (1-y) log(1-a)) can be in floats: -log
# of the smallest float, 2⁻¹⁰⁷⁴. bce_with_logits goes on past it (its L is about |z|), but
# a J beyond it means some a = σ(z) has rounded to 0 or 1 on the wrong side, where the
# lecture's log is -inf: gradient descent has diverged (J = 1e299 at α = 1e300 ran on).
COST_BOUND = 1074 * math.log(2.0)  # 744.44


class CompiledNetwork(NamedTuple):
    """A network's one-example graph, traced and compiled.

    Attributes:
        function: the compiled graph; its inputs are the features, the label y, then the
            parameters in ``net.parameters()`` order.
        features: the traced feature leaves x₁, x₂, ...
        label: the traced label leaf y.
        params: the network's parameters (the traced leaves themselves).
        logit: the output unit's z[L]₁ (its per-example values give the predictions).
    """

    function: Compiled
    features: list[Node]
    label: Node
    params: list[Node]
    logit: Node


def compile_network(net: MLP) -> CompiledNetwork:
    """Trace ``net.loss(x, y)`` on data leaves and compile it (see the module docstring)."""
    from microgrand.compile import compile

    features = [Node(0.0, name, requires_grad=False) for name in input_names(net.n_in)]
    label = Node(0.0, "y", requires_grad=False)
    L = net.loss(features, label)
    logit = L.parents[0]
    params = net.parameters()
    function = compile(L, [*features, label, *params])
    return CompiledNetwork(function, features, label, params, logit)


def as_examples(X: Any, Y: Any | None, n_x: int) -> tuple[list[Array], Array]:
    """The course's X (n_x × m, one row per feature) and Y (m, 1 × m or m × 1) as float
    arrays, checked as the engine checks numbers (`microgrand.example_arrays`)."""
    import numpy as np

    from microgrand.example_arrays import column, matrix

    features = matrix(X, "X")
    if features.shape[0] != n_x or features.shape[1] == 0:
        raise ValueError(
            f"X must be the course's n_x × m array (one row per feature, one column per "
            f"example) with n_x = {n_x}, got shape {features.shape}"
        )
    m = features.shape[1]
    if Y is None:
        return [np.ascontiguousarray(row) for row in features], np.zeros(m)
    shape = np.shape(Y) if isinstance(Y, np.ndarray) else None
    if shape is not None and len(shape) == 2 and 1 in shape:  # the course's 1 × m, or m × 1
        Y = Y.reshape(-1)
    elif isinstance(Y, list | tuple) and Y and all(isinstance(r, list | tuple) for r in Y):
        if len(Y) == 1:
            Y = Y[0]  # [[0, 1, ...]]: the course's 1 × m as a list
        elif all(len(row) == 1 for row in Y):
            Y = [label for (label,) in Y]  # [[0], [1], ...]: m × 1
    labels = column(Y, "Y")
    if labels.shape != (m,):
        raise ValueError(f"Y must hold one label per example (m = {m}), got {labels.size}")
    return [np.ascontiguousarray(row) for row in features], labels


@dataclass(frozen=True, slots=True)
class NetworkResult:
    """What `train_network` returns.

    Attributes:
        costs: J at iteration k (after k updates) for k = 0 .. iterations.
        alpha: the learning rate.
        correct: how many training examples the trained network classifies right.
        m: the number of examples.
        seconds: the wall time of the training loop.
    """

    costs: list[float]
    alpha: float
    correct: int
    m: int
    seconds: float

    @property
    def iterations(self) -> int:
        """How many gradient-descent updates ran."""
        return len(self.costs) - 1

    @property
    def final_cost(self) -> float:
        """J after the last update."""
        return self.costs[-1]

    @property
    def accuracy(self) -> float:
        """The fraction of training examples classified right."""
        return self.correct / self.m


def train_network(
    net: MLP,
    X: Any,
    Y: Any,
    *,
    alpha: float = ALPHA,
    iterations: int = ITERATIONS,
    on_iteration: Callable[[int, float], None] | None = None,
    engine: str = "compiled",
) -> NetworkResult:
    """Full-batch gradient descent on the compiled, vectorized graph; updates `net` in place.

    Each iteration computes J and every parameter's gradient over all m examples at once
    and takes W := W − α dW for every parameter. `on_iteration(k, J)` is called with J at
    iteration k (after k updates), for k = 0 .. iterations.

    Args:
        net: the network; its parameters are the starting point and get the result.
        X: the course's n_x × m features. Y: the m labels (0 or 1).
        alpha: the learning rate (the course: 1.2).
        iterations: how many updates (the course: 10,000).
        engine: ``"compiled"`` (the default) or ``"graph"``: the scalar graph of J over
            the m examples built from Nodes every iteration (the dynamic engine; about
            15-30 ms per iteration on the flower, for checking and for small m).
    """
    iterations = whole_number(iterations, "train_network: iterations")
    if engine not in ENGINES:
        raise ValueError(f"train_network: engine must be 'compiled' or 'graph', got {engine!r}")
    # A non-finite alpha: else "diverged ... try a smaller learning rate".
    alpha = to_float(alpha, "train_network: alpha must be a finite number")
    columns, labels = as_examples(X, Y, net.n_in)
    soft = (labels != 0.0) & (labels != 1.0)
    if soft.any():  # the accuracy compares predictions with 0/1 labels: 0.5 counted as 0
        k = int(soft.argmax())
        raise ValueError(f"train_network: Y must hold labels 0 or 1; example {k} is {labels[k]}")
    start = time.perf_counter()
    run = _descend_compiled if engine == "compiled" else _descend_graph
    costs, correct = run(net, columns, labels, alpha, iterations, on_iteration)
    seconds = time.perf_counter() - start
    return NetworkResult(costs, alpha, correct, len(labels), seconds)


# What train_network calls after each iteration with (iteration, J), or None.
Reporter = Callable[[int, float], None] | None


def _descend_compiled(
    net: MLP, columns: list[Array], labels: Array, alpha: float, n: int, report: Reporter
) -> tuple[list[float], int]:
    """Gradient descent on the compiled graph; returns J per iteration and how many are right."""
    compiled = compile_network(net)
    function, params = compiled.function, compiled.params
    values = [p.value for p in params]
    costs: list[float] = []
    for k in range(n + 1):
        out = function(*columns, labels, *values, reduce="mean")
        J = float(out.value)
        costs.append(J)
        if report is not None:
            report(k, J)
        _check_cost(costs, alpha)
        if k == n:
            break
        grads = out.grads
        values = [float(v - alpha * grads[p]) for v, p in zip(values, params, strict=True)]
        if not all(map(math.isfinite, values)):
            raise _diverged(params, values, k, alpha)
    for p, v in zip(params, values, strict=True):
        p.value = v
    logits = out.values[compiled.logit]
    return costs, int(((logits > 0.0) == (labels == 1.0)).sum())


def _descend_graph(
    net: MLP, columns: list[Array], labels: Array, alpha: float, n: int, report: Reporter
) -> tuple[list[float], int]:
    """Gradient descent on the dynamic engine: J's scalar graph rebuilt every iteration."""
    rows = [list(map(float, example)) for example in zip(*columns, strict=True)]
    ys = labels.tolist()
    params = net.parameters()
    costs: list[float] = []
    for k in range(n + 1):
        J = net.cost(rows, ys)
        costs.append(J.value)
        if report is not None:
            report(k, J.value)
        _check_cost(costs, alpha)
        if k == n:
            break
        J.backward()
        values = [p.value - alpha * p.grad for p in params]
        if not all(map(math.isfinite, values)):
            raise _diverged(params, values, k, alpha)
        for p, v in zip(params, values, strict=True):
            p.value = v
    output = net.layers[-1].neurons[0]
    right = sum(
        (output.logit(net._hidden(x)).value > 0.0) == (y == 1.0)
        for x, y in zip(rows, ys, strict=True)
    )
    return costs, right


class TrainingDiverged(OverflowError):
    """Gradient descent left the floats or the lecture's cost: `detail` says where (the
    iteration, and J or the parameter), the message adds α and what to do."""

    def __init__(self, detail: str, alpha: float) -> None:
        super().__init__(
            f"gradient descent diverged: {detail} (α = {alpha:g}); try a smaller learning rate"
        )
        self.detail = detail


def _diverged(params: list[Node], values: list[float], k: int, alpha: float) -> OverflowError:
    """A step took a parameter past the floats (J is checked by `_cost_diverged`)."""
    bad = next(p for p, v in zip(params, values, strict=True) if not math.isfinite(v))
    return TrainingDiverged(
        f"after iteration {k}, {bad.name} - α·d{bad.name} is not a finite float", alpha
    )


def _check_cost(costs: list[float], alpha: float) -> None:
    """Raise if the last J went past `COST_BOUND` and above where it started (a start
    that high is the starting weights', not a step's)."""
    k, cost = len(costs) - 1, costs[-1]
    if k == 0 or cost <= max(COST_BOUND, costs[0]):
        return
    from microgrand.notation import number  # on the error path only

    raise TrainingDiverged(
        f"at iteration {k}, J = {number(cost)} (it was {number(costs[0])} at iteration 0), more "
        f"than the lecture's cost can be in floats ({COST_BOUND:.4g}: some a = σ(z) is 0 or 1 "
        "on the wrong side)",
        alpha,
    )


def predict(net: MLP, X: Any) -> Array:
    """ŷ = a[L] = σ(z[L]) for each column of the course's X (n_x × m), as an array of m."""
    import numpy as np

    from microgrand import array_ops

    columns, labels = as_examples(X, None, net.n_in)
    compiled = compile_network(net)
    out = compiled.function(*columns, labels, *(p.value for p in compiled.params))
    logits = np.asarray(out.values[compiled.logit], dtype=np.float64)
    result: Array = array_ops.sigmoid(logits)  # the engine's two-branch σ, on arrays
    return result


@dataclass(frozen=True, slots=True)
class HiddenSizeRow:
    """One row of the course's table: a hidden-layer size, its trained network, how it did."""

    n_h: int
    net: MLP
    result: NetworkResult


def hidden_size_table(
    X: Any,
    Y: Any,
    sizes: Sequence[int] = COURSE_HIDDEN_SIZES,
    *,
    alpha: float = ALPHA,
    iterations: int = ITERATIONS,
    activation: Activation = "tanh",
    seed: int | None = None,
    on_iteration: Callable[[int, int, float], None] | None = None,
    engine: str = "compiled",
) -> list[HiddenSizeRow]:
    """Train one n_x-n_h-1 network per size in `sizes`; the course's accuracy table.

    `on_iteration(n_h, k, J)` reports progress. Every network starts from the course's
    seeded initialization (or `seed`), so each row is reproducible on its own.
    """
    rows = []
    n_x = len(X)
    for n_h in sizes:
        kwargs: dict[str, Any] = {} if seed is None else {"seed": seed}
        net = MLP(n_x, [n_h, 1], activation=activation, **kwargs)

        def report(k: int, J: float, n_h: int = n_h) -> None:
            if on_iteration is not None:
                on_iteration(n_h, k, J)

        result = train_network(
            net, X, Y, alpha=alpha, iterations=iterations, on_iteration=report, engine=engine
        )
        rows.append(HiddenSizeRow(n_h, net, result))
    return rows
