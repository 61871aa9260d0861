"""The `microgrand` command, run in a subprocess as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("microgrand")
COMMANDS = [[sys.executable, "-m", "microgrand"]]
if SCRIPT.exists():
    COMMANDS.append([str(SCRIPT)])


def run(
    args: list[str], cwd: Path, command: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "100"}
    return subprocess.run(
        [*(command or COMMANDS[0]), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(Path(c[0]).name for _ in [0]))
def test_demo(tmp_path: Path, command: list[str]) -> None:
    result = run(["demo"], tmp_path, command)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for needle in (
        "lecture formula",
        "dw1  x1 * dz",
        "-0.9003",
        "bit for bit",
        "dw1 = dL/da * da/dz * dz/dw1",
        "= -1.819 * 0.2475 * 2",
        "w1 := w1 - alpha*dw1 = 0.3 - 0.1 * (-0.9003) = 0.39",
        "standardized",
        "training accuracy: 100% (100/100)",
    ):
        assert needle in out, needle
    drawn = [p.name for p in tmp_path.iterdir()]
    assert "lecture.svg" in drawn or "lecture.dot" in drawn
    assert str(tmp_path / drawn[0]) in out
    assert len(out.splitlines()) <= 45  # the front page stays short
    progress = [line for line in result.stderr.splitlines() if line.startswith("training [")]
    assert 1 <= len(progress) <= 10  # stderr is a pipe here: no redraw spam


def test_demo_overrides(tmp_path: Path) -> None:
    result = run(
        [
            "demo",
            "--x1",
            "1",
            "--x2",
            "2",
            "--w1",
            "0.5",
            "--w2",
            "-0.5",
            "--b",
            "0.5",
            "--y",
            "1",
            "--alpha",
            "0.2",
            "--epochs",
            "50",
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "z = w1*x1 + w2*x2 + b = 0,  a = σ(z) = 0.5,  L(a, y) = 0.6931" in result.stdout
    assert "alpha = 0.2, 50 epochs" in result.stdout


def test_demo_where_the_loss_is_undefined(tmp_path: Path) -> None:
    result = run(["demo", "--w1", "100"], tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "log(0)" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: Path(c[0]).name)
def test_train_iris(tmp_path: Path, command: list[str]) -> None:
    result = run(
        ["train", "--data", "iris", "--alpha", "0.1", "--epochs", "1000"], tmp_path, command
    )
    assert result.returncode == 0, result.stderr
    assert "final J = " in result.stdout and "after 1000 epochs" in result.stdout
    assert "w1 = " in result.stdout and "b = " in result.stdout
    assert "training accuracy: 100% (100/100)" in result.stdout
    assert "standardized" in result.stdout


def test_train_a_users_csv(tmp_path: Path) -> None:
    (tmp_path / "mine.csv").write_text("height,weight,sick\n1,2,0\n2,1,1\n3,0,1\n0,3,0\n")
    result = run(["train", "--data", "mine.csv", "--epochs", "200"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "training accuracy: 100% (4/4)" in result.stdout
    raw = run(["train", "--data", "mine.csv", "--epochs", "5", "--no-standardize"], tmp_path)
    assert raw.returncode == 0 and "raw (not standardized)" in raw.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x1,x2,y\n1,2,0\n1,2\n", "bad.csv, line 3: expected 3 values (x1, x2, y), got 2"),
        ("x1,x2,y\n1,2,0\n1,x,1\n", "bad.csv, line 3: column x2: 'x' is not a number"),
        ("x1,x2,y\n1,2,0\n1,nan,1\n", "bad.csv, line 3: column x2: nan is not a finite number"),
        ("x1,x2,y\n1,2,0\n1,2,3\n", "bad.csv, line 3: the label (y) must be 0 or 1, got 3"),
        ("", "bad.csv: the file is empty"),
        ("x1,x2,y\n1,2,1\n", "bad.csv: every label is 1 (1 row);"),  # was "(1 rows)"
    ],
)
def test_train_csv_errors(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "bad.csv").write_text(text)
    result = run(["train", "--data", "bad.csv"], tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("microgrand: error: " + message), result.stderr
    assert result.stderr.count("\n") == 1


def test_train_missing_file(tmp_path: Path) -> None:
    result = run(["train", "--data", "nope.csv"], tmp_path)
    assert result.returncode == 1
    assert result.stderr == "microgrand: error: nope.csv: no such file\n"


def test_a_csv_too_large_to_train_on_is_refused_before_it_fills_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--data /dev/zero read forever, a memory hog on a shared machine (2M rows took 0.5 GB)."""
    from microgrand import datasets

    (tmp_path / "big.csv").write_text("x1,x2,y\n" + "1,2,0\n2,1,1\n" * 20)
    monkeypatch.setattr(datasets, "MAX_CSV_BYTES", 100)
    with pytest.raises(datasets.DataError, match=r"/big.csv: more than 100 bytes; "):
        datasets.load_csv(tmp_path / "big.csv")
    monkeypatch.undo()
    if Path("/dev/zero").exists():
        with pytest.raises(datasets.DataError, match=r"^/dev/zero: more than 100 MB; "):
            datasets.load_csv("/dev/zero")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "choose a command: demo, train"),
        (["fly"], "invalid choice: 'fly'"),
        (["demo", "--alpha", "abc"], "argument --alpha: 'abc' is not a number"),
        (["demo", "--alpha", "-1"], "argument --alpha: must be greater than 0, got -1"),
        (["demo", "--x1", "nan"], "argument --x1: nan is not a finite number"),
        (["demo", "--y", "2"], "argument --y: the label must be 0 or 1, got 2"),
        (["train", "--epochs", "0"], "argument --epochs: must be at least 1, got 0"),
        (["train", "--epochs", "1.5"], "argument --epochs: '1.5' is not a whole number"),
        # ran for ages in silence (no progress line before 10%), its J list growing
        (
            ["train", "--epochs", "1" + "0" * 20],
            "argument --epochs: at most 10,000,000, got 1" + "0" * 20,
        ),
        (["demo", "--epochs", "10000001"], "argument --epochs: at most 10,000,000, got 10000001"),
        (["train", "--bogus"], "unrecognized arguments: --bogus"),
        # argparse took these for options ("expected one argument"): they are numbers
        (["demo", "--x1", "-inf"], "argument --x1: -inf is not a finite number"),
        (["demo", "--x1", "-1e400"], "argument --x1: -1e400 is not a finite number"),
        (["train", "--l2", "-1e-3"], "argument --l2: must be 0 or more, got -1e-3"),
        # int() and float() skip whitespace around the number: shown raw, a newline or a
        # line separator split the one-line error
        (["train", "--epochs", "0\n"], "argument --epochs: must be at least 1, got 0 ("),
        (["demo", "--x1", "inf\u2028"], "argument --x1: inf is not a finite number ("),
        (["demo", "--y", "\n2"], "argument --y: the label must be 0 or 1, got 2 ("),
        (["demo", "--alpha", "0\r"], "argument --alpha: must be greater than 0, got 0 ("),
        (["train", "--l2", "\u2028-1"], "argument --l2: must be 0 or more, got -1 ("),
        (["train", "--hidden", "2", "--seed", "-1\n"], "argument --seed: must be from 0 to"),
        # a negative number with whitespace after it other than one \n or spaces was taken
        # for an option ("expected one argument"): now read as the number, as 2 with it is
        (["train", "--l2", "-1\t"], "argument --l2: must be 0 or more, got -1 ("),
        (["demo", "--alpha", "-1\r\n"], "argument --alpha: must be greater than 0, got -1 ("),
        (["demo", "--x1", "-inf\u2028"], "argument --x1: -inf is not a finite number ("),
        (["train", "--epochs", "-3\n\n"], "argument --epochs: must be at least 1, got -3 ("),
        # \x1c is whitespace to str.isspace, not to float(): not a number, like 2\x1c
        (["demo", "--x1", "-1\x1c"], "argument --x1: '-1\\x1c' is not a number ("),
        (["demo", "--x1", "2\x1c"], "argument --x1: '2\\x1c' is not a number ("),
    ],
)
def test_bad_arguments(tmp_path: Path, args: list[str], message: str) -> None:
    result = run(args, tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "\u2028" not in result.stderr, result.stderr
    assert result.stdout == ""


def test_negative_numbers_in_any_notation_are_values() -> None:
    from microgrand.cli import build_parser

    given = ["--w2", "-1e-3", "--b", "-2.5E+2", "--x1", "-.5", "--x2", "-5."]
    args = build_parser().parse_args(["demo", *given])
    assert (args.w2, args.b, args.x1, args.x2) == (-1e-3, -250.0, -0.5, -5.0)


@pytest.mark.parametrize("space", [c for c in map(chr, range(0x3000 + 1)) if c.isspace()])
def test_negative_numbers_with_whitespace_after_them_are_those_numbers(
    space: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """float() skips whitespace around a number, and argparse took '-1' plus a tab, two
    newlines or a line separator for an option: now it is -1 wherever 2 with it is 2."""
    from microgrand.cli import build_parser

    parser = build_parser()
    try:
        positive = float("2" + space)
    except ValueError:  # \x1c-\x1f: whitespace to str.isspace, not to float()
        with pytest.raises(SystemExit):
            parser.parse_args(["demo", "--x1", "-1" + space])
        assert f"argument --x1: {'-1' + space!r} is not a number" in capsys.readouterr().err
        return
    given = ["--x1", "-1" + space, "--w2", "-1e-3" + space * 2, "--b", "-1_000" + space]
    args = parser.parse_args(["demo", *given, "--x2", "2" + space])
    assert (args.x1, args.w2, args.b, args.x2) == (-1.0, -1e-3, -1000.0, positive)


@pytest.mark.parametrize("args", [["--help"], ["demo", "--help"], ["train", "--help"]])
def test_help(tmp_path: Path, args: list[str]) -> None:
    result = run(args, tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: microgrand")
    assert "--alpha" in result.stdout or "demo" in result.stdout


def test_main_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from microgrand.cli import build_parser, main

    monkeypatch.chdir(tmp_path)
    assert main(["train", "--epochs", "3"]) == 0
    assert "final J" in capsys.readouterr().out
    parser = build_parser()
    assert parser.parse_args(["demo"]).func.__name__ == "run_demo"


def test_every_subcommand_is_registered() -> None:
    import argparse

    from microgrand.cli import build_parser

    (subparsers,) = (
        action
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    assert {"demo", "train", "draw"} <= set(subparsers.choices)


def test_ascii_only_output_does_not_crash(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    result = subprocess.run(
        [sys.executable, "-m", "microgrand", "demo", "--epochs", "10"],
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert b"a = ?(z) = 0.5498" in result.stdout


def test_the_dot_fallback_when_no_layout_program_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The drawing cannot be laid out: the demo leaves the lecture view's DOT text."""
    from microgrand import cli, render
    from microgrand.logreg import lecture_graph

    g = lecture_graph()
    g.L.backward()

    def no_layout(self: render.Drawing, path: object, **options: object) -> object:
        raise render.RendererNotFoundError("no layout program (dot or graphviz-pure)")

    monkeypatch.setattr(render.Drawing, "save", no_layout)
    monkeypatch.chdir(tmp_path)
    path = cli._write_drawing(g)
    assert path == tmp_path / "lecture.dot"
    assert path.read_text(encoding="utf-8") == render.draw(g.L).source
    assert "could not write lecture.svg (no layout program" in capsys.readouterr().err


def test_a_demo_in_a_folder_deleted_under_it_skips_the_drawing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It said 'cannot write the results: No such file or directory' and stopped half-way:
    the drawing is a side product, and stdout was fine."""
    from microgrand import cli
    from microgrand.logreg import lecture_graph

    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert cli._write_drawing(lecture_graph()) is None
    assert capsys.readouterr().err == (
        "microgrand: warning: no drawing: the current folder no longer exists\n"
    )
