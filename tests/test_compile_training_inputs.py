"""What `train` and `train_network` (both on compiled code by default) take as examples and
settings: the same examples as the dynamic engine, each refusal naming the input and the
example. The compiled path once turned booleans, strings, Decimals and dates into numbers
without a word, where the engine (``engine="graph"``) refused them."""

from __future__ import annotations

import decimal
import fractions
import math
import warnings
from typing import Any

import numpy as np
import pytest

from microgrand import MLP
from microgrand.logreg import Parameters, train
from microgrand.network import predict, train_network

X1, X2, LABELS = [0.5, 1.0, -1.0, 2.0], [1.0, -0.5, 0.3, 0.1], [1.0, 0.0, 1.0, 0.0]
FLOWER_X = np.array([X1, X2])


def run(engine: str, x1: Any = X1, x2: Any = X2, y: Any = LABELS, **settings: Any) -> Parameters:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warning may reach the user either
        settings = {"epochs": 3, **settings}
        return train(x1, x2, y, engine=engine, **settings).params  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("x1", "y", "error", "match"),
    [
        (X1, [True, False, True, False], TypeError, r"train: y, example 0: got the boolean"),
        (X1, np.array(LABELS, dtype=bool), TypeError, r"train: y is a boolean array"),
        (["0.5", "1", "-1", "2"], LABELS, TypeError, r"train: x1, example 0: expected a real"),
        (np.array(X1).astype(str), LABELS, TypeError, r"train: x1 is a <U\d+ array"),
        (X1, [1 + 0j, 0j, 1 + 0j, 0j], TypeError, r"train: y, example 0: .*complex"),
        (np.array(X1, dtype=complex), LABELS, TypeError, r"train: x1 is a complex array"),
        ([decimal.Decimal(1)] * 4, LABELS, TypeError, r"train: x1, example 0: .*Decimal"),
        (np.arange(4).astype("datetime64[s]"), LABELS, TypeError, r"train: x1 is a datetime array"),
        ([0.5, math.nan, 1.0, 2.0], LABELS, ValueError, r"train: x1: example 1 is nan"),
        (np.array([X1]), LABELS, ValueError, r"train: x1 must be a 1-d array, got shape \(1, 4\)"),
        ((v for v in X1), LABELS, TypeError, r"train: x1 must be a list or a 1-d numpy array"),
        (np.ma.array(X1), LABELS, TypeError, r"train: x1 is a MaskedArray, a subclass"),
        ([0.5, 1, np.float64(2.0), True], LABELS, TypeError, r"x1, example 3: got the boolean"),
        ([0.5, 1, np.int64(2), 2**1024], LABELS, ValueError, r"x1, example 3: 1797.* too large"),
        ([0.5, 1, np.float32(2.0), math.inf], LABELS, ValueError, r"train: x1: example 3 is inf"),
    ],
)
def test_examples_the_engine_refuses_are_refused_by_both_engines(
    x1: Any, y: Any, error: type[Exception], match: str
) -> None:
    for engine in ("compiled", "graph"):
        with pytest.raises(error, match=match):
            run(engine, x1=x1, y=y)


@pytest.mark.parametrize(
    "x1",
    [
        np.array(X1, dtype=np.float32),
        np.array(X1, dtype=np.float16),
        np.array(X1, dtype=np.longdouble),
        np.array([1, 2, -1, 0]),
        [1, 2, -1, 0],
        [fractions.Fraction(1, 2), 1, -1.0, np.float32(2.0)],
        list(np.array(X1)),  # numpy floats
        [np.int64(1), np.int32(2), 3, 2**60],
        np.array(X1, dtype=object),
        np.array(X1 * 2)[::2],  # a view with a stride
        np.array(X1)[::-1],  # a negative stride
    ],
)
def test_real_examples_of_any_type_train_the_same_in_both_engines(x1: Any) -> None:
    compiled, graph = run("compiled", x1=x1), run("graph", x1=x1)
    for a, b in zip(compiled, graph, strict=True):
        assert math.isclose(a, b, rel_tol=1e-13, abs_tol=1e-15)


