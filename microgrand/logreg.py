"""The lecture's graphs built from Nodes with the lecture's names, and gradient descent.

`lecture_graph` is the one-example graph of the slide (x1, x2, w1, w2, b -> z -> a -> L)
with the loss written out from primitive ops, so that ``da`` is a real node's gradient;
`three_abc_graph` is the earlier lecture's J = 3(a + bc). `step` is one gradient-descent
step exactly as the lecture writes it, and `train` runs full-batch gradient descent on m
examples with autograd computing the gradients.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NamedTuple

from microgrand import bce_with_logits
from microgrand.checks import to_float, whole_number
from microgrand.compile import Compiled, compile
from microgrand.node import Node

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from microgrand.lecture import Examples

Engine = Literal["compiled", "graph"]
ENGINES = ("compiled", "graph")


class LectureGraph(NamedTuple):
    """The one-example graph; every node carries the lecture's name.

    x1, x2 and y are data (``requires_grad=False``): their grad stays 0.0 and drawings give
    them no backward arrow. After ``g.L.backward()``, ``g.w1.grad`` is the lecture's dw1.
    """

    x1: Node
    x2: Node
    w1: Node
    w2: Node
    b: Node
    y: Node
    z: Node
    a: Node
    L: Node


def lecture_graph(
    x1: float = 2.0,
    x2: float = -1.0,
    w1: float = 0.3,
    w2: float = 0.5,
    b: float = 0.1,
    y: float = 1.0,
) -> LectureGraph:
    """Build z = w1 x1 + w2 x2 + b, a = σ(z), L(a, y) = -(y log a + (1-y) log(1-a)).

    The defaults are the demo's point (z = 0.2). Raises ValueError if a rounds to 0 or 1,
    where the lecture's loss takes log(0) (use `bce_with_logits` for such points).
    """
    x1_node = Node(x1, "x1", requires_grad=False)
    x2_node = Node(x2, "x2", requires_grad=False)
    y_node = Node(y, "y", requires_grad=False)
    return _build(x1_node, x2_node, Node(w1, "w1"), Node(w2, "w2"), Node(b, "b"), y_node)


def _build(x1: Node, x2: Node, w1: Node, w2: Node, b: Node, y: Node) -> LectureGraph:
    z = (w1 * x1 + w2 * x2 + b).named("z")
    a = z.sigmoid().named("a")
    L = (-(y * a.log() + (1 - y) * (1 - a).log())).named("L")
    return LectureGraph(x1, x2, w1, w2, b, y, z, a, L)


def descent_step(graph: LectureGraph, alpha: float) -> LectureGraph:
    """One gradient-descent step on one example, as the lecture writes it.

    Backpropagates from L, then w1 := w1 - α dw1, w2 := w2 - α dw2, b := b - α db, and
    returns the graph built at the new values (new parameter leaves, the same data
    leaves). The old graph is left as it was, so it can still be drawn or explained.
    """
    graph.L.backward()
    w1, w2, b = (
        Node(leaf.value - alpha * leaf.grad, leaf.name) for leaf in (graph.w1, graph.w2, graph.b)
    )
    return _build(graph.x1, graph.x2, w1, w2, b, graph.y)


class ThreeABCGraph(NamedTuple):
    """The earlier lecture's graph: u = bc, v = a + u, J = 3v."""

    a: Node
    b: Node
    c: Node
    u: Node
    v: Node
    J: Node


def three_abc_graph(a: float = 5.0, b: float = 3.0, c: float = 2.0) -> ThreeABCGraph:
    """Build J = 3(a + bc) with the lecture's names (at a=5, b=3, c=2: J = 33)."""
    a_node, b_node, c_node = Node(a, "a"), Node(b, "b"), Node(c, "c")
    u = (b_node * c_node).named("u")
    v = (a_node + u).named("v")
    J = (3 * v).named("J")
    return ThreeABCGraph(a_node, b_node, c_node, u, v, J)


class Parameters(NamedTuple):
    """The logistic-regression parameters as plain floats."""

    w1: float
    w2: float
    b: float


class BatchGraph(NamedTuple):
    """J on m examples and the parameter leaves it was built from."""

    w1: Node
    w2: Node
    b: Node
    J: Node


def data_nodes(values: Examples) -> list[Node]:
    """One data leaf per value, made once and reused by every epoch's graph.

    Data leaves never change, so reusing them keeps graphs valid, and Node * Node skips
    the conversion of a float into a constant node on every use.
    """
    return [Node(v, requires_grad=False) for v in values]


