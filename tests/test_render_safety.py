"""User names reach DOT and SVG: hostile and random names must stay text.

Every SVG must parse as XML, show the name's text, and contain no link, image or script.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from render_helpers import available

from microgrand import Node
from microgrand.labels import clean_text, display_name
from microgrand.render import ENGINES, draw, escape_label

AVAILABLE = [e for e in ENGINES if available(e)]
needs_engine = pytest.mark.skipif(not AVAILABLE, reason="no layout program installed")

HOSTILE = [
    'x" URL="javascript:alert(1)',
    '"; x -> y [URL="javascript:alert(1)"]; "',
    "<b>x</b>",
    "<<b>x</b>>",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\\N",
    "\\G",
    "\\E\\T\\H\\L",
    "\\l\\r\\n",
    "trailing\\",
    "x\\",
    "\\\\",
    '\\"',
    "bell\x07",
    "nul\x00byte",
    "esc\x1b[31m",
    "tab\tnew\nline\rcr",
    "del\x7f",
    "lone \ud800 surrogate",
    "\ufffe\uffff",
    "&amp; &lt; & <",
    "]]>",
    "right-to-left \u202e override",
    "x" * 500,
    "",
    " ",
    "//",
    "subgraph",
    "node",
    "edge",
    "digraph",
    "-1.5",
    "名前",
]


def graph_with(name: str) -> Node:
    w = Node(0.5, name=name)
    x = Node(2.0, name=name + "_x", requires_grad=False)
    out = (w * x + 1.0).named(name + "_out")
    out.backward()
    return out


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(el.itertext()) for el in root.iter() if el.tag.endswith("}text")]


def squash(text: str) -> str:
    """Renderers may collapse runs of spaces."""
    return " ".join(text.split())


def assert_safe_svg(svg: str, name: str) -> None:
    lowered = svg.lower()
    for forbidden in ("<a ", "<a>", "href", "<image", "<script", "javascript:"):
        if forbidden == "javascript:" and "javascript:" in name.lower():
            # the text may appear, escaped, as text; never as an attribute value
            assert not re.search(r'=\s*"javascript:', lowered)
            continue
        assert forbidden not in lowered, forbidden
    texts = svg_texts(svg)  # parses as XML, or raises
    shown = display_name(name)
    if squash(shown):
        assert any(squash(shown) in squash(t) for t in texts), (shown, texts)


@needs_engine
@pytest.mark.parametrize("engine", AVAILABLE)
@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_stay_text(engine: str, name: str) -> None:
    root = graph_with(name)
    for view in ("lecture", "ops"):
        drawing = draw(root, view=view, engine=engine)
        svg = drawing.pipe("svg").decode("utf-8")
        assert_safe_svg(svg, name)


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_never_reach_ids_or_attributes(name: str) -> None:
    source = draw(graph_with(name)).source
    # Outside quoted strings (the labels) there is no user text at all: no attribute, no id.
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', source)
    assert not re.search(r"\b(URL|href|tooltip|target)\s*=", bare, re.I)
    assert "record" not in bare
    for first, second in re.findall(r"^\s*(\S+)\s*(?:->\s*(\S+))?\s*\[", bare, re.M):
        for node_id in (first, second):
            assert not node_id or re.fullmatch(r"n\d+|node|edge|graph", node_id)


def test_escape_label_rules() -> None:
    assert escape_label("a&b") == "a&amp;b"
    assert escape_label("\\N") == "\\\\N"
    assert escape_label("end\\") == "end\\\\"
    assert escape_label(["x", "y"]) == "x\\ny"
    assert escape_label("bell\x07") == "bell\\\\x07"
    assert escape_label("\ud800") == "\\\\ud800"
    assert len(clean_text("x" * 1000)) <= 160
    assert clean_text("x" * 1000).endswith("…")
    assert display_name("w1") == "w₁" and display_name("x12") == "x₁₂"
    assert display_name("layer1_w") == "layer1_w"


@needs_engine
@settings(max_examples=25)
@given(name=st.text(min_size=0, max_size=30))
def test_random_names_stay_text(name: str) -> None:
    svg = draw(graph_with(name)).svg()
    assert_safe_svg(svg, name)


@given(name=st.text(max_size=60))
def test_random_names_give_valid_dot_labels(name: str) -> None:
    label = escape_label(name)
    # An even run of backslashes before every quote and at the end: the string cannot end
    # early or swallow its closing quote.
    assert not re.search(r"(?<!\\)(\\\\)*\\$", label)
    assert not any(ord(ch) < 32 or 0xD800 <= ord(ch) <= 0xDFFF for ch in label)
