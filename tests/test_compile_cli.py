"""`microgrand code` and `microgrand draw --code`: the generated code of a typed graph."""

from __future__ import annotations

import pytest

from microgrand.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_classroom_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "code", "u = b*c; v = a + u; J = 3*v")
    assert code == 0 and err == ""
    assert out.startswith("def J_and_grads(b, c, a, reduce='sum'):\n")
    body = [line.strip() for line in out.splitlines()]
    for line in ("u = b * c", "v = a + u", "J = 3.0 * v", "db = 3.0 * c", "dc = 3.0 * b"):
        assert line in body, line
    assert "# dv = 3.0" in body and "# du = 3.0" in body and "# da = 3.0" in body


def test_values_may_be_given_and_data_and_numpy(capsys: pytest.CaptureFixture[str]) -> None:
    statements = "z = w1*x1 + w2*x2 + b; L = bce_with_logits(z, y)"
    code, out, _ = run(capsys, "code", statements, "--data", "x1,x2", "--numpy")
    assert code == 0
    assert out.startswith("def L_and_grads_arrays(w1, x1, w2, x2, b, y, examples):")
    assert "    dw1 = dot(dz, x1)\n" in out and "    db = total(dz)\n" in out
    code, out, _ = run(capsys, "code", statements, "w1=0.3", "x1=2", "--data", "x1,x2")
    assert code == 0 and "        dz = sigmoid(z) - y\n" in out


def test_draw_code_prints_the_same(capsys: pytest.CaptureFixture[str]) -> None:
    _, code_out, _ = run(capsys, "code", "u = b*c; J = 3*u")
    code, draw_out, _ = run(capsys, "draw", "u = b*c; J = 3*u", "--code")
    assert code == 0 and draw_out == code_out
    code, lecture_out, _ = run(capsys, "draw", "--lecture", "--code")
    assert code == 0 and "        dz = da * (a * t7)  # t7 = 1.0 - a\n" in lecture_out


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (["code", "J = log(a"], 2, "microgrand code: error: syntax error in 'J = log(a'"),
        (["code", "J = open(a)"], 2, "calls to 'open' are not allowed"),
        (["code", "u = b*c", "--numpy"], 1, "--numpy needs data leaves"),
        (["code", "J = log(a - 0.5)"], 2, "log(x) needs x > 0"),
    ],
)
def test_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], status: int, message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == status and out == ""
    assert message in err and len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        # code read the statements a second time with its own parser, which took the
        # value's word for a leaf (abc=0.5) and then blamed a rename the user never wrote
        (["code", "J = 3*a", "a=abc"], "the value of a is not a number: 'a=abc'"),
        (["code", "J = 3*a", "a=nan"], "the value of a is not a finite number: 'a=nan'"),
        # ... and had no length limit: RecursionError from ast, a traceback
        (["code", "J = " + "+".join(["a"] * 10_000)], "the graph text is too long"),
    ],
)
def test_code_reads_the_statements_as_draw_does(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert message in err and len(err.splitlines()) == 1
    _, _, draw_err = run(capsys, "draw", *argv[1:])
    assert draw_err.split(": error: ")[1] == err.split(": error: ")[1]


def test_code_takes_a_negated_input(capsys: pytest.CaptureFixture[str]) -> None:
    """Code gives its unvalued inputs 0.5: 'J = -a' is the node -a of the input a (it said
    'the value of J is not a number', as if J were a leaf given -a, as draw says where no
    statement gives a a value); 'J = a' and 'a = abc' are still read as values, as draw
    reads them."""
    code, out, err = run(capsys, "code", "J = -a")
    assert code == 0 and err == "" and "def J_and_grads(a, " in out
    code, out, err = run(capsys, "code", "J = a")
    assert code == 2 and "the value of J is not a number: 'J = a'" in err


@pytest.mark.parametrize("command", ["code", "draw"])
@pytest.mark.parametrize("expression", ["not a", "~a"])
def test_an_operator_that_is_not_allowed_is_named(
    capsys: pytest.CaptureFixture[str], command: str, expression: str
) -> None:
    """'J = not a' said 'the value of J is not a number' (as if J were a leaf given a value):
    only - and + make a leaf's value negative or positive; other unary operators are
    refused as operators."""
    code, _, err = run(capsys, command, f"J = {expression}")
    assert code == 2 and "only unary - and + are allowed" in err, err


def test_a_unicode_name_with_a_value_is_one_leaf(capsys: pytest.CaptureFixture[str]) -> None:
    """Python reads 'ﬁ' (a ligature) as 'fi': code's own reading did not, and said 'fi' was
    defined twice, in a statement the user never typed (fi=0.5)."""
    code, out, err = run(capsys, "code", "J = 3*ﬁ", "ﬁ=2")
    assert code == 0 and err == ""
    assert out.startswith("def J_and_grads(fi, reduce='sum'):\n")


def test_draw_code_takes_numpy_as_code_does(capsys: pytest.CaptureFixture[str]) -> None:
    """code_cli.add_options was written for draw --code too, but draw never added them."""
    statements = "z = w1*x1 + w2*x2 + b; L = bce_with_logits(z, y)"
    _, code_out, _ = run(capsys, "code", statements, "--data", "x1,x2", "--numpy")
    status, draw_out, err = run(capsys, "draw", statements, "--data", "x1,x2", "--code", "--numpy")
    assert status == 0 and err == "" and draw_out == code_out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        # each was silently ignored: no x.svg written, the user's --data dropped, ...
        (["u = b*c", "--code", "-o", "x.svg"], "--code prints the code: it draws nothing, so -o"),
        (
            ["u = b*c", "--code", "--view", "ops"],
            "--code prints the code: it draws nothing, so --view",
        ),
        (["--lecture", "--data", "w1"], "--data marks leaves of typed statements"),
        (["--lecture", "--code", "--data", "w1"], "--data marks leaves of typed statements"),
        (["u = b*c", "--numpy"], "--numpy belongs to --code"),
        (["u = b*c", "-o", "x.html", "--no-grads"], "--no-grads: the step-by-step page"),
    ],
)
def test_draw_options_that_would_do_nothing_are_refused(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    status, out, err = run(capsys, "draw", *argv)
    assert status == 2 and out == ""
    assert err.startswith(f"microgrand draw: error: {message}") and err.count("\n") == 1, err
