"""Training the shallow network on the compiled, vectorized graph; compare_network; the plot."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from microgrand import lecture
from microgrand.datasets import flower, moons
from microgrand.network import hidden_size_table, predict, train_network
from microgrand.network_comparison import compare_network
from microgrand.nn import MLP

FLOWER = flower()
X = [FLOWER.x1, FLOWER.x2]
Y = FLOWER.y


def test_the_flower_is_learned_as_in_the_course() -> None:
    """n_h = 4, α = 1.2, 10,000 iterations: the course's cost curve, and ≥ 85 % (it gets 90 %)."""
    net = MLP(2, [4, 1])
    result = train_network(net, X, Y, alpha=1.2, iterations=10_000)
    assert result.iterations == 10_000 and len(result.costs) == 10_001
    # The course prints "Cost after iteration 0: 0.693048", "... 1000: 0.288083",
    # "... 5000: 0.222644" for this data and initialization.
    assert math.isclose(result.costs[0], 0.693048, abs_tol=5e-7)
    assert math.isclose(result.costs[1000], 0.288083, abs_tol=5e-7)
    assert math.isclose(result.costs[5000], 0.222644, abs_tol=5e-7)
    assert result.accuracy >= 0.85
    assert result.correct == 363 and result.m == 400
    # The network now holds the trained parameters; its own scalar graph agrees.
    J = net.cost([[u, v] for u, v in zip(*X, strict=True)], Y)
    assert math.isclose(J.value, result.final_cost, rel_tol=1e-12)
    assert ((predict(net, X) > 0.5) == (np.array(Y) == 1.0)).sum() == result.correct


def test_training_steps_are_the_courses_update_rule() -> None:
    """One iteration equals W := W − α dW with the course's formulas, for every parameter."""
    net = MLP(2, [3, 1], seed=7, scale=0.5)
    (W1, b1), (W2, b2) = (tuple(np.array(a) for a in pair) for pair in net.matrices())
    Xm, Ym = np.array(X), np.array([Y])
    g = lecture.two_layer_gradients(W1, b1, W2, b2, Xm, Ym)
    train_network(net, X, Y, alpha=0.5, iterations=1)
    (V1, c1), (V2, c2) = (tuple(np.array(a) for a in pair) for pair in net.matrices())
    for new, old, grad in (
        (V1, W1, g["dW1"]),
        (c1, b1, g["db1"]),
        (V2, W2, g["dW2"]),
        (c2, b2, g["db2"]),
    ):
        np.testing.assert_allclose(new, old - 0.5 * grad, rtol=1e-12, atol=1e-15)


def test_the_dynamic_engine_trains_the_same_network() -> None:
    """engine="graph" rebuilds J's scalar graph every iteration: the same costs and result."""
    compiled, graph = MLP(2, [3, 1], seed=5, scale=0.5), MLP(2, [3, 1], seed=5, scale=0.5)
    a = train_network(compiled, X, Y, iterations=15)
    b = train_network(graph, X, Y, iterations=15, engine="graph")
    np.testing.assert_allclose(b.costs, a.costs, rtol=1e-12)
    assert a.correct == b.correct
    for u, v in zip(compiled.parameters(), graph.parameters(), strict=True):
        assert math.isclose(u.value, v.value, rel_tol=1e-11, abs_tol=1e-15)
    with pytest.raises(ValueError, match="engine must be 'compiled' or 'graph', got 'gpu'"):
        train_network(graph, X, Y, engine="gpu")


def test_progress_is_reported_for_every_iteration_and_zero_iterations_train_nothing() -> None:
    seen: list[tuple[int, float]] = []
    net = MLP(2, [2, 1])
    before = net.matrices()
    result = train_network(net, X, Y, iterations=0, on_iteration=lambda k, J: seen.append((k, J)))
    assert seen == [(0, result.costs[0])] and result.iterations == 0
    assert net.matrices() == before
    seen.clear()
    train_network(net, X, Y, iterations=3, on_iteration=lambda k, J: seen.append((k, J)))
    assert [k for k, _ in seen] == [0, 1, 2, 3]


