"""Drawings that fit: width= for files, Jupyter's output area, long chains stacked.

Widths are read from the files' own headers: the SVG root's width attribute and the PNG's
IHDR chunk.
"""

from __future__ import annotations

import base64
import html
import json
import re
import struct
from pathlib import Path

import pytest
from render_helpers import (
    available,
    dump_dom,
    lecture_logreg,
    needs_chromium,
    needs_renderer,
    three_abc,
)

from microgrand import Node
from microgrand.layout import ENGINES
from microgrand.render import draw

engines = pytest.mark.parametrize(
    "engine",
    [
        pytest.param(e, marks=pytest.mark.skipif(not available(e), reason=f"{e} not installed"))
        for e in ENGINES
    ],
)

PX_PER = {"pt": 96 / 72, "px": 1.0, "": 1.0}


def svg_size(svg: str) -> tuple[float, float]:
    """The size an SVG asks for, in CSS pixels, from its root element's attributes."""
    root = re.search(r"<svg\b[^>]*>", svg)
    assert root is not None
    width = re.search(r'\swidth="([0-9.]+)(pt|px|)"', root.group(0))
    height = re.search(r'\sheight="([0-9.]+)(pt|px|)"', root.group(0))
    assert width is not None and height is not None
    return (
        float(width.group(1)) * PX_PER[width.group(2)],
        float(height.group(1)) * PX_PER[height.group(2)],
    )


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def chain(n: int) -> Node:
    v = Node(1.0, name="x")
    for i in range(n):
        v = (v * 1.01).named(f"v{i}")
    v.backward()
    return v


@engines
@pytest.mark.parametrize("view", ["lecture", "ops"])
def test_width_scales_svg_and_png_down(engine: str, view: str, tmp_path: Path) -> None:
    # the lecture view of logistic regression (1,449 px) and the ops view of J (1,579 px)
    root = lecture_logreg() if view == "lecture" else three_abc()
    drawing = draw(root, view=view, engine=engine)
    natural_svg = svg_size(drawing.save(tmp_path / "natural.svg").read_text(encoding="utf-8"))
    natural_png = png_size(drawing.save(tmp_path / "natural.png").read_bytes())
    assert natural_svg[0] > 1200 and natural_png[0] > 1200
    svg = svg_size(drawing.save(tmp_path / "g.svg", width=1000).read_text(encoding="utf-8"))
    png = png_size(drawing.save(tmp_path / "g.png", width=1000).read_bytes())
    assert 999 <= svg[0] <= 1000 and 990 <= png[0] <= 1000
    # The height follows the width (nothing cut off or stretched).
    assert svg[1] == pytest.approx(natural_svg[1] * svg[0] / natural_svg[0], rel=0.01)
    assert png[1] == pytest.approx(natural_png[1] * png[0] / natural_png[0], rel=0.1, abs=3)


@engines
def test_width_given_to_draw_is_the_default_of_save(engine: str, tmp_path: Path) -> None:
    drawing = draw(lecture_logreg(), engine=engine, width=640)
    assert svg_size(drawing.save(tmp_path / "g.svg").read_text(encoding="utf-8"))[0] <= 640
    assert png_size(drawing.save(tmp_path / "g.png").read_bytes())[0] <= 640
    assert svg_size(drawing.svg())[0] <= 640
    # save's own width wins
    assert png_size(drawing.save(tmp_path / "h.png", width=300).read_bytes())[0] <= 300


@needs_renderer
def test_width_never_scales_up(tmp_path: Path) -> None:
    drawing = draw(lecture_logreg())
    natural = svg_size(drawing.svg())
    assert svg_size(drawing.save(tmp_path / "g.svg", width=20000).read_text("utf-8")) == natural
    big = png_size(drawing.save(tmp_path / "g.png").read_bytes())
    assert png_size(drawing.save(tmp_path / "h.png", width=20000).read_bytes()) == big


@pytest.mark.parametrize("width", [0, -5, 1.5, True, "800"])
def test_width_must_be_a_positive_whole_number(width: object) -> None:
    with pytest.raises(ValueError, match="positive whole number of pixels"):
        # Wrong on purpose (hence the ignore below): the test is the error
        draw(lecture_logreg(), width=width)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive whole number of pixels"):
        # Wrong on purpose (hence the ignore below): the test is the error
        draw(lecture_logreg()).save("g.svg", width=width)  # type: ignore[arg-type]


