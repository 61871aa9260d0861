"""How long drawing takes: the lecture's graphs and the larger drawings the tests make.

Usage: ``python benchmarks/drawing.py [--runs 5]``

The tests assert what a drawing contains, never how long it took (this machine is shared
and noisy); the times live here. Each row is the median of `runs` drawings to SVG (the DOT
text and the layout) with each layout program that is installed; the last line is the time
`draw` takes to refuse a graph over its size limit. README's "lecture-sized graphs render
in well under a second" is the first rows.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from microgrand import Node, draw  # noqa: E402
from microgrand.logreg import lecture_graph, three_abc_graph  # noqa: E402
from microgrand.render import (  # noqa: E402
    ENGINES,
    MAX_NODES,
    GraphTooLargeError,
    RendererNotFoundError,
    find_renderer,
)


def chain_of_named(n: int) -> Node:
    """n named boxes in a row: h_i = 0.9 h_(i-1) + 0.01."""
    node = Node(0.5, "x")
    for i in range(n):
        node = (node * 0.9 + 0.01).named(f"h{i}")
    node.backward()
    return node


def deep_with_inputs(n: int) -> Node:
    """n named boxes, each with its own weight leaf (inputs leave the first column)."""
    node = Node(0.5, "x")
    for i in range(n):
        node = (node * Node(0.1 * i, f"w{i}") + 0.01).named(f"h{i}")
    node.backward()
    return node


def lecture() -> Node:
    graph = lecture_graph()
    graph.L.backward()
    return graph.L


def three_abc() -> Node:
    graph = three_abc_graph()
    graph.J.backward()
    return graph.J


GRAPHS: list[tuple[str, Callable[[], Node], tuple[str, ...]]] = [
    ("lecture's logistic regression", lecture, ("lecture", "ops")),
    ("J = 3(a + bc)", three_abc, ("lecture", "ops")),
    ("70 boxes, each with an input", lambda: deep_with_inputs(70), ("lecture",)),
    ("chain of 300 named boxes", lambda: chain_of_named(300), ("lecture",)),
]


def layout(root: Node, view: str, engine: str) -> str:
    """One drawing from scratch: the DOT text, then the layout program's SVG."""
    return draw(root, view=view, engine=engine, timeout=120.0).svg()


def median_seconds(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def installed_engines() -> list[str]:
    found = []
    for engine in ENGINES:
        try:
            find_renderer(engine)
        except RendererNotFoundError:
            continue
        found.append(engine)
    return found


def refusal_seconds(runs: int) -> float:
    """draw() on a chain one node over the limit: it must refuse without laying out."""
    node = Node(0.5, "x")
    for _ in range(MAX_NODES + 1):
        node = node + 1.0

    def refuse() -> None:
        try:
            draw(node)
        except GraphTooLargeError:
            return
        raise AssertionError("draw accepted a graph over its limit")

    return median_seconds(refuse, runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="layouts per row (median)")
    args = parser.parse_args(argv)
    engines = installed_engines()
    if not engines:
        print("no layout program installed (dot or graphviz-pure): nothing to time")
        return 1
    print(f"{'graph':<34}{'view':<9}" + "".join(f"{engine:>16}" for engine in engines))
    for name, make, views in GRAPHS:
        root = make()
        for view in views:
            cells = []
            for engine in engines:
                render = partial(layout, root, view, engine)
                seconds = median_seconds(render, args.runs)
                cells.append(f"{seconds * 1000:>13.0f} ms")
            print(f"{name:<34}{view:<9}" + "".join(cells))
    seconds = refusal_seconds(args.runs)
    print(f"refusing a graph of {MAX_NODES + 1:,} nodes (no layout): {seconds * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
