"""Smoke test of benchmarks/network.py: it runs, and every system's J matches the formulas.

Timings are never asserted (the machine is shared); only that the benchmark finishes and
its own checks pass (micrograd and torch are checked too where installed).
"""

from __future__ import annotations

from pathlib import Path

from cli_helpers import run_python

ROOT = Path(__file__).resolve().parent.parent


def test_the_network_benchmark_runs_and_checks_every_system() -> None:
    output = run_python([str(ROOT / "benchmarks" / "network.py"), "--quick"])
    assert "CHECK OK microgrand, compiled vectorized graph" in output
    assert "CHECK OK microgrand dynamic engine" in output
    assert "CHECK FAILED" not in output and output.rstrip().endswith("ALL CHECKS OK")
    assert "micrograd / microgrand" in output or "micrograd is not installed" in output
