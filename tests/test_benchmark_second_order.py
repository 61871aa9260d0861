"""Smoke test of benchmarks/second_order.py: it runs, and every system's Hessian is right.

Timings are never asserted (the machine is shared); only that the benchmark finishes and
its own checks against the lecture's closed form pass (torch too, where installed).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import run_python

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_second_order_benchmark_runs_and_checks_every_system() -> None:
    output = run_python([str(ROOT / "benchmarks" / "second_order.py"), "--quick"])
    assert "CHECK OK microgrand: Hessian vs the closed form" in output
    assert "CHECK OK microgrand: d²L/dz² = a(1-a)" in output
    assert "CHECK FAILED" not in output and output.rstrip().endswith("ALL CHECKS OK")
    assert "Newton's method: J = 0.02636 at iteration 4" in output
