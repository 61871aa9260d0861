"""Benchmark second derivatives: the Hessian of the lecture's J, and Newton's method.

Usage: ``python benchmarks/second_order.py [--quick]``

1. The Hessian of J = (1/m) Σ L on the shipped iris data (m = 100) in (w1, w2, b), at the
   parameters Newton's method reaches after 4 iterations:
   - microgrand: J built from scalar Nodes, its gradient as Nodes
     (``grad(J, params, create_graph=True)``), then one float ``grad`` per row;
   - PyTorch, the same scalar graph of 0-dim float64 tensors: ``torch.autograd.grad`` with
     ``create_graph=True``, then one ``torch.autograd.grad`` per row (double backward);
   - PyTorch on float64 vectors of m (``torch.autograd.functional.hessian``), for scale:
     not a scalar engine;
   - the lecture's closed form (1/m) Σ a(1-a)·x·xᵀ (`lecture.hessian_m_examples`), the
     reference every system is checked against (rel 1e-9).
2. d²L/dz² on the lecture's one-example graph (build, grad with create_graph, grad again):
   microgrand vs PyTorch 0-dim tensors.
3. Newton's method (microgrand, Hessian from autograd) vs full-batch gradient descent
   (α = 0.1) on iris: iterations to gradient descent's J after 1000 epochs, and wall time.

torch is used when installed and skipped with a note when not. Timings are medians of
several rounds in this run on this machine (shared: treat them as ±20 %).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from microgrand import grad, lecture  # noqa: E402
from microgrand.datasets import load_iris, standardize  # noqa: E402
from microgrand.logreg import Parameters, batch_graph, data_nodes, lecture_graph, train  # noqa: E402
from microgrand.newton import derivatives, newton  # noqa: E402

DATA = standardize(load_iris()).data
REL = 1e-9


def median_seconds(run: Callable[[], object], rounds: int, repeat: int) -> float:
    """The median over `rounds` of the time per call of `repeat` calls."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            run()
        times.append((time.perf_counter() - start) / repeat)
    return statistics.median(times)


def check(system: str, got: list[list[float]], want: tuple[tuple[float, ...], ...]) -> bool:
    ok = all(
        math.isclose(g, w, rel_tol=REL, abs_tol=1e-15)
        for row, want_row in zip(got, want, strict=True)
        for g, w in zip(row, want_row, strict=True)
    )
    print(f"  CHECK {'OK' if ok else 'FAILED'} {system}: Hessian vs the closed form (rel {REL})")
    return ok


def microgrand_hessian(params: Parameters) -> list[list[float]]:
    graph = batch_graph(params, data_nodes(DATA.x1), data_nodes(DATA.x2), DATA.y)
    return derivatives(graph)[1]


def torch_scalar_hessian(torch: Any, params: Parameters) -> list[list[float]]:
    F = torch.nn.functional
    leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in params]
    w1, w2, b = leaves
    total = torch.tensor(0.0, dtype=torch.float64)
    for u, v, label in zip(DATA.x1, DATA.x2, DATA.y, strict=True):
        z = w1 * u + w2 * v + b
        total = total + F.binary_cross_entropy_with_logits(
            z, torch.tensor(label, dtype=torch.float64)
        )
    J = total * (1.0 / len(DATA.y))
    first = torch.autograd.grad(J, leaves, create_graph=True)
    return [[h.item() for h in torch.autograd.grad(g, leaves, retain_graph=True)] for g in first]


def torch_vector_hessian(torch: Any, params: Parameters) -> list[list[float]]:
    X = torch.tensor([DATA.x1, DATA.x2, [1.0] * len(DATA.y)], dtype=torch.float64)
    Y = torch.tensor(DATA.y, dtype=torch.float64)

    def cost(theta: Any) -> Any:
        return torch.nn.functional.binary_cross_entropy_with_logits(theta @ X, Y)

    H = torch.autograd.functional.hessian(cost, torch.tensor(list(params), dtype=torch.float64))
    return [[float(v) for v in row] for row in H]


