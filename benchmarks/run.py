"""Benchmark microgrand against micrograd 0.1.0, PyTorch scalars and the closed form.

Usage: ``python benchmarks/run.py [--quick] [--strict] [--skip SYSTEM ...]`` (``make bench``).

Every workload runs the systems round by round, in a rotating order, with a gc.collect()
before each timed round (so no system pays for another's garbage) and the gc left on while
timing (users leave it on). The table shows medians and the spread of the rounds; each
target's ratio is the median of the ratios of the same round, so a slow spell on this
shared machine hits both sides of a ratio. Every result is checked against the hand-written
closed form (rel 1e-9) before its timing counts: look for ``CHECK OK`` / ``CHECK FAILED``.

Memory is the RSS growth of a child process that builds a chain of op nodes and holds it;
import time is measured in fresh interpreters. Nothing is installed: micrograd and torch are
used when present and skipped with a note when not. Exit status: 1 when a check failed (or,
with ``--strict``, when a target failed), else 0.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # benchmark the checkout's microgrand, not another copy

from benchmarks import workloads as w  # noqa: E402

CLOSED = "closed form"
MG = "microgrand"
MG_BCE = "microgrand (bce_with_logits)"
MICROGRAD = "micrograd"
TORCH = "torch"
PEER_VERSIONS = {MICROGRAD: "0.1.0", TORCH: "2.13.0"}


@dataclass(frozen=True)
class Sizes:
    """How big and how many: the full run, or the --quick smoke run."""

    one_rounds: int
    one_budget: float  # seconds of looped calls per system per round
    batch_small: int
    batch_large: int
    batch_rounds: int
    chain_ops: int
    chain_rounds: int
    memory_ops: int
    import_runs: int


FULL = Sizes(9, 0.15, 1_000, 10_000, 5, 1_000_000, 3, 1_000_000, 7)
QUICK = Sizes(3, 0.02, 200, 2_000, 3, 50_000, 2, 100_000, 3)


def say(text: str = "") -> None:
    """Print and flush, so progress shows while a long workload runs."""
    print(text, flush=True)


# --- peers ----------------------------------------------------------------------------


def load_peers(skip: set[str]) -> dict[str, Any]:
    """Import micrograd's Value and torch when installed; note (and skip) the absent ones."""
    peers: dict[str, Any] = {}
    if MICROGRAD in skip:
        say(f"note: {MICROGRAD} skipped (--skip)")
    else:
        try:
            from micrograd.engine import Value
        except ImportError:
            say(f"note: {MICROGRAD} is not installed: skipped (pip install micrograd==0.1.0)")
        else:
            w.install_micrograd_extras(Value)
            peers[MICROGRAD] = Value
    if TORCH in skip:
        say(f"note: {TORCH} skipped (--skip)")
    else:
        try:
            with warnings.catch_warnings():
                # torch 2.13 warns at import when numpy is absent; scalars do not need numpy.
                warnings.filterwarnings("ignore", message=".*NumPy.*")
                torch = importlib.import_module("torch")
        except ImportError:
            say(f"note: {TORCH} is not installed: skipped (pip install torch==2.13.0)")
        else:
            peers[TORCH] = torch
    for name in peers:
        version = _version(name)
        if not version.startswith(PEER_VERSIONS[name]):
            say(f"note: {name} {version} found; the issue's figures are for {PEER_VERSIONS[name]}")
    return peers


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return done.stdout.strip() if done.returncode == 0 else "?"


def environment(peers: dict[str, Any]) -> list[str]:
    """The lines that say what was measured, where."""
    import microgrand

    commit = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain", "--", "microgrand")
    torch = peers.get(TORCH)
    torch_threads = f", {torch.get_num_threads()} intra-op threads" if torch else ""
    return [
        f"python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        f"microgrand {microgrand.__version__} from {Path(microgrand.__file__).parent} at git "
        f"{commit}{' + uncommitted changes in microgrand/' if dirty not in ('', '?') else ''}",
        f"micrograd {_version('micrograd') if MICROGRAD in peers else 'absent'}; "
        f"torch {_version('torch') if TORCH in peers else 'absent'}{torch_threads}",
        f"date {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
    ]


# --- timing ---------------------------------------------------------------------------


