"""The compiled and vectorized workloads (issue 12), one function per (workload, system).

Every function returns ``(J, dw1, dw2, db)`` so that `benchmarks/compiled.py` checks each
system against the hand-written closed form before it believes a timing.

- one example, compiled: the lecture's graph (the loss in primitive ops) compiled once,
  then called with the example's floats; the closed form is `workloads.one_closed`.
- the vectorized step on m examples: J = (1/m) Σ L and dw1, dw2, db from the data as arrays
  (X is 2 × m, Y is 1 × m). The hand-written numpy closed form is the lecture's vectorized
  formulas; microgrand runs its compiled one-example graph on the arrays (``reduce="mean"``),
  once with the loss in primitive ops (the same graph as the peers) and once with
  ``bce_with_logits`` (the graph `train` runs); PyTorch builds the same primitive-op graph
  on float64 tensors and calls ``backward()``; JAX runs ``jax.jit(jax.value_and_grad(J))``.
- training: 1,000 gradient-descent steps on m examples, end to end (tracing, compiling and
  the first call included).

This module imports no peer: the torch and jax workloads take the module as an argument.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import microgrand
from benchmarks import workloads as w
from microgrand import Node, bce_with_logits

Grads = tuple[float, float, float, float]


def arrays(m: int, seed: int = 0) -> tuple[Any, Any]:
    """The benchmark's examples (`workloads.make_data`) as X (2 × m) and Y (1 × m)."""
    data = w.make_data(m, seed)
    X = np.array([[x1 for x1, _, _ in data], [x2 for _, x2, _ in data]], dtype=np.float64)
    Y = np.array([[y for _, _, y in data]], dtype=np.float64)
    return X, Y


# --- the hand-written numpy closed form --------------------------------------------------


def vector_closed(X: Any, Y: Any, params: w.Params = w.PARAMS) -> Grads:
    """The lecture's vectorized formulas: Z = wᵀX + b, A = σ(Z), dZ = A - Y, ..."""
    w1, w2, b = params
    m = X.shape[1]
    Z = np.array([[w1, w2]]) @ X + b
    A = 1.0 / (1.0 + np.exp(-Z))
    J = -np.sum(Y * np.log(A) + (1.0 - Y) * np.log(1.0 - A)) / m
    dZ = A - Y
    dw = X @ dZ.T / m
    db = np.sum(dZ) / m
    return float(J), float(dw[0, 0]), float(dw[1, 0]), float(db)


# --- microgrand compiled -----------------------------------------------------------------


def lecture_loss(bce: bool) -> tuple[Node, list[Node]]:
    """The one-example graph with x1, x2, y as data leaves: L in primitive ops, or bce."""
    x1, x2, y = (Node(0.5, name, requires_grad=False) for name in ("x1", "x2", "y"))
    w1, w2, b = Node(0.3, "w1"), Node(-0.2, "w2"), Node(0.1, "b")
    z = (w1 * x1 + w2 * x2 + b).named("z")
    if bce:
        L = bce_with_logits(z, y)
    else:
        a = z.sigmoid().named("a")
        L = -(y * a.log() + (1 - y) * (1 - a).log())
    return L.named("L"), [x1, x2, y, w1, w2, b]


def compiled_loss(bce: bool = False) -> microgrand.Compiled:
    """`microgrand.compile` of `lecture_loss`: trace once."""
    return microgrand.compile(*lecture_loss(bce))


def one_compiled(f: microgrand.Compiled, example: w.Example, params: w.Params = w.PARAMS) -> Grads:
    """One example through the compiled graph, the gradients read by name.

    The parameters are unpacked and passed one by one, as a user writes the call and as
    `workloads.one_closed` unpacks them: ``f(x1, x2, y, *params)`` would add a
    star-call (about 80 ns, a quarter of the closed form) that only this side pays.
    """
    x1, x2, y = example
    w1, w2, b = params
    out = f(x1, x2, y, w1, w2, b)
    grads = out.grads
    return out.value, grads["w1"], grads["w2"], grads["b"]


