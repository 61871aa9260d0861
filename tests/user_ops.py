"""Two ops a user would define, defined the way a user does (`microgrand.define_op`).

`conftest.py` imports this module, so for the whole test session the op table holds
`softplus` (one input) and `hypot` (two inputs) next to the built-ins, and every suite
that is parametrized over the table (forward, partials vs central differences and vs
the formula text, Node recording, gradcheck, PyTorch, drawings, `explain`, ``microgrand
draw``) runs on them with no test code of their own. What the suites need that the table
cannot give, an independent reference for each, is here.

softplus has an array form (``array=``), so compiled graphs on arrays run it in numpy;
hypot has none, so the element-by-element fallback stays tested by the same suites.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

import microgrand
from microgrand import ops
from microgrand.node import Node


def softplus(x: float) -> float:
    """log(1 + e^x), without overflow for large x."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def softplus_array(x: Any) -> Any:
    """The same formula on numpy arrays."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


SOFTPLUS = microgrand.define_op("softplus", softplus, "sigmoid(x)", array=softplus_array)
HYPOT = microgrand.define_op("hypot", math.hypot, ["x / out", "y / out"], symbol="‖·‖")

USER_OPS = ("softplus", "hypot")

# Plain Python, written independently of the forward functions above (test_core_ops.py).
REFERENCES: dict[str, tuple[Callable[..., float], bool]] = {
    "softplus": (lambda x: math.log(1.0 + math.exp(x)), False),
    "hypot": (lambda x, y: math.sqrt(x * x + y * y), False),
}


def well_conditioned(name: str, inputs: list[float], out: float) -> bool:
    """False where the op is not smooth (hypot at the origin) or ill-conditioned."""
    if name == "hypot":
        return out >= 1e-3
    return True


def torch_twins(torch: Any) -> dict[str, Callable[..., Any]]:
    """The same ops in PyTorch (test_core_torch.py)."""
    return {
        "softplus": lambda x: torch.nn.functional.softplus(x),
        "hypot": lambda x, y: torch.hypot(*_tensors(torch, x, y)),
    }


def _tensors(torch: Any, *args: Any) -> list[Any]:
    return [
        a if isinstance(a, torch.Tensor) else torch.tensor(float(a), dtype=torch.float64)
        for a in args
    ]


def forget(name: str) -> None:
    """Remove a test's own op again (tests only: define_op has no undefine)."""
    op = ops.TABLE.pop(name)
    delattr(Node, name)
    delattr(microgrand, name)
    ops.FORMULA_FUNCTIONS.pop(name, None)
    assert op.name == name