def batch_graph(
    params: Parameters,
    x1: Sequence[Node],
    x2: Sequence[Node],
    y: Sequence[float],
    *,
    l2: float = 0.0,
) -> BatchGraph:
    """Build J = (1/m) Σ L(σ(z_i), y_i) with z_i = w1 x1_i + w2 x2_i + b.

    One `bce_with_logits` per example (stable: no log(0) for saturated examples), summed
    in a chain and multiplied by 1/m: about six nodes per example. With ``l2 = λ > 0``,
    the course's L2 term (λ/2m)(w1² + w2²) is added (b is not regularized).
    """
    m = len(y)
    if m == 0 or len(x1) != m or len(x2) != m:
        raise ValueError(
            f"batch_graph: x1, x2 and y must have the same positive length, "
            f"got {len(x1)}, {len(x2)}, {m}"
        )
    w1, w2, b = Node(params.w1, "w1"), Node(params.w2, "w2"), Node(params.b, "b")
    total = bce_with_logits(w1 * x1[0] + w2 * x2[0] + b, y[0])
    for i in range(1, m):
        total = total + bce_with_logits(w1 * x1[i] + w2 * x2[i] + b, y[i])
    J = total * (1.0 / m)
    if l2:
        J = J + (l2 / (2.0 * m)) * (w1 * w1 + w2 * w2)
    return BatchGraph(w1, w2, b, J.named("J"))


ZERO = Parameters(0.0, 0.0, 0.0)


@dataclass(frozen=True, slots=True)
class TrainResult:
    """What full-batch gradient descent returns.

    "J at epoch k" means one thing everywhere (the progress bar, the printed table, this
    result, the notebooks): the cost J at the parameters after k updates. Epoch 0 is the
    start, before any update; epoch `epochs` is the end, at `params`.

    Attributes:
        losses: J at epoch k for k = 0, 1, ..., epochs (``epochs + 1`` values).
        params: the parameters after the last update.
    """

    losses: list[float]
    params: Parameters

    @property
    def epochs(self) -> int:
        """How many updates were made."""
        return len(self.losses) - 1

    @property
    def final_loss(self) -> float:
        """J at the end: J at epoch `epochs`, the cost at `params`."""
        return self.losses[-1]


@functools.cache
def compiled_loss(l2: bool = False) -> Compiled:
    """The lecture's loss on one example, L(σ(w1 x1 + w2 x2 + b), y), compiled once.

    Inputs ``x1, x2, y, w1, w2, b``. Called with arrays of m examples for x1, x2 and y and
    ``reduce="mean"``, it gives J and dw1, dw2, db: the vectorized lecture's step.

    With `l2`, one more input ``lam`` (λ/2m) and the L2 term: each example's loss is
    ``L + lam (w1² + w2²)``, whose mean is the regularized J of `batch_graph`.
    """
    x1, x2, y = (Node(0.0, name, requires_grad=False) for name in ("x1", "x2", "y"))
    w1, w2, b = Node(0.0, "w1"), Node(0.0, "w2"), Node(0.0, "b")
    z = (w1 * x1 + w2 * x2 + b).named("z")
    L = bce_with_logits(z, y)
    if not l2:
        return compile(L.named("L"), [x1, x2, y, w1, w2, b])
    lam = Node(0.0, "lam", requires_grad=False)
    return compile((L + lam * (w1 * w1 + w2 * w2)).named("L"), [x1, x2, y, w1, w2, b, lam])


Gradient = Callable[[Parameters], tuple[float, Parameters]]


def _compiled_gradient(
    x1: NDArray[np.float64], x2: NDArray[np.float64], y: NDArray[np.float64], l2: float
) -> Gradient:
    columns = [x1, x2, y]
    f = compiled_loss(bool(l2))
    extra = (l2 / (2.0 * len(y)),) if l2 else ()

    def gradient(params: Parameters) -> tuple[float, Parameters]:
        out = f(*columns, *params, *extra, reduce="mean")
        grads = out.grads
        return out.value, Parameters(grads["w1"], grads["w2"], grads["b"])

    return gradient


def _graph_gradient(
    x1: Sequence[float], x2: Sequence[float], y: Sequence[float], l2: float
) -> Gradient:
    x1_nodes, x2_nodes = data_nodes(x1), data_nodes(x2)
    labels = list(y)

    def gradient(params: Parameters) -> tuple[float, Parameters]:
        graph = batch_graph(params, x1_nodes, x2_nodes, labels, l2=l2)
        graph.J.backward()
        return graph.J.value, Parameters(graph.w1.grad, graph.w2.grad, graph.b.grad)

    return gradient


