"""The course's vectorization lectures: the vectorized formulas (`lecture.vectorized`, the
oracle) against the compiled graph with ``reduce="mean"``, `compare` on m examples, and
training through the compiled graph against the dynamic engine."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import microgrand
from microgrand import lecture
from microgrand.datasets import load_iris, standardize
from microgrand.logreg import compiled_loss, lecture_graph, train

ROOT = Path(__file__).resolve().parent.parent


def examples(m: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """X (2 × m) and Y (1 × m), the course's shapes."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2, m))
    Y = (rng.random((1, m)) < 0.5).astype(np.float64)
    return X, Y


def relclose(a: float, b: float, rel: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-13)


@given(
    w1=st.floats(-2.0, 2.0),
    w2=st.floats(-2.0, 2.0),
    b=st.floats(-2.0, 2.0),
    m=st.integers(1, 60),
    seed=st.integers(0, 1000),
)
def test_vectorized_formulas_equal_the_compiled_graph_with_mean(
    w1: float, w2: float, b: float, m: int, seed: int
) -> None:
    X, Y = examples(m, seed)
    want = lecture.vectorized(np.array([[w1], [w2]]), b, X, Y)
    for make in (lecture_graph, None):
        if make is None:
            f = compiled_loss()  # the loss as one primitive, bce_with_logits
        else:
            g = make()
            f = microgrand.compile(g.L, [g.x1, g.x2, g.y, g.w1, g.w2, g.b])
        out = f(X[0], X[1], Y[0], w1, w2, b, reduce="mean")
        # log(1 - A) of the formulas loses digits as A nears 1 (1 - A cancels); the compiled
        # graphs agree with each other far better than with it.
        assert relclose(out.value, want.J, rel=1e-9)
        assert relclose(out.grads["w1"], float(want.dw[0, 0]))
        assert relclose(out.grads["w2"], float(want.dw[1, 0]))
        assert relclose(out.grads["b"], want.db)
        # per example: dz_i = a_i - y_i, the lecture's dZ = A - Y, not divided by m
        assert np.allclose(out.grads["z"], want.dZ[0], rtol=1e-13, atol=1e-15)
        assert np.allclose(out.values["z"], want.Z[0], rtol=1e-13, atol=1e-15)


def test_vectorized_formulas_equal_the_lectures_for_loop() -> None:
    X, Y = examples(50)
    want = lecture.m_examples(list(X[0]), list(X[1]), list(Y[0]), 0.3, -0.2, 0.1)
    got = lecture.vectorized(np.array([[0.3], [-0.2]]), 0.1, X, Y)
    assert relclose(got.J, want.J) and relclose(got.db, want.db)
    assert relclose(float(got.dw[0, 0]), want.dw1) and relclose(float(got.dw[1, 0]), want.dw2)


def test_a_wrong_answer_fails_the_comparison() -> None:
    """The check above can fail: the formulas with dw = X dZᵀ (no 1/m) do not match."""
    X, Y = examples(7)
    out = compiled_loss()(X[0], X[1], Y[0], 0.3, -0.2, 0.1, reduce="mean")
    wrong = X @ (lecture.vectorized(np.array([[0.3], [-0.2]]), 0.1, X, Y).dZ.T)
    assert not relclose(out.grads["w1"], float(wrong[0, 0]))


@pytest.mark.parametrize(
    ("w", "X", "Y"),
    [
        (np.zeros((2, 1)), np.zeros((3, 4)), np.zeros((1, 4))),
        (np.zeros((2, 1)), np.zeros((2, 4)), np.zeros(4)),
        (np.zeros(2), np.zeros((2, 4)), np.zeros((1, 4))),
    ],
)
def test_vectorized_wants_the_courses_shapes(w: np.ndarray, X: np.ndarray, Y: np.ndarray) -> None:
    with pytest.raises(ValueError, match="the course's shapes are w: n_x × 1, X: n_x × m"):
        lecture.vectorized(w, 0.0, X, Y)


def test_compare_on_m_examples() -> None:
    data = standardize(load_iris()).data
    table = microgrand.compare(data.x1, data.x2, 0.3, -0.2, 0.1, data.y)
    assert [r.quantity for r in table.rows] == ["J", "dw1", "dw2", "db"]
    assert table.m == 100
    assert table.max_formula_diff < 1e-14 and table.max_graphs_diff < 1e-14
    text = str(table)
    assert "(1/m) X dZᵀ, row 1" in text and "mean of graphs" in text
    assert "<table>" in table._repr_html_()
    with pytest.raises(ValueError, match="same positive length, got 2, 1, 2"):
        microgrand.compare([1.0, 2.0], [1.0], 0.3, -0.2, 0.1, [1.0, 0.0])


@pytest.mark.parametrize("l2", [0.0, 3.0])
def test_training_compiled_equals_the_dynamic_engine(l2: float) -> None:
    data = standardize(load_iris()).data
    fast = train(data.x1, data.x2, data.y, alpha=0.1, epochs=200, l2=l2)
    slow = train(data.x1, data.x2, data.y, alpha=0.1, epochs=200, l2=l2, engine="graph")
    assert len(fast.losses) == len(slow.losses) == 201
    for a, b in zip(fast.losses, slow.losses, strict=True):
        assert math.isclose(a, b, rel_tol=1e-12)
    for a, b in zip(fast.params, slow.params, strict=True):
        assert math.isclose(a, b, rel_tol=1e-10)


def test_train_refuses_an_unknown_engine_and_ragged_data() -> None:
    with pytest.raises(ValueError, match="engine must be 'compiled' or 'graph', got 'jax'"):
        # Wrong on purpose (hence the ignore below): the test is the error
        train([1.0], [1.0], [1.0], engine="jax")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="same positive length, got 2, 1, 2"):
        train([1.0, 2.0], [1.0], [1.0, 0.0])


def test_train_command_takes_the_engine() -> None:
    """Both engines print the same report (4 significant digits)."""
    printed = []
    for engine in ("compiled", "graph"):
        result = subprocess.run(
            [sys.executable, "-m", "microgrand", "train", "--epochs", "50", "--engine", engine],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert "training accuracy: 99% (99/100)" in result.stdout
        printed.append(result.stdout)
    assert printed[0] == printed[1]
