"""Backprop, step by step: one drawing per step of the backward pass, and an HTML page.

`steps(L)` runs ``L.backward()`` and then replays it in the order the engine runs it:
the engine visits the computed nodes newest first (reverse topological order), and each
visit passes the node's gradient on to its inputs. Every frame shows the gradients known
so far (the others as ``?``) and highlights those that were just completed.

Granularity: the ops view has one step per primitive op, exactly the engine's loop. The
lecture view has one step per box (named node): a box's step covers the unnamed nodes
folded into it, which the engine visits right after the box or interleaved with other
boxes' nodes; the boxes themselves come in the engine's order.

Frames: the first shows only the output's gradient (dL/dL = 1), then one frame per step,
and the last is the complete drawing, identical to ``draw(L)``. Every frame is drawn on
that drawing's layout (laid out once; each frame's nodes and edges are pinned where it put
them, `layout.SharedLayout`), so nothing shifts as a ``?`` becomes a number.

`save_steps(L, "backprop.html")` writes one self-contained page (inline SVGs, a few lines
of plain JavaScript, nothing fetched from the network) with Previous/Next buttons and a
slider; its counter shows the captions' own count ("Step 2 of 3").
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from microgrand.dot_source import Options, lecture_source, ops_source
from microgrand.labels import clean_text, display_name, fmt
from microgrand.layout import TIMEOUT, SharedLayout
from microgrand.lecture_view import MAX_NODES, BackwardStage, Graph, GraphTooLargeError, Lecture
from microgrand.render import Drawing

if TYPE_CHECKING:
    from microgrand.node import Node
    from microgrand.render import PathLike

__all__ = ["MAX_STEPS", "save_steps", "steps", "steps_html"]

# Every frame is laid out on its own: 200 frames of a lecture-sized graph take ~10 s.
MAX_STEPS = 200


def _units(graph: Graph, view: str) -> list[tuple[Node, list[Node]]]:
    """The backward pass as steps: (the node stepped through, the nodes it covers)."""
    if view == "ops":
        return [(node, [node]) for node in graph.computed_newest_first]
    model = Lecture(graph)
    position = {id(node): i for i, node in enumerate(graph.order)}
    boxes = sorted(model.boxes, key=lambda box: position[id(box)], reverse=True)
    return [(box, model.folded(box)) for box in boxes]


def _label(node: Node, graph: Graph, lecture: Lecture | None) -> str:
    if lecture is not None and id(node) in lecture.names:
        return lecture.names[id(node)]
    if node.name is not None:
        return display_name(node.name)
    return f"the unnamed {node.op or 'leaf'} node ({fmt(node.value)})"


def _grad_text(node: Node, graph: Graph, lecture: Lecture | None) -> str:
    if lecture is not None and id(node) in lecture.names:
        return f"{lecture.gradient(node)} = {fmt(node.grad)}"
    if node.name is not None:
        return f"d{_label(node, graph, lecture)} = {fmt(node.grad)}"
    return f"the grad of {_label(node, graph, lecture)} = {fmt(node.grad)}"


def steps(
    root: Node,
    *,
    view: str = "lecture",
    values: bool = True,
    formulas: bool | None = None,
    engine: str | None = None,
    max_nodes: int = MAX_NODES,
    max_steps: int = MAX_STEPS,
    timeout: float = TIMEOUT,
) -> Iterator[Drawing]:
    """Yield one drawing per step of root's backward pass (runs ``root.backward()`` first).

    Each drawing's ``caption`` says what the step did. The arguments are those of `draw`;
    more than `max_steps` steps raise `GraphTooLargeError` (each frame is a layout).
    """
    if view not in ("lecture", "ops"):
        raise ValueError(f"steps: view must be 'lecture' or 'ops', got {view!r}")
    options = Options(view, values, True, formulas, max_nodes)
    graph = Graph(root, max_nodes)
    root.backward()
    units = _units(graph, view)
    if len(units) > max_steps:
        raise GraphTooLargeError(
            f"the backward pass of this graph has {len(units)} steps in the {view} view, "
            f"more than max_steps={max_steps}: a page of that many drawings takes long to "
            "lay out and to read. Step through a smaller graph, or the lecture view (one "
            "step per named node)."
        )
    lecture = Lecture(graph) if view == "lecture" else None
    build = ops_source if view == "ops" else lecture_source
    summary = f"<microgrand backprop step of {_label(root, graph, lecture)}, {view} view>"
    # Every frame is drawn on the complete drawing's layout (its labels are the widest),
    # so nothing moves from one frame to the next as a ``?`` becomes a number.
    shared = SharedLayout(build(graph, options, BackwardStage()).text)
    for stage, caption in _stages(graph, lecture, units):
        source = build(graph, options, stage)
        drawing = Drawing(source, summary, engine=engine, caption=caption, timeout=timeout)
        drawing.shared = shared
        yield drawing


def _stages(
    graph: Graph, lecture: Lecture | None, units: list[tuple[Node, list[Node]]]
) -> Iterator[tuple[BackwardStage, str]]:
    """What each frame shows of the backward pass, and its caption: the start (only the
    root's gradient known), one frame per unit of `units`, and the full drawing."""
    root = graph.root
    watched = (
        [*lecture.inputs, *lecture.boxes]
        if lecture is not None
        else [n for n in graph.order if not n.is_constant]
    )
    watched = [n for n in watched if n.requires_grad]
    total = len(units)
    root_name = _label(root, graph, lecture)
    processed: set[int] = set()
    known = {id(root)}
    yield (
        BackwardStage(frozenset(), frozenset({id(root)})),
        f"Start: d{root_name}/d{root_name} = 1. Every other gradient is still unknown (?).",
    )
    for number, (node, covered) in enumerate(units, start=1):
        processed.update(id(n) for n in covered)
        progress = BackwardStage(frozenset(processed), frozenset())
        fresh = [n for n in watched if id(n) not in known and graph.grad_known(n, progress)]
        known.update(id(n) for n in fresh)
        through = _label(node, graph, lecture)
        done = ", ".join(_grad_text(n, graph, lecture) for n in fresh)
        caption = f"Step {number} of {total}: backward through {through}; " + (
            f"now known: {done}." if done else "no gradient is complete yet."
        )
        yield BackwardStage(frozenset(processed), frozenset(id(n) for n in fresh)), caption
    yield BackwardStage(), "Done: every gradient is known (this is the full drawing)."


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
.controls { display: flex; gap: 0.75rem; align-items: center; margin-bottom: 0.5rem; }
.controls input[type=range] { flex: 1; max-width: 32rem; }
#caption { min-height: 1.5em; font-size: 1.05rem; }
.frame svg { max-width: 100%; height: auto; }
"""

_SCRIPT = """
(function () {
  var frames = document.querySelectorAll(".frame");
  var slider = document.getElementById("slider");
  var counter = document.getElementById("counter");
  var caption = document.getElementById("caption");
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");
  var current = 0;
  function show(i) {
    current = Math.max(0, Math.min(frames.length - 1, i));
    for (var k = 0; k < frames.length; k++) { frames[k].hidden = k !== current; }
    slider.value = String(current);
    counter.textContent = frames[current].getAttribute("data-counter");
    caption.textContent = frames[current].getAttribute("data-caption");
    prev.disabled = current === 0;
    next.disabled = current === frames.length - 1;
    document.body.setAttribute("data-step", String(current));
  }
  prev.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  slider.addEventListener("input", function () { show(Number(slider.value)); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "ArrowRight") { show(current + 1); }
    if (event.key === "ArrowLeft") { show(current - 1); }
  });
  show(0);
})();
"""


def _inline(svg: str) -> str:
    """An SVG document as an element to put inside HTML (no XML prolog or doctype)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def _counter(caption: str, index: int, count: int) -> str:
    """What the counter shows for a frame: the caption's own count ("Start", "Step 2 of
    3", "Done"), so that the two never disagree; "k / n" for frames from elsewhere."""
    head = caption.split(":", 1)[0]
    if caption.startswith(("Start:", "Done:")) or re.fullmatch(r"Step \d+ of \d+", head):
        return head
    return f"{index + 1} / {count}"


