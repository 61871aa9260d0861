"""Benchmark the course's shallow network: training a 2-4-1 on the flower, and one example.

Usage: ``python benchmarks/network.py [--quick]``

1. Training the 2-4-1 tanh network on the 400 flower examples with the course's full-batch
   gradient descent (α = 1.2, 10,000 iterations, the course's seeded initialization):
   - the course's six formulas in numpy (`microgrand.lecture`): the reference;
   - microgrand, the compiled vectorized graph (`microgrand.network.train_network`);
   - PyTorch, float64 tensors and eager autograd, the same loop;
   - micrograd 0.1.0's `MLP` (hidden neurons switched to tanh, sigmoid and log added in
     micrograd's own closure style): one graph of J over 400 per-example Value graphs per
     iteration; a few iterations are timed and scaled to 10,000;
   - microgrand's dynamic engine (`MLP.cost`, the same per-example scalar graphs), scaled.
   Every system's J after up to 500 iterations is checked against the numpy formulas run
   for as many (rel 1e-9). Later, α = 1.2 makes the cost oscillate and rounding differences
   between systems grow (J after 10,000 iterations differs in the 4th digit between any two
   of them), so the check stops where all trajectories still agree.
2. The scalar graph of one 2-4-1 example (the loss written out), build + backward:
   microgrand's `MLP` vs micrograd's `MLP`, the median of several rounds.

micrograd and torch are used when installed and skipped with a note when not. Ratios are
of medians measured in this run on this machine (shared: treat them as ±20 %).
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.workloads import install_micrograd_extras  # noqa: E402
from microgrand import lecture  # noqa: E402
from microgrand.datasets import flower  # noqa: E402
from microgrand.network import train_network  # noqa: E402
from microgrand.nn import MLP, initial_weights  # noqa: E402

ALPHA = 1.2
ITERATIONS = 10_000
N_H = 4
REL = 1e-9
CHECKED = 500  # iterations over which every system's J must equal the formulas' (rel REL)

DATA = flower()
X = np.array([DATA.x1, DATA.x2])
Y = np.array([DATA.y])
ROWS = [[u, v] for u, v in zip(DATA.x1, DATA.x2, strict=True)]


def start() -> list[Any]:
    """The course's initialization (seed 2) as numpy arrays W1, b1, W2, b2."""
    W1, W2 = (np.array(w) for w in initial_weights(2, [N_H, 1]))
    return [W1, np.zeros((N_H, 1)), W2, np.zeros((1, 1))]


# --- the systems: each runs `n` iterations from `start()` and returns J after them -------


def closed_form(n: int) -> float:
    """The course's six formulas in numpy."""
    W1, b1, W2, b2 = start()
    for _ in range(n):
        g = lecture.two_layer_gradients(W1, b1, W2, b2, X, Y)
        W1 = W1 - ALPHA * g["dW1"]
        b1 = b1 - ALPHA * g["db1"]
        W2 = W2 - ALPHA * g["dW2"]
        b2 = b2 - ALPHA * g["db2"]
    return lecture.two_layer_cost(lecture.two_layer_forward(W1, b1, W2, b2, X)["A2"], Y)


def microgrand_compiled(n: int) -> float:
    """microgrand: the network's graph compiled once, run on arrays of 400 examples."""
    return train_network(MLP(2, [N_H, 1]), X, Y[0], alpha=ALPHA, iterations=n).final_cost


def microgrand_dynamic(n: int) -> float:
    """microgrand's dynamic engine: the scalar graph of J rebuilt every iteration."""
    net = MLP(2, [N_H, 1])
    labels = DATA.y
    for _ in range(n):
        J = net.cost(ROWS, labels)
        J.backward()
        for p in net.parameters():
            p.value = p.value - ALPHA * p.grad
    return net.cost(ROWS, labels).value