CLOCKS = ("wall", "cpu")
"""Every time is taken twice: wall clock (what a user waits; the targets are judged on it)
and this process's CPU time (not inflated while other processes hold the CPU: on a shared
machine it shows whether a wall-clock difference is real)."""


@dataclass
class Entry:
    """One system in one workload: its call, how to check a result, and its timings."""

    system: str
    call: Callable[[], Any]
    check: Callable[[Any], str]  # '' when the result matches the closed form
    chain: bool = False  # the result is a ChainResult: time is its build + backward
    reps: int = 1  # calls per round (tiny workloads are looped)
    times: dict[str, list[float]] = field(default_factory=lambda: {c: [] for c in CLOCKS})
    teardowns: list[float] = field(default_factory=list)  # wall clock
    failure: str = ""

    def median(self, clock: str = "wall") -> float:
        """The median of the rounds (nan when none ran)."""
        times = self.times[clock]
        return statistics.median(times) if times else float("nan")

    def spread(self, clock: str = "wall") -> float:
        """Half the range of the rounds, relative to the median."""
        times = self.times[clock]
        if len(times) < 2:
            return 0.0
        return (max(times) - min(times)) / 2 / self.median(clock)


@dataclass
class Workload:
    """A measured workload: its title, the unit its times are divided by, its entries."""

    key: str
    title: str
    per: int  # the times are per call divided by this (examples, nodes)
    unit: str  # what one time is for ("per call", "per example", "per node")
    entries: list[Entry]

    def entry(self, system: str) -> Entry | None:
        """The entry of `system` when it ran without failing."""
        for entry in self.entries:
            if entry.system == system and entry.times["wall"] and not entry.failure:
                return entry
        return None


def _run_once(entry: Entry) -> tuple[float, float, float]:
    """Time one round of `entry`: seconds per call (wall, cpu) and teardown seconds."""
    gc.collect()
    reps = entry.reps
    call = entry.call
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(reps):
        result = call()
    wall = (time.perf_counter() - t0) / reps
    cpu = (time.process_time() - c0) / reps
    teardown = 0.0
    if entry.chain:
        wall = result.build + result.backward
        cpu = result.build_cpu + result.backward_cpu
        teardown = result.teardown
    problem = entry.check(result)
    if problem:
        entry.failure = f"wrong result: {problem}"
    return wall, cpu, teardown


def calibrate(entry: Entry, budget: float) -> None:
    """Warm up and choose how many calls make one round of about `budget` seconds."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        entry.call()
        best = min(best, time.perf_counter() - t0)
    entry.reps = max(1, min(1_000_000, int(budget / max(best, 1e-9))))


def interleave(workload: Workload, rounds: int, budget: float = 0.0) -> None:
    """Run the systems round by round in a rotating order; record per-round times."""
    t_start = time.perf_counter()
    entries = workload.entries
    if budget:
        for entry in entries:
            try:
                calibrate(entry, budget)
            except Exception as error:  # a broken engine must not stop the others
                entry.failure = f"{type(error).__name__}: {error}"
    for r in range(rounds):
        order = entries[r % len(entries) :] + entries[: r % len(entries)]
        for entry in order:
            if entry.failure:
                continue
            try:
                wall, cpu, teardown = _run_once(entry)
            except Exception as error:
                entry.failure = f"{type(error).__name__}: {str(error)[:200]}"
                continue
            entry.times["wall"].append(wall / workload.per)
            entry.times["cpu"].append(cpu / workload.per)
            entry.teardowns.append(teardown / workload.per)
    gc.collect()
    say(f"  done in {time.perf_counter() - t_start:.1f} s")


# --- workloads ------------------------------------------------------------------------


def _check_grads(want: w.Grads) -> Callable[[Any], str]:
    return lambda got: w.mismatches(got, want, w.GRAD_NAMES)


def _check_chain(want: w.ChainResult) -> Callable[[Any], str]:
    return lambda got: w.mismatches((got.value, got.grad), (want.value, want.grad), w.CHAIN_NAMES)


def one_example(peers: dict[str, Any], sizes: Sizes) -> Workload:
    """One example of the lecture's graph: build + backward + read grads."""
    example = w.make_data(1)[0]
    check = _check_grads(w.one_closed(example))
    entries = [
        Entry(CLOSED, partial(w.one_closed, example), check),
        Entry(MG, partial(w.one_microgrand, example), check),
        Entry(MG_BCE, partial(w.one_microgrand_bce, example), check),
    ]
    if MICROGRAD in peers:
        entries.append(Entry(MICROGRAD, partial(w.one_micrograd, peers[MICROGRAD], example), check))
    if TORCH in peers:
        entries.append(Entry(TORCH, partial(w.one_torch, peers[TORCH], example), check))
    title = "one example (lecture graph): build + backward + read grads"
    workload = Workload("one", title, 1, "per call", entries)
    interleave(workload, sizes.one_rounds, sizes.one_budget)
    return workload


