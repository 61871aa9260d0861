"""Regressions found by using the new surface (compile, grad, define_op, nn, the CLI) the way
a hostile user would: each input here once gave a traceback from inside the library."""

from __future__ import annotations

import contextlib
import copy
import io
import math
import os
import pickle
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import microgrand
from microgrand import MLP, Node, ops, train_network
from microgrand.cli import main
from microgrand.define import CODE_NAMES


def test_a_leaf_root_compiles() -> None:
    # The generated float function once had an empty try block (IndentationError).
    w = Node(1.0, "w")
    f = microgrand.compile(w, inputs=[w])
    out = f(5.0)
    assert (out.value, out.grads["w"]) == (5.0, 1.0)
    assert f(np.array([1.0, 2.0]), reduce="mean").value == 1.5
    c = Node(2.0, "c", requires_grad=False)
    assert microgrand.compile(c, inputs=[]).__call__().value == 2.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"seed": -1},
        {"seed": 2**32},
        {"seed": 1.5},
        {"seed": "a"},
        {"scale": math.nan},
        {"scale": 0.0},
    ],
)
def test_mlp_refuses_a_bad_seed_or_scale_itself(kwargs: dict[str, object]) -> None:
    # numpy's "Seed must be between 0 and 2**32 - 1" or "Cannot cast scalar" came through.
    with pytest.raises(ValueError, match=r"^the (seed|scale)") as error:
        MLP(2, [4, 1], **kwargs)  # type: ignore[arg-type]  # the bad values are the point
    assert "numpy" not in error.value.args[0] and "dtype" not in error.value.args[0]


@pytest.mark.parametrize("seed", ["-1", "4294967296", "2.5"])
def test_train_seed_out_of_range_is_a_one_line_error(
    seed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--hidden", "4", "--seed", seed])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "argument --seed" in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_a_long_chain_of_checked_nodes_compiles() -> None:
    # Each mul feeding a tanh is checked for finiteness (tanh would hide its inf); the checks
    # of 10,000 of them were one expression too deep for Python's compiler (RecursionError).
    x = Node(0.5, "x")
    node = x
    for _ in range(10_000):
        node = (node * 1.0001).tanh()
    f = microgrand.compile(node, [x])
    assert "finite += " in f.source
    out = f(0.5)
    node.backward()
    assert out.value == node.value and out.grads[x] == x.grad
    with pytest.raises(OverflowError, match="mul"):
        f(1.7976e308)


@pytest.mark.parametrize("name", sorted(CODE_NAMES))
def test_define_op_refuses_the_names_compiled_code_uses(name: str) -> None:
    # An op called 'total' silently gave wrong sums on arrays, 'result' or 'power' a
    # TypeError from inside the generated code, 'float' a RecursionError.
    with pytest.raises(ValueError, match=f"'{name}' is a name compiled code uses"):
        microgrand.define_op(name, lambda x: 2.0 * x, ["2"])
    assert name not in ops.TABLE


def test_the_network_benchmark_says_which_package_is_missing() -> None:
    # On a fresh clone (no micrograd) it said 'micrograd.engine is not installed', which the
    # benchmark's smoke test did not accept: `make test` failed there.
    sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
    try:
        import network  # type: ignore[import-not-found]  # a script, not a package
    finally:
        sys.path.pop(0)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert network.load("no_such_package.engine") is None
    assert out.getvalue() == "note: no_such_package is not installed: its rows are skipped\n"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_plot_to_a_full_disk_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    # matplotlib's PNG writer ignored ENOSPC: the command said "decision boundary: /dev/full"
    # and exited 0 with nothing saved.
    pytest.importorskip("matplotlib")
    assert main(["train", "--hidden", "2", "--epochs", "3", "--plot", "/dev/full"]) == 1
    last = capsys.readouterr().err.splitlines()[-1]  # after the progress bar
    assert (
        last == "microgrand: error: could not save the plot to /dev/full (No space left on device)"
    )


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_float_input_is_named(bad: float) -> None:
    # The float path said only "Node: the value must be finite, got nan", naming no input.
    x, w = Node(1.0, "x"), Node(2.0, "w")
    f = microgrand.compile((x * w).tanh().named("L"), [x, w])
    with pytest.raises(
        ValueError, match=f"^compiled L: input w: the value must be finite, got {bad}$"
    ):
        f(1.0, bad)


@pytest.mark.parametrize("alpha", [math.nan, math.inf])
def test_training_refuses_a_non_finite_alpha(alpha: float) -> None:
    # The network said "diverged ... try a smaller learning rate" for nan; train named w1.
    X, Y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[0.0, 1.0]])
    with pytest.raises(ValueError, match=r"^train_network: alpha must be a finite number"):
        train_network(MLP(2, [2, 1]), X, Y, alpha=alpha, iterations=2)
    with pytest.raises(ValueError, match=r"^train: alpha must be a finite number"):
        microgrand.train([0.0, 1.0], [1.0, 0.0], [0.0, 1.0], alpha=alpha, epochs=2)


