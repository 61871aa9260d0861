"""Backprop step by step: frames, their order, the HTML page, and the page in a browser."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from render_helpers import dump_dom, lecture_logreg, needs_chromium, needs_renderer, three_abc

from microgrand import Node
from microgrand.backprop_steps import save_steps, steps, steps_html
from microgrand.render import draw


def test_lecture_frames_follow_the_boxes_backwards() -> None:
    L = lecture_logreg()
    frames = list(steps(L))
    assert len(frames) == 5  # start, L, a, z, done
    captions = [f.caption for f in frames]
    assert captions[0].startswith("Start: dL/dL = 1")
    assert "through L" in captions[1] and "da = −1.819" in captions[1]
    assert "through a" in captions[2] and "dz = −0.4502" in captions[2]
    assert "through z" in captions[3] and "dw₁ = −0.9003" in captions[3]
    assert frames[-1].source == draw(L).source
    assert L.grad == 1.0  # steps ran backward


def test_unknown_gradients_show_a_question_mark() -> None:
    frames = list(steps(lecture_logreg()))
    first, after_L = frames[0].source, frames[1].source
    assert first.count("= ?") == 5
    assert after_L.count("= ?") == 4
    assert "da = −y/a + (1−y)/(1−a) = −1.819" in after_L
    assert "fillcolor" in after_L  # the just-computed gradient is highlighted
    assert "?" not in frames[-1].source


def test_ops_frames_are_the_engine_loop() -> None:
    J = three_abc()
    frames = list(steps(J, view="ops"))
    # one frame per computed node (mul, add, mul), newest first, plus start and done
    assert len(frames) == 3 + 2
    assert "through J" in frames[1].caption and "dv = 3" in frames[1].caption
    assert "through v" in frames[2].caption and "da = 3" in frames[2].caption
    assert "through u" in frames[3].caption and "db = 6" in frames[3].caption
    assert "dc = 9" in frames[3].caption
    assert frames[-1].source == draw(J, view="ops").source
    assert frames[0].source.count("grad ?") == 5  # a, b, c, u, v


def test_ops_frame_count_on_the_lecture_graph() -> None:
    L = lecture_logreg()
    assert len(list(steps(L, view="ops"))) == 12 + 2


@needs_renderer
def test_html_page_is_self_contained(tmp_path: Path) -> None:
    page = save_steps(lecture_logreg(), tmp_path / "backprop.html")
    text = page.read_text(encoding="utf-8")
    assert text.count('class="frame"') == 5
    assert text.count("<svg") == 5
    assert 'id="prev"' in text and 'id="next"' in text and 'type="range"' in text
    assert "<?xml" not in text and "<!DOCTYPE svg" not in text
    urls = set(re.findall(r"https?://[^\s\"'<>]+", text))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert "<link" not in text and " src=" not in text


def test_steps_html_escapes_captions() -> None:
    class Fake:
        caption = '"><script>alert(1)</script>'

        def svg(self) -> str:
            return "<svg></svg>"

    # The ignore: a stand-in for a Drawing, with only what steps_html reads.
    page = steps_html([Fake()], title="<b>t</b>")  # type: ignore[list-item]
    assert "<script>alert(1)" not in page and "<b>t</b>" not in page


HARNESS = """<script>
(function () {
  var r = {steps: []};
  function visible() {
    var f = document.querySelectorAll(".frame");
    for (var i = 0; i < f.length; i++) { if (!f[i].hidden) { return i; } }
    return -1;
  }
  var frames = document.querySelectorAll(".frame");
  r.count = frames.length;
  r.steps.push(visible());
  var next = document.getElementById("next");
  next.click();
  r.steps.push(visible());
  r.secondCaption = document.getElementById("caption").textContent;
  r.secondCounter = document.getElementById("counter").textContent;
  // Where every box is drawn, frame by frame (the issue saw L's left edge move).
  r.boxes = [];
  for (var f = 0; f < frames.length; f++) {
    document.getElementById("slider").value = String(f);
    document.getElementById("slider").dispatchEvent(new Event("input"));
    var nodes = frames[f].querySelectorAll("g.node");
    var places = [];
    for (var n = 0; n < nodes.length; n++) {
      // The first line of text, centred on the node (a highlight adds a fill around it).
      var box = nodes[n].querySelector("text").getBoundingClientRect();
      places.push([Math.round(box.left + box.width / 2), Math.round(box.top)]);
    }
    r.boxes.push(places);
  }
  document.getElementById("slider").value = "1";
  document.getElementById("slider").dispatchEvent(new Event("input"));
  for (var k = 0; k < r.count + 2; k++) { next.click(); }
  r.steps.push(visible());
  r.nextDisabled = next.disabled;
  r.lastText = frames[visible()].textContent;
  document.getElementById("prev").click();
  r.steps.push(visible());
  var slider = document.getElementById("slider");
  slider.value = "1";
  slider.dispatchEvent(new Event("input"));
  r.steps.push(visible());
  r.errors = window.__errors;
  var pre = document.createElement("pre");
  pre.id = "harness-result";
  pre.textContent = JSON.stringify(r);
  document.body.appendChild(pre);
})();
</script>"""

CAPTURE = """<script>
window.__errors = [];
window.addEventListener("error", function (e) { window.__errors.push(String(e.message)); });
(function () {
  var original = console.error;
  console.error = function () {
    window.__errors.push(Array.prototype.join.call(arguments, " "));
    original.apply(console, arguments);
  };
})();
</script>"""


@needs_renderer
@needs_chromium
def test_page_in_headless_chromium(tmp_path: Path) -> None:
    page = save_steps(lecture_logreg(), tmp_path / "backprop.html")
    text = page.read_text(encoding="utf-8")
    harness = tmp_path / "harness.html"
    harness.write_text(
        text.replace("<head>", "<head>" + CAPTURE, 1).replace("</body>", HARNESS + "</body>"),
        encoding="utf-8",
    )
    result = dump_dom(harness, tmp_path / "profile")
    match = re.search(r'<pre id="harness-result">(.*?)</pre>', result.stdout, re.S)
    assert match, f"no harness result; stderr: {result.stderr[-2000:]}"
    state = json.loads(html.unescape(match.group(1)))
    assert state["errors"] == []
    assert "Uncaught" not in result.stderr
    assert state["count"] == 5
    assert state["steps"] == [0, 1, 4, 3, 1]
    assert state["nextDisabled"] is True
    assert state["secondCaption"].startswith("Step 1 of 3: ")
    assert state["secondCounter"] == "Step 1 of 3"  # one count for caption and counter
    # every frame draws every box at the same place (one layout)
    assert len(state["boxes"]) == 5 and len(state["boxes"][0]) == 8
    for places in state["boxes"]:
        assert places == state["boxes"][0]
    for grad in ("−0.9003", "0.4502", "−0.4502", "−1.819"):
        assert grad in state["lastText"]
    assert "?" not in state["lastText"]


def test_too_many_steps_is_a_clear_error() -> None:
    from microgrand.render import GraphTooLargeError

    x = Node(0.5, "x")
    node = x
    for _ in range(30):
        node = node * 0.9
    with pytest.raises(GraphTooLargeError, match="max_steps"):
        list(steps(node, view="ops", max_steps=20))
    assert len(list(steps(node, view="ops", max_steps=30))) == 32


def frame_geometry(svg: str) -> tuple[str, list[tuple[str, str, str]]]:
    """An SVG's size and, for every node, its id and where its first line of text sits
    (centred on the node; the outline of a highlighted input comes and goes)."""
    size = re.search(r"<svg width=\"[^\"]+\" height=\"[^\"]+\"", svg)
    assert size is not None
    nodes = re.findall(
        r'<g id="node\d+" class="node">\s*<title>(n\d+)</title>.*?'
        r'<text[^>]*? x="([^"]+)" y="([^"]+)"',
        svg,
        flags=re.S,
    )
    return size.group(0), nodes


@pytest.mark.parametrize("engine", ["dot", "graphviz-pure"])
@pytest.mark.parametrize("view", ["lecture", "ops"])
def test_every_frame_shares_one_layout(engine: str, view: str) -> None:
    from render_helpers import available

    if not available(engine):
        pytest.skip(f"{engine} not installed")
    frames = list(steps(lecture_logreg(), view=view, engine=engine))
    geometry = [frame_geometry(frame.svg()) for frame in frames]
    # every node is compared: ops has 5 leaves, 3 constants, 12 op symbols, 12 results
    assert len(geometry[0][1]) == (8 if view == "lecture" else 32)
    assert all(g == geometry[0] for g in geometry)
    # and it is the complete drawing's own layout (up to a shift of the whole picture)
    own = frame_geometry(draw(lecture_logreg(), view=view, engine=engine).svg())[1]
    assert relative(own) == pytest.approx(relative(geometry[-1][1]), abs=0.5)


def relative(nodes: list[tuple[str, str, str]]) -> list[float]:
    """Node positions relative to the first node's."""
    x0, y0 = float(nodes[0][1]), float(nodes[0][2])
    return [v for _, x, y in nodes for v in (float(x) - x0, float(y) - y0)]


def test_counter_and_caption_use_one_count() -> None:
    class Frame:
        def __init__(self, caption: str) -> None:
            self.caption = caption

        def svg(self) -> str:
            return "<svg></svg>"

    captions = ["Start: dL/dL = 1.", "Step 1 of 2: through L.", "Step 2 of 2: z.", "Done: all."]
    # The ignore: stand-ins for Drawings, with only what steps_html reads.
    page = steps_html([Frame(c) for c in captions])  # type: ignore[misc]
    counters = re.findall(r'data-counter="([^"]*)"', page)
    assert counters == ["Start", "Step 1 of 2", "Step 2 of 2", "Done"]
    assert '<span id="counter">Start</span>' in page
