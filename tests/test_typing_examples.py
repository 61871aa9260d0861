"""The functions that take m examples take numpy arrays as well as lists, and say so.

mypy --strict checks this file (pyproject's ``files``): before `lecture.Examples`
typed them, each array call here was an arg-type error for a user's own typed code. At
run time each call is held to the same call with lists (exact: the same floats in the
same order), for float and int arrays.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from microgrand import lecture
from microgrand.comparison import BatchComparison, compare, compare_examples
from microgrand.logreg import train
from microgrand.newton import newton

X1 = [1.0, 2.0, -1.0]
X2 = [0.5, -1.0, 2.0]
Y = [1.0, 0.0, 1.0]


def arrays() -> list[tuple[NDArray[np.float64] | NDArray[np.int64], ...]]:
    """The examples as float64 arrays, and whole-number examples as int64 arrays."""
    return [
        (np.array(X1), np.array(X2), np.array(Y)),
        (np.array([1, 2, -1]), np.array([0, -1, 2]), np.array([1, 0, 1])),
    ]


def test_lecture_m_examples_take_arrays() -> None:
    for x1, x2, y in arrays():
        lists = (x1.tolist(), x2.tolist(), y.tolist())
        assert lecture.m_examples(x1, x2, y, 0.3, 0.5, 0.1) == lecture.m_examples(
            *lists, 0.3, 0.5, 0.1
        )
        assert lecture.hessian_m_examples(x1, x2, y, 0.3, 0.5, 0.1) == (
            lecture.hessian_m_examples(*lists, 0.3, 0.5, 0.1)
        )


def test_compare_takes_arrays() -> None:
    for x1, x2, y in arrays():
        lists = (x1.tolist(), x2.tolist(), y.tolist())
        table = compare_examples(x1, x2, 0.3, 0.5, 0.1, y)
        assert table == compare_examples(lists[0], lists[1], 0.3, 0.5, 0.1, lists[2])
        # The overload for sequences picks BatchComparison for arrays too (no cast needed).
        batch: BatchComparison = compare(x1, x2, 0.3, 0.5, 0.1, y)
        assert batch == table


def test_train_and_newton_take_arrays() -> None:
    for x1, x2, y in arrays():
        lists = (x1.tolist(), x2.tolist(), y.tolist())
        for engine in ("compiled", "graph"):
            got = train(x1, x2, y, epochs=5, engine=engine)
            assert got == train(*lists, epochs=5, engine=engine)
        assert newton(x1, x2, y, l2=0.1) == newton(*lists, l2=0.1)
