"""How the course names and initialises a network: subscripts, feature names, the activations
a model may use, size checks, and the seeded small random weights (`initial_weights`).

`microgrand.nn` builds `Neuron`, `Layer` and `MLP` from these; this module knows no Node.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Literal

Activation = Literal["tanh", "relu", "sigmoid", "linear"]
HIDDEN_ACTIVATIONS = ("tanh", "relu", "sigmoid")
OUTPUT_ACTIVATIONS = ("sigmoid", "linear")
INIT_SCALE = 0.01
DEFAULT_SEED = 2  # the course's initialize_parameters seeds numpy with 2

_SUBSCRIPTS = str.maketrans("0123456789,", "₀₁₂₃₄₅₆₇₈₉,")


def subscript(*indices: int) -> str:
    """Indices as subscripts, the course's way: ``(1, 2)`` -> ``₁₂``; ``₁,₁₂`` past 9."""
    joiner = "," if any(i > 9 for i in indices) else ""
    return joiner.join(str(i) for i in indices).translate(_SUBSCRIPTS)


def input_names(n_in: int) -> list[str]:
    """The course's names of the features: x₁, x₂, ..."""
    return [f"x{subscript(k + 1)}" for k in range(n_in)]


def initial_weights(
    n_in: int, sizes: Sequence[int], seed: int = DEFAULT_SEED, scale: float = INIT_SCALE
) -> list[list[list[float]]]:
    """The course's initialization: each layer's ``W[l] = np.random.randn(n_l, n_l-1) * 0.01``.

    Why random: with all weights equal (all zeros, say) every hidden unit computes the same
    function, so backprop gives every unit the same gradient and they stay identical forever:
    n_h units would be no better than one. Random weights break that symmetry, so the biases
    can start at zero. Why small: tanh and sigmoid are flat for large |z|; big initial
    weights would start the units saturated, where gradients are nearly zero and learning
    crawls. One seeded generator (numpy's legacy one, as the course uses) draws W[1], then
    W[2], ...: the same seed gives the same network, and the course's numbers for its seeds.
    """
    import numpy as np

    # numpy's own errors here ("Cannot cast scalar from dtype('float64')...") name neither
    # the seed nor the network.
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**32:
        raise ValueError(f"the seed must be a whole number from 0 to 2**32 - 1, got {seed!r}")
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not 0 < scale < math.inf:
        raise ValueError(f"the scale of the initial weights must be a number > 0, got {scale!r}")
    rng = np.random.RandomState(seed)
    fan_ins = [n_in, *sizes[:-1]]
    return [
        (rng.randn(n, fan_in) * scale).tolist() for fan_in, n in zip(fan_ins, sizes, strict=True)
    ]


def check_size(value: object, what: str) -> int:
    """`value` as a layer or input size: a whole number of at least 1 (numpy's too)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{what} must be a whole number of at least 1, got {value!r}")
    return int(value)


def check_sizes(sizes: object) -> list[int]:
    """MLP's `sizes` (a list, tuple, array or iterator of units per layer) as ints."""
    listed = [] if isinstance(sizes, str | bytes) or not isinstance(sizes, Iterable) else [*sizes]
    if not listed:
        raise ValueError(
            f"MLP: sizes must list the units per layer, e.g. MLP(2, [4, 1]), got {sizes!r}"
        )
    return [check_size(size, "MLP: every layer size") for size in listed]


def check_activation(activation: str, allowed: tuple[str, ...], what: str) -> None:
    """Refuse an activation that is not one of `allowed`."""
    if activation not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}, got {activation!r}")