def batch(peers: dict[str, Any], sizes: Sizes, m: int) -> Workload:
    """The full-batch step on m examples: J, backward, read dw1, dw2, db."""
    data = w.make_data(m)
    check = _check_grads(w.batch_closed(data))
    entries = [
        Entry(CLOSED, partial(w.batch_closed, data), check),
        Entry(MG, partial(w.batch_microgrand, data), check),
        Entry(MG_BCE, partial(w.batch_microgrand_bce, data), check),
    ]
    if MICROGRAD in peers:
        entries.append(Entry(MICROGRAD, partial(w.batch_micrograd, peers[MICROGRAD], data), check))
    if TORCH in peers:
        entries.append(Entry(TORCH, partial(w.batch_torch, peers[TORCH], data), check))
    title = f"full-batch step, m = {m:,}: build J + backward + read grads"
    workload = Workload(f"batch{m}", title, m, "per example", entries)
    interleave(workload, sizes.batch_rounds)
    return workload


def chain(peers: dict[str, Any], sizes: Sizes) -> Workload:
    """A chain of op nodes x -> x * 1.0001 + 0.0001: build + backward (teardown apart)."""
    n = sizes.chain_ops
    check = _check_chain(w.chain_closed(n))
    entries = [
        Entry(CLOSED, partial(w.chain_closed, n), check, chain=True),
        Entry(MG, partial(w.chain_microgrand, n), check, chain=True),
    ]
    if MICROGRAD in peers:
        entries.append(
            Entry(MICROGRAD, partial(w.chain_micrograd, peers[MICROGRAD], n), check, chain=True)
        )
    if TORCH in peers:
        entries.append(Entry(TORCH, partial(w.chain_torch, peers[TORCH], n), check, chain=True))
    title = f"chain of {n:,} op nodes: build + backward"
    workload = Workload("chain", title, n, "per node", entries)
    interleave(workload, sizes.chain_rounds)
    return workload


# --- child processes: memory and import time ------------------------------------------

_LEAF = {
    MG: ("from microgrand import Node", "Node(0.5)"),
    MICROGRAD: ("from micrograd.engine import Value", "Value(0.5)"),
    TORCH: (
        "import warnings\nwarnings.filterwarnings('ignore', message='.*NumPy.*')\nimport torch",
        "torch.tensor(0.5, dtype=torch.float64, requires_grad=True)",
    ),
}

_MEMORY_CHILD = """\
import gc, json, os, resource, sys
sys.path.insert(0, {root!r})
{imports}

def rss():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

def build(n):
    x = {leaf}
    for _ in range(n // 2):
        x = x * 1.0001 + 0.0001
    return x

keep = build(2000)  # warm up: caches, free lists, lazily imported code
del keep
gc.collect()
before = rss()
keep = build({n})
after = rss()
print(json.dumps({{"before": before, "after": after}}))
"""


def memory(system: str, n: int) -> tuple[float, str]:
    """RSS growth per op node of a child that builds and holds an n-op-node chain."""
    imports, leaf = _LEAF[system]
    code = _MEMORY_CHILD.format(root=str(ROOT), imports=imports, leaf=leaf, n=n)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=1800
    )
    if done.returncode != 0:
        return float("nan"), done.stderr.strip().splitlines()[-1] if done.stderr else "failed"
    numbers = json.loads(done.stdout.strip().splitlines()[-1])
    return (numbers["after"] - numbers["before"]) / n, ""


_IMPORT_CHILD = """\
import sys, time
sys.path.insert(0, {root!r})
import warnings
warnings.filterwarnings("ignore", message=".*NumPy.*")
t0 = time.perf_counter()
import {module}
print(time.perf_counter() - t0)
"""


