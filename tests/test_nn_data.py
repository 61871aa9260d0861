"""The course's planar data sets: the flower (pinned), two moons, and why a line fails on them."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from typing import Any

import pytest

from microgrand.datasets import Dataset, flower, load, moons
from microgrand.logreg import accuracy, train


def fingerprint(data: Dataset) -> str:
    """sha256 of every value to 12 significant digits (the last bits of sin and cos may
    differ between numpy builds; 12 digits do not)."""
    text = ",".join(f"{v:.12g}" for column in (data.x1, data.x2, data.y) for v in column)
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_flower_is_the_courses_and_is_pinned() -> None:
    data = flower()
    assert data.m == 400 and data.y == [0.0] * 200 + [1.0] * 200
    assert data.feature_names == ("x1", "x2")
    # The first example of the course's load_planar_dataset() (numpy seeded with 1).
    assert math.isclose(data.x1[0], 1.20444229, abs_tol=5e-9)
    assert math.isclose(data.x2[0], 3.57611415, abs_tol=5e-9)
    assert fingerprint(data) == "8a769012902be3373385896e1492fee3633e8037298d6481f6b4f22fdfabc013"
    assert load("flower") == data
    # Petals: every radius is at most 4 plus the noise.
    assert max(math.hypot(u, v) for u, v in zip(data.x1, data.x2, strict=True)) < 4.8


def test_two_moons_are_pinned_and_seeded() -> None:
    data = moons()
    assert data.m == 400 and sum(data.y) == 200
    assert fingerprint(data) == "307621b902d99efbef699dc1ee4012a8251042a1b09bd45bc9c5e23d77ea6894"
    assert load("moons") == data
    assert moons(seed=1) != data
    clean = moons(m=4, noise=0.0)
    assert clean.x1 == pytest.approx([1.0, -1.0, 0.0, 2.0], abs=1e-15)
    assert clean.x2 == pytest.approx([0.0, 0.0, 0.5, 0.5], abs=1e-15)


@pytest.mark.parametrize("make", [flower, moons])
@pytest.mark.parametrize("m", [0, 3, -2, 2.0, True])
def test_bad_sizes_are_refused(make: Callable[..., Any], m: object) -> None:
    with pytest.raises(ValueError, match="m must be an even whole number of at least 2"):
        make(m=m)


def test_bad_noise_is_refused() -> None:
    with pytest.raises(ValueError, match="noise must be a finite number >= 0, got -1"):
        moons(noise=-1.0)


def test_logistic_regression_stays_near_chance_on_the_flower() -> None:
    """The lesson: no straight line separates the petals (the course reports 47 %)."""
    data = flower()
    result = train(data.x1, data.x2, data.y, alpha=1.0, epochs=300)
    assert result.final_loss < 0.674  # converged: J barely moves from here on
    assert accuracy(result.params, data.x1, data.x2, data.y) <= 0.60
