"""Notebook widgets: sliders over the lecture's example, and a box to type a graph in.

Everything a widget shows is computed by a plain function that returns the numbers and the
HTML (`lecture_state`, `typed_graph`), so a notebook's checks and the tests call the same
code the widgets run, and a static copy of a notebook still shows their output. The
widgets only wire those functions to ipywidgets (the ``notebooks`` extra), which is
imported when a widget is made. Results go into ``ipywidgets.HTML`` rather than an
``Output`` widget: with an Output widget, headless runs (nbmake) sometimes stalled for the
whole cell timeout (jupyter/nbclient#312).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from microgrand.comparison import Comparison, compare
from microgrand.logreg import LectureGraph, descent_step, lecture_graph
from microgrand.node import Node
from microgrand.parse import ParseError, build
from microgrand.render import RenderError, draw

# The lecture's example (z = 0.2) and the demo's learning rate: the sliders start here.
DEFAULTS = {"x1": 2.0, "x2": -1.0, "w1": 0.3, "w2": 0.5, "b": 0.1, "y": 1.0, "alpha": 0.1}
TYPED_DEFAULT = "u = b*c; v = a + u; J = 3*v; a=5; b=3; c=2"


@dataclass
class LectureState:
    """What `lecture_state` computed at one point, and the HTML that shows it.

    `error` is a one-line message when the lecture's loss is undefined there (σ(z) rounded
    to 0 or 1); `table` is None where compare's finite differences cannot be taken.
    """

    inputs: tuple[float, ...]
    html: str = ""
    error: str | None = None
    graph: LectureGraph | None = None
    after: LectureGraph | None = None
    table: Comparison | None = None
    step: str = ""


@dataclass
class TypedGraph:
    """What `typed_graph` built from typed statements: the root or a one-line message."""

    root: Node | None
    message: str | None
    html: str


def svg_of(node: Node) -> str:
    """The lecture view of node's graph as an <svg> element to put into HTML."""
    svg = draw(node).svg()
    return svg[svg.find("<svg") :]


def message_html(text: str) -> str:
    """A one-line message, shown in red."""
    return f'<p style="color: #b71c1c; font-family: monospace">{html.escape(text)}</p>'


def lecture_state(
    x1: float = DEFAULTS["x1"],
    x2: float = DEFAULTS["x2"],
    w1: float = DEFAULTS["w1"],
    w2: float = DEFAULTS["w2"],
    b: float = DEFAULTS["b"],
    y: float = DEFAULTS["y"],
    alpha: float = DEFAULTS["alpha"],
) -> LectureState:
    """Build the lecture's graph at these numbers, draw it, compare, take one step."""
    state = LectureState((x1, x2, w1, w2, b, y, alpha))
    try:
        graph = lecture_graph(x1, x2, w1, w2, b, float(y))
        graph.L.backward()
        after = descent_step(graph, alpha)
        parts = [svg_of(graph.L)]
    except (ValueError, RenderError) as error:
        # ValueError: σ(z) rounded to 0 or 1, and the lecture's loss needs log(0)
        state.error = f"z = {w1 * x1 + w2 * x2 + b:.4g}: {error}".splitlines()[0]
        state.html = message_html(state.error)
        return state
    state.graph, state.after = graph, after
    try:
        state.table = compare(x1, x2, w1, w2, b, float(y))
        parts.append(state.table._repr_html_().replace("<table>", '<table style="margin-left: 0">'))
    except ValueError as error:
        # Not expected: compare shows a finite difference it cannot take as "—" with a
        # footnote. Should anything else fail, the drawing and the step still show.
        parts.append(message_html(f"(no comparison table at z = {graph.z.value:.4g}: {error})"))
    state.step = (
        f"one step with α = {alpha}:  "
        f"w₁ := {w1:.4g} − α·({graph.w1.grad:.4g}) = {after.w1.value:.4g},  "
        f"w₂ := {after.w2.value:.4g},  b := {after.b.value:.4g}\n"
        f"L: {graph.L.value:.4f} → {after.L.value:.4f}"
    )
    parts.append(f"<pre>{html.escape(state.step)}</pre>")
    # JupyterLab's class for rendered HTML gives the table the same look as a cell output
    state.html = '<div class="jp-RenderedHTMLCommon">' + "\n".join(parts) + "</div>"
    return state