def import_time(module: str, runs: int) -> list[float]:
    """Seconds to import `module` in each of `runs` fresh interpreters."""
    code = _IMPORT_CHILD.format(root=str(ROOT), module=module)
    times = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            return []
        times.append(float(done.stdout.strip().splitlines()[-1]))
    return times


# --- report ---------------------------------------------------------------------------


def fmt_time(seconds: float) -> str:
    """A duration with a readable unit."""
    if seconds != seconds:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def paired_ratio(slow: Entry, fast: Entry, clock: str) -> float:
    """Median over rounds of slow/fast, pairing the two systems' times of the same round."""
    pairs = [s / f for s, f in zip(slow.times[clock], fast.times[clock], strict=False) if f > 0]
    return statistics.median(pairs) if pairs else float("nan")


def _row(label: str, cells: list[str], widths: list[int]) -> str:
    return f"{label:<46}" + "".join(f"{c:>{n}}" for c, n in zip(cells, widths, strict=True))


def print_table(
    results: list[Workload],
    systems: list[str],
    clock: str,
    mem: dict[str, tuple[float, str]] | None = None,
    imports: dict[str, list[float]] | None = None,
) -> None:
    """Medians (± half the range of the rounds, in % of the median), one row per workload."""
    widths = [max(len(s), 15) + 2 for s in systems]
    header = _row("workload", systems, widths)
    say(header)
    say("-" * len(header))
    for workload in results:
        cells = []
        for system in systems:
            entry = next((e for e in workload.entries if e.system == system), None)
            if entry is None:
                cells.append("n/a")
            elif entry.failure:
                cells.append("FAILED")
            else:
                cells.append(f"{fmt_time(entry.median(clock))} ±{entry.spread(clock):.0%}")
        say(_row(f"{workload.key}: {workload.unit}", cells, widths))
        if workload.key == "chain" and clock == "wall":
            cells = []
            for system in systems:
                ok = workload.entry(system)
                torn = fmt_time(statistics.median(ok.teardowns)) if ok and system != CLOSED else "-"
                cells.append(torn)
            say(_row("chain: teardown per node (del + gc)", cells, widths))
    if mem is not None:
        cells = []
        for system in systems:
            if system not in mem:
                cells.append("-")
            else:
                per_node = mem[system][0]
                cells.append(f"{per_node:.0f} B" if per_node == per_node else "FAILED")
        say(_row("memory per op node (RSS growth)", cells, widths))
    if imports is not None:
        cells = []
        for system in systems:
            runs = imports.get(system)
            cells.append(
                "-" if runs is None else fmt_time(statistics.median(runs)) if runs else "FAILED"
            )
        say(_row("import in a fresh interpreter", cells, widths))


@dataclass
class Target:
    """One of the issue's targets: its figure and verdict on each clock."""

    name: str
    figures: dict[str, str]  # clock -> measured figure
    verdicts: dict[str, bool | None]  # clock -> passed (None: not measured)


def speedup_figure(
    workload: Workload, slow: str, fast: str, at_least: float
) -> Callable[[str], tuple[str, bool] | None]:
    """A speed-up target's figure on one clock: how many times `fast` beats `slow` (their
    same-round ratio), or None when either system was not measured."""

    def figure(clock: str) -> tuple[str, bool] | None:
        s, f = workload.entry(slow), workload.entry(fast)
        if s is None or f is None:
            return None
        r = paired_ratio(s, f, clock)
        return f"{r:.2f}x (need >= {at_least:g}x)", r >= at_least

    return figure


