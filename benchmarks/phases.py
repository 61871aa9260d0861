"""Where microgrand's time goes per node: build, collect + sort, chain rule, teardown, gc.

Usage: ``python benchmarks/phases.py [--engine DIR] [--chain N] [--batch M] [--rounds R]``

``--engine DIR`` profiles the microgrand package found in DIR (a scratch copy, e.g.
/tmp/mg_proto) instead of the checkout's, so a prototype can be compared with the same
script. The phases, timed with perf_counter on the same graph, median of the rounds:

- build: making the graph with the gc on (as users run it) and with the gc off (the
  difference is what the cyclic collector costs while the graph grows);
- collect + sort: ``engine.collect`` (the walk from the root and the sort by stamp);
  the sort alone is timed on the walk's own order;
- chain rule: the rest of ``backward`` (total minus collect + sort);
- teardown: dropping the last reference, which frees the graph by reference counting.

Times are this process's CPU time (``--clock wall`` for wall time).

It also prints the size of each object a node owns (``sys.getsizeof``). It reads a private
name (``_stamp``), counts calls of ``engine.collect`` by replacing it for a moment, and is a
profiling aid, not part of the API.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from operator import attrgetter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# CPU time of this process by default: on a shared machine, wall time also counts the
# time other processes hold the CPU, which swamps differences of 10-20 %.
clock = time.process_time


def _load(engine_dir: str | None) -> tuple[Any, Any, Any]:
    sys.path.insert(0, engine_dir or str(ROOT))
    import microgrand
    from microgrand import engine

    return microgrand, engine, microgrand.Node


def build_chain(node_class: Any, n_ops: int) -> tuple[Any, Any]:
    """The benchmark's chain x -> x * 1.0001 + 0.0001: (root, start)."""
    start = node_class(0.5)
    x = start
    for _ in range(n_ops // 2):
        x = x * 1.0001 + 0.0001
    return x, start


def build_batch(node_class: Any, m: int) -> tuple[Any, Any]:
    """The benchmark's full-batch J in primitive ops: (J, w1)."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.workloads import PARAMS, make_data

    w1 = node_class(PARAMS[0], "w1")
    w2 = node_class(PARAMS[1], "w2")
    b = node_class(PARAMS[2], "b")
    total: Any = None
    for x1, x2, y in make_data(m):
        a = (w1 * x1 + w2 * x2 + b).sigmoid()
        loss = -(y * a.log() + (1.0 - y) * (1.0 - a).log())
        total = loss if total is None else total + loss
    return total / m, w1


def _dfs_order(root: Any) -> list[Any]:
    """The computed nodes in the order the engine's stack walk meets them (before sorting)."""
    seen = {root}
    stack = [root]
    order = []
    while stack:
        node = stack.pop()
        parents = node.parents
        if parents:
            order.append(node)
        for parent in parents:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return order


def count_nodes(root: Any) -> tuple[int, int]:
    """(computed nodes, leaves) of root's graph."""
    order = _dfs_order(root)
    leaves: set[Any] = set()
    for node in order:
        leaves.update(p for p in node.parents if not p.parents)
    return len(order), len(leaves)


_NOTES: set[str] = set()


def measure(
    engine: Any, build: Callable[[], tuple[Any, Any]], rounds: int
) -> dict[str, list[float]]:
    """Seconds of each phase, one entry per round."""
    phases: dict[str, list[float]] = {}

    def record(name: str, seconds: float) -> None:
        phases.setdefault(name, []).append(seconds)

    for _ in range(rounds):
        gc.collect()
        gc.disable()
        t0 = clock()
        root, keep = build()
        record("build, gc off", clock() - t0)
        del root, keep
        gc.enable()
        gc.collect()

        t0 = clock()
        root, keep = build()
        record("build, gc on", clock() - t0)

        order = _dfs_order(root)
        t0 = clock()
        order.sort(key=attrgetter("_stamp"), reverse=True)
        record("  sort alone", clock() - t0)
        del order

        t0 = clock()
        collected = engine.collect(root)
        record("collect + sort", clock() - t0)
        del collected

        calls: list[Any] = []
        collect = engine.collect

        def counting_collect(node: Any, collect: Any = collect, calls: Any = calls) -> Any:
            calls.append(node)
            return collect(node)

        engine.collect = counting_collect
        try:
            t0 = clock()
            root.backward()
            record("backward (total)", clock() - t0)
        finally:
            engine.collect = collect
        if not calls:
            _NOTES.add("backward does not call engine.collect: 'chain rule' is then not a phase")

        t0 = clock()
        del root, keep
        record("teardown (del)", clock() - t0)
        gc.collect()
    _add_differences(phases)
    return phases


def _add_differences(phases: dict[str, list[float]]) -> None:
    """Add the phases no clock can time alone, each the difference of two timed phases in
    the same round: the chain rule inside backward, the walk inside collect, and what the
    garbage collector adds to a build."""
    phases["chain rule (backward - collect)"] = [
        b - c for b, c in zip(phases["backward (total)"], phases["collect + sort"], strict=True)
    ]
    phases["  walk alone (collect - sort)"] = [
        c - s for c, s in zip(phases["collect + sort"], phases["  sort alone"], strict=True)
    ]
    phases["gc share of build"] = [
        on - off for on, off in zip(phases["build, gc on"], phases["build, gc off"], strict=True)
    ]


def report(title: str, phases: dict[str, list[float]], per: int) -> None:
    """Print each phase's median per node and its share of build + backward + teardown."""
    med = {name: statistics.median(times) for name, times in phases.items()}
    total = med["build, gc on"] + med["backward (total)"] + med["teardown (del)"]
    print(f"\n{title}: per op node (median of {len(phases['build, gc on'])} rounds)")
    order = [
        "build, gc on",
        "build, gc off",
        "gc share of build",
        "collect + sort",
        "  walk alone (collect - sort)",
        "  sort alone",
        "chain rule (backward - collect)",
        "backward (total)",
        "teardown (del)",
    ]
    for name in order:
        seconds = med[name]
        print(f"  {name:<34} {seconds / per * 1e9:8.0f} ns  {seconds / total:6.1%}")
    print(f"  {'build + backward + teardown':<34} {total / per * 1e9:8.0f} ns")


def sizes(node_class: Any) -> None:
    """What one computed node owns, by sys.getsizeof (gc header included by getsizeof)."""
    a = node_class(0.5)
    node = a * 1.0001 + 0.0001
    node = node * 1.0001 + 0.0001  # a stamp past the small-int cache
    print("\nper-node objects (sys.getsizeof, bytes; pymalloc rounds each up to 16):")
    print(f"  Node                    {sys.getsizeof(node)}")
    slots = getattr(type(node), "__slots__", ())
    print(f"    slots: {', '.join(slots)}")
    parents = getattr(node, "_parents", None)
    if isinstance(parents, tuple):
        print(f"  parents tuple           {sys.getsizeof(parents)}")
    print(f"  value float             {sys.getsizeof(node.value)}")
    stamp = getattr(node, "_stamp", None)
    if isinstance(stamp, int):
        print(f"  stamp int               {sys.getsizeof(stamp)}")
    node.backward()
    print(f"  grad float (after backward) {sys.getsizeof(node.grad)}")


def main() -> None:
    """Profile the chain and the batch; print per-node phases and sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--engine", help="directory holding the microgrand package to profile")
    parser.add_argument(
        "--chain", type=int, default=1_000_000, help="op nodes in the chain (0: skip)"
    )
    parser.add_argument("--batch", type=int, default=10_000, help="examples in the batch")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    args = parser.parse_args()
    global clock
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    microgrand, engine, node_class = _load(args.engine)
    print(f"microgrand from {Path(microgrand.__file__).parent}; clock: {args.clock} time")

    if args.chain:
        chain_phases = measure(engine, lambda: build_chain(node_class, args.chain), args.rounds)
        report(f"chain of {args.chain:,} op nodes", chain_phases, args.chain)

    computed, leaves = count_nodes(build_batch(node_class, args.batch)[0])
    print(f"\nbatch m = {args.batch:,}: {computed:,} op nodes, {leaves:,} leaves")
    batch_phases = measure(engine, lambda: build_batch(node_class, args.batch), args.rounds)
    report(f"batch m = {args.batch:,} ({computed:,} op nodes)", batch_phases, computed)
    sizes(node_class)
    for note in sorted(_NOTES):
        print(f"note: {note}")


if __name__ == "__main__":
    main()
