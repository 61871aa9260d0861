"""Smoke tests of the benchmark: it runs, and every engine's numbers match the closed form.

Timings are never asserted (this machine is shared and noisy); only that the benchmark
finishes and that its own results check says microgrand is right. micrograd and torch are
optional: one run hides them to prove the benchmark still works without them.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from cli_helpers import run_python

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "benchmarks" / "run.py"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import workloads as w  # noqa: E402

# `sys.modules[name] = None` makes `import name` raise ImportError, as if not installed.
WITHOUT_PEERS = """\
import runpy, sys
for name in ("torch", "micrograd", "micrograd.engine"):
    sys.modules[name] = None
sys.argv = [{run!r}, "--quick"]
runpy.run_path({run!r}, run_name="__main__")
"""


def _check_ok(output: str, system: str) -> bool:
    return re.search(rf"^\s*CHECK OK {re.escape(system)}:", output, re.MULTILINE) is not None


@pytest.mark.slow
def test_quick_run_checks_microgrand() -> None:
    output = run_python([str(RUN), "--quick"])
    assert _check_ok(output, "microgrand"), output
    assert _check_ok(output, "microgrand (bce_with_logits)"), output
    assert "CHECK FAILED" not in output, output
    assert "TARGETS" in output


@pytest.mark.slow
def test_quick_run_without_micrograd_and_torch() -> None:
    output = run_python(["-c", WITHOUT_PEERS.format(run=str(RUN))])
    assert "note: micrograd is not installed" in output, output
    assert "note: torch is not installed" in output, output
    assert _check_ok(output, "microgrand"), output
    assert "CHECK FAILED" not in output, output


def test_the_drawing_benchmark_runs() -> None:
    """benchmarks/drawing.py holds the drawing times the tests no longer assert."""
    from render_helpers import have_renderer

    if not have_renderer():
        pytest.skip("no layout program")
    output = run_python([str(ROOT / "benchmarks" / "drawing.py"), "--runs", "1"])
    assert "lecture's logistic regression     lecture" in output, output
    assert " ms" in output and "refusing a graph of" in output, output


def test_microgrand_workloads_match_the_closed_form() -> None:
    example = w.make_data(1)[0]
    want = w.one_closed(example)
    assert w.mismatches(w.one_microgrand(example), want, w.GRAD_NAMES) == ""
    assert w.mismatches(w.one_microgrand_bce(example), want, w.GRAD_NAMES) == ""
    data = w.make_data(50)
    want = w.batch_closed(data)
    assert w.mismatches(w.batch_microgrand(data), want, w.GRAD_NAMES) == ""
    assert w.mismatches(w.batch_microgrand_bce(data), want, w.GRAD_NAMES) == ""
    chain = w.chain_closed(2_000)
    got = w.chain_microgrand(2_000)
    assert w.mismatches((got.value, got.grad), (chain.value, chain.grad), w.CHAIN_NAMES) == ""


def test_the_check_can_fail() -> None:
    # A checker that cannot fail proves nothing: a gradient off by 1e-6 must be caught.
    want = w.one_closed(w.make_data(1)[0])
    wrong = (want[0], want[1] * (1 + 1e-6), want[2], want[3])
    assert "dw1" in w.mismatches(wrong, want, w.GRAD_NAMES)


def test_micrograd_extras_match_the_closed_form() -> None:
    engine = pytest.importorskip("micrograd.engine")
    w.install_micrograd_extras(engine.Value)
    data = w.make_data(20)
    got = w.batch_micrograd(engine.Value, data)
    assert w.mismatches(got, w.batch_closed(data), w.GRAD_NAMES) == ""


@pytest.mark.slow
def test_compiled_benchmark_quick_run_checks_every_system() -> None:
    """benchmarks/compiled.py: every system's numbers match the closed form; no peers needed."""
    output = run_python(
        [str(ROOT / "benchmarks" / "compiled.py"), "--quick", "--skip", "micrograd"]
    )
    assert "CHECK OK: every system's J and gradients match the closed form" in output, output
    assert "CHECK FAILED" not in output and "TARGETS" in output
    assert "floats vs the engine's backward(): bit for bit; arrays vs floats: within" in output
    output = run_python(
        [
            str(ROOT / "benchmarks" / "compiled.py"),
            "--quick",
            "--skip",
            "jax.jit",
            "torch",
            "micrograd",
        ]
    )
    assert "CHECK OK" in output and "not measured" in output


def test_vector_workloads_agree_with_the_closed_form() -> None:
    from benchmarks import vector_workloads as v

    X, Y = v.arrays(50)
    want = v.vector_closed(X, Y)
    for bce in (False, True):
        got = v.vector_compiled(v.compiled_loss(bce), X, Y)
        assert w.mismatches(got, want, w.GRAD_NAMES) == ""
    example = w.make_data(1)[0]
    assert (
        w.mismatches(
            v.one_compiled(v.compiled_loss(), example), w.one_closed(example), w.GRAD_NAMES
        )
        == ""
    )
    trained = v.train_compiled(X, Y, 20, 0.5)
    assert w.mismatches(trained, v.train_closed(X, Y, 20, 0.5), ("J", "w1", "w2", "b")) == ""


def test_the_user_ops_benchmark_checks_every_system() -> None:
    """benchmarks/user_ops.py: softplus compiled with and without array= (and the built-in
    that computes the same numbers) all match the closed form."""
    output = run_python([str(ROOT / "benchmarks" / "user_ops.py"), "--quick"])
    assert "CHECK OK: every system's J, dw and db match the closed form" in output, output
    assert "CHECK FAILED" not in output and "softplus, no array=" in output