def one_example_second(quick: bool, torch: Any) -> bool:
    rounds, repeat = (3, 50) if quick else (7, 2000)

    def ours() -> float:
        g = lecture_graph()
        (dz,) = grad(g.L, g.z, create_graph=True)
        return grad(dz, g.z)[0]

    want = lecture.second_derivatives(2.0, -1.0, 0.3, 0.5, 0.1, 1.0)["d2z"]
    print("\n2. d²L/dz² of the lecture's one-example graph (build, grad, grad again)")
    ok = math.isclose(ours(), want, rel_tol=REL)
    print(f"  CHECK {'OK' if ok else 'FAILED'} microgrand: d²L/dz² = a(1-a) (rel {REL})")
    mine = median_seconds(ours, rounds, repeat)
    print(f"  microgrand                   {mine * 1e6:9.1f} µs")
    if torch is None:
        return ok

    def theirs() -> float:
        leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.3, 0.5, 0.1)]
        w1, w2, b = leaves
        z = w1 * 2.0 + w2 * -1.0 + b
        a = torch.sigmoid(z)
        L = -(1.0 * torch.log(a) + 0.0 * torch.log(1 - a))
        (dz,) = torch.autograd.grad(L, z, create_graph=True)
        (d2z,) = torch.autograd.grad(dz, z)
        return float(d2z.item())

    torch_ok = math.isclose(theirs(), want, rel_tol=REL)
    print(f"  CHECK {'OK' if torch_ok else 'FAILED'} torch: d²L/dz² = a(1-a) (rel {REL})")
    other = median_seconds(theirs, rounds, repeat)
    print(f"  PyTorch, 0-dim float64       {other * 1e6:9.1f} µs ({other / mine:.1f}x slower)")
    return ok and torch_ok


def newton_vs_gradient_descent(quick: bool) -> None:
    epochs = 1000
    print(f"\n3. Newton's method vs gradient descent (alpha = 0.1, {epochs} epochs) on iris")
    rounds = 1 if quick else 3
    gd = train(DATA.x1, DATA.x2, DATA.y, alpha=0.1, epochs=epochs, engine="graph")
    result = newton(DATA.x1, DATA.x2, DATA.y)
    reached = next(k for k, cost in enumerate(result.losses) if cost <= gd.final_loss)
    # for each of Newton's first iterations, the epoch at which gradient descent gets there
    matched = []
    for k, target in enumerate(result.losses[1:reached], start=1):
        epoch = next((e for e, cost in enumerate(gd.losses) if cost <= target), None)
        matched.append(f"J at iteration {k} = {target:.4g}: epoch {epoch}")
    gd_graph = median_seconds(
        lambda: train(DATA.x1, DATA.x2, DATA.y, alpha=0.1, epochs=epochs, engine="graph"),
        rounds,
        1,
    )
    gd_compiled = median_seconds(
        lambda: train(DATA.x1, DATA.x2, DATA.y, alpha=0.1, epochs=epochs), rounds, 1
    )
    to_target = median_seconds(
        lambda: newton(DATA.x1, DATA.x2, DATA.y, max_iterations=reached), rounds, 1
    )
    full = median_seconds(lambda: newton(DATA.x1, DATA.x2, DATA.y), rounds, 1)
    print(f"  gradient descent: J = {gd.final_loss:.4g} after {epochs} epochs")
    print(
        f"  Newton's method: J = {result.losses[reached]:.4g} at iteration {reached}; J = "
        f"{result.final_loss:.3g} at iteration {result.iterations} (|ΔJ| <= 1e-6)"
    )
    print("  gradient descent reaches Newton's " + "; ".join(matched))
    print(f"  gradient descent, dynamic graph, {epochs} epochs   {gd_graph:7.3f} s")
    print(f"  gradient descent, compiled graph, {epochs} epochs  {gd_compiled:7.3f} s")
    print(f"  Newton's method, {reached} iterations (to that J)     {to_target:7.3f} s")
    print(f"  Newton's method, {result.iterations} iterations (to |ΔJ| <= 1e-6) {full:7.3f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few rounds (a smoke run)")
    args = parser.parse_args()
    torch: Any
    try:
        import torch
    except ImportError:
        torch = None
        print("note: torch is not installed: PyTorch rows are skipped")
    params = newton(DATA.x1, DATA.x2, DATA.y, max_iterations=4).params
    want = lecture.hessian_m_examples(DATA.x1, DATA.x2, DATA.y, *params)
    rounds, repeat = (3, 2) if args.quick else (7, 20)
    print(f"1. The Hessian of J on iris (m = {len(DATA.y)}) in (w1, w2, b)")
    ok = check("microgrand", microgrand_hessian(params), want)
    mine = median_seconds(lambda: microgrand_hessian(params), rounds, repeat)
    print(f"  microgrand, scalar graph     {mine * 1e3:9.2f} ms")
    if torch is not None:
        ok &= check("torch (scalars)", torch_scalar_hessian(torch, params), want)
        ok &= check("torch (vectors)", torch_vector_hessian(torch, params), want)
        scalar = median_seconds(lambda: torch_scalar_hessian(torch, params), rounds, repeat)
        vector = median_seconds(lambda: torch_vector_hessian(torch, params), rounds, repeat)
        print(
            f"  PyTorch, 0-dim float64       {scalar * 1e3:9.2f} ms ({scalar / mine:.1f}x slower)"
        )
        print(f"  PyTorch, float64 vectors     {vector * 1e3:9.2f} ms (not a scalar engine)")
    ok &= one_example_second(args.quick, torch)
    newton_vs_gradient_descent(args.quick)
    print("\nALL CHECKS OK" if ok else "\nSOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