def torch_tensors(torch: Any, n: int) -> float:
    """PyTorch: float64 tensors of the course's shapes, eager autograd, the same loop."""
    F = torch.nn.functional
    params = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in start()]
    Xt, Yt = torch.tensor(X, dtype=torch.float64), torch.tensor(Y, dtype=torch.float64)
    W1, b1, W2, b2 = params
    for _ in range(n):
        J = F.binary_cross_entropy_with_logits(W2 @ torch.tanh(W1 @ Xt + b1) + b2, Yt)
        J.backward()
        with torch.no_grad():
            for p in params:
                p -= ALPHA * p.grad
                p.grad = None
    with torch.no_grad():
        return float(F.binary_cross_entropy_with_logits(W2 @ torch.tanh(W1 @ Xt + b1) + b2, Yt))


def micrograd_network(value_class: Any, nn: Any) -> Any:
    """micrograd's MLP(2, [4, 1]) with tanh hidden neurons and the course's initial values."""
    install_micrograd_extras(value_class)
    if not hasattr(value_class, "tanh"):

        def tanh(self: Any) -> Any:
            t = math.tanh(self.data)
            out = value_class(t, (self,), "tanh")

            def _backward() -> None:
                self.grad += (1 - t * t) * out.grad

            out._backward = _backward
            return out

        value_class.tanh = tanh

    class TanhNeuron(nn.Neuron):  # type: ignore[misc]  # micrograd is untyped
        def __call__(self, x: Any) -> Any:
            act = sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)
            return act.tanh() if self.nonlin else act

    net = nn.MLP(2, [N_H, 1])
    for neuron in net.layers[0].neurons:
        neuron.__class__ = TanhNeuron
    W1, b1, W2, b2 = start()
    for layer, W, b in ((net.layers[0], W1, b1), (net.layers[1], W2, b2)):
        for j, neuron in enumerate(layer.neurons):
            for k, w in enumerate(neuron.w):
                w.data = float(W[j, k])
            neuron.b.data = float(b[j, 0])
    return net


def micrograd_cost(net: Any, x: list[float], y: float) -> Any:
    """The course's loss of one example in micrograd, written out from its primitives."""
    a = net(x).sigmoid()
    return -(y * a.log() + (1.0 - y) * (1.0 - a).log())


def micrograd_training(value_class: Any, nn: Any, n: int) -> float:
    """micrograd: J over the 400 per-example graphs, backward, update, every iteration."""
    net = micrograd_network(value_class, nn)
    m = len(ROWS)

    def cost() -> Any:
        return sum(
            (micrograd_cost(net, x, y) for x, y in zip(ROWS, DATA.y, strict=True)), value_class(0.0)
        ) * (1.0 / m)

    for _ in range(n):
        J = cost()
        net.zero_grad()
        J.backward()
        for p in net.parameters():
            p.data -= ALPHA * p.grad
    return float(cost().data)


# --- timing ----------------------------------------------------------------------------


def timed(run: Callable[[int], float], n: int) -> tuple[float, float]:
    """(CPU seconds, J) of one run of n iterations.

    CPU time of this process: on this shared 2-core machine wall time mostly measures the
    other users (torch is held to one thread, so its CPU time is comparable).
    """
    gc.collect()  # no system pays for the garbage of the one before (micrograd's cycles)
    t0 = time.process_time()
    J = run(n)
    return time.process_time() - t0, J


def per_example(build: Callable[[], None], budget: float, rounds: int) -> float:
    """Median over rounds of the seconds one call of `build` takes."""
    build()
    results = []
    for _ in range(rounds):
        calls = 0
        t0 = time.process_time()
        while time.process_time() - t0 < budget:
            build()
            calls += 1
        results.append((time.process_time() - t0) / calls)
    return statistics.median(results)


def load(name: str) -> Any:
    try:
        return __import__(name, fromlist=["_"])
    except ImportError:
        # The package's name (micrograd, not micrograd.engine): what pip installs.
        print(f"note: {name.split('.')[0]} is not installed: its rows are skipped")
        return None


Run = Callable[[int], float]


