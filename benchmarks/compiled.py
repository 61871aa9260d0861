"""Benchmark the compiled and vectorized paths (issue 12) against their targets.

Usage: ``python benchmarks/compiled.py [--quick] [--strict] [--skip SYSTEM ...]`` (the
second half of ``make bench``). The method is `benchmarks/run.py`'s: interleaved rounds in
a rotating order, gc.collect() before each, medians, target ratios as medians of same-round
ratios, and every result checked against the hand-written closed form before its time
counts. Peers (each optional, skipped with a note when absent): PyTorch eager autograd on
float64 tensors, JAX (``jax.jit(jax.value_and_grad(J))``, CPU, float64) and micrograd.

Workloads (`benchmarks/vector_workloads.py`):
- one example through the compiled lecture graph vs the closed form in pure Python;
- the vectorized step at m = 10,000 (J and dw1, dw2, db) vs the numpy closed form;
- the per-example cost of the vectorized step at m = 1,000, 10,000 and 100,000;
- 1,000 training steps at m = 10,000 end to end (tracing and compiling included);
- ``microgrand.train`` on iris, 1,000 epochs;
- compiling a 1,000,000-node chain (20,000 with --quick): time and peak memory of each step
  (`benchmarks/long_compile.py`).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import statistics
import sys
import time
import warnings
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import long_compile  # noqa: E402
from benchmarks import run as r  # noqa: E402
from benchmarks import vector_workloads as v  # noqa: E402
from benchmarks import workloads as w  # noqa: E402

NUMPY = "numpy closed form"
MG_C = "microgrand compiled"
MG_CB = "compiled (bce)"
MG_DYN = "microgrand graph"
TORCH, JAX, MICROGRAD = "torch", "jax.jit", "micrograd"
ALPHA = 0.5


def load_peers(skip: set[str]) -> dict[str, Any]:
    """torch, jax (float64 enabled) and micrograd's Value, where installed and not skipped."""
    peers: dict[str, Any] = {}
    for name, module in ((TORCH, "torch"), (JAX, "jax"), (MICROGRAD, "micrograd.engine")):
        if name in skip:
            r.say(f"note: {name} skipped (--skip)")
            continue
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore")
                peers[name] = importlib.import_module(module)
        except ImportError:
            r.say(f"note: {module.split('.')[0]} is not installed: {name} skipped")
    if JAX in peers:
        peers[JAX].config.update("jax_enable_x64", True)  # float64, as every other system
    if MICROGRAD in peers:
        w.install_micrograd_extras(peers[MICROGRAD].Value)
    return peers


def _check(want: w.Grads) -> Any:
    return lambda got: w.mismatches(got, want, w.GRAD_NAMES)


def one_example(rounds: int, budget: float) -> r.Workload:
    """One example: the compiled lecture graph vs the closed form (and the dynamic graph)."""
    example = w.make_data(1)[0]
    check = _check(w.one_closed(example))
    f = v.compiled_loss(bce=False)
    entries = [
        r.Entry(r.CLOSED, partial(w.one_closed, example), check),
        r.Entry(MG_C, partial(v.one_compiled, f, example), check),
        r.Entry(MG_DYN, partial(w.one_microgrand, example), check),
    ]
    workload = r.Workload("one", "one example, replayed", 1, "per call", entries)
    r.interleave(workload, rounds, budget)
    return workload


def vectorized(peers: dict[str, Any], m: int, rounds: int, budget: float) -> r.Workload:
    """The vectorized step on m examples, every system on the same data."""
    X, Y = v.arrays(m)
    check = _check(v.vector_closed(X, Y))
    entries = [
        r.Entry(NUMPY, partial(v.vector_closed, X, Y), check),
        r.Entry(MG_C, partial(v.vector_compiled, v.compiled_loss(bce=False), X, Y), check),
        r.Entry(MG_CB, partial(v.vector_compiled, v.compiled_loss(bce=True), X, Y), check),
    ]
    if TORCH in peers:
        entries.append(r.Entry(TORCH, partial(v.vector_torch, peers[TORCH], X, Y), check))
    if JAX in peers:
        jax = peers[JAX]
        Xj, Yj = jax.numpy.asarray(X), jax.numpy.asarray(Y)
        entries.append(
            r.Entry(JAX, partial(v.vector_jax, v.jax_step(jax), jax.numpy, Xj, Yj), check)
        )
    workload = r.Workload(f"vector{m}", f"vectorized step, m = {m:,}", m, "per example", entries)
    r.interleave(workload, rounds, budget)
    return workload