def vector_compiled(f: microgrand.Compiled, X: Any, Y: Any, params: w.Params = w.PARAMS) -> Grads:
    """All m examples at once: the compiled graph on arrays, reduce="mean"."""
    out = f(X[0], X[1], Y[0], *params, reduce="mean")
    grads = out.grads
    return out.value, grads["w1"], grads["w2"], grads["b"]


# --- peers ---------------------------------------------------------------------------------


def vector_torch(torch: Any, X: Any, Y: Any, params: w.Params = w.PARAMS) -> Grads:
    """PyTorch eager autograd on float64 tensors, the loss in primitive ops."""
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    wt = torch.tensor([[params[0], params[1]]], dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(params[2], dtype=torch.float64, requires_grad=True)
    A = torch.sigmoid(wt @ Xt + bt)
    J = -(Yt * torch.log(A) + (1.0 - Yt) * torch.log(1.0 - A)).mean()
    J.backward()
    grad = wt.grad[0]
    return J.item(), grad[0].item(), grad[1].item(), bt.grad.item()


def jax_cost(jax: Any) -> Callable[..., Any]:
    """J(w, b, X, Y) written with jax.numpy, the loss in primitive ops."""
    jnp = jax.numpy

    def J(wb: Any, X: Any, Y: Any) -> Any:
        A = jax.nn.sigmoid(wb[:2] @ X + wb[2])
        return -jnp.mean(Y * jnp.log(A) + (1.0 - Y) * jnp.log(1.0 - A))

    return J


def jax_step(jax: Any) -> Any:
    """A fresh jax.jit(jax.value_and_grad(J)): its first call traces and compiles."""
    return jax.jit(jax.value_and_grad(jax_cost(jax)))


def vector_jax(
    step: Callable[..., Any], jnp: Any, X: Any, Y: Any, params: w.Params = w.PARAMS
) -> Grads:
    """One call of the jitted step (X, Y already on the device)."""
    J, g = step(jnp.array(params), X, Y)
    g = np.asarray(g)
    return float(J), float(g[0]), float(g[1]), float(g[2])


# --- training end to end ------------------------------------------------------------------


def train_closed(X: Any, Y: Any, steps: int, alpha: float) -> Grads:
    """Gradient descent with the numpy closed form; returns J and the parameters at the end."""
    params = (0.0, 0.0, 0.0)
    for _ in range(steps):
        _, dw1, dw2, db = vector_closed(X, Y, params)
        params = (params[0] - alpha * dw1, params[1] - alpha * dw2, params[2] - alpha * db)
    return (vector_closed(X, Y, params)[0], *params)


def train_compiled(X: Any, Y: Any, steps: int, alpha: float) -> Grads:
    """Trace and compile the graph, then gradient descent on the arrays (all included)."""
    f = compiled_loss(bce=True)
    x1, x2, y = X[0], X[1], Y[0]
    w1 = w2 = b = 0.0
    for _ in range(steps):
        out = f(x1, x2, y, w1, w2, b, reduce="mean")
        grads = out.grads
        w1, w2, b = w1 - alpha * grads["w1"], w2 - alpha * grads["w2"], b - alpha * grads["b"]
    return f(x1, x2, y, w1, w2, b, reduce="mean").value, w1, w2, b


def train_jax(jax: Any, X: Any, Y: Any, steps: int, alpha: float) -> Grads:
    """jax.jit(jax.value_and_grad) made fresh (trace and XLA compile included), then steps."""
    jnp = jax.numpy
    step = jax_step(jax)
    Xj, Yj = jnp.asarray(X), jnp.asarray(Y)
    wb = jnp.zeros(3)
    for _ in range(steps):
        _, g = step(wb, Xj, Yj)
        wb = wb - alpha * g
    J, _ = step(wb, Xj, Yj)
    wb = np.asarray(wb)
    return float(J), float(wb[0]), float(wb[1]), float(wb[2])


def train_iris(epochs: int = 1000) -> Grads:
    """`microgrand.train` on the shipped iris data (standardized), the default engine."""
    from microgrand.datasets import load_iris, standardize

    data = standardize(load_iris()).data
    result = microgrand.train(data.x1, data.x2, data.y, alpha=0.1, epochs=epochs)
    return (result.final_loss, *result.params)
