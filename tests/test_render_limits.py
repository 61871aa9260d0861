"""Size limits: what is accepted finishes, what is refused says how to draw a part, and a
layout program that crashes is reported as a crash of that program with the graph's size."""

from __future__ import annotations

import os
import stat
import subprocess
import sysconfig
from pathlib import Path

import pytest
from render_helpers import available, lecture_logreg

from benchmarks.layout_limits import chain_shared, random_graph
from microgrand import Node
from microgrand.dot_source import Options, build_source
from microgrand.layout import ENGINES, LIMITS
from microgrand.render import GraphTooLargeError, RenderError, draw

engines = pytest.mark.parametrize(
    "engine",
    [
        pytest.param(e, marks=pytest.mark.skipif(not available(e), reason=f"{e} not installed"))
        for e in ENGINES
    ],
)


def items(root: Node, view: str) -> int:
    return build_source(root, Options(view=view, max_nodes=10**6)).items


def random_graphs_around(limit: int, view: str) -> tuple[Node, Node]:
    """`random_graph(n)` for the largest n (in steps of 10) whose drawing has at most
    `limit` layout items, and for the next n, which has more: graphs right at the limit."""
    n = 10
    while items(random_graph(n + 10), view) <= limit:
        n += 10
    within, over = random_graph(n), random_graph(n + 10)
    within.backward()
    over.backward()
    return within, over


def test_items_count_the_hidden_points_of_long_edges() -> None:
    # 6 boxes in a chain, each also using one input `a` written in the first column: a's
    # edges cross 1, 2, ..., 6 columns, which labels double (2k - 1 hidden points for k
    # columns), and each is drawn twice (blue forward, red backward); so are the 5 edges
    # from box to box, which cross one column (one hidden point each, for their labels).
    column = build_source(chain_shared(6), Options())
    assert column.nodes == 7
    assert column.items == 7 + 2 * sum(2 * k - 1 for k in range(1, 7)) + 2 * 5
    # In a long chain the input is written next to each box that uses it: one node per use,
    # edges across one column only, so the items grow with the graph, not its square.
    beside = build_source(chain_shared(400), Options())
    assert beside.nodes == 400 + 400  # the boxes, and a copy of `a` next to each
    assert beside.items == beside.nodes  # no labels past LABEL_LIMIT: no hidden points


@engines
@pytest.mark.parametrize("view", ["lecture", "ops"])
def test_over_the_limit_is_refused_before_the_program_starts(
    engine: str, view: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, bigger = random_graphs_around(LIMITS[engine][view], view)
    assert items(bigger, view) > LIMITS[engine][view]

    def no_layout(*args: object, **kwargs: object) -> None:
        raise AssertionError("the layout program was started")

    monkeypatch.setattr(subprocess, "run", no_layout)
    with pytest.raises(GraphTooLargeError) as error:
        draw(bigger, view=view, engine=engine).pipe("svg")
    message = str(error.value)
    assert f"{LIMITS[engine][view]:,}" in message and engine in message
    assert "Draw a part of it" in message and "draw(z) instead of draw(L)" in message
    # DOT text needs no layout: it is never refused for its size.
    assert draw(bigger, view=view, engine=engine).pipe("dot").startswith(b"digraph")


@engines
@pytest.mark.parametrize("view", ["lecture", "ops"])
def test_a_graph_at_the_limit_finishes(engine: str, view: str) -> None:
    root, _ = random_graphs_around(LIMITS[engine][view], view)
    assert items(root, view) > LIMITS[engine][view] * 0.8
    svg = draw(root, view=view, engine=engine).pipe("svg")  # the default 60 s timeout
    assert svg.rstrip().endswith(b"</svg>")


@engines
def test_the_issues_chain_of_998_statements_is_drawn(engine: str, tmp_path: Path) -> None:
    from microgrand.parse import build

    statements = ";".join(f"v{i}=v{i - 1}+a" if i else "v0=a*2" for i in range(998))
    root = build([statements, "a=1"])
    root.backward()
    drawing = draw(root, engine=engine)
    assert drawing.size is not None and drawing.size.items <= LIMITS[engine]["lecture"]
    target = drawing.save(tmp_path / "chain.svg")
    assert target.read_text(encoding="utf-8").count("v₉₉₇ = v₉₉₆ + a") == 1


def fake_program(directory: Path, name: str, script: str) -> None:
    path = directory / name
    path.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_crash_is_reported_as_a_crash_with_the_graphs_size(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_program(tmp_path, engine, "cat > /dev/null\nkill -SEGV $$\n")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sysconfig, "get_path", lambda *args, **kwargs: str(tmp_path))
    with pytest.raises(RenderError) as error:
        draw(lecture_logreg(), engine=engine).pipe("svg")
    message = str(error.value)
    assert message.startswith(f"{engine} crashed (SIGSEGV) while laying out the lecture view")
    assert "of 8 nodes" in message  # x₁, w₁, x₂, w₂, b, z, a, L and "layout items" in message
    assert "try the other engine" in message


def test_a_failure_names_the_program_and_its_last_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_program(tmp_path, "dot", "cat > /dev/null\necho 'Error: out of memory' >&2\nexit 3\n")
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + "/usr/bin/nonexistent")
    with pytest.raises(RenderError, match=r"dot failed \(exit code 3\) on the lecture view"):
        draw(lecture_logreg(), engine="dot").pipe("png")