def micrograd_step(peers: dict[str, Any], m: int) -> float | None:
    """Seconds of micrograd's full-batch step on m examples (best of 2), checked."""
    if MICROGRAD not in peers:
        return None
    data = w.make_data(m)
    want = w.batch_closed(data)
    best = float("inf")
    for _ in range(2):
        gc.collect()
        t0 = time.perf_counter()
        got = w.batch_micrograd(peers[MICROGRAD].Value, data)
        best = min(best, time.perf_counter() - t0)
    problem = w.mismatches(got, want, w.GRAD_NAMES)
    if problem:
        r.say(f"  CHECK FAILED micrograd at m = {m:,}: {problem}")
        return None
    return best


def training(peers: dict[str, Any], m: int, steps: int, rounds: int) -> r.Workload:
    """`steps` gradient-descent steps at m examples, end to end (compile/trace included)."""
    X, Y = v.arrays(m)
    want = v.train_closed(X, Y, steps, ALPHA)

    def check(got: Any) -> str:
        return w.mismatches(got, want, ("J", "w1", "w2", "b"))

    entries = [
        r.Entry(NUMPY, partial(v.train_closed, X, Y, steps, ALPHA), check),
        r.Entry(MG_CB, partial(v.train_compiled, X, Y, steps, ALPHA), check),
    ]
    if JAX in peers:
        entries.append(r.Entry(JAX, partial(v.train_jax, peers[JAX], X, Y, steps, ALPHA), check))
    title = f"{steps:,} training steps, m = {m:,}, end to end"
    workload = r.Workload("train", title, 1, "per run", entries)
    r.interleave(workload, rounds)
    return workload


def iris(rounds: int) -> list[float]:
    """Wall seconds of microgrand.train on iris, 1,000 epochs (fresh process state aside)."""
    times = []
    for _ in range(rounds):
        gc.collect()
        t0 = time.perf_counter()
        v.train_iris(1000)
        times.append(time.perf_counter() - t0)
    return times


def ratio_target(name: str, workload: r.Workload, slow: str, fast: str, most: float) -> r.Target:
    """A target that `slow` takes at most `most` times as long as `fast` (same rounds)."""
    figures: dict[str, str] = {}
    verdicts: dict[str, bool | None] = {}
    for clock in r.CLOCKS:
        s, f = workload.entry(slow), workload.entry(fast)
        if s is None or f is None:
            figures[clock], verdicts[clock] = "not measured (a system absent or failed)", None
            continue
        ratio = r.paired_ratio(s, f, clock)
        figures[clock] = f"{ratio:.2f}x (need <= {most:g}x)"
        verdicts[clock] = ratio <= most
    return r.Target(name, figures, verdicts)


def flat_target(workloads: list[r.Workload], system: str) -> r.Target:
    """Per-example cost at the largest m over the smallest, relative to the numpy reference
    of the same rounds (glibc hands large freed arrays back to the OS, so the reference
    itself is not flat), and raw."""
    lo, hi = workloads[0], workloads[-1]
    figures: dict[str, str] = {}
    verdicts: dict[str, bool | None] = {}
    for clock in r.CLOCKS:
        parts = [lo.entry(system), hi.entry(system), lo.entry(NUMPY), hi.entry(NUMPY)]
        if any(p is None for p in parts):
            figures[clock], verdicts[clock] = "not measured", None
            continue
        s_lo, s_hi, n_lo, n_hi = parts
        # The ignores: no part is None here (checked above); mypy cannot see it through `any`.
        relative = r.paired_ratio(s_hi, n_hi, clock) / r.paired_ratio(s_lo, n_lo, clock)  # type: ignore[arg-type]
        raw = s_hi.median(clock) / s_lo.median(clock)  # type: ignore[union-attr]
        figures[clock] = f"{relative:.2f}x relative to numpy, {raw:.2f}x raw (need <= 1.5x)"
        verdicts[clock] = relative <= 1.5
    return r.Target(
        f"flat per example, m = {hi.per:,} / m = {lo.per:,}: {system}", figures, verdicts
    )


@dataclass
class Measured:
    """Everything one run measured."""

    one: r.Workload
    flats: list[r.Workload]
    main_step: r.Workload
    train: r.Workload
    m: int
    steps: int
    micrograd: float | None
    iris: list[float]
    chain: dict[str, Any]

    @property
    def workloads(self) -> list[r.Workload]:
        extra = [] if self.main_step in self.flats else [self.main_step]
        return [self.one, *extra, *self.flats, self.train]


