"""Drawing a graph: `draw(L)` returns a `Drawing` that shows itself in Jupyter and saves files.

`draw(L)` returns a `Drawing`: its ``source`` is the DOT text, it shows itself as SVG in
Jupyter and ``save("g.svg" | "g.png" | "g.dot")`` writes a file.

Two views of the same graph:

- The **lecture view** draws what the lecture draws: inputs as plain text on the left, one
  box per *named* node reading ``name = formula`` with the unnamed intermediate nodes folded
  into the formula (``z = w₁x₁ + w₂x₂ + b``), blue forward arrows, and red backward arrows
  labelled in the lecture's notation (``dw₁ = x₁·dz = −0.9003``). Leaves marked
  ``requires_grad=False`` (data such as x₁, x₂ and the label y) and constants get no red
  arrow.
- The **ops view** draws one box per primitive (name, value, grad), the op symbols, and on
  each edge the op's local derivative, as text and as a number.

The work is split by concern: `lecture_view` (the graph in order and the lecture view's
model), `lecture_loss` (the lecture's special cases), `dot_source` (the DOT emitters) and
`layout` (the layout subprocess). This module is the user's entry point.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Union

from microgrand.dot_source import LABEL_LIMIT, VIEWS, Options, build_source, escape_label
from microgrand.layout import (
    ENGINES,
    INSTALL_HINT,
    TIMEOUT,
    RendererNotFoundError,
    RenderError,
    find_renderer,
    run_layout,
)
from microgrand.lecture_view import MAX_NODES, Graph, GraphTooLargeError, Lecture
from microgrand.nn import MLP
from microgrand.notation import NAME_LIMIT, clean_text

if TYPE_CHECKING:
    from microgrand.node import Node

__all__ = [
    "ENGINES",
    "LABEL_LIMIT",
    "MAX_NODES",
    "VIEWS",
    "Drawing",
    "Graph",
    "GraphTooLargeError",
    "Lecture",
    "RenderError",
    "RendererNotFoundError",
    "draw",
    "escape_label",
    "find_renderer",
]

FORMATS = {".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot"}


PathLike = Union[str, "os.PathLike[str]"]


class Drawing:
    """A drawing of a graph: DOT text that shows itself as SVG in Jupyter.

    Attributes:
        source: the DOT text (the golden artifact: deterministic for a given graph).
        engine: the layout program to use, or None for the default.
        caption: a one-line description (used by step-by-step pages).
    """

    def __init__(
        self,
        source: str,
        summary: str,
        *,
        engine: str | None = None,
        caption: str = "",
        timeout: float = TIMEOUT,
    ) -> None:
        self.source = source
        self.summary = summary
        self.engine = engine
        self.caption = caption
        self.timeout = timeout
        self._svg: str | None = None

    def pipe(self, format: str = "svg", *, engine: str | None = None) -> bytes:
        """The drawing as bytes in `format` ("svg", "png" or "dot")."""
        return run_layout(self.source, format, engine or self.engine, self.timeout)

    def svg(self) -> str:
        """The drawing as SVG text (laid out once, then cached)."""
        if self._svg is None:
            self._svg = self.pipe("svg").decode("utf-8")
        return self._svg

    def save(self, path: PathLike, *, engine: str | None = None) -> Path:
        """Write the drawing to `path`; its suffix (.svg, .png, .dot) picks the format.

        Raises:
            RendererNotFoundError: for .svg/.png when no layout program is installed.
        """
        target = Path(path)
        fmt_name = FORMATS.get(target.suffix.lower())
        if fmt_name is None:
            raise ValueError(
                f"cannot tell the format from {target.name!r}: use a .svg, .png or .dot suffix"
            )
        if fmt_name == "svg" and engine is None:
            data = self.svg().encode("utf-8")
        else:
            data = self.pipe(fmt_name, engine=engine)
        target.write_bytes(data)
        return target

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None
    ) -> dict[str, str]:
        """Jupyter's display hook: SVG plus a text summary; never raises."""
        try:
            return {"image/svg+xml": self.svg(), "text/plain": self.summary}
        except RendererNotFoundError:
            return {"text/plain": f"{self.summary}\n(no image: {INSTALL_HINT})"}
        except Exception as error:  # display must never raise in a notebook
            return {"text/plain": f"{self.summary}\n(no image: {error})"}

    def __repr__(self) -> str:
        return self.summary


def draw(
    root: Node | MLP,
    *,
    view: str = "lecture",
    values: bool = True,
    grads: bool = True,
    formulas: bool | None = None,
    engine: str | None = None,
    max_nodes: int = MAX_NODES,
    timeout: float = TIMEOUT,
) -> Drawing:
    """Draw root's graph, or a network (`microgrand.nn.MLP`) in the course's layer view.

    Args:
        root: the output node (usually the loss), after ``root.backward()`` for gradients;
            or an MLP, drawn layer by layer in vector notation (`network_view`).
        view: "lecture" (named boxes, as the lecture draws it) or "ops" (one box per op);
            for an MLP "layers" (the default) or "vectorized" (m examples, capitals).
        values: show the forward values.
        grads: show gradient numbers (only once ``root.backward()`` has run).
        formulas: show derivative formulas on the red arrows; None shows them when the
            graph has data leaves or the lecture's loss (and always when grads=False).
        engine: "dot", "graphviz-pure" or None (dot if on PATH, else graphviz-pure).
        max_nodes: refuse graphs with more nodes than this (GraphTooLargeError).
        timeout: seconds the layout program may take.
    """
    if isinstance(root, MLP):  # a network: the course's layer view
        from microgrand.network_view import draw_network

        shown = "layers" if view == "lecture" else view
        return draw_network(root, view=shown, engine=engine, timeout=timeout)
    options = Options(view, values, grads, formulas, max_nodes)
    source = build_source(root, options)
    return Drawing(source, _summary(root, view), engine=engine, timeout=timeout)


def _summary(root: Node, view: str) -> str:
    name = clean_text(root.name, NAME_LIMIT) if root.name is not None else "an unnamed node"
    return f"<microgrand drawing of {name}, {view} view: .save('graph.svg'), .source for DOT>"