@pytest.mark.parametrize(
    ("settings", "error", "match"),
    [
        ({"epochs": 2.5}, TypeError, r"train: epochs must be a whole number, got 2\.5"),
        ({"epochs": True}, TypeError, r"train: epochs must be a whole number, got True"),
        ({"epochs": "3"}, TypeError, r"train: epochs must be a whole number, got '3'"),
        ({"alpha": "0.1"}, TypeError, r"train: alpha must be a finite number: expected a real"),
        ({"alpha": True}, TypeError, r"train: alpha must be a finite number: got the boolean"),
        ({"l2": -1.0}, ValueError, r"train: l2 must be a finite number >= 0, got -1\.0"),
        ({"l2": "1"}, TypeError, r"train: l2 must be a finite number >= 0: expected a real"),
        ({"start": (0.0, 0.0)}, TypeError, r"train: start must be Parameters\(w1, w2, b\)"),
        ({"start": Parameters("0", 0.0, 0.0)}, TypeError, r"train: start\.w1: expected a real"),  # type: ignore[arg-type]
    ],
)
def test_bad_settings_are_refused_before_training(
    settings: dict[str, Any], error: type[Exception], match: str
) -> None:
    for engine in ("compiled", "graph"):
        with pytest.raises(error, match=match):
            run(engine, **settings)


def test_settings_of_other_numeric_types_are_taken() -> None:
    want = run("graph", alpha=0.5, start=Parameters(0.25, 0.0, 0.0))
    assert run("graph", epochs=np.int64(3), alpha=np.float32(0.5), start=(0.25, 0, 0)) == want
    assert run("compiled", epochs=np.int64(3), alpha=fractions.Fraction(1, 2)) == run(
        "compiled", alpha=0.5
    )


# --- the shallow network ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("X", "Y", "error", "match"),
    [
        (FLOWER_X > 0, LABELS, TypeError, r"X is a boolean array"),
        (FLOWER_X.astype(str), LABELS, TypeError, r"X is a <U\d+ array"),
        (FLOWER_X.astype(complex), LABELS, TypeError, r"X is a complex array"),
        (np.zeros((2, 4), dtype="datetime64[s]"), LABELS, TypeError, r"X is a datetime array"),
        (np.array([[decimal.Decimal(1)] * 4] * 2), LABELS, TypeError, r"X, row 0, example 0: "),
        (  # an object array's flat index (7) is not the example
            np.array([X1, [0.0, 0.0, 0.0, decimal.Decimal(1)]], dtype=object),
            LABELS,
            TypeError,
            r"X, row 1, example 3: .*Decimal",
        ),
        ([[1.0, 2.0, 3.0], [1.0, 2.0]], LABELS[:3], ValueError, r"X: row 1 has 2 values but row 0"),
        (FLOWER_X, np.array(LABELS) > 0, TypeError, r"Y is a boolean array"),
        (FLOWER_X, np.array(LABELS).astype(str), TypeError, r"Y is a <U\d+ array"),
        (FLOWER_X, np.array(LABELS).reshape(2, 2), ValueError, r"Y must be a 1-d .*\(2, 2\)"),
        (FLOWER_X, [1.0, 0.0, math.inf, 0.0], ValueError, r"Y: example 2 is inf"),
        (
            np.array([X1, [0.0, math.nan, 0.0, 0.0]]),
            LABELS,
            ValueError,
            r"X: row 1, example 1 is nan",
        ),
    ],
)
def test_the_network_refuses_examples_the_engine_would(
    X: Any, Y: Any, error: type[Exception], match: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # complex X once printed numpy's ComplexWarning
        for engine in ("compiled", "graph"):
            with pytest.raises(error, match=match):
                train_network(MLP(2, [3, 1]), X, Y, iterations=2, engine=engine)
        if Y is LABELS:  # predict reads X the same way
            with pytest.raises(error, match=match):
                predict(MLP(2, [3, 1]), X)


@pytest.mark.parametrize(
    "Y",
    [
        np.array(LABELS),
        np.array([LABELS]),
        np.array(LABELS)[:, None],
        [[label] for label in LABELS],  # m × 1 as a list: taken before example_arrays
        [1, 0, 1, 0],
        np.array(LABELS, dtype=int),
    ],
)
def test_the_network_takes_the_courses_label_shapes(Y: Any) -> None:
    """Y as m labels, the course's 1 × m, or m × 1; ints too."""
    want = train_network(MLP(2, [3, 1]), FLOWER_X, [1.0, 0.0, 1.0, 0.0], iterations=2).costs
    assert train_network(MLP(2, [3, 1]), FLOWER_X, Y, iterations=2).costs == want


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"iterations": 2.5}, r"train_network: iterations must be a whole number, got 2\.5"),
        ({"iterations": True}, r"train_network: iterations must be a whole number, got True"),
        ({"alpha": "1"}, r"train_network: alpha must be a finite number: expected a real"),
    ],
)
def test_the_networks_bad_settings_are_type_errors(settings: dict[str, Any], match: str) -> None:
    with pytest.raises(TypeError, match=match):
        train_network(MLP(2, [3, 1]), FLOWER_X, LABELS, **settings)