def measure(peers: dict[str, Any], quick: bool) -> Measured:
    """Run the five workloads in order, saying what runs."""
    m_main = 2_000 if quick else 10_000
    sizes = (1_000, 10_000) if quick else (1_000, 10_000, 100_000)
    rounds = 3 if quick else 11
    budget = 0.02 if quick else 0.05
    r.say("[1/6] one example, compiled")
    one = one_example(rounds, 0.02 if quick else 0.1)
    r.say(f"[2/6] vectorized step, m = {', '.join(f'{m:,}' for m in sizes)}")
    flats = [vectorized(peers if m == m_main else {}, m, rounds, budget) for m in sizes]
    main_step = next((f for f in flats if f.per == m_main), None)
    if main_step is None:
        main_step = vectorized(peers, m_main, rounds, budget)
    r.say(f"[3/6] micrograd's step at m = {m_main:,} (best of 2)")
    slow = micrograd_step(peers, m_main)
    steps = 100 if quick else 1_000
    r.say(f"[4/6] {steps:,} training steps at m = {m_main:,}, end to end")
    train = training(peers, m_main, steps, 2 if quick else 3)
    r.say("[5/6] microgrand.train on iris, 1,000 epochs")
    iris_times = iris(3 if quick else 7)
    nodes = 20_000 if quick else 1_000_000
    r.say(f"[6/6] compiling a {nodes:,}-node chain, y = y * 1.0000001 + 0.1 (child process)")
    chain = long_compile.measure(nodes)
    return Measured(one, flats, main_step, train, m_main, steps, slow, iris_times, chain)


def targets(run: Measured) -> list[r.Target]:
    """Issue 12's targets from the measurements."""
    m_text, step = f"m = {run.m:,}", run.main_step
    found = [
        ratio_target("one example: compiled / closed form", run.one, MG_C, r.CLOSED, 3),
        ratio_target(f"{m_text}: compiled (bce) / numpy", step, MG_CB, NUMPY, 1.5),
        ratio_target(f"{m_text}: compiled (primitive ops) / numpy", step, MG_C, NUMPY, 1.5),
        ratio_target(f"{m_text}: compiled (bce) / torch eager", step, MG_CB, TORCH, 1.0),
        ratio_target(f"{m_text}: jax.jit / numpy (reported)", step, JAX, NUMPY, float("inf")),
        ratio_target(
            f"{run.steps:,} steps end to end: compiled / jax.jit", run.train, MG_CB, JAX, 1
        ),
        flat_target(run.flats, MG_CB),
    ]
    compiled = step.entry(MG_CB)
    if run.micrograd is not None and compiled is not None:
        ratio = run.micrograd / (compiled.median() * run.m)
        figure = f"micrograd {r.fmt_time(run.micrograd)} per step = {ratio:,.0f}x compiled"
        found.append(
            r.Target(f"{m_text}: micrograd / compiled (reported)", {"wall": figure}, {"wall": True})
        )
    seconds = statistics.median(run.iris)
    figure = f"{r.fmt_time(seconds)} (need < 0.1 s)"
    found.append(
        r.Target(
            "iris, 1,000 epochs of microgrand.train (median)",
            {"wall": figure},
            {"wall": seconds < 0.1},
        )
    )
    return found


def main(argv: list[str] | None = None) -> int:
    """Run the workloads, print the tables, the targets and the checks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes, few rounds")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    parser.add_argument("--skip", nargs="*", default=[], choices=[TORCH, JAX, MICROGRAD])
    args = parser.parse_args(argv)
    t_start = time.perf_counter()
    r.say(f"microgrand compiled/vectorized benchmark ({'QUICK' if args.quick else 'full run'})")
    peers = load_peers(set(args.skip))
    r.say(f"peers: {', '.join(peers) or 'none'}; load average {os.getloadavg()[0]:.2f}")
    gc.collect()
    gc.freeze()
    run = measure(peers, args.quick)
    systems = [r.CLOSED, NUMPY, MG_C, MG_CB, MG_DYN, *(p for p in (TORCH, JAX) if p in peers)]
    for clock, title in (("wall", "wall clock"), ("cpu", "CPU time of this process")):
        r.say()
        r.say(f"RESULTS ({title}): medians of interleaved rounds, ± half the range of the rounds")
        r.print_table(run.workloads, systems, clock)
    r.say()
    found = targets(run)
    note = " (quick sizes: indicative only)" if args.quick else ""
    r.say(f"TARGETS, judged on wall-clock medians of same-round ratios{note}")
    r.print_targets(found)
    r.say()
    r.say("A LONG CHAIN, compiled (benchmarks/long_compile.py): each step, and the peak so far")
    for line in long_compile.lines(run.chain):
        r.say(line)
    r.say()
    failed = [(wl.key, e) for wl in run.workloads for e in wl.entries if e.failure]
    for key, entry in failed:
        r.say(f"  CHECK FAILED {entry.system} ({key}): {entry.failure}")
    if not failed:
        r.say("  CHECK OK: every system's J and gradients match the closed form (rel 1e-9)")
    chain_ok = long_compile.checked(run.chain)
    if not chain_ok:
        r.say("  CHECK FAILED the long chain: see its lines above")
    r.say(f"total time {time.perf_counter() - t_start:.0f} s; load {os.getloadavg()[0]:.2f}")
    if failed or not chain_ok:
        return 1
    return 1 if args.strict and any(t.verdicts["wall"] is False for t in found) else 0


if __name__ == "__main__":
    sys.exit(main())
