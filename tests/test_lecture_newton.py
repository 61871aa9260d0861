"""Newton's method on the lecture's logistic regression: the library and the CLI.

The gradient and Hessian Newton's method uses (autograd's grad of grad) are checked against
the lecture's closed forms at every iteration; the run is checked against gradient descent
on the shipped iris data; the singular Hessian of separable data and the L2 term are
checked for their messages and their numbers.
"""

from __future__ import annotations

import itertools
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run_microgrand

from microgrand import lecture
from microgrand.datasets import load_iris, standardize
from microgrand.logreg import Parameters, batch_graph, data_nodes, train
from microgrand.newton import SingularHessianError, derivatives, newton

IRIS = standardize(load_iris()).data


def test_newton_reaches_gradient_descents_final_J_in_far_fewer_iterations() -> None:
    gd = train(IRIS.x1, IRIS.x2, IRIS.y, alpha=0.1, epochs=1000)
    result = newton(IRIS.x1, IRIS.x2, IRIS.y)
    reached = next(k for k, cost in enumerate(result.losses) if cost <= gd.final_loss)
    assert reached == 4  # J = 0.02636 at iteration 4; gradient descent: 0.03988 after 1000
    # and gradient descent needs hundreds of epochs to get where Newton is after 4
    gd_reached = next(k for k, cost in enumerate(gd.losses) if cost <= result.losses[3])
    assert gd_reached > 300
    assert result.converged and result.iterations == 16
    assert result.final_loss < 1e-6
    assert all(b < a for a, b in zip(result.losses, result.losses[1:], strict=False))


def test_every_iteration_uses_the_closed_form_gradient_and_hessian() -> None:
    x1, x2 = data_nodes(IRIS.x1), data_nodes(IRIS.x2)
    params = Parameters(0.0, 0.0, 0.0)
    for _ in range(8):
        graph = batch_graph(params, x1, x2, IRIS.y)
        gradient, hessian = derivatives(graph)
        want = lecture.m_examples(IRIS.x1, IRIS.x2, IRIS.y, *params)
        H = lecture.hessian_m_examples(IRIS.x1, IRIS.x2, IRIS.y, *params)
        for got, expected in zip(gradient, (want.dw1, want.dw2, want.db), strict=True):
            assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-15)
        for i in range(3):
            for j in range(3):
                assert math.isclose(hessian[i][j], H[i][j], rel_tol=1e-9, abs_tol=1e-15)
        # the step the closed forms give
        step = np.linalg.solve(np.array(H), np.array([want.dw1, want.dw2, want.db]))
        params = Parameters(*(p - s for p, s in zip(params, step.tolist(), strict=True)))
    result = newton(IRIS.x1, IRIS.x2, IRIS.y, max_iterations=8, tol=0.0)
    for got, expected in zip(result.params, params, strict=True):
        assert math.isclose(got, expected, rel_tol=1e-8)


def test_l2_gives_a_finite_minimum_reached_quadratically() -> None:
    lam = 0.1
    result = newton(IRIS.x1, IRIS.x2, IRIS.y, l2=lam, tol=1e-14, max_iterations=20)
    assert result.converged and result.iterations <= 9
    graph = batch_graph(result.params, data_nodes(IRIS.x1), data_nodes(IRIS.x2), IRIS.y, l2=lam)
    gradient, hessian = derivatives(graph)
    assert max(abs(g) for g in gradient) < 1e-9  # a true minimum: the gradient is 0
    H = lecture.hessian_m_examples(IRIS.x1, IRIS.x2, IRIS.y, *result.params)
    m = len(IRIS.y)
    for i in range(3):
        for j in range(3):
            extra = lam / m if i == j < 2 else 0.0  # (λ/2m)(w1² + w2²): b is not regularized
            assert math.isclose(hessian[i][j], H[i][j] + extra, rel_tol=1e-9, abs_tol=1e-15)
    # quadratic convergence: the distance to the minimum J is (about) squared at every step,
    # 3.6e-3, 2.0e-4, 7.8e-7, 1.3e-11 (a linear rate would keep the ratios constant)
    gaps = [cost - result.final_loss for cost in result.losses[4:8]]
    assert gaps[-1] > 0.0
    for before, after in itertools.pairwise(gaps):
        assert after <= 30.0 * before * before