@needs_renderer
def test_jupyter_svg_scales_to_its_container() -> None:
    drawing = draw(three_abc(), view="ops")
    svg = drawing._repr_mimebundle_()["image/svg+xml"]
    root = re.search(r"<svg\b[^>]*>", svg)
    assert root is not None
    assert 'style="max-width: 100%; height: auto"' in root.group(0)
    assert "viewBox=" in root.group(0)  # the whole drawing scales, nothing is cut off
    assert svg_size(svg) == pytest.approx(svg_size(drawing.svg()))  # never scaled up
    with_width = draw(lecture_logreg(), width=500)._repr_mimebundle_()["image/svg+xml"]
    assert svg_size(with_width)[0] <= 500


def test_long_chains_stack_instead_of_one_endless_row() -> None:
    assert "rankdir=LR" in draw(lecture_logreg()).source  # the lecture's picture: a row
    assert "rankdir=LR" in draw(three_abc(), view="ops").source  # 3 ops: 1,579 px
    # 8 ops deep: 5,283 px as a row (the issue's), 845 px wide stacked
    assert "rankdir=TB" in draw(lecture_logreg(), view="ops").source
    assert "rankdir=TB" in draw(chain(80)).source
    assert "rankdir=TB" in draw(chain(80), view="ops").source


@engines
def test_a_chain_of_80_named_nodes_is_narrow(engine: str) -> None:
    width, height = svg_size(draw(chain(80), engine=engine).svg())
    assert width <= 1000 < height  # the issue measured 32,767 px wide and 77 high


PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; }} .out {{ width: 900px; }}
</style></head><body>
<div class="out" id="inline">{svg}</div>
<div class="out"><img id="img" src="data:image/svg+xml;base64,{data}"
 style="max-width: 100%; height: auto"></div>
<script>
window.addEventListener("load", function () {{
  function box(el) {{ var r = el.getBoundingClientRect(); return [r.width, r.height]; }}
  var pre = document.createElement("pre");
  pre.id = "result";
  pre.textContent = JSON.stringify({{
    inline: box(document.querySelector("#inline svg")),
    img: box(document.getElementById("img"))
  }});
  document.body.appendChild(pre);
}});
</script></body></html>"""


@needs_renderer
@needs_chromium
def test_notebook_output_in_a_browser_fits_without_clipping(tmp_path: Path) -> None:
    """A 1,579 px ops view shown in a 900 px output area, inline and as an image."""
    svg = draw(three_abc(), view="ops")._repr_mimebundle_()["image/svg+xml"]
    natural_width, natural_height = svg_size(svg)
    page = tmp_path / "out.html"
    inline = svg[svg.index("<svg") :]
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    page.write_text(PAGE.format(svg=inline, data=data), encoding="utf-8")
    result = dump_dom(page, tmp_path / "profile")
    match = re.search(r'<pre id="result">(.*?)</pre>', result.stdout, re.S)
    assert match, result.stderr[-2000:]
    shown = json.loads(html.unescape(match.group(1)))
    for width, height in (shown["inline"], shown["img"]):
        assert width == pytest.approx(900, abs=1)  # the output area's width, not 1,579
        # the whole drawing, in proportion: scaled, not clipped
        assert height == pytest.approx(900 * natural_height / natural_width, rel=0.02, abs=2)


@needs_renderer
def test_draw_command_width(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from test_render_cli import draw_main

    target = tmp_path / "lecture.png"
    assert draw_main(["--lecture", "--width", "700", "-o", str(target)]) == 0
    assert 690 <= png_size(target.read_bytes())[0] <= 700
    svg = tmp_path / "lecture.svg"
    assert draw_main(["--lecture", "--width", "700", "-o", str(svg)]) == 0
    assert svg_size(svg.read_text(encoding="utf-8"))[0] <= 700
    assert draw_main(["--lecture", "--width", "700"]) == 2  # DOT on stdout has no width
    assert "--width scales images" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        draw_main(["--lecture", "--width", "0", "-o", str(target)])
    assert "positive whole number of pixels" in capsys.readouterr().err
