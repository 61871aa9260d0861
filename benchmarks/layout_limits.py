"""How many layout items `dot` and `graphviz-pure` lay out within ~5 s, per view and shape.

Usage: ``python benchmarks/layout_limits.py [--budget 5] [--timeout 20] [--engine dot ...]``

For each graph shape, view and layout program the size grows geometrically until a layout
takes longer than the budget (or crashes, or runs past the timeout). Each row prints the
drawing's drawn nodes, its layout items (`DotSource.items`: drawn nodes plus the hidden
points of edges that cross several ranks) and the seconds the program took on SVG. The
limits in `microgrand.layout.LIMITS` come from the summary at the end: per view and program,
the largest item count that finished within the budget below the smallest that did not.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from microgrand import Node  # noqa: E402
from microgrand.dot_source import Options, build_source  # noqa: E402
from microgrand.layout import ENGINES, find_renderer  # noqa: E402


def chain_shared(n: int) -> Node:
    """The issue's ``v0 = a*2; v1 = v0 + a; ...``: named boxes that all use one input."""
    a = Node(1.0, name="a")
    v = (a * 2).named("v0")
    for i in range(1, n):
        v = (v + a).named(f"v{i}")
    return v


def chain_inputs(n: int) -> Node:
    """Named boxes, each with an input of its own: ``v_i = tanh(v_{i-1}·w_i)``."""
    v = Node(0.5, name="x")
    for i in range(n):
        v = (v * Node(1.0, name=f"w{i}")).tanh().named(f"v{i}")
    return v


def fan_out(n: int) -> Node:
    """Unnamed nodes each used twice: ``c = (a + b)·0.5`` with a, b the previous two."""
    a, b = Node(1.0, name="a"), Node(1.0, name="b")
    for _ in range(n):
        a, b = b, (a + b) * 0.5
    return b


def random_graph(n: int) -> Node:
    """n random ops over four named inputs, drawing mostly on recent nodes (seeded)."""
    rng = random.Random(0)
    pool = [Node(rng.uniform(-1, 1), name=f"x{i}") for i in range(4)]
    for _ in range(n):
        x, y = rng.choice(pool[-20:]), rng.choice(pool)
        kind = rng.choice(("add", "mul", "tanh"))
        pool.append(x + y if kind == "add" else x * y if kind == "mul" else x.tanh())
    total = pool[-1]
    for node in pool[-5:-1]:
        total = total + node
    return total


def mlp(width: int) -> Node:
    """A 4-width-width-1 tanh network on one example (seeded): the issue's 4-8-8-1 at 8."""
    rng = random.Random(0)
    xs = [Node(rng.uniform(-1, 1), name=f"x{i}", requires_grad=False) for i in range(4)]
    layer = xs
    for size in (width, width, 1):
        nxt = []
        for _ in range(size):
            total = Node(0.0, name="b")
            for x in layer:
                total = total + Node(rng.uniform(-1, 1), name="w") * x
            nxt.append(total.tanh())
        layer = nxt
    return layer[0].named("out")


SHAPES: dict[str, tuple[Callable[[int], Node], list[int]]] = {
    "chain, one shared input": (chain_shared, [10, 20, 30, 40, 60, 90, 140, 200, 300, 500]),
    "chain, an input each": (chain_inputs, [10, 20, 40, 70, 120, 200, 300, 450, 700]),
    "fan-out (unnamed, used twice)": (fan_out, [10, 20, 40, 80, 160, 320, 480]),
    "random ops": (random_graph, [20, 50, 100, 200, 350, 500, 700, 900]),
    "MLP 4-w-w-1": (mlp, [2, 3, 4, 6, 8, 12]),
}


def measure(engine: str, source: str, timeout: float) -> tuple[float, str]:
    """Seconds the program takes to write SVG, and "ok", "timeout" or "exit N"."""
    _, exe = find_renderer(engine)
    start = time.perf_counter()
    try:
        result = subprocess.run(
            [exe, "-Tsvg"], input=source.encode("utf-8"), capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, "timeout"
    status = "ok" if result.returncode == 0 and result.stdout else f"exit {result.returncode}"
    return time.perf_counter() - start, status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=5.0, help="seconds (default 5)")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds (default 20)")
    parser.add_argument("--engine", action="append", choices=ENGINES)
    parser.add_argument("--view", action="append", choices=("lecture", "ops"))
    args = parser.parse_args()
    engines = args.engine or list(ENGINES)
    views = args.view or ["lecture", "ops"]
    passed: dict[tuple[str, str], list[int]] = {}
    failed: dict[tuple[str, str], list[int]] = {}
    print("| view | program | shape | n | drawn nodes | layout items | seconds |")
    print("|---|---|---|---|---|---|---|")
    for view in views:
        for engine in engines:
            for shape, (make, sizes) in SHAPES.items():
                for n in sizes:
                    root = make(n)
                    root.backward()
                    size = build_source(root, Options(view=view, max_nodes=10**6))
                    seconds, status = measure(engine, size.text, args.timeout)
                    good = status == "ok" and seconds <= args.budget
                    (passed if good else failed).setdefault((view, engine), []).append(size.items)
                    shown = f"{seconds:.2f}" if status == "ok" else f"{status} ({seconds:.1f})"
                    print(
                        f"| {view} | {engine} | {shape} | {n} | {size.nodes:,} | "
                        f"{size.items:,} | {shown} |",
                        flush=True,
                    )
                    if not good:
                        break
    print("\n| view | program | largest within budget below the smallest over it | smallest over |")
    print("|---|---|---|---|")
    for view in views:
        for engine in engines:
            over = min(failed.get((view, engine), [10**9]))
            under = max((i for i in passed.get((view, engine), []) if i < over), default=0)
            print(f"| {view} | {engine} | {under:,} | {over:,} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
