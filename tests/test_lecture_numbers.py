"""The lecture's demo point, number by number: one step and compare's rows, written out.

These are second, independent checks beside test_lecture_closed_form.py (which compares
the graph with `microgrand.lecture`): here the expected numbers are the slide's
arithmetic, done by hand below, so a bug shared by the graph and the oracle (a sign in
the update rule, a row read from the wrong node) cannot pass.
"""

from __future__ import annotations

import math

import pytest

from microgrand import lecture
from microgrand.comparison import compare
from microgrand.logreg import descent_step, lecture_graph

# x1 = 2, x2 = -1, w1 = 0.3, w2 = 0.5, b = 0.1, y = 1: z = 0.6 - 0.5 + 0.1 = 0.2.
A = 1.0 / (1.0 + math.exp(-0.2))  # a = σ(0.2) = 0.549834
DZ = A - 1.0  # dz = a - y = -0.450166
ALPHA = 0.1


def close(got: float, want: float) -> bool:
    return math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-15)


def test_one_step_moves_each_parameter_against_its_gradient() -> None:
    """w1 := w1 - α dw1 with dw1 = x1 dz = 2 dz < 0, so w1 grows: 0.3 → 0.3900332."""
    graph = lecture_graph()
    new = descent_step(graph, ALPHA)
    assert close(new.w1.value, 0.3 - ALPHA * 2.0 * DZ)  # dw1 = x1 dz
    assert close(new.w2.value, 0.5 - ALPHA * -1.0 * DZ)  # dw2 = x2 dz
    assert close(new.b.value, 0.1 - ALPHA * DZ)  # db = dz
    assert round(new.w1.value, 4) == 0.39 and round(new.w2.value, 4) == 0.455
    assert new.w1.value > 0.3 and new.w2.value < 0.5 and new.b.value > 0.1
    # the loss of the example drops, from 0.5981 to 0.4855 (README's demo output)
    assert round(graph.L.value, 4) == 0.5981 and round(new.L.value, 4) == 0.4855


def test_the_oracle_s_step_has_the_same_sign() -> None:
    w1, w2, b = lecture.descent_step(0.3, 0.5, 0.1, 2.0 * DZ, -1.0 * DZ, DZ, ALPHA)
    assert close(w1, 0.3 - ALPHA * 2.0 * DZ)
    assert close(w2, 0.5 + ALPHA * DZ)
    assert close(b, 0.1 - ALPHA * DZ)


@pytest.mark.parametrize(
    ("x1", "x2"), [(2.0, -1.0), (0.5, 3.0), (-4.0, 0.25)], ids=["demo", "x2>x1", "x1<0"]
)
def test_compare_s_dw2_row_is_x2_dz(x1: float, x2: float) -> None:
    """dw2 = x2 dz: the row's three values, at points where dw1 and dw2 differ."""
    table = compare(x1, x2, 0.3, 0.5, 0.1, 1.0)
    rows = {row.quantity: row for row in table.rows}
    z = 0.3 * x1 + 0.5 * x2 + 0.1
    dz = 1.0 / (1.0 + math.exp(-z)) - 1.0
    row = rows["dw2"]
    assert row.formula == "x2 * dz"
    assert math.isclose(row.autograd, x2 * dz, rel_tol=1e-12)
    assert math.isclose(row.closed_form, x2 * dz, rel_tol=1e-12)
    assert row.finite_difference is not None
    assert math.isclose(row.finite_difference, x2 * dz, rel_tol=1e-6)
    assert row.autograd == table.graph.w2.grad
    assert not math.isclose(rows["dw1"].autograd, row.autograd)
    (line,) = [line for line in str(table).splitlines() if line.startswith("dw2 ")]
    assert line.split()[4:7] == [f"{x2 * dz:.4g}"] * 3  # autograd, lecture, finite diff
