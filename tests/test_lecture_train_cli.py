"""`microgrand train` (and the training part of `demo`): one J per epoch, hints, hostile output.

The commands run in a subprocess as a user runs them; stdout and stderr are checked apart.
"""

from __future__ import annotations

import io
import math
import re
import subprocess
from pathlib import Path

import pytest
from cli_helpers import run_microgrand, shell

from microgrand import lecture
from microgrand.datasets import Dataset, standardize
from microgrand.logreg import ZERO, Parameters, train


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_microgrand(args, cwd)


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr, (
        result.stderr
    )


# --- item 10: one J at epoch k ---------------------------------------------------------------


def test_bar_table_and_final_J_agree_epoch_by_epoch(tmp_path: Path) -> None:
    result = run(["train", "--epochs", "100"], tmp_path)
    assert result.returncode == 0, result.stderr
    bar = dict(re.findall(r"\] (\d+)/100  J = (\S+)", result.stderr))
    table = dict(re.findall(r"^ +(\d+)  (\S+)$", result.stdout, flags=re.MULTILINE))
    final = re.search(r"final J = (\S+) \(after 100 epochs\)", result.stdout)
    assert final is not None
    shared = set(bar) & set(table)
    assert {"20", "40", "60", "80", "100"} <= shared  # the bar shows every tenth on a pipe
    for epoch in shared:
        assert bar[epoch] == table[epoch], epoch
    assert bar["100"] == table["100"] == final.group(1)
    assert table["0"] == "0.6931"  # epoch 0 is the start: w = b = 0, J = log 2


def test_J_at_epoch_k_is_J_after_k_updates() -> None:
    x1, x2, y = [1.0, -1.0, 2.0, 0.5], [0.5, -2.0, 1.0, 0.0], [1.0, 0.0, 1.0, 0.0]
    seen: list[tuple[int, float]] = []
    result = train(x1, x2, y, alpha=0.3, epochs=7, on_epoch=lambda k, J: seen.append((k, J)))
    assert result.epochs == 7 and len(result.losses) == 8
    assert seen == list(enumerate(result.losses))
    assert result.final_loss == result.losses[7]
    # The closed form, independently: J at the parameters after k lecture steps.
    params = ZERO
    for k in range(8):
        want = lecture.m_examples(x1, x2, y, *params)
        assert math.isclose(result.losses[k], want.J, rel_tol=1e-12), k
        if k < 7:
            params = Parameters(*lecture.descent_step(*params, want.dw1, want.dw2, want.db, 0.3))
    for got, expected in zip(result.params, params, strict=True):
        assert math.isclose(got, expected, rel_tol=1e-12)


def test_train_steps_downhill() -> None:
    """The update sign in `train`: w := w - alpha*dw, written out here from the lecture."""
    x1, x2, y = [2.0, -1.0, 0.5], [-1.0, 3.0, 1.0], [1.0, 0.0, 1.0]
    m = len(y)
    # At w = b = 0, a = 1/2 for every example: dz_i = 1/2 - y_i.
    dz = [0.5 - label for label in y]
    dw1 = sum(u * d for u, d in zip(x1, dz, strict=True)) / m
    dw2 = sum(v * d for v, d in zip(x2, dz, strict=True)) / m
    db = sum(dz) / m
    result = train(x1, x2, y, alpha=0.5, epochs=1)
    assert math.isclose(result.params.w1, -0.5 * dw1, rel_tol=1e-12)
    assert math.isclose(result.params.w2, -0.5 * dw2, rel_tol=1e-12)
    assert math.isclose(result.params.b, -0.5 * db, rel_tol=1e-12)
    assert result.losses[1] < result.losses[0]


# --- item 2: large finite features -------------------------------------------------------------


@pytest.mark.parametrize(
    "rows",
    [
        "1e200,1,1\n-1e200,2,0\n",
        "1e308,1,1\n1.5e308,2,0\n-1.5e308,3,1\n",
        "1.7e308,1,1\n1.7e308,2,0\n-1.7e308,3,1\n",
        "5e-324,1,1\n-5e-324,2,0\n",
    ],
)
def test_standardizing_huge_or_tiny_finite_features(rows: str) -> None:
    from microgrand.datasets import parse_csv

    data = parse_csv("x1,x2,y\n" + rows, "f.csv", name="f")
    scaled = standardize(data)
    assert all(math.isfinite(v) for v in (*scaled.means, *scaled.stds))
    column = scaled.data.x1
    assert math.isclose(sum(column) / len(column), 0.0, abs_tol=1e-12)
    assert math.isclose(sum(v * v for v in column) / len(column), 1.0, rel_tol=1e-12)