def test_bad_examples_are_refused_with_the_courses_shapes() -> None:
    net = MLP(2, [2, 1])
    with pytest.raises(
        ValueError, match=r"X must be the course's n_x × m array .* n_x = 2, got shape \(400, 2\)"
    ):
        train_network(net, np.array(X).T, Y)
    with pytest.raises(ValueError, match=r"Y must hold one label per example \(m = 400\), got 3"):
        train_network(net, X, [0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="not a finite number"):
        train_network(net, [[1.0, math.inf], [0.0, 0.0]], [0.0, 1.0])
    with pytest.raises(ValueError, match="iterations must be 0 or more"):
        train_network(net, X, Y, iterations=-1)


def test_a_diverging_run_says_where() -> None:
    with pytest.raises(OverflowError, match="over the 400 examples"):
        train_network(MLP(2, [4, 1], scale=1.0), X, Y, alpha=1e308, iterations=5)
    # Unsaturated units on huge features: dW[1] ~ 1e99, and α·dW[1] overflows.
    net = MLP(2, [2, 1])
    net.set_matrices(
        [([[1e-100, 2e-100], [-1e-100, 1e-100]], [[0.0], [0.0]]), ([[1.0, -1.0]], [[0.0]])]
    )
    with pytest.raises(
        OverflowError, match=r"diverged: after iteration 0, W\[1\]₁₁ - α·dW\[1\]₁₁ is not"
    ):
        train_network(net, [[1e100, -1e100], [1e100, 1e100]], [0.0, 1.0], alpha=1e215)


@pytest.mark.parametrize("engine", ["compiled", "graph"])
def test_a_cost_past_what_the_lectures_cost_can_be_is_divergence(engine: str) -> None:
    """α = 1e300 on the flower: J went 0.693, 3.9e297, ... to 1e299 without a word, since
    only a parameter that left the floats counted. J above -log(2⁻¹⁰⁷⁴) = 744.4 (the most
    -(1/m) Σ (y log a + (1-y) log(1-a)) can be in floats) and above its start stops the
    run, naming the iteration and J, as a parameter past the floats does."""
    from microgrand.network import COST_BOUND, TrainingDiverged

    assert -math.log(2.0**-1074) == COST_BOUND
    seen: list[float] = []
    with pytest.raises(TrainingDiverged) as error:
        train_network(
            MLP(2, [4, 1]),
            X,
            Y,
            alpha=1e300,
            iterations=200,
            engine=engine,
            on_iteration=lambda k, J: seen.append(J),
        )
    message = str(error.value)
    assert message.startswith("gradient descent diverged: at iteration 1, J = 3.918e+297 (it ")
    assert (
        "was 0.693 at iteration 0), more than the lecture's cost can be in floats (744.4" in message
    )
    assert message.endswith("(α = 1e+300); try a smaller learning rate")
    assert len(seen) == 2 and seen[1] > COST_BOUND  # reported, then stopped
    assert isinstance(error.value, OverflowError)  # what callers caught before


def test_an_overshooting_run_below_the_bound_runs_on() -> None:
    """α = 1000: J rises to 384 and comes down to 228 (the CLI warns that J ended above
    its start); α = 1.2 is the course's run (test above). Neither is stopped."""
    result = train_network(MLP(2, [4, 1]), X, Y, alpha=1000.0, iterations=1000)
    assert 300 < max(result.costs) < 744.4 and result.iterations == 1000


def test_a_start_past_the_bound_is_not_called_divergence() -> None:
    """Starting weights that put J at 3e4 are the user's: steps that bring it down run on;
    a step that sends it above its start is divergence."""
    from microgrand.network import TrainingDiverged

    net = MLP(2, [4, 1])
    (W1, b1), (W2, b2) = net.matrices()
    big = [(W1, b1), ([[v * 1e8 for v in W2[0]]], b2)]
    net.set_matrices(big)
    result = train_network(net, X, Y, alpha=1e-9, iterations=20)
    assert result.costs[0] > 744.4 and result.final_cost < result.costs[0]
    net.set_matrices(big)
    with pytest.raises(TrainingDiverged, match=r"at iteration 1, J = .* \(it was 3\.2"):
        train_network(net, X, Y, alpha=1.2, iterations=20)


def test_the_hidden_size_table_trains_one_seeded_network_per_size() -> None:
    data = moons()
    rows = hidden_size_table([data.x1, data.x2], data.y, [1, 3], iterations=300)
    assert [row.n_h for row in rows] == [1, 3]
    assert all(row.result.iterations == 300 for row in rows)
    again = hidden_size_table([data.x1, data.x2], data.y, [3], iterations=300)
    assert again[0].result.costs == rows[1].result.costs  # seeded: reproducible


def test_compare_network_puts_four_ways_side_by_side() -> None:
    net = MLP(2, [4, 1], seed=3, scale=1.0)
    comparison = compare_network(net, X, Y)
    assert comparison.max_formula_diff < 1e-13
    assert comparison.max_numeric_diff < 1e-7
    text = str(comparison)
    assert text.splitlines()[0].split() == [
        "shape",
        "course",
        "formula",
        "Δ",
        "scalar",
        "graph",
        "Δ",
        "compiled",
        "Δ",
        "finite",
        "diff",
    ]
    assert "dW[1]  4 × 2  (1/m) dZ[1]Xᵀ" in text
    entries = comparison.text(entries=True).splitlines()
    assert len(entries) == 1 + 17 and entries[1].startswith("W[1]₁₁")
    assert "<table>" in comparison._repr_html_()
    assert net.matrices() == MLP(2, [4, 1], seed=3, scale=1.0).matrices()  # untouched


def test_compare_network_catches_a_wrong_formula(monkeypatch: pytest.MonkeyPatch) -> None:
    right = lecture.two_layer_gradients

    # The ignores: a stand-in that passes whatever it is given on to the real formulas.
    def wrong(*args: object) -> dict[str, object]:
        grads = right(*args)  # type: ignore[arg-type]
        grads["dW1"] = grads["dW1"] * 1.01  # a small slip in one formula
        return grads  # type: ignore[return-value]

    monkeypatch.setattr(lecture, "two_layer_gradients", wrong)
    comparison = compare_network(MLP(2, [4, 1], seed=3, scale=1.0), X, Y)
    assert comparison.max_formula_diff > 1e-6
    assert comparison.rows[0].scalar_diff > 1e-6 and comparison.rows[2].scalar_diff < 1e-13


def test_compare_network_needs_the_courses_network() -> None:
    with pytest.raises(ValueError, match="tanh hidden layer and one sigmoid output unit"):
        compare_network(MLP(2, [4, 1], activation="relu"), X, Y)


def test_the_decision_boundary_is_saved_as_a_picture(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from microgrand.boundary import plot_boundary

    net = MLP(2, [4, 1])
    train_network(net, X, Y, iterations=200)
    figure = plot_boundary(net, X, Y, path=tmp_path / "boundary.png", grid=50)
    assert (tmp_path / "boundary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "% (" in figure.axes[0].get_title()
    panels = plot_boundary([net, MLP(2, [1, 1])], X, Y, grid=20, title="two networks")
    titles = [ax.get_title() for ax in panels.axes if ax.get_visible()]
    assert len(titles) == 2 and titles[1].startswith("2-1-1: ")
    with pytest.raises(ValueError, match="networks of 2 features"):
        plot_boundary(MLP(3, [2, 1]), [[0.0], [0.0], [0.0]], [0.0])


def test_without_matplotlib_the_plot_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from microgrand.boundary import PlotUnavailableError, plot_boundary

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(
        PlotUnavailableError, match=r"needs matplotlib.*pip install 'microgrand\[plot\]'"
    ):
        plot_boundary(MLP(2, [4, 1]), X, Y)
