"""What the rendering tests share: the two lecture graphs and which layout programs exist."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from microgrand import Node
from microgrand.render import ENGINES, RendererNotFoundError, find_renderer


def available(engine: str) -> bool:
    """True when the layout program `engine` ("dot" or "graphviz-pure") can be found."""
    try:
        find_renderer(engine)
    except RendererNotFoundError:
        return False
    return True


def have_renderer() -> bool:
    """True when any layout program can be found."""
    return any(available(engine) for engine in ENGINES)


needs_renderer = pytest.mark.skipif(not have_renderer(), reason="no layout program")


def lecture_logreg(y_as_node: bool = False, *, x_data: bool = True) -> Node:
    """The lecture's one-example graph, as a user builds it (y a float, or a data leaf; x₁,
    x₂ data leaves or, with x_data=False, ordinary Nodes)."""
    x1 = Node(2.0, name="x1", requires_grad=not x_data)
    x2 = Node(-1.0, name="x2", requires_grad=not x_data)
    w1, w2, b = Node(0.3, name="w1"), Node(0.5, name="w2"), Node(0.1, name="b")
    y: Node | float = Node(1.0, name="y", requires_grad=False) if y_as_node else 1.0
    z = (w1 * x1 + w2 * x2 + b).named("z")
    a = z.sigmoid().named("a")
    L = (-(y * a.log() + (1 - y) * (1 - a).log())).named("L")
    L.backward()
    return L


def three_abc() -> Node:
    """J = 3(a + bc) at a=5, b=3, c=2, after backward."""
    a, b, c = Node(5.0, name="a"), Node(3.0, name="b"), Node(2.0, name="c")
    u = (b * c).named("u")
    v = (a + u).named("v")
    J = (3 * v).named("J")
    J.backward()
    return J


def chromium() -> str | None:
    """The headless browser the page tests use, if one is installed."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


needs_chromium = pytest.mark.skipif(
    chromium() is None, reason="chromium is not installed (apt-get install chromium)"
)


def dump_dom(page: Path, profile: Path) -> subprocess.CompletedProcess[str]:
    """Load `page` in headless Chromium (scripts run, nothing fetched) and print its DOM."""
    exe = chromium()
    assert exe is not None
    return subprocess.run(
        [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def first_column_top_to_bottom(svg: str) -> list[str]:
    """The names of the drawing's first column (its leftmost plain texts, ``x₁ = 2`` read
    as ``x₁``), top to bottom as laid out in the SVG (y grows downwards)."""
    import xml.etree.ElementTree as ET

    found: list[tuple[float, float, str]] = []
    for element in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text"):
        if element.text and " = " in element.text and element.attrib.get("text-anchor") == "middle":
            x, y = float(element.attrib["x"]), float(element.attrib["y"])
            found.append((x, y, element.text.split(" = ")[0]))
    left = min(x for x, _, _ in found)
    # Plain-text inputs of one column are centred within a few points of each other.
    return [name for x, y, name in sorted(found, key=lambda item: item[1]) if x < left + 60]