def test_separable_data_meets_a_singular_hessian_with_a_clear_message() -> None:
    with pytest.raises(SingularHessianError) as info:
        newton(IRIS.x1, IRIS.x2, IRIS.y, tol=0.0, max_iterations=100)
    message = str(info.value)
    assert "nearly singular at iteration 23" in message
    assert "linearly separable" in message and "l2 = 0.1" in message
    so_far = info.value.result
    assert so_far.iterations == 23 and not so_far.converged
    assert all(math.isfinite(cost) and cost > 0.0 for cost in so_far.losses)
    assert all(math.isfinite(p) for p in so_far.params)


def test_newton_is_unaffected_by_the_scale_of_the_features() -> None:
    """Newton steps are invariant under an affine change of features: raw iris gives the
    same J at every iteration as standardized iris (gradient descent does not)."""
    raw = load_iris()
    on_raw = newton(raw.x1, raw.x2, raw.y, max_iterations=6, tol=0.0)
    on_standardized = newton(IRIS.x1, IRIS.x2, IRIS.y, max_iterations=6, tol=0.0)
    for a, b in zip(on_raw.losses, on_standardized.losses, strict=True):
        assert math.isclose(a, b, rel_tol=1e-7)


def test_newton_arguments_and_callback() -> None:
    seen: list[tuple[int, float]] = []
    result = newton(
        IRIS.x1, IRIS.x2, IRIS.y, max_iterations=3, on_iteration=lambda k, J: seen.append((k, J))
    )
    assert seen == list(enumerate(result.losses)) and result.iterations == 3
    assert not result.converged
    zero = newton(IRIS.x1, IRIS.x2, IRIS.y, max_iterations=0)
    assert len(zero.losses) == 1 and math.isclose(zero.final_loss, math.log(2.0), rel_tol=1e-12)
    for bad, match in (
        ({"l2": -1.0}, "l2 must be a finite number >= 0"),
        ({"tol": math.nan}, "tol must be a finite number >= 0"),
        ({"max_iterations": -1}, "max_iterations must be 0 or more"),
    ):
        with pytest.raises(ValueError, match=match):
            newton(IRIS.x1, IRIS.x2, IRIS.y, **bad)


def test_gradient_descent_with_l2_minimizes_the_same_J() -> None:
    gd = train(IRIS.x1, IRIS.x2, IRIS.y, alpha=1.0, epochs=3000, l2=0.1)
    best = newton(IRIS.x1, IRIS.x2, IRIS.y, l2=0.1, tol=1e-14)
    assert math.isclose(gd.final_loss, best.final_loss, rel_tol=1e-6)
    for a, b in zip(gd.params, best.params, strict=True):
        assert math.isclose(a, b, rel_tol=1e-3)


# --- the command line ---------------------------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_microgrand(["train", *args], timeout=300)


def test_cli_newton_prints_what_it_did_differently_from_gradient_descent() -> None:
    result = run("--method", "newton")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Newton's method: (w1, w2, b) := (w1, w2, b) - H⁻¹·(dw1, dw2, db)" in out
    assert "         16  3.832e-07  (down 6.554e-07)" in out
    assert "stopped at iteration 16: J changed by at most 1e-06" in out
    lines = out.splitlines()
    gd_row = next(line for line in lines if line.strip().startswith("gradient descent "))
    newton_row = next(line for line in lines if line.strip().startswith("Newton's method  "))
    assert gd_row.split()[2:5] == ["1000", "0.03988", "100%"]
    assert newton_row.split()[2:5] == ["16", "3.832e-07", "100%"]
    assert (
        "Newton's method reached gradient descent's final J = 0.03988 at iteration 4: "
        "4 iterations where gradient descent took 1000 epochs." in out
    )
    assert "nan" not in out and "Traceback" not in result.stderr


def test_cli_newton_with_l2() -> None:
    result = run("--method", "newton", "--l2", "0.1", "--epochs", "200")
    assert result.returncode == 0, result.stderr
    assert "J with the L2 term (λ/2m)(w1² + w2²), λ = 0.1" in result.stdout
    assert "stopped at iteration 7" in result.stdout
    assert "(alpha = 0.1, 200 epochs)" in result.stdout


def test_cli_newton_singular_hessian_is_one_line_and_no_nan() -> None:
    result = run("--method", "newton", "--tol", "0", "--max-iterations", "60")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1
    assert errors[0].startswith("microgrand: error: the Hessian of J is nearly singular")
    assert "--l2 0.1" in errors[0] and "--tol" in errors[0]
    assert "         23  3.532e-10" in result.stdout  # the iterations it did are shown
    assert "nan" not in result.stdout and "Traceback" not in result.stderr