def evaluate(
    results: list[Workload],
    sizes: Sizes,
    mem: dict[str, tuple[float, str]],
    imports: dict[str, list[float]],
) -> list[Target]:
    """Every target of the issue, measured on both clocks where it is a time."""
    by_key = {r.key: r for r in results}
    one = by_key["one"]
    small = by_key[f"batch{sizes.batch_small}"]
    large = by_key[f"batch{sizes.batch_large}"]
    chain = by_key["chain"]
    targets: list[Target] = []

    def timed(name: str, figure: Callable[[str], tuple[str, bool] | None]) -> None:
        figures: dict[str, str] = {}
        verdicts: dict[str, bool | None] = {}
        for clock in CLOCKS:
            got = figure(clock)
            figures[clock] = got[0] if got else "not measured (a system absent or failed)"
            verdicts[clock] = got[1] if got else None
        targets.append(Target(name, figures, verdicts))

    def flat(system: str) -> Callable[[str], tuple[str, bool] | None]:
        def figure(clock: str) -> tuple[str, bool] | None:
            lo, hi = small.entry(system), large.entry(system)
            if lo is None or hi is None:
                return None
            r = hi.median(clock) / lo.median(clock)
            return f"{r:.2f}x (need <= 1.5x)", r <= 1.5

        return figure

    def per_node(clock: str) -> tuple[str, bool] | None:
        c = chain.entry(MG)
        if c is None:
            return None
        extra = ""
        peer = chain.entry(MICROGRAD)
        if peer is not None:
            extra = f"; micrograd {fmt_time(peer.median(clock))}"
        return f"{fmt_time(c.median(clock))} (need <= 2 µs{extra})", c.median(clock) <= 2e-6

    m_large = f"m = {sizes.batch_large:,}"
    timed("one example: micrograd / microgrand", speedup_figure(one, MICROGRAD, MG, 3))
    timed("one example: torch / microgrand", speedup_figure(one, TORCH, MG, 10))
    timed(f"batch {m_large}: micrograd / microgrand", speedup_figure(large, MICROGRAD, MG, 20))
    timed(
        f"batch {m_large}: micrograd / microgrand (bce_with_logits)",
        speedup_figure(large, MICROGRAD, MG_BCE, 20),
    )
    scale = f"m = {sizes.batch_large:,} / m = {sizes.batch_small:,}"
    timed(f"flat scaling, per example {scale}: microgrand", flat(MG))
    timed(f"flat scaling, per example {scale}: microgrand (bce_with_logits)", flat(MG_BCE))
    timed(f"chain of {sizes.chain_ops:,} op nodes: build + backward per node", per_node)
    return [*targets, *_one_figure_targets(sizes, mem, imports)]


def _one_figure_targets(
    sizes: Sizes, mem: dict[str, tuple[float, str]], imports: dict[str, list[float]]
) -> list[Target]:
    """The memory and import-time targets: measured in child processes, once, not per
    clock, so each has one figure (on the "wall" key) that counts for both clocks."""
    per, problem = mem.get(MG, (float("nan"), "not run"))
    measured = per == per
    figure = f"{per:.0f} B (need <= 300 B)" if measured else f"failed: {problem}"
    runs = imports.get(MG, [])
    seconds = statistics.median(runs) if runs else float("nan")
    return [
        Target(
            f"memory per op node ({sizes.memory_ops:,}-op-node chain, RSS growth)",
            {"wall": figure},
            {"wall": per <= 300 if measured else None},
        ),
        Target(
            "import microgrand in a fresh interpreter (median)",
            {"wall": f"{fmt_time(seconds)} (need < 100 ms)" if runs else "failed"},
            {"wall": seconds < 0.1 if runs else None},
        ),
    ]


VERDICT = {True: "PASS", False: "FAIL", None: "N/A"}


def print_targets(targets: list[Target]) -> None:
    """One line per target: the wall-clock verdict, and the CPU-time one beside it."""
    for target in targets:
        wall = VERDICT[target.verdicts["wall"]]
        line = f"  [{wall}] {target.name}: {target.figures['wall']}"
        if "cpu" in target.verdicts:
            cpu = VERDICT[target.verdicts["cpu"]]
            line += f"   | cpu time: {cpu} {target.figures['cpu'].split(' (')[0]}"
        say(line)
    for clock in CLOCKS:
        # Memory and import time have one figure each; it counts for both clocks.
        passed = sum(t.verdicts.get(clock, t.verdicts["wall"]) is True for t in targets)
        say(f"  {passed}/{len(targets)} targets pass on {clock}-time medians")


def print_checks(results: list[Workload], systems: list[str]) -> bool:
    """One line per system: every round's result against the closed form, or what failed.

    A wrong number makes a time meaningless, so `main` exits 1 on a failed check even
    without --strict; True when every check passed.
    """
    say(f"CHECKS against the hand-written closed form (rel {w.REL_TOL:g}), every round:")
    all_ok = True
    for system in systems:
        entries = [(r.key, e) for r in results for e in r.entries if e.system == system]
        problems = [f"{key}: {e.failure}" for key, e in entries if e.failure]
        if problems:
            all_ok = False
            say(f"  CHECK FAILED {system}: " + " | ".join(problems))
        else:
            say(f"  CHECK OK {system}: {', '.join(key for key, _ in entries)}")
    return all_ok