def test_train_network_refuses_labels_that_are_not_0_or_1() -> None:
    # Labels 0.5 trained and reported "accuracy 100%": a prediction 0 counted as right.
    X, Y = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 2.0]]), np.array([[0.0, 0.5, 1.0]])
    with pytest.raises(
        ValueError, match=r"^train_network: Y must hold labels 0 or 1; example 1 is 0\.5$"
    ):
        train_network(MLP(2, [2, 1]), X, Y, alpha=1.2, iterations=2)


def test_train_hidden_warns_when_j_ends_above_its_start(capsys: pytest.CaptureFixture[str]) -> None:
    # --alpha 1e10 printed "final J = 3.587e+08" and "training accuracy: 99%" without a word;
    # --alpha 1000 overshoots to J = 60 (below what the lecture's cost can be: a warning),
    # 1e10 to J = 1.7e6 at iteration 1 (past it: diverged, test_nn_train).
    assert main(["train", "--hidden", "4", "--alpha", "1000", "--epochs", "10"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("microgrand: warning: J ended higher than it started (0.6929")
    assert err[-1].endswith("(alpha = 1000 is too large); try a smaller --alpha")
    assert main(["train", "--hidden", "4", "--alpha", "1e10", "--epochs", "10"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith(
        "microgrand: error: training diverged at alpha = 1e+10: at iteration 1, J = 1.726e+06 "
    )
    assert main(["train", "--hidden", "4", "--epochs", "10"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_one_input_too_many_is_not_called_a_bad_reduce() -> None:
    # f(1.0, 2.0, 3.0) said "reduce must be 'sum' or 'mean', got 3.0".
    a, b = Node(1.0, "a"), Node(2.0, "b")
    f = microgrand.compile((a * b).named("L"), [a, b])
    with pytest.raises(TypeError, match=r"^compiled L takes 2 inputs \(a, b\) and then reduce="):
        f(1.0, 2.0, 3.0)
    with pytest.raises(TypeError, match=r"reduce \(or an input too many\) is 3\.0$"):
        f(np.array([1.0, 2.0]), 2.0, 3.0)


def test_train_hidden_refuses_a_size_listed_twice(capsys: pytest.CaptureFixture[str]) -> None:
    # --hidden 4,4,4 trained the same network three times and printed three equal rows.
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--hidden", "4,1,4"])
    assert exit_.value.code == 2
    assert "argument --hidden: '4,1,4': 4 is listed twice" in capsys.readouterr().err


def test_compiled_graphs_and_results_say_how_to_pickle_and_still_copy() -> None:
    # pickle failed with "Can't pickle <class 'microgrand.compile.Result'>: it's not the
    # same object as microgrand.compile.Result", saying nothing of what to do instead.
    a, b = Node(1.0, "a"), Node(2.0, "b")
    f = microgrand.compile((a * b).named("L"), [a, b])
    out = f(np.array([1.0, 3.0]), 2.0)
    with pytest.raises(TypeError, match="compile it again after loading"):
        pickle.dumps(f)
    with pytest.raises(TypeError, match=r"dict\(out.grads\)"):
        pickle.dumps(out)
    assert pickle.loads(pickle.dumps(dict(out.grads)))["b"] == 4.0
    copied = copy.deepcopy(out)
    assert copied.grads["a"] is not out.grads["a"]
    assert list(copied.grads["a"]) == [2.0, 2.0] and copy.copy(out) is out
    assert copy.deepcopy(f)(1.0, 2.0).value == 2.0


def test_one_class_csv_error_does_not_blame_logistic_regression_for_a_network(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # With --hidden it said "logistic regression needs examples of both classes".
    csv = tmp_path / "one.csv"
    csv.write_text("a,b,y\n1,2,0\n2,3,0\n")
    assert main(["train", "--data", str(csv), "--hidden", "2"]) == 1
    err = capsys.readouterr().err
    assert "every label is 0 (2 rows); a classifier needs examples of both classes" in err
    assert "logistic regression" not in err


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"w1": math.nan}, ValueError, r"^compare: w1: the value must be finite"),
        ({"x1": math.nan}, ValueError, r"^compare: x1: the value must be finite"),
        ({"eps": 0.0}, ValueError, r"^compare: eps must be between 0 and 1"),
        ({"x1": [1.0, 2.0], "x2": [0.5, 1.0], "y": 1.0}, TypeError, r"numbers \(one example\)"),
        ({"x1": "12", "x2": [1.0, 2.0], "y": [1.0, 0.0]}, TypeError, r"or sequences \(m\)"),
    ],
)
def test_compare_names_the_bad_argument(
    kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    # These gave "Node: the value must be finite", a ZeroDivisionError, "object of type
    # 'float' has no len()" and numpy's "inhomogeneous shape" error.
    with pytest.raises(error, match=match):
        microgrand.compare(**kwargs)  # type: ignore[call-overload]  # bad values on purpose


def test_compare_takes_a_numpy_integer_as_one_example() -> None:
    # np.int64(2) was taken for a sequence of examples: "object of type ... has no len()".
    one = microgrand.compare(x1=np.int64(2), x2=-1, w1=0.3, w2=0.5, b=0.1, y=1)  # type: ignore[call-overload]  # numpy ints: the point
    assert one.rows[2].autograd == microgrand.compare().rows[2].autograd


@pytest.mark.parametrize(
    ("data", "why"), [("q", "q is not in the statements"), ("J", "J is computed by a statement")]
)
def test_data_that_is_not_a_leaf_says_why(
    data: str, why: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Both said "--data names q, which is not given a value (x1=2)": no value would help.
    assert main(["code", "J = x*y", "--data", data]) == 2
    assert f"--data names {data}: {why}; --data marks the leaves" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--tol", "1e-3"], "--tol belongs"),
        (["--max-iterations", "5"], "--max-iterations belongs"),
        (["--tol", "0", "--max-iterations", "5"], "--tol and --max-iterations belong"),
    ],
)
def test_newton_options_without_method_newton_are_refused(
    flags: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # They were silently ignored: gradient descent ran for --epochs as if they were not given.
    assert main(["train", *flags]) != 0
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert named in line and "add --method newton" in line


def test_counts_of_one_are_singular(capsys: pytest.CaptureFixture[str]) -> None:
    # "stopped after 1 iterations", "1 epochs".
    assert main(["train", "--method", "newton", "--max-iterations", "1", "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert "stopped after 1 iteration (--max-iterations)" in out
    assert "or after 1 iteration\n" in out
    assert "(alpha = 0.1, 1 epoch) on the same J" in out
    assert not any(f"1 {word}s" in out for word in ("iteration", "epoch"))
    assert main(["train", "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert "alpha = 0.1, 1 epoch\n" in out and "(after 1 epoch)" in out


@pytest.mark.parametrize("flag", ["create_graph", "allow_unused"])
@pytest.mark.parametrize("value", ["yes", 1, None])
def test_grad_flags_must_be_booleans(flag: str, value: object) -> None:
    # create_graph="yes" was taken as True.
    w = Node(1.5, "w")
    with pytest.raises(TypeError, match=rf"^grad: {flag} must be True or False, got "):
        microgrand.grad(w * w, [w], **{flag: value})  # type: ignore[call-overload]


def test_pow_with_a_modulus_says_it_is_not_supported() -> None:
    # It said "_binary.<locals>.method() takes 2 positional arguments but 3 were given".
    w = Node(3.0, "w")
    with pytest.raises(TypeError, match=r"^pow with a modulus .* is not supported for Nodes"):
        pow(w, 2, 3)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"^add takes one other input, got a third: 3$"):
        w.add(w, 3)  # type: ignore[call-arg]
    assert pow(w, 2, None).value == 9.0


def test_a_constant_base_is_named_once() -> None:
    # "but the base the constant -2.0 is -2.0".
    p = Node(2.0, "p")
    with pytest.raises(ValueError) as error:
        ((-2.0) ** p).backward()
    message = str(error.value)
    assert "but the base is the constant -2.0. A base" in message
    assert "-2.0 is -2.0" not in message
    with pytest.raises(ValueError, match=r"but the base 'w' is -2\.0\. A base"):
        (Node(-2.0, "w") ** p).backward()
    with pytest.raises(ValueError, match=r"\(the constant -2\.0, 'p' = 0\.5\)"):
        (-2.0) ** Node(0.5, "p")


def test_code_with_no_statements_says_nothing_to_compile(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for statements in ("", "a = 5"):
        assert main(["code", statements]) == 2
        (line,) = capsys.readouterr().err.splitlines()
        assert line.startswith("microgrand code: error: nothing to compile: "), line
    assert main(["draw", ""]) == 2
    assert "error: nothing to draw: " in capsys.readouterr().err


def test_saving_dot_source_refuses_a_width(tmp_path: Path) -> None:
    # The CLI refused --width with .dot, the library wrote the file and ignored the width.
    w = Node(2.0, "w")
    drawing = microgrand.draw(w * w)
    with pytest.raises(ValueError, match=r"^width scales \.svg/\.png images only, not 'x\.dot'"):
        drawing.save(tmp_path / "x.dot", width=800)
    assert not (tmp_path / "x.dot").exists()
    assert drawing.save(tmp_path / "y.dot").exists()


@pytest.mark.parametrize("x1", [[1e300, 1.0], [1.0, -1e300]])
def test_compare_on_huge_inputs_gives_one_error_and_no_warning(x1: list[float]) -> None:
    # numpy printed "RuntimeWarning: divide by zero encountered in log" before the error.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises((ValueError, OverflowError), match=r"^compare: example \d of 2: "):
            microgrand.compare(x1, [1.0, 1.0], 1.0, 1.0, 0.0, [1.0, 0.0])


def test_grad_of_a_constant_gradient_says_why_it_is_unused() -> None:
    x = Node(1.0, "x")
    (slope,) = microgrand.grad(x.relu(), [x], create_graph=True)
    assert microgrand.grad(slope, [x]) == (0.0,)  # relu's slope step(x) is an op: d = 0
    (three,) = microgrand.grad(3.0 * x, [x], create_graph=True)
    with pytest.raises(ValueError) as error:
        microgrand.grad(three, [x])
    message = str(error.value)
    assert message.startswith("grad: the outputs do not depend on input 0 ('x'): ")
    assert "plain number with no graph" in message and "d(3v)/dv = 3" in message
    assert message.endswith("pass allow_unused=True to get 0.0 for inputs the outputs do not use")
    assert microgrand.grad(three, [x], allow_unused=True) == (0.0,)
    v = Node(2.0, "v")  # an ordinary unused input gets no talk of constant derivatives
    with pytest.raises(ValueError, match=r"input 0 \('v'\); pass allow_unused") as plain:
        microgrand.grad(x * x, [v])
    assert "plain number" not in str(plain.value)
