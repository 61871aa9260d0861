"""`microgrand draw` and its expression parser: happy paths and one-line errors."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest
from render_helpers import needs_renderer

from microgrand.draw_cli import register, run
from microgrand.parse import ParseError, build


def draw_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="microgrand")
    register(parser.add_subparsers())
    args = parser.parse_args(["draw", *argv])
    code: int = args.func(args)
    return code


# --- the parser -------------------------------------------------------------------------------


def test_build_three_abc() -> None:
    J = build(["u = b*c; v = a + u; J = 3*v", "a=5", "b=3", "c=2"])
    J.backward()
    assert J.name == "J" and J.value == 33.0
    three, v = J.parents
    assert three.is_constant and three.value == 3.0
    assert v.name == "v" and v.parents[1].name == "u"


def test_build_logreg_with_data_and_functions() -> None:
    L = build(
        "z = w1*x1 + w2*x2 + b\n a = sigmoid(z)\n L = -(y*log(a) + (1 - y)*log(1 - a))\n"
        "x1 = 2; x2 = -1; w1 = 0.3; w2 = 0.5; b = 0.1; y = 1",
        data={"x1", "x2", "y"},
    )
    L.backward()
    assert abs(L.value - 0.5981388693815918) < 1e-12
    z = L.parents[0].parents[0].parents[1].parents[0]
    assert z.name == "a"


@pytest.mark.parametrize(
    "expression",
    [
        "exp(a)",
        "tanh(a)",
        "relu(a)",
        "a ** 2",
        "a / 2",
        "-a",
        "+a * 2",
        "1e-3 * a",
        "bce_with_logits(a, 1)",
    ],
)
def test_allowed_expressions(expression: str) -> None:
    node = build([f"f = {expression}", "a=0.5"])
    assert node.name == "f"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("u = b.c", "attribute access is not allowed"),
        ("u = __import__('os').system('true')", "not allowed"),
        ("u = open('x')", "calls to 'open' are not allowed"),
        ("import os", "imports are not allowed"),
        ("from os import path", "imports are not allowed"),
        ("u = lambda: b", "lambdas are not allowed"),
        ("u = b[0]", "subscripts are not allowed"),
        ("u = q * 2", "unknown name 'q'"),
        ("u = (b", "syntax error"),
        ("u = 'text'", "only numbers"),
        ("u = b // 2", "the operator // is not allowed"),
        ("u = b if c else 1", "conditional expressions"),
        ("u = [b]", "lists are not allowed"),
        ("u = sigmoid", "is a function"),
        ("u = log(b, c)", "takes 1 argument"),
        ("u = log(-b)", "log(x) needs x > 0"),
        ("u = (-b) ** (c / 4)", "negative base needs a whole-number exponent"),
        ("u = 2 ** 100000 * b", "too large"),
        ("u = b; v = c", "only renames"),
        ("v = w; w = b*c", "used before it is defined"),
        ("u = b*c; u = b+c", "defined twice"),
        ("b*c", "expected 'name = expression'"),
        ("u = v = b", "single name"),
        ("u, v = b, c", "single name"),
        ("log = b", "is a function"),
        ("u = b; " * 3000, "too long"),
        ("u = " + "(" * 300 + "b" + ")" * 300, ""),
        ("u = True * b", "only numbers"),
        # a Python keyword as a name was 'invalid syntax', at the '=' after it
        ("lambda = 3*b", "'lambda' is a Python keyword, so it cannot be a name (try lambda_)"),
        ("u = c*lambda + b", "'lambda' is a Python keyword, so it cannot be a name"),
        ("u = b*in", "'in' is a Python keyword, so it cannot be a name (try in_)"),
        ("u = b; v = c*class", "'class' is a Python keyword"),
        ("u =", "nothing follows '=' in 'u ='"),
    ],
)
def test_errors_are_one_line(text: str, message: str) -> None:
    with pytest.raises(ParseError) as info:
        build([text, "b=3", "c=2"])
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_nothing_to_draw() -> None:
    with pytest.raises(ParseError, match="nothing to draw"):
        build([])
    with pytest.raises(ParseError, match="nothing to draw"):
        build(["a=1"])
    with pytest.raises(ParseError, match="--data"):
        build(["u = 2*a", "a=1"], data={"zz"})


def test_deep_expression_does_not_recurse() -> None:
    node = build(["s = " + " + ".join(["a"] * 450), "a=1"])
    assert node.value == 450.0


# --- the command ------------------------------------------------------------------------------


@needs_renderer
def test_draw_three_abc_svg(tmp_path: Path) -> None:
    out = tmp_path / "J.svg"
    assert draw_main(["u = b*c; v = a + u; J = 3*v", "a=5", "b=3", "c=2", "-o", str(out)]) == 0
    svg = out.read_text(encoding="utf-8")
    assert "J = 3v" in svg and "33" in svg


@needs_renderer
def test_draw_lecture_png_and_html(tmp_path: Path) -> None:
    assert draw_main(["--lecture", "-o", str(tmp_path / "lecture.png")]) == 0
    assert (tmp_path / "lecture.png").read_bytes().startswith(b"\x89PNG")
    assert draw_main(["--lecture", "-o", str(tmp_path / "steps.html")]) == 0
    assert "Previous" in (tmp_path / "steps.html").read_text(encoding="utf-8")


def test_draw_to_stdout_with_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert draw_main(["--lecture", "--view", "ops", "--no-values", "--no-grads"]) == 0
    source = capsys.readouterr().out
    assert source.startswith("digraph") and "grad" not in source and "0.5498" not in source
    assert draw_main(["z = w*x + 1", "w=2", "x=3", "--data", "x"]) == 0
    source = capsys.readouterr().out
    assert "dw = " in source and "dx" not in source


@pytest.mark.parametrize(
    "argv",
    [
        ["u = b.c", "b=1"],
        ["u = q"],
        ["--lecture", "u = b", "b=1"],
        ["u = 2*b", "b=1", "-o", "out.jpeg"],
        [],
    ],
)
def test_draw_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert draw_main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("microgrand draw: error: ")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_missing_renderer_exit_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sysconfig

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sysconfig, "get_path", lambda *a, **k: str(tmp_path))
    assert draw_main(["--lecture", "-o", str(tmp_path / "x.svg")]) == 1
    assert "graphviz-pure" in capsys.readouterr().err


def test_run_is_the_registered_function() -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    assert parser.parse_args(["draw", "--lecture"]).func is run


def test_microgrand_cli_has_draw() -> None:
    """The `microgrand` command (microgrand/cli.py) registers `draw`; no traceback on errors."""
    pytest.importorskip("microgrand.cli")
    result = subprocess.run(
        [sys.executable, "-m", "microgrand", "draw", "u = b.c", "b=1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "attribute access is not allowed" in result.stderr
    assert "Traceback" not in result.stderr


def test_dot_on_stdout_is_utf8_even_on_an_ascii_terminal() -> None:
    import os

    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    result = subprocess.run(
        [sys.executable, "-m", "microgrand", "draw", "--lecture"],
        capture_output=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "z = w₁x₁ + w₂x₂ + b" in result.stdout.decode("utf-8")
