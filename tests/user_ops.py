"""Two ops a user would define, defined the way a user does (`microgrand.define_op`).

`conftest.py` imports this module, so for the whole test session the op table holds
`softplus` (one input) and `hypot` (two inputs) next to the built-ins, and every suite
that is parametrized over the table (forward, partials vs central differences and vs
the formula text, Node recording, gradcheck, PyTorch, drawings, `explain`, ``microgrand
draw``) runs on them with no test code of their own. What the suites need that the table
cannot give, an independent reference for each, is here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import microgrand


def softplus(x: float) -> float:
    """log(1 + e^x), without overflow for large x."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


SOFTPLUS = microgrand.define_op("softplus", softplus, "sigmoid(x)")
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