def steps_html(frames: list[Drawing], title: str = "Backprop, step by step") -> str:
    """One self-contained HTML page showing the frames with Previous/Next and a slider."""
    if not frames:
        raise ValueError("steps_html: no frames to show")
    parts = []
    counters = [_counter(drawing.caption, i, len(frames)) for i, drawing in enumerate(frames)]
    for index, drawing in enumerate(frames):
        hidden = "" if index == 0 else " hidden"
        parts.append(
            f'<div class="frame" data-caption="{html.escape(drawing.caption, quote=True)}"'
            f' data-counter="{html.escape(counters[index], quote=True)}"'
            f"{hidden}>\n{_inline(drawing.svg())}\n</div>"
        )
    safe_title = html.escape(clean_text(title), quote=True)
    last = len(frames) - 1
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{safe_title}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f'<body data-step="0">\n<h1>{safe_title}</h1>\n'
        '<div class="controls">\n'
        '<button id="prev" type="button">Previous</button>\n'
        f'<input id="slider" type="range" min="0" max="{last}" value="0" '
        'aria-label="step">\n'
        '<button id="next" type="button">Next</button>\n'
        f'<span id="counter">{html.escape(counters[0])}</span>\n</div>\n'
        + "\n".join(parts)
        # Under the drawing: a caption that wraps onto more lines must not move the frame.
        + '\n<p id="caption"></p>\n'
        + f"<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )


def save_steps(
    root: Node,
    path: PathLike,
    *,
    view: str = "lecture",
    values: bool = True,
    formulas: bool | None = None,
    engine: str | None = None,
    max_nodes: int = MAX_NODES,
    max_steps: int = MAX_STEPS,
    timeout: float = TIMEOUT,
) -> Path:
    """Write the step-by-step backward pass of root as one self-contained HTML page.

    Raises:
        RendererNotFoundError: no layout program (dot or graphviz-pure) is installed.
    """
    frames = list(
        steps(
            root,
            view=view,
            values=values,
            formulas=formulas,
            engine=engine,
            max_nodes=max_nodes,
            max_steps=max_steps,
            timeout=timeout,
        )
    )
    name = display_name(root.name) if root.name is not None else "the output"
    target = Path(path)
    target.write_text(steps_html(frames, f"Backprop, step by step: {name}"), encoding="utf-8")
    return target