@pytest.mark.parametrize(
    ("n_in", "sizes"),
    [(np.int64(2), [3, 1]), (2, np.array([3, 1])), (2, (s for s in [3, 1])), (2, (3, 1))],
    ids=["numpy n_in", "numpy sizes", "generator", "tuple"],
)
def test_mlp_takes_whole_numbers_of_any_type(n_in: Any, sizes: Any) -> None:
    """np.int64(2) was 'not a whole number', an array of sizes gave numpy's 'truth value
    of an array is ambiguous', a generator 'not subscriptable'."""
    net = MLP(n_in, sizes)
    assert (net.n_in, net.sizes) == (2, [3, 1])
    assert all(type(size) is int for size in net.sizes)


@pytest.mark.parametrize(
    ("sizes", "error", "match"),
    [
        ([3, 1.5], ValueError, r"every layer size must be a whole number of at least 1, got 1\.5"),
        ([3, True], ValueError, r"every layer size must be a whole number .* got True"),
        ("31", ValueError, r"sizes must list the units per layer"),
        (4, ValueError, r"sizes must list the units per layer"),
        ([], ValueError, r"sizes must list the units per layer"),
    ],
)
def test_mlp_refuses_sizes_that_are_not_whole_numbers(
    sizes: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        MLP(2, sizes)


@pytest.mark.parametrize(
    ("X", "match"),
    [
        ([], r"X must be the course's n_x × m array .* got shape \(0, 0\)"),
        (
            np.array([["1e4000", "1"], ["0", "0"]], dtype=np.longdouble),
            r"X: row 0, example 0 is 1e\+4000, finite but past",
        ),
    ],
)
def test_the_network_refuses_no_examples_and_values_past_float64(X: Any, match: str) -> None:
    """[] gave numpy's 'cannot reshape array of size 0'; a longdouble 1e4000 read as inf."""
    with pytest.raises(ValueError, match=match) as error:
        train_network(MLP(2, [3, 1]), X, [0.0, 1.0], iterations=1)
    assert "inf" not in str(error.value)


@pytest.mark.parametrize(
    ("last", "error", "match"),
    [
        (math.nan, ValueError, r"set_matrices: b\[2\]₁: the value must be finite, got nan"),
        ("1", TypeError, r"set_matrices: b\[2\]₁: expected a real number"),
        (True, TypeError, r"set_matrices: b\[2\]₁: got the boolean"),
    ],
)
def test_set_matrices_checks_every_value_before_it_sets_any(
    last: object, error: type[Exception], match: str
) -> None:
    """A bad value in the last layer once raised after the first layer was set: half the
    network had the new weights, half the old."""
    net = MLP(2, [2, 1])
    before = net.matrices()
    new = [([[1.0, 2.0], [3.0, 4.0]], [[0.5], [0.5]]), ([[1.0, -1.0]], [[last]])]
    with pytest.raises(error, match=match):
        net.set_matrices(new)  # type: ignore[arg-type]  # the bad value is the point
    assert net.matrices() == before


@pytest.mark.parametrize(
    "b1", [[0.0, 0.0], 0.0, [[0.0, 0.0]], "ab"], ids=["1-d", "number", "1 x 2", "str"]
)
def test_set_matrices_says_the_shape_it_needs(b1: object) -> None:
    """b[1] as a 1-d list gave "object of type 'float' has no len()"."""
    net = MLP(2, [2, 1])
    W2, b2 = net.matrices()[1]
    with pytest.raises(ValueError, match=r"layer 1 needs W\[1\] 2 × 2 and b\[1\] 2 × 1"):
        net.set_matrices([([[1.0, 2.0], [3.0, 4.0]], b1), (W2, b2)])  # type: ignore[list-item]
