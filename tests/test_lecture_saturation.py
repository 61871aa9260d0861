"""`compare` near saturation: a learner gets the table at any z where the loss is defined.

At a = σ(z) within rounding of 0 or 1 a central finite difference in a has no usable step
(a ± h leaves (0, 1), or 1 - (a ± h) rounds to 1 - a). compare once raised there; now the
cell is "—" with a footnote saying why, and the autograd and lecture columns stand. Where a
finite difference is shown near the edge, it must be right: the step shrinks well inside
the domain, differences with slightly different steps must agree, and no difference is
shown that the forward pass's rounding could decide (σ(30 ± 3e-5) is one float).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from test_lecture_cli import run

from microgrand import Node, compare
from microgrand.engine import ancestors
from microgrand.finite_differences import NoStepError, finite_difference

# w1 = w2 = 0: z = b; |b| up to 100 (a as small as 4e-44) and up to 36.5 (1 - a = 2e-16)
SATURATED = [-100.0, -74.0, -50.0, -36.0, -30.0, -20.0, 20.0, 30.0, 33.0, 36.5]


@pytest.mark.parametrize("y", [0.0, 1.0])
@pytest.mark.parametrize("b", SATURATED)
def test_compare_gives_the_table_near_saturation(b: float, y: float) -> None:
    table = compare(2.0, -1.0, 0.0, 0.0, b, y)
    rows = {r.quantity: r for r in table.rows}
    for r in table.rows:  # the autograd and lecture columns are all there, and agree
        assert math.isclose(r.autograd, r.closed_form, rel_tol=1e-12, abs_tol=1e-300), r
    da = rows["da"]
    if da.finite_difference is None:  # no trustworthy step: said, not guessed
        assert da.note, da
    else:  # a finite difference shown at the edge is right to the table's digits
        assert math.isclose(da.finite_difference, da.autograd, rel_tol=1e-4), da
    for r in (*table.rows, *table.second):
        assert (r.finite_difference is None) == bool(r.note) or r.quantity == "L", r


def test_the_missing_finite_difference_is_a_dash_with_a_footnote() -> None:
    """a = 7.3e-33 and y = 0: 1 - (a ± h) is exactly 1 - a for every step inside (0, 1)."""
    table = compare(2.0, -1.0, 0.0, 0.0, -74.0, 0.0)
    text = table.text(second=False)
    lines = text.splitlines()
    da = next(line for line in lines if line.startswith("da "))
    assert da.split()[-3:] == ["—¹", "0", "—"], da
    assert lines[-2].startswith("¹ no finite difference for da: ")
    assert "rounds away" in lines[-2] and "'a' = 7.281e-33" in lines[-2]
    assert lines[-1].strip() == (
        "Autograd and the lecture's formula need no step: their columns stand."
    )
    assert "¹ no finite difference for da" in table._repr_html_()
    assert math.isclose(table.rows[1].autograd, 1.0) and table.rows[1].closed_form == 1.0
    # the other rows keep their finite differences, and max_numeric_diff reads them
    assert all(r.finite_difference is not None for r in table.rows[2:])
    assert table.max_numeric_diff < 1e-30


def test_a_finite_difference_at_the_edge_is_taken_well_inside_the_domain() -> None:
    """At a = 2e-9 the step once shrank only to about a/2, and da was 9 % off."""
    table = compare(2.0, -1.0, 0.0, 0.0, -20.0, 1.0)
    da = table.rows[1]
    assert da.finite_difference is not None
    assert math.isclose(da.finite_difference, da.autograd, rel_tol=1e-5), da


def test_a_slope_measured_by_rounding_is_not_shown() -> None:
    """At a = 9.4e-14 and y = 0, 1 - (a ± h) is 1 - a rounded to a few of its spacings:
    the difference (0.9537 or 1.0002, depending on the step) measures rounding."""
    da = compare(2.0, -1.0, 0.0, 0.0, -30.0, 0.0).rows[1]
    assert da.finite_difference is None
    assert "it would measure rounding" in da.note


def test_a_step_that_rounds_away_inside_the_graph_is_not_shown() -> None:
    """At z = 30, σ(z ± 3e-5) is the same float: the difference in z read 0 where dz = 1
    (Δ finite 1.0, as if autograd were wrong). Now it is "—", and so is every slope whose
    step the forward pass's rounding could decide, first and second derivatives alike."""
    table = compare(2.0, -1.0, 0.0, 0.0, 30.0, 0.0)
    for r in table.rows[2:]:  # dz, dw1, dw2, db
        assert r.finite_difference is None, r
        assert r.note.startswith("the forward pass rounds more than a step in "), r
    assert "¹ no finite difference for dz: the forward pass rounds" in table.text()
    second = {r.quantity: r for r in table.second}
    assert second["d²L/dz²"].finite_difference is None  # was -262.4 for 9.3e-14
    for r in table.second:  # shown only where right to a few digits
        if r.finite_difference is not None:
            assert math.isclose(r.finite_difference, r.autograd, rel_tol=5e-3), r
    # The rule is gradcheck's (atol + rtol·|difference|): a slope rounding cannot decide
    # is shown, as at the lecture's point, where the tables are unchanged
    lecture = compare()
    assert all(r.finite_difference is not None for r in (*lecture.rows[1:], *lecture.second))
    assert lecture.max_numeric_diff < 1e-9 and lecture.max_second_numeric_diff < 1e-6