def test_cli_gradient_descent_takes_l2_and_bad_values_are_refused() -> None:
    result = run("--l2", "0.1", "--epochs", "50")
    assert result.returncode == 0, result.stderr
    want = train(IRIS.x1, IRIS.x2, IRIS.y, alpha=0.1, epochs=50, l2=0.1).final_loss
    assert f"final J = {want:.4g}" in result.stdout
    for args, message in (
        (["--l2", "-1"], "argument --l2: must be 0 or more, got -1"),
        (["--method", "newton", "--tol", "nan"], "argument --tol: nan is not a finite number"),
        (["--method", "sgd"], "argument --method: invalid choice: 'sgd'"),
    ):
        bad = run(*args)
        assert bad.returncode == 2 and message in bad.stderr, bad.stderr


def test_a_hessian_that_is_not_finite_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """An overflow in the second derivatives gives the same kind of error, never a nan step."""
    from microgrand import newton as newton_module

    def overflowed(graph: object) -> tuple[list[float], list[list[float]]]:
        return [0.1, 0.1, 0.1], [[math.inf, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]

    monkeypatch.setattr(newton_module, "derivatives", overflowed)
    with pytest.raises(SingularHessianError, match="Hessian of J at iteration 0 is not finite"):
        newton(IRIS.x1, IRIS.x2, IRIS.y)


def test_cli_newton_compares_with_the_dynamic_engine_too() -> None:
    result = run("--method", "newton", "--engine", "graph", "--epochs", "100")
    assert result.returncode == 0, result.stderr
    assert "(alpha = 0.1, 100 epochs)" in result.stdout


def test_dependent_features_are_named_as_the_cause() -> None:
    """A constant feature (a multiple of the bias's 1) makes every Hessian singular: the
    message says so, not that the data are separable."""
    with pytest.raises(SingularHessianError) as info:
        newton([1.0, 1.0, 1.0, 1.0], [2.0, 3.0, 1.0, 5.0], [0.0, 1.0, 0.0, 1.0])
    message = str(info.value)
    assert "at iteration 0" in message and "linearly dependent" in message
    assert "separable" not in message
    regularized = newton([1.0, 1.0, 1.0, 1.0], [2.0, 3.0, 1.0, 5.0], [0.0, 1.0, 0.0, 1.0], l2=0.1)
    assert regularized.converged


@pytest.mark.parametrize("l2", [1e12, 1e308])
def test_an_l2_term_too_large_is_named_as_the_cause(l2: float) -> None:
    """Past l2/m ~ 1e10 times the data's curvature, b (which the L2 term leaves alone) is
    flat beside w: the advice was 'try a larger l2', which only makes it worse."""
    with pytest.raises(SingularHessianError) as info:
        newton(IRIS.x1, IRIS.x2, IRIS.y, l2=l2)
    assert "at iteration 0" in str(info.value) and "try a smaller l2" in str(info.value)
    result = run("--method", "newton", "--l2", f"{l2:g}")
    assert result.returncode == 1 and "try a smaller --l2" in result.stderr


def test_cli_newton_and_gradient_descent_at_the_same_minimum(tmp_path: Path) -> None:
    """With the L2 term both methods end at J's minimum: said so, not 'stopped above'."""
    data = tmp_path / "dependent.csv"
    data.write_text("a,b,y\n1,2,0\n2,4,1\n3,6,0\n4,8,1\n", encoding="utf-8")
    result = run("--data", str(data), "--method", "newton", "--l2", "0.1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().splitlines()[-1] == (
        "Both ended at J = 0.5929 (Newton's method within its tolerance 1e-06): "
        "3 iterations where gradient descent took 1000 epochs."
    )
    without = run("--data", str(data), "--method", "newton")
    assert without.returncode == 1 and "the features are linearly dependent" in without.stderr


def test_a_far_start_is_damped_instead_of_diverging() -> None:
    """From large weights the full Newton step overshoots (J 0.67 -> 29 -> 3287 on the moons);
    halving it until J falls enough converges to the same minimum as from w = b = 0."""
    from microgrand.datasets import load

    moons = standardize(load("moons")).data
    near = newton(moons.x1, moons.x2, moons.y)
    far = newton(moons.x1, moons.x2, moons.y, start=Parameters(-20.0, 20.0, 5.0))
    assert far.converged and far.fractions[0] < 1.0 and far.fractions[-1] == 1.0
    assert all(b < a for a, b in zip(far.losses, far.losses[1:-1], strict=False))
    assert math.isclose(far.final_loss, near.final_loss, rel_tol=1e-8)
    assert newton(IRIS.x1, IRIS.x2, IRIS.y).fractions == [1.0] * 16  # full steps from 0
