"""Compare microgrand engines (the checkout and scratch copies) on the benchmark's workloads.

Usage: ``python benchmarks/ab.py DIR [DIR ...] [--reps N] [--quick]``

Each DIR holds a ``microgrand`` package (``.`` for the checkout, ``/tmp/mg_proto`` for a
prototype). Every repetition runs each engine in a fresh child process, the engines in a
rotating order, so a slow spell on the machine hits them alike; the child times the
workloads of ``benchmarks/run.py`` with ``process_time`` (CPU time, not inflated while other
processes hold the CPU) and checks every result against the closed form. The table shows
medians and minimums over the repetitions, and each engine's ratio to the first DIR
(on a busy machine the minimum is the steadier of the two).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def child(engine_dir: str, chain_ops: int, m_small: int, m_large: int) -> dict[str, float]:
    """Seconds (CPU) per unit of each workload, for the engine in `engine_dir`."""
    sys.path.insert(0, str(Path(engine_dir).resolve()))
    sys.path.insert(1, str(ROOT))
    from benchmarks import workloads as w

    def best_of(call: Callable[[], Any], reps: int, per: int) -> float:
        times = []
        for _ in range(reps):
            gc.collect()
            t0 = time.process_time()
            call()
            times.append((time.process_time() - t0) / per)
        return statistics.median(times)

    out: dict[str, float] = {}
    example = w.make_data(1)[0]
    want = w.one_closed(example)
    assert w.mismatches(w.one_microgrand(example), want, w.GRAD_NAMES) == ""
    assert w.mismatches(w.one_microgrand_bce(example), want, w.GRAD_NAMES) == ""
    calls = 5000

    def loop(fn: Callable[..., Any]) -> Callable[[], None]:
        def run() -> None:
            for _ in range(calls):
                fn(example)

        return run

    out["one example (per call)"] = best_of(loop(w.one_microgrand), 3, calls)
    out["one example, bce (per call)"] = best_of(loop(w.one_microgrand_bce), 3, calls)
    for m in (m_small, m_large):
        data = w.make_data(m)
        want = w.batch_closed(data)
        assert w.mismatches(w.batch_microgrand(data), want, w.GRAD_NAMES) == ""
        assert w.mismatches(w.batch_microgrand_bce(data), want, w.GRAD_NAMES) == ""
        reps = 5 if m <= 2000 else 3
        out[f"batch m={m} (per example)"] = best_of(partial(w.batch_microgrand, data), reps, m)
        out[f"batch m={m}, bce (per example)"] = best_of(
            partial(w.batch_microgrand_bce, data), reps, m
        )
    want_chain = w.chain_closed(chain_ops)
    results = []
    for _ in range(2):
        gc.collect()
        results.append(w.chain_microgrand(chain_ops))
    for got in results:
        assert (
            w.mismatches((got.value, got.grad), (want_chain.value, want_chain.grad), ("v", "g"))
            == ""
        )
    out["chain build (per node)"] = statistics.median(r.build_cpu for r in results) / chain_ops
    out["chain backward (per node)"] = (
        statistics.median(r.backward_cpu for r in results) / chain_ops
    )
    out["chain build + backward (per node)"] = (
        out["chain build (per node)"] + out["chain backward (per node)"]
    )
    return out


def main() -> None:
    """Run the engines in alternating child processes and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("engines", nargs="+", help="directories holding a microgrand package")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    chain_ops, m_small, m_large = (100_000, 200, 2000) if args.quick else (1_000_000, 1000, 10_000)
    if args.child:
        print(json.dumps(child(args.child, chain_ops, m_small, m_large)))
        return
    runs: dict[str, list[dict[str, float]]] = {e: [] for e in args.engines}
    for rep in range(args.reps):
        shift = rep % len(args.engines)
        for engine in args.engines[shift:] + args.engines[:shift]:
            command = [sys.executable, __file__, engine, "--child", engine]
            if args.quick:
                command.append("--quick")
            done = subprocess.run(command, capture_output=True, text=True, timeout=900)
            if done.returncode != 0:
                print(f"{engine}: FAILED\n{done.stderr[-2000:]}", flush=True)
                continue
            runs[engine].append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"repetition {rep + 1}/{args.reps} done", flush=True)
    names = list(next(r for r in runs.values() if r)[0])
    first = args.engines[0]
    width = max(len(e) for e in args.engines) + 14
    for label, pick in (("median", statistics.median), ("minimum", min)):
        print(f"\nCPU time, {label} of {args.reps} child processes (ratio to {first})")
        print(f"{'workload':<36}" + "".join(f"{e:>{width}}" for e in args.engines))
        for name in names:
            base = pick(r[name] for r in runs[first]) if runs[first] else float("nan")
            cells = []
            for engine in args.engines:
                if not runs[engine]:
                    cells.append("FAILED")
                    continue
                value = pick(r[name] for r in runs[engine])
                cells.append(f"{value * 1e6:.3f} µs ({value / base:.2f})")
            print(f"{name:<36}" + "".join(f"{c:>{width}}" for c in cells))


if __name__ == "__main__":
    main()
