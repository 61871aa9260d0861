"""Benchmark a user's op in a compiled graph on arrays: with and without ``array=``.

Usage: ``python benchmarks/user_ops.py [--quick]``

softplus, defined through `microgrand.define_op` as in the README, in the graph
J = Σ softplus(w x + b) over m = 10,000 examples (x an array, w and b parameters),
compiled once and called with ``reduce="sum"``:
- without ``array=``: the float forward runs once per example (np.frompyfunc);
- with ``array=`` (numpy on the whole array);
- the built-in op that computes the same numbers, ``bce_with_logits(z, 0)``;
- the hand-written numpy closed form (J = Σ softplus(z), dw = Σ σ(z) x, db = Σ σ(z)), the
  reference every system is checked against (rel 1e-9) before its time counts.
The method is `benchmarks/run.py`'s: interleaved rounds in a rotating order, medians, ratios
as medians of same-round ratios, wall clock and CPU time.
"""

from __future__ import annotations

import argparse
import math
import sys
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import microgrand  # noqa: E402
from benchmarks import run as r  # noqa: E402
from microgrand import Node  # noqa: E402

REL = 1e-9
CLOSED = "numpy closed form"
WITHOUT, WITH, BUILTIN = "softplus, no array=", "softplus, array=", "built-in bce_with_logits"


def softplus(x: float) -> float:
    """log(1 + e^x), without overflow (the README's forward)."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def softplus_array(x: Any) -> Any:
    """The same formula on numpy arrays (the README's array=)."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def compiled(op: str) -> Any:
    """J = op(w x + b) compiled once, for inputs x, w, b."""
    x = Node(0.5, "x", requires_grad=False)
    w, b = Node(0.3, "w"), Node(-0.2, "b")
    z = (w * x + b).named("z")
    if op == "bce_with_logits":
        J = microgrand.bce_with_logits(z, Node(0.0, "y", requires_grad=False))
    else:
        J = getattr(microgrand, op)(z)
    return microgrand.compile(J.named("J"), [x, w, b])


def run_compiled(f: Any, X: Any, w: float, b: float) -> tuple[float, float, float]:
    out = f(X, w, b)
    return out.value, out.grads["w"], out.grads["b"]


def closed(X: Any, w: float, b: float) -> tuple[float, float, float]:
    """The formulas by hand: J = Σ softplus(z), dJ/dw = Σ σ(z) x, dJ/db = Σ σ(z)."""
    z = w * X + b
    a = 1.0 / (1.0 + np.exp(-z))
    return float(softplus_array(z).sum()), float(a @ X), float(a.sum())


def check(want: tuple[float, ...]) -> Any:
    def problem(got: tuple[float, ...]) -> str:
        bad = [
            f"{name} {g!r} != {v!r}"
            for name, g, v in zip(("J", "dw", "db"), got, want, strict=True)
            if not math.isclose(g, v, rel_tol=REL)
        ]
        return "; ".join(bad)

    return problem


def main(argv: list[str] | None = None) -> int:
    """Measure, check and print the table; exit 1 if a system's numbers are wrong."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes, few rounds")
    args = parser.parse_args(argv)
    m, rounds, budget = (2_000, 3, 0.02) if args.quick else (10_000, 11, 0.2)
    microgrand.define_op("softplus_slow", softplus, "sigmoid(x)")
    microgrand.define_op("softplus", softplus, "sigmoid(x)", array=softplus_array)
    X = np.random.default_rng(0).normal(0.0, 3.0, m)
    w, b = 0.7, -0.2
    verify = check(closed(X, w, b))
    entries = [
        r.Entry(CLOSED, partial(closed, X, w, b), verify),
        r.Entry(WITHOUT, partial(run_compiled, compiled("softplus_slow"), X, w, b), verify),
        r.Entry(WITH, partial(run_compiled, compiled("softplus"), X, w, b), verify),
        r.Entry(BUILTIN, partial(run_compiled, compiled("bce_with_logits"), X, w, b), verify),
    ]
    title = f"J = Σ softplus(w x + b) and its gradients, m = {m:,}"
    workload = r.Workload("softplus", title, 1, "per call", entries)
    r.say(f"{title}: {rounds} interleaved rounds")
    r.interleave(workload, rounds, budget)
    failed = [e for e in entries if e.failure]
    reference = workload.entry(WITH)
    r.say(f"{'system':<28}{'wall':>12}{'cpu':>12}{'wall / array=':>16}{'cpu / array=':>15}")
    for entry in entries:
        cells = [r.fmt_time(entry.median(clock)) for clock in r.CLOCKS]
        if reference is not None and not entry.failure:
            cells += [f"{r.paired_ratio(entry, reference, c):.2f}x" for c in r.CLOCKS]
        else:
            cells += ["-", "-"]
        r.say(f"{entry.system:<28}{cells[0]:>12}{cells[1]:>12}{cells[2]:>16}{cells[3]:>15}")
    for entry in failed:
        r.say(f"CHECK FAILED {entry.system}: {entry.failure}")
    if not failed:
        r.say(f"CHECK OK: every system's J, dw and db match the closed form (rel {REL})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
