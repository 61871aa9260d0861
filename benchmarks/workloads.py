"""The benchmark's workloads, one function per (workload, system), importable by tests.

Every function builds its graph from fresh leaves, runs backward and reads the gradients,
and returns the numbers, so that `benchmarks/run.py` can check each system against the
hand-written closed form before it believes a timing: a fast wrong engine must not pass.

The workloads:
- one example of the lecture's graph: ``z = w1 x1 + w2 x2 + b``, ``a = σ(z)``,
  ``L = -(y log a + (1 - y) log(1 - a))``; build, backward, read dw1, dw2, db.
- the full-batch step: ``J = (1/m) Σ L(a_i, y_i)`` over m examples, same reads.
- a chain of n op nodes: ``x -> x * 1.0001 + 0.0001`` (two op nodes per step).

Each system is written the way its users would write it: the loss in primitive ops (for
microgrand also with its one-primitive ``bce_with_logits``), data as plain floats, the
average as a sum of nodes divided by m. micrograd 0.1.0 has no ``sigmoid`` or ``log``:
`install_micrograd_extras` adds them in micrograd's own closure style, in this process only.

This module imports no peer: the micrograd and torch workloads take the module they use as
an argument, so it can be imported (and tested) where micrograd and torch are absent.
"""

from __future__ import annotations

import gc
import math
import random
import sys
from dataclasses import dataclass
from time import perf_counter, process_time
from typing import Any

from microgrand import Node, bce_with_logits

Example = tuple[float, float, float]
"""One example of the lecture: features x1, x2 and the label y (0.0 or 1.0)."""

Params = tuple[float, float, float]
"""The lecture's parameters w1, w2, b."""

Grads = tuple[float, float, float, float]
"""What a step reads back: the loss (L or J) and dw1, dw2, db."""

PARAMS: Params = (0.3, -0.2, 0.1)
CHAIN_START = 0.5
CHAIN_SCALE = 1.0001
CHAIN_SHIFT = 0.0001


def make_data(m: int, seed: int = 0) -> list[Example]:
    """m examples drawn with random.Random(seed): x ~ N(0, 1), y ~ Bernoulli(σ(1.5 x1 - x2))."""
    rng = random.Random(seed)
    data: list[Example] = []
    for _ in range(m):
        x1 = rng.gauss(0.0, 1.0)
        x2 = rng.gauss(0.0, 1.0)
        y = 1.0 if rng.random() < _sigmoid(1.5 * x1 - x2 + 0.2) else 0.0
        data.append((x1, x2, y))
    return data


def _sigmoid(z: float) -> float:
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


# --- the hand-written closed form (the oracle) -----------------------------------------


def one_closed(example: Example, params: Params = PARAMS) -> Grads:
    """The lecture's formulas for one example: dz = a - y, dw = x dz, db = dz."""
    x1, x2, y = example
    w1, w2, b = params
    z = w1 * x1 + w2 * x2 + b
    a = _sigmoid(z)
    loss = -(y * math.log(a) + (1.0 - y) * math.log(1.0 - a))
    dz = a - y
    return loss, x1 * dz, x2 * dz, dz


def batch_closed(data: list[Example], params: Params = PARAMS) -> Grads:
    """The lecture's m-example averages: J and dw1, dw2, db."""
    w1, w2, b = params
    cost = dw1 = dw2 = db = 0.0
    for x1, x2, y in data:
        z = w1 * x1 + w2 * x2 + b
        a = _sigmoid(z)
        cost += -(y * math.log(a) + (1.0 - y) * math.log(1.0 - a))
        dz = a - y
        dw1 += x1 * dz
        dw2 += x2 * dz
        db += dz
    m = len(data)
    return cost / m, dw1 / m, dw2 / m, db / m


@dataclass
class ChainResult:
    """The chain's end value, d(end)/d(start), and the seconds each phase took.

    ``build`` and ``backward`` are what the chain target counts; ``teardown`` is dropping
    the graph plus the gc.collect() that frees whatever reference counting could not, net
    of what a gc.collect() of the rest of the heap costs (see `_teardown`).
    """

    value: float
    grad: float
    build: float
    backward: float
    teardown: float
    build_cpu: float = 0.0  # the same phases in this process's CPU time
    backward_cpu: float = 0.0


def _teardown(since: float) -> float:
    """Seconds since `since` plus one gc.collect(), less a second gc.collect() (the baseline).

    Called right after the graph was dropped: the first collection frees what reference
    counting could not (micrograd's cycles); the second finds nothing but still walks the
    rest of the heap (torch's many objects), which is not the graph's cost.
    """
    gc.collect()
    t1 = perf_counter()
    gc.collect()
    return max(0.0, (t1 - since) - (perf_counter() - t1))


def _now() -> tuple[float, float]:
    """Wall-clock and CPU time, read together."""
    return perf_counter(), process_time()


