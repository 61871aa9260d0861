"""`microgrand draw` on what users really type: numbers alone, labels, bad values, several
results, huge statements, and output that cannot be written."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from cli_helpers import shell

from microgrand import Node
from microgrand.ops import OPERATORS
from microgrand.parse import ParseError, build, parse_graph


def parse_error(texts: list[str], data: set[str] | None = None) -> str:
    with pytest.raises(ParseError) as caught:
        build(texts, data=data or set())
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- item 5: numbers alone go through the engine's checks ------------------------------------


RAW = ("math domain error", "math range error", "complex", "float division", "Node:")


@pytest.mark.parametrize(
    ("statement", "wanted"),
    [
        ("J = bce_with_logits(1, 5) * a", "the label y must be in [0, 1], got 5.0"),
        ("J = log(0) * a", "log(x) needs x > 0, but x = 0.0"),
        ("J = log(-1) * a", "log(x) needs x > 0, but x = -1.0"),
        ("J = exp(1000) * a", "exp: the result is too large for a float"),
        ("J = (-8)**(1/3) * a", "pow: a negative base needs a whole-number exponent"),
        ("J = 1e308*10", "mul: the result inf is not a finite float"),
        ("J = 1/0 * a", "div: division by zero"),
        ("J = 0**-1 * a", "pow: division by zero"),
        ("J = a * sigmoid(log(0.0 * 5))", "log(x) needs x > 0"),
    ],
)
def test_numbers_alone_get_the_engines_checks(statement: str, wanted: str) -> None:
    message = parse_error([statement, "a=2"])
    assert wanted in message
    assert f"in {statement!r}" in message  # the statement is named
    assert not any(raw in message for raw in RAW), message


def test_numbers_alone_compute_what_nodes_compute() -> None:
    from microgrand import bce_with_logits

    J = build(["J = (bce_with_logits(1, 0.25) + exp(2) - 2**-1 + tanh(0.5)/3) * a", "a=2"])
    folded = bce_with_logits(Node(1.0), 0.25).value + math.exp(2) - 0.5 + math.tanh(0.5) / 3
    assert J.parents[0].is_constant and J.parents[0].value == folded
    assert J.value == folded * 2


def test_numbers_alone_on_the_command_line(tmp_path: Path) -> None:
    for statement in ("J = log(0) * a", "J = exp(1000) * a", "J = (-8)**(1/3) * a"):
        result = shell(f"microgrand draw '{statement}' a=2", tmp_path)
        assert result.returncode == 2
        assert result.stderr.startswith("microgrand draw: error: ")
        assert f"in {statement!r}" in result.stderr and result.stderr.count("\n") == 1
        assert not any(raw in result.stderr for raw in RAW)


# --- item 12: a named label, a bad value, several results, huge statements, output -----------


def test_a_named_label_is_data() -> None:
    L = build(["L = bce_with_logits(z, y)", "z=0.7", "y=1"])
    L.backward()
    z, y = L.parents
    assert (z.name, y.name) == ("z", "y") and not y.requires_grad and y.grad == 0.0
    assert math.isclose(z.grad, 1 / (1 + math.exp(-0.7)) - 1.0, rel_tol=1e-12)  # dz = a - y
    assert L.value == build(["L = bce_with_logits(z, 1)", "z=0.7"]).value


def test_a_named_label_used_elsewhere_too_keeps_its_gradient() -> None:
    L = build(["L = bce_with_logits(z, y) + y", "z=0.7", "y=1"])
    L.backward()
    y = L.parents[1]
    assert y.name == "y" and y.requires_grad and math.isclose(y.grad, 1.0 - 0.7, rel_tol=1e-12)
    soft = build(["L = bce_with_logits(z, 0.5*z)", "z=0.7"])  # a soft label, computed
    assert math.isclose(soft.value, math.log1p(math.exp(-0.7)) + 0.7 - 0.7 * 0.35)
    message = parse_error(["L = bce_with_logits(z, y)", "z=0.7", "y=2"])
    assert "label y must be in [0, 1], got 2.0" in message and "'y' = 2.0" in message


def test_the_lectures_label_on_the_command_line(tmp_path: Path) -> None:
    result = shell(
        "microgrand draw 'z = w*x + b; L = bce_with_logits(z, y)' w=0.5 x=2 b=0.1 y=1 --data x",
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "dz = a − y" in result.stdout and "dy" not in result.stdout
    assert "L(a, y), a = σ(z)\\n" in result.stdout and "y = y" not in result.stdout


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("abc", "is not a number"),
        ("nan", "is not a finite number"),
        ("-inf", "is not a finite number"),
        ("1e400", "is too large for a float"),
        ("-1e400", "is too large for a float"),
        ("True", "is not a number (only numbers are allowed)"),
        ("'x'", "is not a number (only numbers are allowed)"),
    ],
)
def test_a_bad_value_is_named(value: str, kind: str) -> None:
    message = parse_error(["J = 3*v", f"v={value}"])
    assert message.startswith(f"the value of v {kind}: {f'v={value}'!r}")
    assert "used before" not in message


def test_several_results_say_which_is_drawn(tmp_path: Path) -> None:
    graph = parse_graph(["J = 3*v; K = 2*v", "v=1"])
    assert [node.name for node in graph.results] == ["J", "K"] and graph.root.name == "K"
    assert [n.name for n in parse_graph(["J = 3*v; K = 2*J", "v=1"]).results] == ["K"]
    result = shell("microgrand draw 'J = 3*v; K = 2*v' v=1", tmp_path)
    assert result.returncode == 0
    assert result.stderr == (
        "microgrand draw: note: J is not used by K, so only K (the last result) is drawn; "
        "to draw them all, add a statement that uses them, like total = J + K\n"
    )
    one = shell("microgrand draw 'J = 3*v; K = 2*J' v=1", tmp_path)
    assert one.returncode == 0 and one.stderr == ""


def test_a_syntax_error_in_a_huge_statement_is_cut_and_points_at_the_column() -> None:
    statement = "J = " + "(" * 990 + "a +" + ")" * 990
    message = parse_error([statement, "a=1"])
    assert len(message) < 300
    assert "at column 205" in message  # Python's parser stops at the 200th parenthesis
    near = "…" + "(" * 25 + "|" + "(" * 25 + "…"
    assert repr(near) in message
    short = parse_error(["J = " + "(" * 40 + "a + " + ")" * 40 + " b", "a=1"])
    assert "at column 49: invalid syntax (near '…" in short and "a + |)" in short
    assert "at column 5: '(' was never closed" in parse_error(["J = (a", "a=1"])


@pytest.mark.parametrize("where", [">&-", "> /dev/full"])
def test_dot_text_that_cannot_be_written(tmp_path: Path, where: str) -> None:
    if "full" in where and not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    result = shell(f"microgrand draw 'J = a*2' a=1 {where}", tmp_path)
    assert result.returncode == 1
    reason = "standard output is closed" if "&" in where else "No space left on device"
    assert (
        result.stderr == f"microgrand draw: error: cannot write the DOT text to stdout: {reason}\n"
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("name", ["full.dot", "full.svg", "full.html"])
def test_a_full_disk_names_the_file(tmp_path: Path, name: str) -> None:
    (tmp_path / name).symlink_to("/dev/full")
    result = shell(f"microgrand draw 'J = a*2' a=1 -o {name}", tmp_path)
    assert result.returncode == 1
    assert (
        result.stderr == f"microgrand draw: error: cannot write {name}: No space left on device\n"
    )


def test_a_reader_that_leaves(tmp_path: Path) -> None:
    statements = "; ".join(f"v{i} = v{i - 1} * 1.5" if i else "v0 = a * 2" for i in range(200))
    result = shell(f"microgrand draw '{statements}' a=1 | head -1", tmp_path)
    assert result.stdout.startswith("digraph") and result.stdout.count("\n") == 1
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr


def test_closed_stdout_is_fine_when_writing_a_file(tmp_path: Path) -> None:
    result = shell("microgrand draw 'J = a*2' a=1 -o J.dot >&-", tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "J.dot").read_text(encoding="utf-8").startswith("digraph")


# --- item 19: what the parser may call ----------------------------------------------------------


OPERATOR_CALLS = ["add(a, b)", "sub(a, b)", "mul(a, b)", "div(a, b)", "neg(a)", "pow(a, 2)"]


def test_the_operator_calls_are_the_table_s_operator_ops() -> None:
    assert {call.split("(")[0] for call in OPERATOR_CALLS} == OPERATORS


@pytest.mark.parametrize("call", OPERATOR_CALLS)
def test_operator_ops_are_not_callable(call: str) -> None:
    name = call.split("(")[0]
    message = parse_error([f"J = {call}", "a=1", "b=2"])
    assert f"calls to {name!r} are not allowed" in message


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_operator_op_names_are_ordinary_names(name: str) -> None:
    J = build([f"{name} = 2", f"J = {name} * a + 1", "a=3"])
    assert J.value == 7.0
    J.backward()
    assert J.parents[0].parents[0].name == name and J.parents[0].parents[0].grad == 3.0


@pytest.mark.parametrize(
    "statement", ["J = a.exp()", "J = a.sigmoid().log()", "J = sigmoid(a)(a)", "J = (a).tanh()"]
)
def test_method_calls_are_refused(statement: str) -> None:
    message = parse_error([statement, "a=1"])
    assert "this call is not allowed: only the op functions, by name" in message
    assert f"in {statement!r}" in message


def test_a_rename_used_earlier_says_it_is_a_rename() -> None:
    message = parse_error(["J = 3*v; v = b", "b=1"])
    assert message == "'v = b' only renames b: write an expression"
