"""microgrand.widgets: what notebook 4's sliders and text box compute, and how they are wired.

The widgets run without a kernel here (ipywidgets only records the values); the notebook
itself is executed by `make test` (nbmake).
"""

from __future__ import annotations

import math
import sys

import pytest

from microgrand import lecture, widgets
from microgrand.widgets import DEFAULTS, GraphBox, LectureSliders, lecture_state, typed_graph


def test_lecture_state_at_the_lecture_s_numbers() -> None:
    state = lecture_state()
    assert state.error is None and state.graph is not None and state.table is not None
    assert state.after is not None
    ex = lecture.one_example(2.0, -1.0, 0.3, 0.5, 0.1, 1.0)
    assert state.graph.z.grad == ex.dz
    assert state.table.max_formula_diff == 0.0
    closed = lecture.descent_step(0.3, 0.5, 0.1, ex.dw1, ex.dw2, ex.db, 0.1)
    assert (state.after.w1.value, state.after.w2.value, state.after.b.value) == closed
    assert "L: 0.5981 → 0.4855" in state.step
    for text in ("<svg", "dz = a − y = −0.4502", "<table", "-0.9003", "w₁ := 0.3"):
        assert text in state.html, text


def test_lecture_state_where_the_loss_is_undefined_is_one_line() -> None:
    state = lecture_state(x1=5.0, x2=5.0, w1=5.0, w2=5.0, b=5.0)  # z = 55: σ(z) rounds to 1
    assert state.graph is None and state.error is not None
    assert state.error.startswith("z = 55: ") and "bce_with_logits" in state.error
    assert "\n" not in state.error and state.html.startswith('<p style="color')


def test_lecture_state_near_saturation_still_draws_and_compares() -> None:
    state = lecture_state(x1=5.0, w1=5.0, b=5.0)  # z = 29.5: a is within 1e-12 of 1
    assert state.error is None and state.graph is not None and state.table is not None
    assert "<svg" in state.html and "<table" in state.html


def test_lecture_state_without_a_table_still_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where compare's finite differences cannot be taken, the drawing and step still show."""

    def no_table(*point: float) -> None:
        raise ValueError("finite difference: no step around 1.0 keeps the graph defined")

    monkeypatch.setattr(widgets, "compare", no_table)
    state = lecture_state()
    assert state.error is None and state.graph is not None and state.table is None
    assert "<svg" in state.html and "no comparison table at z = 0.2" in state.html
    assert "L: 0.5981 → 0.4855" in state.html


def test_typed_graph_and_its_mistakes() -> None:
    typed = typed_graph("u = b*c; v = a + u; J = 3*v; a=5; b=3; c=2")
    assert typed.message is None and typed.root is not None
    assert (typed.root.name, typed.root.value) == ("J", 33.0) and "J = 3v" in typed.html
    data = typed_graph("z = w*x + b; w=0.3; x=2; b=0.1", data="x")
    assert data.root is not None and "dw = x·dz" not in data.html and "dx" not in data.html
    for text, start in [
        ("J = 3*", "ParseError: syntax error"),
        ("J = q*2", "ParseError: unknown name 'q'"),
        ("J = __import__('os').system('ls')", "ParseError:"),
    ]:
        mistake = typed_graph(text)
        assert mistake.root is None and mistake.message is not None
        assert mistake.message.startswith(start) and "\n" not in mistake.message
        assert mistake.html.startswith('<p style="color')


def test_the_sliders_start_at_the_defaults_and_redraw_on_a_change() -> None:
    sliders = LectureSliders()
    assert sliders.values() == DEFAULTS
    assert len(sliders.calls) == 1 and sliders.view.value == sliders.calls[0].html
    assert sliders.calls[0].html == lecture_state().html
    sliders.controls["y"].value = 0
    last = sliders.calls[-1]
    assert last.inputs[5] == 0 and sliders.view.value == last.html
    assert last.graph is not None and last.graph.z.grad > 0  # dz = a - y with y = 0
    sliders.controls["w1"].value = 1.5
    assert math.isclose(sliders.calls[-1].inputs[2], 1.5) and len(sliders.calls) == 3
    bundle = sliders._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_the_graph_box_redraws_when_typed_into() -> None:
    box = GraphBox()
    assert box.last.root is not None and box.view.value == box.last.html
    box.text_box.value = "z = w1*x1 + w2*x2 + b; a = sigmoid(z); x1=2; x2=-1; w1=0.3; w2=0.5; b=0.1"
    box.data_box.value = "x1, x2"
    assert "dw₁ = x₁·dz" in box.view.value and "dx₁" not in box.view.value
    box.text_box.value = "J = 3*"
    assert box.last.root is None and box.view.value.startswith('<p style="color')


def test_without_ipywidgets_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # as if not installed
    with pytest.raises(ImportError, match=r"pip install 'microgrand\[notebooks\]'"):
        LectureSliders()
    assert lecture_state().error is None  # the functions behind the widgets need no ipywidgets
