"""Instructions per node / example / call of the benchmark's workloads, counted by valgrind.

Usage: ``python benchmarks/icount.py DIR [WORKLOAD ...]`` (needs ``valgrind``)

DIR holds a ``microgrand`` package (``.`` for the checkout, a scratch copy for a
prototype). Wall and CPU time on a shared machine move by tens of percent; instruction
counts do not, so a 1 % difference between two engines is real. Each figure is the count
of a process that runs the workload minus that of the same process without it (start-up,
imports and data cancel out). Instructions are not time: cache misses cost time and no
instructions, so use this to rank code changes and the benchmark to judge targets.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_PRELUDE = """\
import gc, sys
sys.path.insert(0, {engine!r})
sys.path.insert(1, {root!r})
from benchmarks import workloads as w
from microgrand import Node
gc.collect()
"""

# name: (code that uses N, N, the count is divided by this, code of the baseline)
WORKLOADS: dict[str, tuple[str, int, int, str]] = {
    "chain build + backward + teardown (per op node)": (
        "w.chain_microgrand(N)",
        200_000,
        200_000,
        "w.chain_microgrand(0)",
    ),
    "chain build (per op node)": (
        "s = Node(0.5)\nx = s\nfor _ in range(N // 2):\n    x = x * 1.0001 + 0.0001",
        200_000,
        200_000,
        "s = Node(0.5)",
    ),
    "chain build, gc off (per op node)": (
        "gc.disable()\ns = Node(0.5)\nx = s\nfor _ in range(N // 2):\n    x = x * 1.0001 + 0.0001",
        200_000,
        200_000,
        "gc.disable()\ns = Node(0.5)",
    ),
    "one example (per call)": (
        "ex = w.make_data(1)[0]\nfor _ in range(N):\n    w.one_microgrand(ex)",
        2000,
        2000,
        "ex = w.make_data(1)[0]",
    ),
    "one example, bce (per call)": (
        "ex = w.make_data(1)[0]\nfor _ in range(N):\n    w.one_microgrand_bce(ex)",
        2000,
        2000,
        "ex = w.make_data(1)[0]",
    ),
    "batch m=1000 (per example)": (
        "d = w.make_data(N)\nw.batch_microgrand(d)",
        1000,
        1000,
        "d = w.make_data(N)",
    ),
    "batch m=10000 (per example)": (
        "d = w.make_data(N)\nw.batch_microgrand(d)",
        10_000,
        10_000,
        "d = w.make_data(N)",
    ),
    "batch m=10000, bce (per example)": (
        "d = w.make_data(N)\nw.batch_microgrand_bce(d)",
        10_000,
        10_000,
        "d = w.make_data(N)",
    ),
}


def instructions(code: str) -> int:
    """Instructions valgrind counts for ``python -c code``."""
    done = subprocess.run(
        [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
            sys.executable,
            "-c",
            code,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind failed:\n{done.stderr[-3000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    """Print the instructions per unit of each chosen workload for the engine in DIR."""
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    engine = str(Path(sys.argv[1]).resolve())
    names = sys.argv[2:] or list(WORKLOADS)
    prelude = _PRELUDE.format(engine=engine, root=str(ROOT))
    for name in names:
        code, n, per, baseline = WORKLOADS[name]
        work = instructions(f"{prelude}N = {n}\n{code}\n")
        base = instructions(f"{prelude}N = {n}\n{baseline}\n")
        print(f"{name:<48} {(work - base) / per:10,.0f} instructions", flush=True)


if __name__ == "__main__":
    main()