def typed_graph(text: str, data: str = "") -> TypedGraph:
    """Build statements in `microgrand draw`'s syntax, backpropagate and draw them.

    `data` lists the names of data leaves, separated by commas. A mistake gives a one-line
    message instead of a root (the text is parsed, never run as Python).
    """
    names = [name.strip() for name in data.split(",") if name.strip()]
    try:
        root = build(text, data=names)
        root.backward()
        return TypedGraph(root, None, svg_of(root))
    except (ParseError, ValueError, ArithmeticError, RenderError) as error:
        message = f"{type(error).__name__}: {error}".splitlines()[0]
        return TypedGraph(None, message, message_html(message))


def _ipywidgets() -> Any:
    try:
        import ipywidgets
    except ImportError:
        raise ImportError(
            "microgrand's widgets need ipywidgets: pip install 'microgrand[notebooks]'"
        ) from None
    return ipywidgets


class _Shown:
    """Shows itself as its `widget` in Jupyter (the widget's own display data)."""

    widget: Any

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


@dataclass(eq=False)
class LectureSliders(_Shown):
    """Sliders for x₁, x₂, w₁, w₂, b, y and α over the lecture's example.

    Each change (on release) calls `lecture_state` at the sliders' values, appends the
    result to `calls` and puts its HTML into `view`.
    """

    calls: list[LectureState] = field(default_factory=list)

    def __post_init__(self) -> None:
        widgets = _ipywidgets()

        def slider(label: str, value: float, low: float, high: float, by: float = 0.1) -> Any:
            return widgets.FloatSlider(
                value=value,
                min=low,
                max=high,
                step=by,
                description=label,
                continuous_update=False,
                readout_format=".2f",
            )

        self.controls: dict[str, Any] = {
            "x1": slider("x₁", DEFAULTS["x1"], -5.0, 5.0),
            "x2": slider("x₂", DEFAULTS["x2"], -5.0, 5.0),
            "w1": slider("w₁", DEFAULTS["w1"], -5.0, 5.0),
            "w2": slider("w₂", DEFAULTS["w2"], -5.0, 5.0),
            "b": slider("b", DEFAULTS["b"], -5.0, 5.0),
            "y": widgets.IntSlider(
                value=int(DEFAULTS["y"]), min=0, max=1, description="y", continuous_update=False
            ),
            "alpha": slider("α", DEFAULTS["alpha"], 0.0, 2.0, by=0.05),
        }
        self.view = widgets.HTML()
        for control in self.controls.values():
            control.observe(self.refresh, names="value")
        names = list(self.controls)
        columns = [
            widgets.VBox([self.controls[n] for n in names[:4]]),
            widgets.VBox([self.controls[n] for n in names[4:]]),
        ]
        self.widget = widgets.VBox([widgets.HBox(columns), self.view])
        self.refresh()

    def values(self) -> dict[str, float]:
        """The sliders' values, by the names of `lecture_state`'s arguments."""
        return {name: control.value for name, control in self.controls.items()}

    def refresh(self, change: object = None) -> LectureState:
        """Compute at the sliders' values and show the result (a slider change calls this)."""
        state = lecture_state(**self.values())
        self.calls.append(state)
        self.view.value = state.html
        return state


@dataclass(eq=False)
class GraphBox(_Shown):
    """A text box for statements in `microgrand draw`'s syntax, one for the data leaves'
    names, and the drawing (or the one-line mistake) below them; `last` is what is shown."""

    text: str = TYPED_DEFAULT
    data: str = ""

    def __post_init__(self) -> None:
        widgets = _ipywidgets()
        self.text_box = widgets.Textarea(
            value=self.text,
            description="graph",
            continuous_update=False,
            layout=widgets.Layout(width="95%", height="4em"),
        )
        self.data_box = widgets.Text(
            value=self.data,
            description="data",
            placeholder="e.g. x1, x2",
            continuous_update=False,
        )
        self.view = widgets.HTML()
        self.text_box.observe(self.refresh, names="value")
        self.data_box.observe(self.refresh, names="value")
        self.widget = widgets.VBox([self.text_box, self.data_box, self.view])
        self.last = self.refresh()

    def refresh(self, change: object = None) -> TypedGraph:
        """Build, draw and show what the boxes hold (typing into either box calls this)."""
        self.last = typed_graph(self.text_box.value, self.data_box.value)
        self.view.value = self.last.html
        return self.last