def _chain_result(
    value: float,
    grad: float,
    t0: tuple[float, float],
    t1: tuple[float, float],
    t2: tuple[float, float],
) -> ChainResult:
    """A chain built from t0 to t1 and differentiated until t2, just dropped (teardown)."""
    teardown = _teardown(t2[0])
    return ChainResult(
        value, grad, t1[0] - t0[0], t2[0] - t1[0], teardown, t1[1] - t0[1], t2[1] - t1[1]
    )


def chain_closed(n_ops: int) -> ChainResult:
    """The chain by hand: the value and its derivative carried forward together."""
    t0 = _now()
    v = CHAIN_START
    g = 1.0
    for _ in range(n_ops // 2):
        v = v * CHAIN_SCALE + CHAIN_SHIFT
        g = g * CHAIN_SCALE
    t1 = _now()
    return ChainResult(v, g, t1[0] - t0[0], 0.0, 0.0, t1[1] - t0[1], 0.0)


# --- microgrand -----------------------------------------------------------------------


def one_microgrand(example: Example, params: Params = PARAMS) -> Grads:
    """The lecture's graph for one example, the loss in primitive ops."""
    x1, x2, y = example
    w1 = Node(params[0], "w1")
    w2 = Node(params[1], "w2")
    b = Node(params[2], "b")
    z = w1 * x1 + w2 * x2 + b
    a = z.sigmoid()
    loss = -(y * a.log() + (1.0 - y) * (1.0 - a).log())
    loss.backward()
    return loss.value, w1.grad, w2.grad, b.grad


def one_microgrand_bce(example: Example, params: Params = PARAMS) -> Grads:
    """The lecture's graph for one example, the loss as one ``bce_with_logits`` node."""
    x1, x2, y = example
    w1 = Node(params[0], "w1")
    w2 = Node(params[1], "w2")
    b = Node(params[2], "b")
    z = w1 * x1 + w2 * x2 + b
    loss = bce_with_logits(z, y)
    loss.backward()
    return loss.value, w1.grad, w2.grad, b.grad


def batch_microgrand(data: list[Example], params: Params = PARAMS) -> Grads:
    """The full-batch step, the cross-entropy in primitive ops."""
    w1 = Node(params[0], "w1")
    w2 = Node(params[1], "w2")
    b = Node(params[2], "b")
    total: Node | None = None
    for x1, x2, y in data:
        z = w1 * x1 + w2 * x2 + b
        a = z.sigmoid()
        loss = -(y * a.log() + (1.0 - y) * (1.0 - a).log())
        total = loss if total is None else total + loss
    assert total is not None
    cost = total / len(data)
    cost.backward()
    return cost.value, w1.grad, w2.grad, b.grad


def batch_microgrand_bce(data: list[Example], params: Params = PARAMS) -> Grads:
    """The full-batch step, each example's loss one ``bce_with_logits`` node."""
    w1 = Node(params[0], "w1")
    w2 = Node(params[1], "w2")
    b = Node(params[2], "b")
    total: Node | None = None
    for x1, x2, y in data:
        loss = bce_with_logits(w1 * x1 + w2 * x2 + b, y)
        total = loss if total is None else total + loss
    assert total is not None
    cost = total / len(data)
    cost.backward()
    return cost.value, w1.grad, w2.grad, b.grad


def chain_microgrand(n_ops: int) -> ChainResult:
    """The chain in microgrand (iterative backward: no recursion limit to raise)."""
    t0 = _now()
    start = Node(CHAIN_START)
    x = start
    for _ in range(n_ops // 2):
        x = x * CHAIN_SCALE + CHAIN_SHIFT
    t1 = _now()
    x.backward()
    value, grad = x.value, start.grad
    t2 = _now()
    del x, start
    return _chain_result(value, grad, t0, t1, t2)


# --- micrograd 0.1.0 ------------------------------------------------------------------


def install_micrograd_extras(value_class: Any) -> None:
    """Give micrograd's Value ``sigmoid`` and ``log``, written in micrograd's closure style.

    micrograd 0.1.0 has neither; a user would add them just like this. Only this process's
    class is patched; nothing in site-packages is edited.
    """
    if getattr(value_class, "_microgrand_bench_extras", False):
        return

    def sigmoid(self: Any) -> Any:
        t = _sigmoid(self.data)
        out = value_class(t, (self,), "sigmoid")

        def _backward() -> None:
            self.grad += t * (1 - t) * out.grad

        out._backward = _backward
        return out

    def log(self: Any) -> Any:
        out = value_class(math.log(self.data), (self,), "log")

        def _backward() -> None:
            self.grad += (1 / self.data) * out.grad

        out._backward = _backward
        return out

    value_class.sigmoid = sigmoid
    value_class.log = log
    value_class._microgrand_bench_extras = True


def one_micrograd(value_class: Any, example: Example, params: Params = PARAMS) -> Grads:
    """The lecture's graph for one example in micrograd."""
    x1, x2, y = example
    w1 = value_class(params[0])
    w2 = value_class(params[1])
    b = value_class(params[2])
    z = w1 * x1 + w2 * x2 + b
    a = z.sigmoid()
    loss = -(y * a.log() + (1.0 - y) * (1.0 - a).log())
    loss.backward()
    return float(loss.data), float(w1.grad), float(w2.grad), float(b.grad)


def batch_micrograd(value_class: Any, data: list[Example], params: Params = PARAMS) -> Grads:
    """The full-batch step in micrograd."""
    w1 = value_class(params[0])
    w2 = value_class(params[1])
    b = value_class(params[2])
    total: Any = None
    for x1, x2, y in data:
        z = w1 * x1 + w2 * x2 + b
        a = z.sigmoid()
        loss = -(y * a.log() + (1.0 - y) * (1.0 - a).log())
        total = loss if total is None else total + loss
    cost = total / len(data)
    _with_recursion_limit(cost.backward, 4 * len(data) + 1000)
    return float(cost.data), float(w1.grad), float(w2.grad), float(b.grad)


def chain_micrograd(value_class: Any, n_ops: int) -> ChainResult:
    """The chain in micrograd; its recursive topological sort needs a raised limit."""
    t0 = _now()
    start = value_class(CHAIN_START)
    x = start
    for _ in range(n_ops // 2):
        x = x * CHAIN_SCALE + CHAIN_SHIFT
    t1 = _now()
    # Each step adds two op nodes and two constant leaves; the deepest path is the chain.
    _with_recursion_limit(x.backward, n_ops + 1000)
    value, grad = float(x.data), float(start.grad)
    t2 = _now()
    del x, start  # micrograd's closures make every node part of a reference cycle:
    return _chain_result(value, grad, t0, t1, t2)  # the gc frees them


def _with_recursion_limit(call: Any, limit: int) -> None:
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        call()
    finally:
        sys.setrecursionlimit(old)


# --- PyTorch, 0-dim float64 tensors ---------------------------------------------------


def _leaf(torch: Any, value: float) -> Any:
    return torch.tensor(value, dtype=torch.float64, requires_grad=True)


def one_torch(torch: Any, example: Example, params: Params = PARAMS) -> Grads:
    """The lecture's graph for one example on 0-dim float64 tensors."""
    x1, x2, y = example
    w1 = _leaf(torch, params[0])
    w2 = _leaf(torch, params[1])
    b = _leaf(torch, params[2])
    z = w1 * x1 + w2 * x2 + b
    a = torch.sigmoid(z)
    loss = -(y * torch.log(a) + (1.0 - y) * torch.log(1.0 - a))
    loss.backward()
    return loss.item(), w1.grad.item(), w2.grad.item(), b.grad.item()


def batch_torch(torch: Any, data: list[Example], params: Params = PARAMS) -> Grads:
    """The full-batch step on 0-dim float64 tensors (one graph node per scalar op)."""
    w1 = _leaf(torch, params[0])
    w2 = _leaf(torch, params[1])
    b = _leaf(torch, params[2])
    total: Any = None
    for x1, x2, y in data:
        z = w1 * x1 + w2 * x2 + b
        a = torch.sigmoid(z)
        loss = -(y * torch.log(a) + (1.0 - y) * torch.log(1.0 - a))
        total = loss if total is None else total + loss
    cost = total / len(data)
    cost.backward()
    return cost.item(), w1.grad.item(), w2.grad.item(), b.grad.item()


def chain_torch(torch: Any, n_ops: int) -> ChainResult:
    """The chain on a 0-dim float64 tensor; backward frees the graph as it goes."""
    t0 = _now()
    start = _leaf(torch, CHAIN_START)
    x = start
    for _ in range(n_ops // 2):
        x = x * CHAIN_SCALE + CHAIN_SHIFT
    t1 = _now()
    x.backward()
    value, grad = x.item(), start.grad.item()
    t2 = _now()
    del x, start
    return _chain_result(value, grad, t0, t1, t2)


# --- checking -------------------------------------------------------------------------

REL_TOL = 1e-9


def close(got: float, want: float, rel: float = REL_TOL) -> bool:
    """True when got equals want to a relative 1e-9 (and got is a finite float)."""
    return math.isfinite(got) and abs(got - want) <= rel * max(abs(got), abs(want), 1e-300)


def mismatches(got: tuple[float, ...], want: tuple[float, ...], names: tuple[str, ...]) -> str:
    """'' when every number matches, else which ones differ and by how much."""
    bad = [
        f"{name}: {g!r} vs {w!r}"
        for name, g, w in zip(names, got, want, strict=True)
        if not close(g, w)
    ]
    return "; ".join(bad)


GRAD_NAMES = ("loss", "dw1", "dw2", "db")
CHAIN_NAMES = ("value", "grad")
