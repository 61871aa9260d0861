"""Benchmark `microgrand.compile` on a long chain: time and peak memory of each step.

Usage: ``python benchmarks/long_compile.py [--nodes N] [--kind muladd|tanh]`` (default: a
1,000,000-node chain ``y = y * 1.0000001 + 0.1``); `benchmarks/compiled.py` runs it as its
last step. A child process (so that its peak RSS is the chain's alone) builds the chain,
compiles it, calls the float version, checks the value and the gradient against the
engine's ``backward()`` bit for bit, calls the numpy version on m = 100 examples (its
first call writes and compiles that version) and checks it within 1e-12, then reads
``.source``. Each step reports wall and CPU seconds and the peak RSS so far.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

_CHILD = """\
import json, math, resource, sys, time
sys.path.insert(0, {root!r})
import numpy as np
import microgrand
from microgrand import Node

steps = []
def step(name, start, cpu):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    steps.append([name, time.perf_counter() - start, time.process_time() - cpu, peak])

def chain(x0):
    x = Node(x0, "x")
    y = x
    for _ in range({n} // {per}):
        y = {step}
    return y, x

start, cpu = time.perf_counter(), time.process_time()
y, x = chain(0.5)
step("build", start, cpu)
start, cpu = time.perf_counter(), time.process_time()
f = microgrand.compile(y, [x])
step("compile", start, cpu)
start, cpu = time.perf_counter(), time.process_time()
out = f(0.25)
step("first float call", start, cpu)
fresh, leaf = chain(0.25)
fresh.backward()
exact = out.value.hex() == fresh.value.hex() and out.grads[x].hex() == leaf.grad.hex()
del fresh, leaf
X = np.linspace(0.25, 0.75, 100)
start, cpu = time.perf_counter(), time.process_time()
arrays = f(X)
step("first array call (m = 100)", start, cpu)
start, cpu = time.perf_counter(), time.process_time()
arrays = f(X)
step("second array call", start, cpu)
first = f(0.25).grads[x]
close = abs(float(arrays.grads[x][0]) - first) <= 1e-12 * abs(first)
start, cpu = time.perf_counter(), time.process_time()
source = f.source
step(".source", start, cpu)
print(json.dumps({{"nodes": len(f._order), "steps": steps, "exact": exact, "close": close,
                  "source_mb": len(source) / 1e6}}))
"""

CHAINS = {"muladd": ("y * 1.0000001 + 0.1", 2), "tanh": ("y.tanh()", 1)}


def measure(nodes: int, kind: str = "muladd") -> dict[str, Any]:
    """Run the child on a chain of about `nodes` nodes; its report, or {"error": ...}."""
    expression, per = CHAINS[kind]
    code = _CHILD.format(root=str(ROOT), n=nodes, per=per, step=expression)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=3600
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return {"error": lines[-1] if lines else f"exit code {done.returncode}"}
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def lines(report: dict[str, Any]) -> list[str]:
    """The report as text: one line per step, and the checks."""
    if "error" in report:
        return [f"  long chain: FAILED ({report['error']})"]
    found = []
    for name, wall, cpu, peak in report["steps"]:
        found.append(
            f"  {name:<28} {wall:8.2f} s wall {cpu:8.2f} s CPU   peak RSS {peak / 2**30:5.2f} GiB"
        )
    verdict = "bit for bit" if report["exact"] else "DIFFERENT"
    arrays = "within 1e-12" if report["close"] else "DIFFERENT"
    found.append(
        f"  floats vs the engine's backward(): {verdict}; arrays vs floats: {arrays}; "
        f".source {report['source_mb']:.0f} MB"
    )
    return found


def checked(report: dict[str, Any]) -> bool:
    """The child ran, its floats equal the engine's and its arrays the floats."""
    return "error" not in report and bool(report["exact"]) and bool(report["close"])


def main(argv: list[str] | None = None) -> int:
    """Measure one chain and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--kind", choices=sorted(CHAINS), default="muladd")
    args = parser.parse_args(argv)
    print(f"compiling a {args.nodes:,}-node chain ({args.kind}) in a child process", flush=True)
    report = measure(args.nodes, args.kind)
    for line in lines(report):
        print(line)
    return 0 if checked(report) else 1


if __name__ == "__main__":
    sys.exit(main())
