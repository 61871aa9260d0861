"""`microgrand train --data flower --hidden N`: the course's week 3 from the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import run_microgrand

from microgrand.cli import main


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_microgrand(args, cwd, timeout=300, columns=100)


def test_train_the_flower_with_four_hidden_units_as_the_course(tmp_path: Path) -> None:
    result = run(["train", "--data", "flower", "--hidden", "4"], tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Data: flower (m = 400, seed 1), m = 400; features raw"
    assert lines[1] == "Network: 2-4-1, tanh hidden layer, sigmoid output (seed 2)"
    assert lines[2].startswith("Gradient descent: alpha = 1.2, 10000 iterations")
    costs = [line for line in lines if line.startswith("Cost after iteration")]
    assert [line.split(":")[0].split()[-1] for line in costs] == [
        str(k) for k in range(0, 10000, 1000)
    ]
    assert costs[0] == "Cost after iteration 0: 0.693048"
    assert costs[1] == "Cost after iteration 1000: 0.288083"
    assert lines[-1] == "training accuracy: 90.75% (363/400)"
    assert "Traceback" not in result.stderr


def test_the_dynamic_engine_from_the_command_line(tmp_path: Path) -> None:
    args = ["train", "--data", "flower", "--hidden", "4", "--epochs", "20"]
    graph = run([*args, "--engine", "graph"], tmp_path)
    compiled = run(args, tmp_path)
    assert graph.returncode == 0 and compiled.returncode == 0, graph.stderr
    assert "on the dynamic engine" in graph.stdout
    assert graph.stdout.splitlines()[3:] == compiled.stdout.splitlines()[3:]


def test_the_hidden_size_table(tmp_path: Path) -> None:
    result = run(["train", "--data", "moons", "--hidden", "1,3", "--epochs", "300"], tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert (
        lines[1].startswith("Networks 2-n_h-1, tanh hidden layer")
        and "300 iterations each" in lines[1]
    )
    assert lines[2].split() == ["n_h", "training", "accuracy", "final", "J"]
    assert [line.split()[0] for line in lines[3:]] == ["1", "3"]
    assert all("% (" in line and "/400)" in line for line in lines[3:])


def test_without_hidden_it_stays_logistic_regression_near_chance_on_the_flower(
    tmp_path: Path,
) -> None:
    result = run(["train", "--data", "flower", "--alpha", "1", "--epochs", "300"], tmp_path)
    assert result.returncode == 0, result.stderr
    last = result.stdout.splitlines()[-1]
    assert last.startswith("training accuracy: ")
    percent = float(last.split()[2].rstrip("%"))
    assert percent <= 60.0


def test_plot_of_the_table_draws_one_panel_per_size(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    result = run(
        ["train", "--data", "flower", "--hidden", "1,4", "--epochs", "100", "--plot", "t.png"],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG"
    lines = result.stdout.splitlines()
    assert lines[-1] == "decision boundary: t.png" and lines[-2].split()[0] == "4"


def test_plot_saves_the_decision_boundary(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    result = run(
        ["train", "--data", "flower", "--hidden", "4", "--epochs", "200", "--plot", "b.png"],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "b.png").read_bytes()[:4] == b"\x89PNG"
    assert result.stdout.splitlines()[-1] == "decision boundary: b.png"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hidden", "0"], "a hidden layer needs 1 to 1000 units, got 0"),
        (["--hidden", "4,x"], "expected whole numbers separated by commas, like 4 or 1,2,3,4,5"),
        (["--hidden", "4", "--activation", "softmax"], "invalid choice: 'softmax'"),
        (["--plot", "b.png"], "--plot draws a network's decision boundary: add --hidden N"),
        # logistic regression ran and these were dropped without a word
        (["--activation", "relu"], "--activation shapes a network: add --hidden N"),
        (["--seed", "3", "--activation", "relu"], "--activation and --seed shape a network"),
        # the message named --method newton, which was not given
        (["--hidden", "4", "--l2", "0.1"], "--l2 is for logistic regression, not --hidden"),
        (
            ["--hidden", "4", "--epochs", "2", "--plot", "missing/b.png"],
            "could not save the plot to missing/b.png",
        ),
        (
            ["--hidden", "4", "--alpha", "1e308", "--epochs", "5"],
            "training diverged at alpha = 1e+308",
        ),
    ],
)
def test_bad_network_options_give_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    if "--plot" in args and "--hidden" in args and "4" in args:
        pytest.importorskip("matplotlib")
    result = run(["train", "--data", "flower", *args], tmp_path)
    assert result.returncode in (1, 2)
    error = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(error) == 1 and message in error[0], result.stderr
    assert "Traceback" not in result.stderr


def test_a_diverging_network_stops_with_one_line_naming_the_iteration_and_J(
    tmp_path: Path,
) -> None:
    """--alpha 1e300 printed 10 lines of 300-digit costs, J = 1.737e+298 and a warning at
    the end; now one error line, with the advice once."""
    args = ["train", "--data", "flower", "--hidden", "4", "--alpha", "1e300", "--epochs", "200"]
    result = run(args, tmp_path)
    assert result.returncode == 1, result.stdout
    error = [line for line in result.stderr.splitlines() if "error" in line]
    assert error == [
        "microgrand: error: training diverged at alpha = 1e+300: at iteration 1, J = "
        "3.918e+297 (it was 0.693 at iteration 0), more than the lecture's cost can be in "
        "floats (744.4: some a = σ(z) is 0 or 1 on the wrong side); try a smaller --alpha"
    ], result.stderr
    assert "Cost after" not in result.stdout and "Traceback" not in result.stderr


def test_plot_without_matplotlib_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    code = main(["train", "--data", "flower", "--hidden", "2", "--epochs", "2", "--plot", "b.png"])
    assert code == 1
    out, err = capsys.readouterr()
    assert "needs matplotlib, which is not installed: pip install 'microgrand[plot]'" in err
    assert not (tmp_path / "b.png").exists()
    assert "Cost after" not in out  # said before training, not after


@pytest.mark.parametrize(
    ("plot", "reason"),
    [
        ("missing/b.png", "the folder missing does not exist"),
        ("folder", "it is a folder"),
        ("", "no file name"),
        ("b.txt", "matplotlib cannot write .txt files; it writes "),
    ],
)
def test_a_plot_that_cannot_be_saved_is_said_before_training(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    plot: str,
    reason: str,
) -> None:
    """It was said after training: 10,000 iterations per hidden size, then the error."""
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    argv = ["train", "--data", "flower", "--hidden", "2,3", "--epochs", "10", "--plot", plot]
    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert err.startswith(f"microgrand: error: could not save the plot to {plot} ({reason}")
    assert "n_h" not in out and err.count("\n") == 1
