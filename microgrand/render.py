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

from microgrand.dot_source import (
    LABEL_LIMIT,
    VIEWS,
    Options,
    build_source,
    escape_label,
)
from microgrand.layout import (
    ENGINES,
    INSTALL_HINT,
    TIMEOUT,
    DotSource,
    RendererNotFoundError,
    RenderError,
    SharedLayout,
    check_width,
    find_renderer,
    fit_svg,
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
        size: the view and the number of items to lay out (None for DOT text from
            elsewhere: no limit is checked then).
        engine: the layout program to use, or None for the default.
        width: the most pixels wide the images are (None: the drawing's own size in
            files; in Jupyter the output area's width).
        caption: a one-line description (used by step-by-step pages).
        shared: a layout shared with other drawings of the graph (the frames of a
            step-by-step page), or None for a layout of its own.
    """

    def __init__(
        self,
        source: str | DotSource,
        summary: str,
        *,
        engine: str | None = None,
        caption: str = "",
        timeout: float = TIMEOUT,
        width: int | None = None,
    ) -> None:
        check_width(width)
        self.width = width
        self.size = source if isinstance(source, DotSource) else None
        self.source = source.text if isinstance(source, DotSource) else source
        self.summary = summary
        self.engine = engine
        self.caption = caption
        self.timeout = timeout
        self.shared: SharedLayout | None = None
        self._svg: str | None = None

    def pipe(
        self, format: str = "svg", *, engine: str | None = None, width: int | None = None
    ) -> bytes:
        """The drawing as bytes in `format` ("svg", "png" or "dot"), at most `width`
        pixels wide (default: the drawing's `width`)."""
        return run_layout(
            self.source,
            format,
            engine or self.engine,
            self.timeout,
            self.size,
            width if width is not None else self.width,
            self.shared,
        )

    def svg(self) -> str:
        """The drawing as SVG text (laid out once, then cached), at most `width` wide."""
        if self._svg is None:
            svg = run_layout(
                self.source, "svg", self.engine, self.timeout, self.size, shared=self.shared
            )
            self._svg = svg.decode("utf-8")
        return fit_svg(self._svg, self.width) if self.width is not None else self._svg

    def save(self, path: PathLike, *, engine: str | None = None, width: int | None = None) -> Path:
        """Write the drawing to `path`; its suffix (.svg, .png, .dot) picks the format.

        Args:
            path: where to write.
            engine: the layout program (default: the drawing's).
            width: the most pixels wide the image may be; a wider drawing is scaled
                down, its height in proportion (default: the drawing's `width`).

        Raises:
            RendererNotFoundError: for .svg/.png when no layout program is installed.
        """
        target = Path(path)
        fmt_name = FORMATS.get(target.suffix.lower())
        if fmt_name is None:
            raise ValueError(
                f"cannot tell the format from {target.name!r}: use a .svg, .png or .dot suffix"
            )
        check_width(width)
        if width is not None and fmt_name == "dot":
            # DOT source has no pixels: the CLI refuses --width with .dot the same way.
            raise ValueError(
                f"width scales .svg/.png images only, not {target.name!r}: DOT source has no "
                "size in pixels (save it without width)"
            )
        if fmt_name == "svg" and engine is None:
            self.svg()  # lays out once, then cached
            assert self._svg is not None
            most = width if width is not None else self.width
            data = (fit_svg(self._svg, most) if most is not None else self._svg).encode("utf-8")
        else:
            data = self.pipe(fmt_name, engine=engine, width=width)
        target.write_bytes(data)
        return target

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None
    ) -> dict[str, str]:
        """Jupyter's display hook: SVG plus a text summary; never raises.

        The SVG scales down to the output area (never clipped, never scaled up), and to
        the drawing's `width` when it has one.
        """
        try:
            svg = fit_svg(self.svg(), self.width, fluid=True)
            return {"image/svg+xml": svg, "text/plain": self.summary}
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
    width: int | None = None,
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
        width: the most pixels wide the images may be (SVG and PNG, in files and in
            Jupyter); a wider drawing is scaled down. Without it, files have the
            drawing's own size and Jupyter fits the output area.
    """
    check_width(width)
    if isinstance(root, MLP):  # a network: the course's layer view
        from microgrand.network_view import draw_network

        shown = "layers" if view == "lecture" else view
        return draw_network(root, view=shown, engine=engine, timeout=timeout, width=width)
    options = Options(view, values, grads, formulas, max_nodes)
    source = build_source(root, options)
    return Drawing(source, _summary(root, view), engine=engine, timeout=timeout, width=width)


def _summary(root: Node, view: str) -> str:
    name = clean_text(root.name, NAME_LIMIT) if root.name is not None else "an unnamed node"
    return f"<microgrand drawing of {name}, {view} view: .save('graph.svg'), .source for DOT>"