def train(
    x1: Examples,
    x2: Examples,
    y: Examples,
    *,
    alpha: float = 0.1,
    epochs: int = 1000,
    start: Parameters = ZERO,
    on_epoch: Callable[[int, float], None] | None = None,
    l2: float = 0.0,
    engine: Engine = "compiled",
) -> TrainResult:
    """Full-batch gradient descent on m examples, autograd computing the gradients.

    Each epoch computes J on all examples (with the L2 term when ``l2 > 0``, see
    `batch_graph`) and its gradients, and updates w1, w2 and b by ``alpha`` times the
    gradients. `on_epoch(k, J)` is called with J at epoch k (see
    `TrainResult`) as soon as it is known, for k = 0 (the start) to `epochs` (the end).

    `engine` says how: ``"compiled"`` (the default) runs the lecture's one-example graph,
    compiled once, on numpy arrays of all m examples (`compiled_loss`, reduce="mean");
    ``"graph"`` builds J = (1/m) Σ L_i from Nodes every epoch and calls backward (the
    dynamic engine: slower, and the oracle the tests hold the compiled path to).
    """
    epochs = whole_number(epochs, "train: epochs")
    # A non-finite alpha: else the error names w1, after the first step.
    alpha = to_float(alpha, "train: alpha must be a finite number")
    l2 = to_float(l2, "train: l2 must be a finite number >= 0")
    if l2 < 0.0:
        raise ValueError(f"train: l2 must be a finite number >= 0, got {l2!r}")
    params = _start(start)
    if engine not in ENGINES:
        raise ValueError(f"train: engine must be 'compiled' or 'graph', got {engine!r}")
    u, v, labels = _columns(x1, x2, y)
    if engine == "compiled":
        gradient = _compiled_gradient(u, v, labels, l2)
    else:
        gradient = _graph_gradient(u.tolist(), v.tolist(), labels.tolist(), l2)
    losses: list[float] = []
    for epoch in range(epochs + 1):
        J, grads = gradient(params)
        losses.append(J)
        if on_epoch is not None:
            on_epoch(epoch, J)
        if epoch == epochs:
            break
        params = Parameters(
            params.w1 - alpha * grads.w1,
            params.w2 - alpha * grads.w2,
            params.b - alpha * grads.b,
        )
    return TrainResult(losses=losses, params=params)


def _columns(
    x1: Examples, x2: Examples, y: Examples
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """`train`'s examples as checked float64 arrays of one positive length.

    Both engines get these same floats (`example_arrays`: what the engine refuses, such as
    booleans or strings, is refused here, naming the input and the example), so the
    compiled path and its oracle, the graph path, cannot disagree about the data.
    """
    from microgrand.example_arrays import column  # numpy: on first use

    u, v, labels = (column(c, f"train: {n}") for c, n in ((x1, "x1"), (x2, "x2"), (y, "y")))
    m = len(labels)
    if m == 0 or len(u) != m or len(v) != m:
        raise ValueError(
            f"train: x1, x2 and y must have the same positive length, got {len(u)}, {len(v)}, {m}"
        )
    return u, v, labels


def _start(start: object) -> Parameters:
    """`train`'s start as Parameters of floats (any sequence w1, w2, b of numbers)."""
    if not isinstance(start, Sequence) or isinstance(start, str) or len(start) != 3:
        raise TypeError(f"train: start must be Parameters(w1, w2, b), got {start!r}")
    names = Parameters._fields
    return Parameters(
        *(to_float(v, f"train: start.{n}") for v, n in zip(start, names, strict=True))
    )


def went_up(before: float, after: float) -> bool:
    """True when one update raised J by more than rounding error: the step overshot.

    For logistic regression J is convex, so a small enough ``alpha`` never raises it; a
    rise means ``alpha`` is too large for the scale of the features.
    """
    return after > before + 1e-9 * abs(before)


def barely_moved(losses: Sequence[float]) -> bool:
    """True when J ended within 0.01 % of where it started: training learned nothing."""
    return len(losses) > 1 and abs(losses[0] - losses[-1]) <= 1e-4 * abs(losses[0])


def accuracy(
    params: Parameters, x1: Sequence[float], x2: Sequence[float], y: Sequence[float]
) -> float:
    """The fraction of examples whose prediction (a >= 0.5, i.e. z >= 0) equals the label."""
    w1, w2, b = params
    right = sum(
        (w1 * u + w2 * v + b >= 0.0) == (label == 1.0)
        for u, v, label in zip(x1, x2, y, strict=True)
    )
    return right / len(y)
