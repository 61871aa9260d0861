"""Gradient descent on the shipped iris data, and the data loaders' error messages."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest

from microgrand import lecture
from microgrand.datasets import DataError, load, load_csv, load_iris, standardize
from microgrand.logreg import ZERO, Parameters, accuracy, batch_graph, data_nodes, train
from microgrand.progress import Progress


def test_iris_is_the_two_class_two_feature_subset() -> None:
    data = load_iris()
    assert data.m == 100
    assert data.feature_names == ("sepal_length", "sepal_width")
    assert data.y.count(0.0) == 50 and data.y.count(1.0) == 50
    assert (data.x1[0], data.x2[0], data.y[0]) == (5.1, 3.5, 0.0)  # Fisher's first setosa
    assert (data.x1[50], data.x2[50], data.y[50]) == (7.0, 3.2, 1.0)  # first versicolor
    assert load("iris") == data
    scaled = standardize(data).data
    for column in (scaled.x1, scaled.x2):
        assert abs(math.fsum(column) / 100) < 1e-12
        assert math.isclose(math.fsum(v * v for v in column) / 100, 1.0, rel_tol=1e-12)


def test_training_on_iris_reaches_100_percent_and_the_loss_decreases() -> None:
    data = standardize(load_iris()).data
    result = train(data.x1, data.x2, data.y, alpha=0.1, epochs=500)
    assert len(result.losses) == 501 and result.epochs == 500  # J at epochs 0, 1, ..., 500
    assert math.isclose(result.losses[0], math.log(2.0), rel_tol=1e-12)  # w = b = 0: a = 0.5
    assert all(b < a for a, b in zip(result.losses, result.losses[1:], strict=False))
    assert result.final_loss == result.losses[-1] < 0.1
    assert accuracy(result.params, data.x1, data.x2, data.y) == 1.0


def test_autograd_equals_the_closed_form_at_every_step() -> None:
    data = standardize(load_iris()).data
    x1, x2 = data_nodes(data.x1), data_nodes(data.x2)
    params = ZERO
    alpha = 0.1
    for _ in range(400):
        graph = batch_graph(params, x1, x2, data.y)
        graph.J.backward()
        want = lecture.m_examples(data.x1, data.x2, data.y, *params)
        assert math.isclose(graph.J.value, want.J, rel_tol=1e-9)
        for got, expected in (
            (graph.w1.grad, want.dw1),
            (graph.w2.grad, want.dw2),
            (graph.b.grad, want.db),
        ):
            assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-15)
        params = Parameters(*lecture.descent_step(*params, want.dw1, want.dw2, want.db, alpha))
    assert accuracy(params, data.x1, data.x2, data.y) == 1.0


def test_training_survives_saturation() -> None:
    # a huge learning rate drives |z| far past where σ(z) rounds to 0 or 1
    result = train([1.0, -1.0, 2.0], [0.5, -2.0, 1.0], [1.0, 0.0, 1.0], alpha=500.0, epochs=50)
    assert all(math.isfinite(v) for v in result.losses)
    assert accuracy(result.params, [1.0, -1.0, 2.0], [0.5, -2.0, 1.0], [1.0, 0.0, 1.0]) == 1.0


def test_on_epoch_and_progress_on_a_pipe_prints_at_most_ten_lines() -> None:
    seen: list[tuple[int, float]] = []
    stream = io.StringIO()
    with Progress(1000, "training", stream=stream) as bar:

        def on_epoch(epoch: int, J: float) -> None:
            seen.append((epoch, J))
            bar.update(epoch, f"J = {J:.4g}")

        result = train([1.0, -1.0], [0.0, 0.5], [1.0, 0.0], epochs=1000, on_epoch=on_epoch)
    assert seen == list(enumerate(result.losses))  # epochs 0 (the start) to 1000 (the end)
    lines = stream.getvalue().splitlines()
    assert 1 <= len(lines) <= 10
    assert lines[-1].startswith("training [") and "1000/1000" in lines[-1]
    assert "\r" not in stream.getvalue()


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = "x1,x2,label\n1,2,0\n3,4,1\n"


def test_a_users_csv(tmp_path: Path) -> None:
    data = load_csv(write(tmp_path, "# my data\n" + GOOD + "\n"))
    assert data.x1 == [1.0, 3.0] and data.x2 == [2.0, 4.0] and data.y == [0.0, 1.0]
    assert data.feature_names == ("x1", "x2")
    assert load_csv(write(tmp_path, '"a b",c,y\r\n1.5,-2e-3,1.0\r\n0,0,0\r\n')).m == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"data\.csv: the file is empty"),
        ("\n\n", r"data\.csv: the file is empty"),
        ("x1,x2,label\n", r"data\.csv: the file has a header but no data rows"),
        ("# only a comment\n", r"data\.csv: the file has no header row"),
        ("x1,x2\n1,2\n", r"data\.csv, line 1: the header must name 3 columns .* got 2"),
        ("1,2,0\n3,4,1\n", r"data\.csv, line 1: expected a header row"),
        (GOOD + "5,6\n", r"data\.csv, line 4: expected 3 values \(x1, x2, label\), got 2"),
        (GOOD + "5,6,1,7\n", r"data\.csv, line 4: expected 3 values .*got 4"),
        ("x1,x2,label\n1,abc,0\n", r"data\.csv, line 2: column x2: 'abc' is not a number"),
        ("x1,x2,label\n1,,0\n", r"data\.csv, line 2: column x2: an empty value is not a number"),
        ("x1,x2,label\n1,2,0\nnan,2,1\n", r"line 3: column x1: nan is not a finite number"),
        ("x1,x2,label\n1,2,0\n1,-inf,1\n", r"line 3: column x2: -inf is not a finite number"),
        ("x1,x2,label\n1,2,0\n1,2,2\n", r"line 3: the label \(label\) must be 0 or 1, got 2"),
        ("x1,x2,label\n1,2,0.5\n", r"line 2: the label \(label\) must be 0 or 1, got 0.5"),
        ("x1,x2,label\n1,2,1\n3,4,1\n", r"data\.csv: every label is 1 \(2 rows\).*both classes"),
        ("# c\nx1,x2,y\n\n1,2,0\n1,2\n", r"data\.csv, line 5: expected 3 values"),
    ],
)
def test_csv_errors_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DataError, match=message) as caught:
        load_csv(path)
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(str(path))


def test_missing_directory_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        load_csv(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a directory"):
        load_csv(tmp_path)
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"x1,x2,y\n\xff\xfe\x00\n")
    with pytest.raises(DataError, match=r"line 2: not UTF-8"):
        load_csv(binary)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_redraws_one_line() -> None:
    stream = FakeTerminal()
    with Progress(3, "training", stream=stream) as bar:
        for i in range(3):
            bar.update(i + 1, "J = 0.5")
    text = stream.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")
    assert text.startswith("\rtraining [") and "3/3  J = 0.5" in text
