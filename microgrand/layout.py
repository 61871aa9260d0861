"""The layout subprocess: DOT text in, SVG or PNG bytes out, from `dot` or `graphviz-pure`.

Images come from a layout program run as a subprocess with a timeout: the system Graphviz
``dot`` when it is on PATH, otherwise ``graphviz-pure`` (a pip-installable port of
Graphviz, looked for next to the Python interpreter and on PATH), or the one named by
``engine=``. A program that fails, crashes or runs past its timeout is reported as a
`RenderError` that names it.

What a layout costs is counted before it starts (`DotSource.items`, from the emitters'
edges through `Sizer`), and a drawing over the program's limit (`LIMITS`) is refused:
whatever is accepted finishes within seconds. Images can be scaled to a width in pixels
(`fit_svg`, and Graphviz's ``size`` for PNG).
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from microgrand.engine import GraphTooLargeError

ENGINES = ("dot", "graphviz-pure")
TIMEOUT = 60.0
PNG_DPI = 150

# The most layout items (see `DotSource.items`) each program lays out within ~5 s on a
# 2-core machine shared with other work, per view: measured with
# benchmarks/layout_limits.py (the table is in docs/performance.md). Past roughly these
# sizes the time grows much faster than the items (`dot`, lecture view with labels: 3,319
# items 3.5 s, 7,379 items over 20 s; ops view: 3,501 items 2-7 s, 6,748 items 2-20+ s as
# the machine's load varies). Over its limit a drawing is refused before the program starts.
LIMITS = {
    "dot": {"lecture": 3500, "ops": 3500},
    "graphviz-pure": {"lecture": 5000, "ops": 3500},
}


@dataclass(frozen=True)
class DotSource:
    """DOT text and how much a layout program has to place to draw it.

    Attributes:
        text: the DOT text.
        view: "lecture" or "ops".
        nodes: the drawn nodes (inputs, boxes, op symbols, constants).
        items: what the layout program lays out: the drawn nodes plus one item for each
            rank an edge crosses on its way (Graphviz places an invisible node there), which
            is what makes layout time grow: a chain of 60 boxes that all use one input
            drawn once has 61 drawn nodes and 7,379 items (the input's edges cross 1, 2,
            ..., 60 ranks, doubled by their labels).
    """

    text: str
    view: str
    nodes: int
    items: int


class Sizer:
    """Counts a drawing's layout items from its edges, as the emitters write them.

    Each node's rank is estimated the way `dot` ranks: a box one rank after its latest
    input, and a source that is not pinned to the first column one rank before its
    earliest user. An edge across k ranks costs k - 1 hidden nodes, and labels double the
    ranks (Graphviz halves the rank separation and puts the label on a rank of its own).
    """

    def __init__(self) -> None:
        self.nodes = 0
        self.edges: list[tuple[str, str]] = []
        self.labelled = False

    def edge(self, tail: str, head: str, labelled: bool = False) -> None:
        """Record an edge from `tail` to `head`; `labelled` when it carries a label."""
        self.edges.append((tail, head))
        self.labelled = self.labelled or labelled

    def items(self, pinned: frozenset[str] = frozenset()) -> int:
        """The drawing's layout items: its nodes plus the hidden nodes of long edges.

        Args:
            pinned: sources drawn in the first column (not moved next to their users).
        """
        rank: dict[str, int] = {}
        heads = {head for _, head in self.edges}
        # The emitters write every edge into a node before any edge out of it.
        for tail, head in self.edges:
            rank[head] = max(rank.get(head, 0), rank.get(tail, 0) + 1)
        for tail, head in self.edges:
            if tail not in heads and tail not in pinned:
                rank[tail] = min(rank.get(tail, rank[head] - 1), rank[head] - 1)
        stretch = 2 if self.labelled else 1
        hidden = sum(
            max(0, stretch * (rank[head] - rank.get(tail, 0)) - 1) for tail, head in self.edges
        )
        return self.nodes + hidden


INSTALL_HINT = (
    "install Graphviz (it provides `dot`: apt-get install graphviz, brew install graphviz, "
    "or https://graphviz.org/download/) or run `pip install 'graphviz-pure<0.3'`; "
    "saving to a .dot file needs neither"
)


class RenderError(RuntimeError):
    """The layout program failed or took longer than its timeout."""


class RendererNotFoundError(RenderError):
    """Neither `dot` nor `graphviz-pure` (or not the one asked for) could be found."""


def _scripts_dir() -> str | None:
    import sysconfig

    try:
        return sysconfig.get_path("scripts")
    except KeyError:  # pragma: no cover - unusual install schemes
        return None


def _find_graphviz_pure() -> str | None:
    import shutil

    names = ["graphviz-pure.exe", "graphviz-pure"] if os.name == "nt" else ["graphviz-pure"]
    scripts = _scripts_dir()
    if scripts:
        for name in names:
            candidate = Path(scripts) / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    return shutil.which("graphviz-pure")


def find_renderer(engine: str | None = None) -> tuple[str, str]:
    """The layout program to use: (engine name, executable path).

    Args:
        engine: "dot" or "graphviz-pure"; None picks `dot` when it is on PATH, else
            `graphviz-pure` (next to the Python interpreter, or on PATH).

    Raises:
        RendererNotFoundError: nothing suitable is installed; the message says what to do.
    """
    import shutil

    if engine is not None and engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)} or None, got {engine!r}")
    if engine in (None, "dot"):
        found = shutil.which("dot")
        if found:
            return "dot", found
        if engine == "dot":
            raise RendererNotFoundError(
                "engine='dot' was asked for but `dot` is not on PATH: install Graphviz "
                "(apt-get install graphviz, brew install graphviz), or use "
                "engine='graphviz-pure' (pip install 'graphviz-pure<0.3')"
            )
    pure = _find_graphviz_pure()
    if pure:
        return "graphviz-pure", pure
    if engine == "graphviz-pure":
        raise RendererNotFoundError(
            "engine='graphviz-pure' was asked for but it is not installed: "
            "pip install 'graphviz-pure<0.3' (or use engine='dot' with Graphviz installed)"
        )
    raise RendererNotFoundError(f"no Graphviz layout program found: {INSTALL_HINT}")


def check_size(engine: str, size: DotSource) -> None:
    """Refuse, before it starts, a layout that `engine` would not finish within seconds.

    Raises:
        GraphTooLargeError: size.items is over LIMITS[engine][size.view]; the message says
            how to draw a part of the graph.
    """
    limit = LIMITS[engine][size.view]
    if size.items <= limit:
        return
    raise GraphTooLargeError(
        f"this {size.view} view has {size.items:,} layout items ({size.nodes:,} drawn nodes "
        f"plus the hidden points of edges that cross several columns); {engine} lays out "
        f"at most {limit:,} within a few seconds. Draw a part of it: name an intermediate "
        "node and draw that (draw(z) instead of draw(L); on the command line, end the "
        "statements at z)"
        + (
            ", or use view='lecture', which folds unnamed nodes into boxes"
            if size.view == "ops"
            else ""
        )
        + ", or save it as .dot and lay it out yourself."
    )


def _signal_name(code: int) -> str:
    import signal

    try:
        return signal.Signals(code).name
    except ValueError:
        return f"signal {code}"


def run_layout(
    source: str,
    fmt_name: str,
    engine: str | None = None,
    timeout: float = TIMEOUT,
    size: DotSource | None = None,
    width: int | None = None,
    shared: SharedLayout | None = None,
) -> bytes:
    """Lay out DOT text and return the image bytes (``fmt_name`` is "svg" or "png").

    Args:
        source: the DOT text.
        fmt_name: "svg", "png" or "dot" (the text itself).
        engine: "dot", "graphviz-pure" or None (see `find_renderer`).
        timeout: seconds the layout program may take.
        size: what the drawing holds, when microgrand made it: checked against the
            engine's limit before the program starts, and named if the program crashes.
        width: the most pixels the image may be wide; a wider drawing is scaled down
            (never up), its height in proportion.
        shared: a layout to reuse: the nodes and edges are drawn where it put them.

    Raises:
        GraphTooLargeError: the drawing is over the engine's limit (see `check_size`).
        RenderError: the program failed, crashed or ran past the timeout.
    """
    if fmt_name == "dot":
        return source.encode("utf-8")
    if fmt_name not in ("svg", "png", "json"):
        raise ValueError(f"unknown image format {fmt_name!r}: use svg, png or dot")
    check_width(width)
    name, exe = find_renderer(engine)
    if size is not None:
        check_size(name, size)
    command = [exe, f"-T{fmt_name}"]
    if shared is not None:
        pinned = shared.pin(source, name, timeout)
        if pinned is not None:  # neato -n2 draws nodes and edges where `pos` says
            source = pinned
            command += ["-Kneato", "-n2"]
    if fmt_name == "png":
        command.append(f"-Gdpi={PNG_DPI}")
        if width is not None:
            # `size` (inches) scales a larger drawing down to fit; at PNG_DPI pixels an
            # inch. Rounded down so that the image is never a pixel wider than asked.
            command.append(f"-Gsize={math.floor(width / PNG_DPI * 1e4) / 1e4},100000")
    what = (
        f"the {size.view} view of {size.nodes:,} nodes ({size.items:,} layout items)"
        if size is not None
        else "the graph"
    )
    output = _run(command, source, timeout, name, what)
    if fmt_name == "svg" and width is not None:
        return fit_svg(output.decode("utf-8"), width).encode("utf-8")
    return output


def _run(command: list[str], source: str, timeout: float, name: str, what: str) -> bytes:
    """Run the layout program `name`; its output, or a RenderError that says what happened
    to `what` (the drawing)."""
    import subprocess

    try:
        result = subprocess.run(
            command, input=source.encode("utf-8"), capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"{name} did not finish laying out {what} within {timeout:g} s; draw a "
            "smaller graph, or pass a larger timeout="
        ) from None
    except OSError as error:
        raise RendererNotFoundError(f"could not run {name} ({command[0]}): {error}") from None
    if result.returncode < 0:
        raise RenderError(
            f"{name} crashed ({_signal_name(-result.returncode)}) while laying out {what}: "
            "a bug in the layout program, not in your graph; try the other engine "
            f"(engine={'graphviz-pure' if name == 'dot' else 'dot'!r}) or draw a part of it"
        )
    if result.returncode != 0 or not result.stdout:
        # graphviz-pure prints width warnings for non-ASCII text on stderr: they are noise
        # and only shown when the program actually failed.
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RenderError(
            f"{name} failed (exit code {result.returncode}) on {what}: "
            f"{message[-1] if message else 'no output'}"
        )
    return result.stdout


def check_width(width: int | None) -> None:
    """Refuse a width that is not a positive whole number of pixels."""
    if width is None:
        return
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be a positive whole number of pixels, got {width!r}")


_SVG_SIZE = re.compile(r'<svg width="([0-9.]+)(pt|px)?" height="([0-9.]+)(pt|px)?"')
_PX_PER_UNIT = {"pt": 96 / 72, "px": 1.0, None: 1.0}


def svg_size(svg: str) -> tuple[float, float]:
    """The width and height in pixels that an SVG from Graphviz asks for (96 px an inch)."""
    match = _SVG_SIZE.search(svg)
    if match is None:
        raise RenderError("the layout program's SVG has no width and height")
    width, unit, height, height_unit = match.groups()
    return float(width) * _PX_PER_UNIT[unit], float(height) * _PX_PER_UNIT[height_unit]


def fit_svg(svg: str, width: int | None = None, *, fluid: bool = False) -> str:
    """An SVG at most `width` pixels wide (scaled down, never up; the viewBox keeps the
    whole drawing), and with `fluid` also scaled down to fit its container (a notebook's
    output area, a page): ``max-width: 100%; height: auto`` on the root element."""
    natural_width, natural_height = svg_size(svg)
    style = ' style="max-width: 100%; height: auto"' if fluid else ""
    if width is None or width >= natural_width:  # never scaled up: the size stays as it is
        if not fluid:
            return svg
        return svg.replace("<svg ", "<svg" + style + " ", 1)
    scale = width / natural_width
    size = (
        f'<svg width="{natural_width * scale:.2f}px" height="{natural_height * scale:.2f}px"{style}'
    )
    return _SVG_SIZE.sub(size, svg, count=1)


class SharedLayout:
    """One layout for several drawings of the same graph (the frames of a backward pass).

    The reference DOT is laid out once (as JSON positions); each drawing is then drawn
    with its nodes, edges and labels pinned where the reference put them, so nothing
    shifts from one frame to the next when a ``?`` becomes a number. The reference should
    hold the widest labels (the complete drawing): nodes keep its sizes.
    """

    def __init__(self, reference: str) -> None:
        self.reference = reference
        self._positions: dict[str, tuple[dict[str, Any], dict[tuple[str, str], list[Any]]]] = {}

    def _layout(self, engine: str, timeout: float) -> tuple[dict[str, Any], dict[Any, Any]]:
        if engine not in self._positions:
            data = json.loads(run_layout(self.reference, "json", engine, timeout))
            nodes = {o["name"]: o for o in data.get("objects", []) if "pos" in o}
            names = {o["_gvid"]: o["name"] for o in nodes.values()}
            edges: dict[tuple[str, str], list[Any]] = {}
            for edge in data.get("edges", []):
                edges.setdefault((names[edge["tail"]], names[edge["head"]]), []).append(edge)
            self._positions[engine] = ({"bb": data["bb"], **nodes}, edges)
        return self._positions[engine]

    def pin(self, source: str, engine: str, timeout: float) -> str | None:
        """`source` with every node and edge at the reference's place, or None when the
        two do not match (then the drawing is laid out on its own)."""
        nodes, edges = self._layout(engine, timeout)
        seen: dict[tuple[str, str], int] = {}
        lines = []
        for line in source.splitlines():
            edge = _EDGE_LINE.match(line)
            node = _NODE_LINE.match(line) if edge is None else None
            if edge is not None:
                key = (edge.group(1), edge.group(2))
                index = seen[key] = seen.get(key, -1) + 1
                if index >= len(edges.get(key, ())):
                    return None
                laid = edges[key][index]
                pins = f'pos="{laid["pos"]}"' + (f' lp="{laid["lp"]}"' if "lp" in laid else "")
                line = line.replace(" [", f" [{pins} ", 1) if edge.group(3) else f"{line} [{pins}]"
            elif node is not None:
                if node.group(1) not in nodes:
                    return None
                laid = nodes[node.group(1)]
                pins = f'pos="{laid["pos"]}!" width={laid["width"]} height={laid["height"]}'
                line = line.replace(" [", f" [{pins} fixedsize=true ", 1)
            lines.append(line)
        head, brace, rest = "\n".join(lines).partition("{")
        return f'{head}{brace}\n\tbb="{nodes["bb"]}"{rest}\n'


_EDGE_LINE = re.compile(r"^\s*(n\d+) -> (n\d+)( \[)?")
_NODE_LINE = re.compile(r"^\s*(n\d+) \[")