def systems(
    torch: Any, micrograd: tuple[Any, Any] | None, full: int, quick: bool
) -> list[tuple[str, Run, int]]:
    """(label, run, iterations to time) for every system that is installed."""
    found: list[tuple[str, Run, int]] = [
        ("numpy, the course's six formulas", closed_form, full),
        ("microgrand, compiled vectorized graph", microgrand_compiled, full),
    ]
    if torch is not None:
        found.append(
            ("PyTorch float64 tensors, eager autograd", partial(torch_tensors, torch), full)
        )
    if micrograd is not None:
        run = partial(micrograd_training, *micrograd)
        found.append(("micrograd MLP, per-example Value graphs", run, 2 if quick else 30))
    found.append(
        ("microgrand dynamic engine, per-example graphs", microgrand_dynamic, 2 if quick else 20)
    )
    return found


def training_table(entries: list[tuple[str, Run, int]], full: int) -> bool:
    """Time and check every system's training run, print the table; True if all checks pass."""
    print(
        f"Training the 2-{N_H}-1 tanh network on the {len(ROWS)} flower examples: "
        f"α = {ALPHA}, {full:,} iterations (CPU time of this process)"
    )
    rows: list[tuple[str, int, float]] = []
    passed = True
    for label, run, runs in entries:
        seconds, J = timed(run, runs)
        n = runs
        if n > CHECKED:
            # At α = 1.2 the cost oscillates late in training and rounding differences
            # grow; every system must agree with the formulas over the first iterations.
            n, J = CHECKED, run(CHECKED)
        want = closed_form(n)
        ok = abs(J - want) <= REL * abs(want)
        passed &= ok
        verdict = "OK" if ok else "FAILED"
        print(
            f"  CHECK {verdict} {label}: J after {n} iterations = {J:.12g} (formulas: {want:.12g})"
        )
        rows.append((label, runs, seconds / runs))
    reference, compiled = rows[0][2], rows[1][2]
    print()
    total = f"{full:,} iterations"
    head = f"  {'system':<48} {'per iteration':>14} {total:>18}"
    print(f"{head} {'vs formulas':>12} {'vs compiled':>12}")
    for label, n, each in rows:
        note = "" if n == full else f"  (timed {n}, scaled)"
        print(
            f"  {label:<48} {each * 1e6:>11.1f} µs {each * full:>16.2f} s "
            f"{each / reference:>11.1f}x {each / compiled:>11.1f}x{note}"
        )
    return passed


def one_example_table(micrograd: tuple[Any, Any] | None, quick: bool) -> None:
    """The scalar graph of one example, build + backward: microgrand vs micrograd."""
    print(f"The scalar graph of one 2-{N_H}-1 example (loss written out), build + backward")
    net = MLP(2, [N_H, 1])
    x, y = ROWS[0], DATA.y[0]

    def microgrand_one() -> None:
        a = net(x)
        assert not isinstance(a, list)
        L = -(y * a.log() + (1.0 - y) * (1.0 - a).log())
        L.backward()

    budget, rounds = (0.05, 3) if quick else (0.3, 7)
    times = {"microgrand MLP": per_example(microgrand_one, budget, rounds)}
    if micrograd is not None:
        mg_net = micrograd_network(*micrograd)

        def micrograd_one() -> None:
            mg_net.zero_grad()
            micrograd_cost(mg_net, x, y).backward()

        times["micrograd MLP"] = per_example(micrograd_one, budget, rounds)
    for label, each in times.items():
        print(f"  {label:<20} {each * 1e6:8.1f} µs per example")
    if "micrograd MLP" in times:
        print(f"  micrograd / microgrand: {times['micrograd MLP'] / times['microgrand MLP']:.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    args = parser.parse_args(argv)
    full = 200 if args.quick else ITERATIONS
    torch = load("torch")
    if torch is not None:
        torch.set_num_threads(1)  # 2 shared cores: more threads only contend
    engine, nn = load("micrograd.engine"), load("micrograd.nn")
    micrograd = (engine.Value, nn) if engine is not None and nn is not None else None
    passed = training_table(systems(torch, micrograd, full, args.quick), full)
    print()
    one_example_table(micrograd, args.quick)
    print()
    print("ALL CHECKS OK" if passed else "SOME CHECK FAILED")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