def test_a_second_derivative_too_large_for_floats_is_a_dash_in_its_row_only() -> None:
    """a = 9.9e-305, y = 1: grad of grad overflows (the graph of da holds y/a²) and the
    lecture's y/a² is beyond floats. Once the whole second table was dropped, with the
    formula's text copied into the message; now each row says what it lacks, and the
    lecture's values that exist stand."""
    from microgrand.second_comparison import SECOND

    table = compare(2.0, -1.0, 0.0, 0.0, -700.0, 1.0)
    assert len(table.rows) == 6 and table.rows[1].finite_difference is not None
    assert [r.quantity for r in table.second] == [row[0] for row in SECOND]
    d2a, d2z = table.second[0], table.second[1]
    assert d2a.missing and math.isnan(d2a.autograd) and math.isnan(d2a.closed_form)
    assert d2a.note.startswith(f"grad of grad and the lecture's {SECOND[0][1]} overflowed: ")
    assert "y/a² is beyond floats at a = 9.86e-305" in d2a.note
    assert d2z.missing and d2z.closed_form == table.graph.a.value * (1 - table.graph.a.value)
    text = table.text()
    assert "not shown" not in text
    d2a_line = next(line for line in text.splitlines() if line.startswith("d²L/da² "))
    assert d2a_line.split()[-5:] == ["—¹", "—¹", "—", "—", "—"], d2a_line
    d2z_line = next(line for line in text.splitlines() if line.startswith("d²L/dz² "))
    assert d2z_line.split()[-5:] == ["—²", "9.86e-305", "—", "—", "—"], d2z_line
    assert "\n¹ d²L/da²: grad of grad and the lecture's" in text
    assert "d²L/da²" in table._repr_html_() and "¹ d²L/da²: grad of grad" in table._repr_html_()
    assert math.isnan(table.max_second_numeric_diff)
    assert math.isnan(table.max_second_formula_diff)


def test_second_derivatives_stand_where_only_the_lecture_formula_divided_by_zero() -> None:
    """a = 9.9e-305, y = 0: d²L/da² = 0/a² + 1/(1-a)² = 1. The lecture's y/(a·a) once
    raised ZeroDivisionError (a² rounds to 0) and the whole table read "too large"."""
    table = compare(2.0, -1.0, 0.0, 0.0, -700.0, 0.0)
    assert len(table.second) == 8 and not any(r.missing for r in table.second)
    d2a = table.second[0]
    assert d2a.autograd == 1.0 and d2a.closed_form == 1.0
    assert table.max_second_formula_diff == 0.0


def test_a_bug_in_the_second_table_is_raised_not_called_an_overflow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from microgrand import lecture

    def broken(*point: float) -> dict[str, float]:
        raise ValueError("a bug in the closed form")

    monkeypatch.setattr(lecture, "second_derivatives", broken)
    with pytest.raises(ValueError, match=r"^a bug in the closed form$"):
        compare(2.0, -1.0, 0.0, 0.0, -700.0, 1.0)


def test_finite_difference_says_why_there_is_no_step() -> None:
    x = Node(5e-324, "x")  # the smallest float: every step leaves log's domain or rounds
    out = x.log()
    with pytest.raises(NoStepError, match=r"no step around 'x' = 4\.941e-324"):
        finite_difference(ancestors(out), x)
    assert issubclass(NoStepError, ValueError)


def test_demo_shows_the_table_near_saturation(tmp_path: Path) -> None:
    args = ["demo", "--w1", "0", "--w2", "0", "--b", "-74", "--y", "0", "--epochs", "1"]
    result = run(args, tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "a = σ(z) = 7.281e-33" in out
    assert "—¹" in out and "¹ no finite difference for da: " in out
    assert "Autograd equals the lecture's formulas bit for bit on every quantity." in out
