"""A node's name is user text: every error that names a node shows it cleaned and cut.

An ESC sequence, a newline, a line separator or a bidi override in a name must reach no
terminal raw through an error message, and a 10,000-character name must not flood it. The
messages show names through `microgrand.labels.clean_text`, as drawings and `explain` do.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import microgrand
from microgrand import Node
from microgrand.labels import NAME_LIMIT, clean_text

HOSTILE = ["\x1b[31mred\n", "n" * 10_000, "a\u2028b\u202ec\x07"]
RAW = ("\x1b", "\u2028", "\u202e", "\x07")


def _message(action: Callable[[], object]) -> str:
    with pytest.raises(Exception) as caught:  # each case raises its own type
        action()
    error = caught.value
    # KeyError's str() is the repr of its message: read the message itself
    return str(error.args[0]) if isinstance(error, KeyError) else str(error)


def _log_of_a_negative(name: str) -> object:
    return Node(-1.0, name).log()


def _compile_an_input_twice(name: str) -> object:
    x = Node(1.0, name)
    return microgrand.compile(x * 2.0, [x, x])


def _compile_a_missing_gradient(name: str) -> object:
    x, w = Node(1.0, name), Node(2.0, name + "2")
    out = microgrand.compile((x * w).named(name + "3"), [x, w])(1.0, 2.0)
    return out.grads["not there"]


def _compile_an_unknown_name_key(name: str) -> object:
    x = Node(1.0, "x")
    return microgrand.compile(x * 2.0, [x])(1.0).grads[name]


def _compile_run_of_a_log_of_a_negative(name: str) -> object:
    x = Node(1.0, name)
    return microgrand.compile(x.log(), [x])(-1.0)


def _grad_of_an_unused_input(name: str) -> object:
    return microgrand.grad(Node(1.0) * 2.0, [Node(1.0, name)])


def _grad_of_a_data_leaf(name: str) -> object:
    return microgrand.grad(Node(1.0) * 2.0, [Node(1.0, name, requires_grad=False)])


def _grad_through_an_infinite_slope(name: str) -> object:
    x = Node(0.0, name)
    return microgrand.grad(x**0.5, x)


def _gradcheck_report(name: str) -> object:
    # relu at its kink: backprop's subgradient 0 against the central difference 0.5
    return microgrand.gradcheck(lambda v: v.relu(), [Node(0.0, name)], raise_exception=True)


CASES = [
    _log_of_a_negative,
    _compile_an_input_twice,
    _compile_a_missing_gradient,
    _compile_an_unknown_name_key,
    _compile_run_of_a_log_of_a_negative,
    _grad_of_an_unused_input,
    _grad_of_a_data_leaf,
    _grad_through_an_infinite_slope,
    _gradcheck_report,
]


@pytest.mark.parametrize("name", HOSTILE, ids=["ansi-newline", "10000-chars", "separators"])
@pytest.mark.parametrize("case", CASES, ids=[case.__name__.strip("_") for case in CASES])
def test_an_error_shows_a_hostile_name_cleaned_and_cut(
    case: Callable[[str], object], name: str
) -> None:
    message = _message(lambda: case(name))
    assert not any(raw in message for raw in RAW), message
    # A newline only where the message puts one (gradcheck's report is several lines)
    assert message.count("\n") == _message(lambda: case("plain")).count("\n"), message
    assert len(message) < 600, len(message)
    assert clean_text(name, NAME_LIMIT) in message, message


def test_a_missing_compiled_entry_lists_at_most_twenty_known_names() -> None:
    xs = [Node(float(i), f"x{i}") for i in range(30)]
    total = xs[0]
    for x in xs[1:]:
        total = total + x
    out = microgrand.compile(total, xs)(*[1.0] * 30)
    message = _message(lambda: out.grads["nope"])
    # 31 keys: the root's code name t29 and the thirty inputs' names
    assert message.startswith("no gradient for 'nope' (known: t29, x0, x1, x2, "), message
    assert message.endswith(", x18 and 11 more)"), message


def test_clean_text_makes_line_separators_visible() -> None:
    assert clean_text("a\u2028b\u2029c") == "a\\u2028b\\u2029c"


COMMANDS = [
    ["train", "--data", "{name}.csv"],
    ["draw", "J = 3*a", "a=1", "-o", "{name}/J.svg"],
    ["draw", "J = 3*a", "a=1", "-o", "{name}.jpeg"],
    ["train", "--data", "flower", "--hidden", "2", "--epochs", "1", "--plot", "{name}/b.png"],
    ["draw", "J = 3*a", "a=1", "--data", "{name}"],
    ["code", "J = 3*a", "--data", "{name},{name}x"],
]


@pytest.mark.parametrize("name", HOSTILE, ids=["ansi-newline", "10000-chars", "separators"])
@pytest.mark.parametrize(
    "argv", COMMANDS, ids=["data", "output", "format", "plot", "draw-data", "code-data"]
)
def test_a_command_line_error_shows_hostile_user_text_cleaned_and_cut(
    argv: list[str], name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file name (or a name in --data) is user text too: it reached the terminal raw (an
    ESC, a newline that made the one-line error two), and 10,000 characters long."""
    from microgrand.cli import main

    if "--plot" in argv:
        pytest.importorskip("matplotlib")
    assert main([word.format(name=name) for word in argv]) in (1, 2)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and not any(raw in err for raw in RAW), err
    assert len(err) < 600, len(err)


@pytest.mark.parametrize("name", [HOSTILE[0], HOSTILE[2]], ids=["ansi-newline", "separators"])
def test_a_saved_plots_name_is_shown_cleaned(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The plot is saved under the name as given; the line that says where shows it cleaned
    (it printed the ESC and the newline raw, on success as the errors once did)."""
    pytest.importorskip("matplotlib")
    from microgrand.cli import main

    monkeypatch.chdir(tmp_path)
    argv = ["train", "--data", "flower", "--hidden", "2", "--epochs", "1", "--plot", f"{name}.png"]
    assert main(argv) == 0
    assert (tmp_path / f"{name}.png").is_file()
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("decision boundary: ") and not any(raw in last for raw in RAW), last


@pytest.mark.parametrize(
    "text",
    [
        'x1,x2,"{h}"\n1,2,0\n1,2,3\n',  # the label must be 0 or 1
        'x1,"{h}",y\n1,2,0\n1,x,1\n',  # a column's value is not a number
        'x1,x2,"{h}"\n1,2,0\n1,2\n',  # a row's count of values
    ],
    ids=["label", "column", "count"],
)
@pytest.mark.parametrize("name", HOSTILE, ids=["ansi-newline", "10000-chars", "separators"])
def test_a_csv_header_is_user_text_in_errors_too(text: str, name: str) -> None:
    """A CSV's column names reached the terminal raw in its errors (an ESC, a newline that
    made the one-line error two) and in full, however long; they read cleaned and cut."""
    from microgrand.datasets import DataError, parse_csv

    with pytest.raises(DataError) as error:
        parse_csv(text.format(h=name), "bad.csv", name="bad.csv")
    message = str(error.value)
    assert "\n" not in message and not any(raw in message for raw in RAW), message
    assert len(message) < 300, len(message)
    good = parse_csv(f'"{name}",x2,y\n1,2,0\n2,3,1\n', "good.csv", name="good.csv")
    assert not any(raw in good.feature_names[0] for raw in RAW), good.feature_names