def test_train_on_huge_finite_features(tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_text("x1,x2,y\n1e200,1,1\n-1e200,2,0\n")
    (tmp_path / "g.csv").write_text("x1,x2,y\n1e308,1,1\n1.5e308,2,0\n-1.5e308,3,1\n")
    for name in ("f.csv", "g.csv"):
        result = run(["train", "--data", name, "--epochs", "50"], tmp_path)
        assert result.returncode == 0, result.stderr
        no_traceback(result)
        assert "final J = " in result.stdout
    raw = run(["train", "--data", "g.csv", "--epochs", "50", "--no-standardize"], tmp_path)
    assert raw.returncode == 1
    no_traceback(raw)
    error = raw.stderr.splitlines()[-1]
    assert error.startswith("microgrand: error: training diverged") and "--no-standardize" in error


# --- item 11: divergence and hopeless data are said ------------------------------------------


def big_features(tmp_path: Path) -> Path:
    lines = ["x1,x2,y"]
    for i in range(40):
        label = i % 2
        lines.append(f"{1e6 + 2e4 * label + 37 * (i % 7)},{2e6 + 53 * (i % 5)},{label}")
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def warnings(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if "warning:" in line]


def test_divergence_is_said_with_what_to_try(tmp_path: Path) -> None:
    big_features(tmp_path)
    result = run(["train", "--data", "big.csv", "--epochs", "30", "--no-standardize"], tmp_path)
    assert result.returncode == 0  # not stopped: the warning says, the run goes on
    said = warnings(result)
    assert len(said) == 2, result.stderr
    assert said[0].startswith("microgrand: warning: J went up from 0.6931 at epoch 0 to ")
    assert "smaller --alpha" in said[0] and "drop --no-standardize" in said[0]
    assert said[1].startswith("microgrand: warning: training diverged: J ended at ")
    assert "warning" not in result.stdout
    # standardized, the same data trains without a word
    fine = run(["train", "--data", "big.csv", "--epochs", "30"], tmp_path)
    assert fine.returncode == 0 and warnings(fine) == []
    assert "training accuracy: 100% (40/40)" in fine.stdout


def test_constant_features_are_said(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("x1,x2,y\n3,5,1\n3,5,0\n3,5,1\n3,5,0\n")
    result = run(["train", "--data", "c.csv", "--epochs", "20"], tmp_path)
    assert result.returncode == 0
    said = warnings(result)
    assert said[0] == (
        "microgrand: warning: features x1 and x2 have the same value in every row: "
        "a constant feature cannot tell the classes apart"
    )
    assert said[1].startswith("microgrand: warning: J barely moved in 20 epochs (0.6931")
    (tmp_path / "one.csv").write_text("x1,x2,y\n3,1,1\n3,2,0\n3,3,1\n3,0,0\n")
    one = run(["train", "--data", "one.csv", "--epochs", "20"], tmp_path)
    assert warnings(one)[0].startswith("microgrand: warning: feature x1 has the same value")


def test_a_tiny_alpha_says_to_take_bigger_steps(tmp_path: Path) -> None:
    result = run(["train", "--alpha", "1e-9", "--epochs", "10"], tmp_path)
    assert result.returncode == 0
    (said,) = warnings(result)
    assert "J barely moved" in said and "larger --alpha" in said


def test_iris_trains_without_a_warning(tmp_path: Path) -> None:
    result = run(["train", "--epochs", "300"], tmp_path)
    assert result.returncode == 0 and warnings(result) == []


def test_no_warning_for_a_merely_slow_run() -> None:
    from microgrand.logreg import barely_moved, went_up

    data: Dataset = standardize(
        Dataset("d", ("a", "b"), [1.0, 2.0, 3.0, 4.0], [1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 1.0, 1.0])
    ).data
    slow = train(data.x1, data.x2, data.y, alpha=0.01, epochs=50)
    assert not barely_moved(slow.losses)
    assert not any(went_up(a, b) for a, b in zip(slow.losses, slow.losses[1:], strict=False))
    assert went_up(0.6931, 0.6932) and not went_up(0.6931, 0.6931 * (1 + 1e-12))


# --- item 19: --alpha 0 ---------------------------------------------------------------------


@pytest.mark.parametrize("command", ["train", "demo"])
@pytest.mark.parametrize("alpha", ["0", "-0", "0.0", "-0.5"])
def test_alpha_must_be_positive(tmp_path: Path, command: str, alpha: str) -> None:
    result = run([command, "--alpha", alpha], tmp_path)
    assert result.returncode == 2
    assert f"argument --alpha: must be greater than 0, got {alpha}" in result.stderr
    assert result.stdout == "" and result.stderr.count("\n") == 1


# --- item 12: closed, full and broken output ----------------------------------------------


@pytest.mark.parametrize("command", ["demo --epochs 5", "train --epochs 5"])
def test_closed_stdout(tmp_path: Path, command: str) -> None:
    result = shell(f"microgrand {command} >&-", tmp_path)
    assert result.returncode == 1
    no_traceback(result)
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert errors == ["microgrand: error: cannot write the results: standard output is closed"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("command", ["demo --epochs 5", "train --epochs 5"])
def test_full_disk(tmp_path: Path, command: str) -> None:
    result = shell(f"microgrand {command} > /dev/full", tmp_path)
    assert result.returncode == 1
    no_traceback(result)
    assert result.stderr.splitlines()[-1] == (
        "microgrand: error: cannot write the results: No space left on device"
    )


@pytest.mark.parametrize("command", ["demo --epochs 5", "train --epochs 5"])
def test_a_reader_that_leaves(tmp_path: Path, command: str) -> None:
    result = shell(f"microgrand {command} | head -1", tmp_path)
    assert len(result.stdout.splitlines()) == 1
    no_traceback(result)
    assert "error" not in result.stderr


@pytest.mark.parametrize("command", ["--help", "draw --help", "--version"])
@pytest.mark.parametrize(
    ("redirect", "reason"),
    [(">&-", "standard output is closed"), ("> /dev/full", "No space left on device")],
)
def test_help_that_cannot_be_written_is_an_error(
    tmp_path: Path, command: str, redirect: str, reason: str
) -> None:
    """argparse drops what it cannot write: the help was lost and the status said 0."""
    if redirect.endswith("/dev/full") and not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    result = shell(f"microgrand {command} {redirect}", tmp_path)
    assert result.returncode == 1
    assert result.stderr == f"microgrand: error: cannot write the results: {reason}\n"


@pytest.mark.parametrize(
    "command",
    [
        "train --epochs 10000000",
        "train --engine graph --epochs 1000000",
        "train --hidden 2 --epochs 10000000",
    ],
)
def test_ctrl_c_during_training_is_one_line(tmp_path: Path, command: str) -> None:
    import os
    import signal
    import sys
    import time

    from cli_helpers import ENV

    process = subprocess.Popen(
        [sys.executable, "-m", "microgrand", *command.split()],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**ENV, "PYTHONUNBUFFERED": "1"},  # each line as it is printed
    )
    assert process.stdout is not None
    while "Gradient descent" not in process.stdout.readline():  # training starts next
        pass
    time.sleep(0.5)
    os.kill(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert err.splitlines()[-1] == "microgrand: interrupted"
    assert "Traceback" not in err


def test_ctrl_c_while_the_command_line_is_read(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C in the first tenth of a second (the subcommands' imports) printed a traceback."""
    from microgrand import cli

    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert cli.main(["train"]) == 130
    assert capsys.readouterr().err == "microgrand: interrupted\n"


# Ctrl-C while a module loads, made deterministic: a finder first on sys.meta_path raises
# KeyboardInterrupt when Python looks for that module, then `python -m microgrand` runs.
INTERRUPTED_IMPORT = """
import runpy, sys
module = sys.argv[1]
class Interrupt:
    def find_spec(self, name, path=None, target=None):
        if name == module:
            raise KeyboardInterrupt
        return None
sys.meta_path.insert(0, Interrupt())
sys.argv = ["microgrand", *sys.argv[2:]]
runpy.run_module("microgrand", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize(
    ("module", "args"),
    [
        ("microgrand.cli", ["--help"]),  # __main__'s import of the command line
        ("microgrand.arguments", ["demo"]),  # the command line's own first import
        ("microgrand.train_cli", ["train"]),  # the subcommands, loaded to build the parser
        ("microgrand.datasets", ["--help"]),
        ("microgrand.render", ["draw", "--help"]),
    ],
)
def test_ctrl_c_while_the_command_line_loads_is_one_line(module: str, args: list[str]) -> None:
    """Ctrl-C in the first ~90 ms of `microgrand ...` (the imports) printed a traceback."""
    import sys

    from cli_helpers import ENV

    result = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_IMPORT, module, *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stderr, result.stdout) == (
        130,
        "microgrand: interrupted\n",
        "",
    )


def test_the_command_line_module_loads_only_what_its_top_level_parser_needs() -> None:
    """`import microgrand.cli` adds argparse and microgrand.arguments to `import microgrand`:
    the subcommands, the data sets and the demo load in main, where Ctrl-C is one line."""
    import sys

    from cli_helpers import ENV

    script = (
        "import sys, microgrand; before = set(sys.modules); import microgrand.cli; "
        "print(*sorted(m for m in set(sys.modules) - before if m.startswith('microgrand')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=ENV, check=True
    )
    assert result.stdout.split() == ["microgrand.arguments", "microgrand.cli"]


# --- item 13: CSV comments and quotes ------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "x1,x2,y\n  # indented, with commas, 1, 2\n1,2,0\n3,4,1\n",
        '\t# a tab first\nx1,x2,y\n1,2,0\n    # "an odd quote\n3,4,1\n',
        "x1,x2,y\n1,2,0\n# last\n3,4,1\n   #\n",
    ],
)
def test_indented_comments_are_comments(text: str) -> None:
    from microgrand.datasets import parse_csv

    data = parse_csv(text, "f.csv", name="f")
    assert (data.x1, data.x2, data.y) == ([1.0, 3.0], [2.0, 4.0], [0.0, 1.0])


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('x1,x2,y\n1,2,0\n"3,4,1\n5,6,1\n', 3),
        ('x1,x2,y\n1,2,0\n3,4,1\n5,"6,1\n7,8,0\n9,9,1\n', 4),
        ('x1,x2,y\n1,2,0\n"3\n",4,1\n5,6,"1\n', 5),  # after a closed quote spanning lines
        ('x1,x2,y\n1,2,0\n3,4,1\n"', 4),
    ],
)
def test_an_unterminated_quote_is_reported_where_it_opened(text: str, line: int) -> None:
    from microgrand.datasets import DataError, parse_csv

    with pytest.raises(DataError) as caught:
        parse_csv(text, "f.csv", name="f")
    assert (
        str(caught.value) == f'f.csv, line {line}: a quote (") opened on this line is never closed'
    )


def test_a_comment_inside_a_quoted_value_is_not_a_comment() -> None:
    from microgrand.datasets import DataError, parse_csv

    with pytest.raises(DataError, match=r"line 2: column x1: '1\\n# not a comment' is not a"):
        parse_csv('x1,x2,y\n"1\n# not a comment",2,0\n3,4,1\n', "f.csv", name="f")


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [True, False])
def test_a_warning_during_training_keeps_the_bar_whole(terminal: bool) -> None:
    from microgrand.progress import Progress

    stream = FakeTerminal() if terminal else io.StringIO()
    with Progress(10, "training", stream=stream) as bar:
        for k in range(11):
            bar.update(k, f"J = {k}")
            if k == 3:
                bar.note("microgrand: warning: J went up")
    lines = stream.getvalue().replace("\x1b[K", "").split("\n")
    if terminal:  # the warning on its own line, the bar drawn again below it, once at the end
        assert "\rmicrogrand: warning: J went up" in lines[0]
        assert lines[1].startswith("training [") and lines[2] == ""
        assert lines[1].endswith("10/10  J = 10")
    else:
        assert "microgrand: warning: J went up" in lines
        assert lines[-2].startswith("training [") and lines[-2].endswith("10/10  J = 10")


# --- the demo at extreme values: one line, nothing half printed ---------------------------------


@pytest.mark.parametrize(
    ("args", "wanted"),
    [
        (["--b", "-745", "--alpha", "1e300"], "the lecture's example leaves the range of floats"),
        (["--alpha", "1e308"], "the gradient-descent step at alpha = 1e+308 leaves the range"),
        (["--w1", "100"], "where the lecture's loss takes log(0)"),
    ],
)
def test_the_demo_at_extreme_values(tmp_path: Path, args: list[str], wanted: str) -> None:
    result = run(["demo", "--epochs", "3", *args], tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""  # checked before anything is printed
    assert result.stderr.startswith("microgrand: error: ") and wanted in result.stderr
    assert result.stderr.count("\n") == 1


def test_train_with_an_empty_data_name(tmp_path: Path) -> None:
    result = run(["train", "--data", " "], tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        "microgrand: error: --data is empty: give 'iris' or the path of a CSV file\n"
    )


def test_closed_stderr(tmp_path: Path) -> None:
    result = shell("microgrand train --epochs 20 2>&-", tmp_path)
    assert result.returncode == 0
    assert "final J = " in result.stdout