def measure_all(
    peers: dict[str, Any], sizes: Sizes, quick: bool
) -> tuple[list[Workload], dict[str, tuple[float, str]], dict[str, list[float]]]:
    """The six measuring steps, in the order the progress lines number them: the workloads
    (one example, two batches, the chain), then memory and import time in child processes.
    """
    results: list[Workload] = []
    steps = 6
    say(f"[1/{steps}] one example of the lecture's graph ({sizes.one_rounds} rounds)")
    results.append(one_example(peers, sizes))
    for i, m in enumerate((sizes.batch_small, sizes.batch_large)):
        say(f"[{2 + i}/{steps}] full-batch step, m = {m:,} ({sizes.batch_rounds} rounds)")
        results.append(batch(peers, sizes, m))
    say(f"[4/{steps}] chain of {sizes.chain_ops:,} op nodes ({sizes.chain_rounds} rounds)")
    results.append(chain(peers, sizes))

    say(f"[5/{steps}] memory: RSS growth of a {sizes.memory_ops:,}-op-node chain, child process")
    t0 = time.perf_counter()
    mem: dict[str, tuple[float, str]] = {}
    for system in [MG, *[p for p in (MICROGRAD, TORCH) if p in peers]]:
        mem[system] = memory(system, sizes.memory_ops)
    say(f"  done in {time.perf_counter() - t0:.1f} s")

    say(f"[6/{steps}] import time in fresh interpreters ({sizes.import_runs} runs)")
    t0 = time.perf_counter()
    imports = {MG: import_time("microgrand", sizes.import_runs)}
    for name, module in ((MICROGRAD, "micrograd.engine"), (TORCH, "torch")):
        if name in peers:
            imports[name] = import_time(module, 1 if quick else 3)
    say(f"  done in {time.perf_counter() - t0:.1f} s")

    return results, mem, imports


def main(argv: list[str] | None = None) -> int:
    """Run every workload, print the tables, the targets and the checks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes, few rounds (< 60 s)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    parser.add_argument(
        "--skip", nargs="*", default=[], choices=[MICROGRAD, TORCH], help="peers to leave out"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    t_start = time.perf_counter()

    say(f"microgrand benchmark ({'QUICK smoke run: small sizes' if args.quick else 'full run'})")
    peers = load_peers(set(args.skip))
    for line in environment(peers):
        say(line)
    # Importing torch leaves several hundred thousand objects that every full collection
    # of the cyclic gc walks again: whichever system builds graphs while torch is loaded
    # pays for torch's import. Freezing what exists now (modules, not graphs) takes it
    # out of the gc's walks, for every system alike; the gc itself stays on.
    gc.collect()
    gc.freeze()
    say(f"gc: {gc.get_freeze_count():,} objects of the imports frozen before timing")
    say()

    results, mem, imports = measure_all(peers, sizes, args.quick)
    systems = [CLOSED, MG, MG_BCE, *[p for p in (MICROGRAD, TORCH) if p in peers]]
    say()
    say("RESULTS (wall clock): medians of interleaved rounds, ± half the range of the rounds")
    print_table(results, systems, "wall", mem, imports)
    for system, (_, problem) in mem.items():
        if problem:
            say(f"  memory child for {system} failed: {problem}")
    say()
    say("RESULTS (CPU time of this process, same rounds): not inflated by other processes")
    print_table(results, systems, "cpu")
    say()
    note = " (quick sizes: indicative only; the full run decides)" if args.quick else ""
    say(f"TARGETS, judged on wall-clock medians; ratios are medians of same-round ratios{note}")
    targets = evaluate(results, sizes, mem, imports)
    print_targets(targets)

    say()
    any_failed = not print_checks(results, systems[1:])
    say()
    say(
        f"total time {time.perf_counter() - t_start:.0f} s; load average now "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    if any_failed:
        return 1
    if args.strict and any(t.verdicts["wall"] is False for t in targets):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
