"""microgrand: a tiny, exact and fast scalar autograd engine that teaches backpropagation.

Build a computation graph from `Node` objects, call ``backward()`` on the result and read
every node's ``grad`` (or take gradients, and gradients of gradients, with `grad`);
compare them with the lecture's hand-derived formulas (`compare`, `explain`) and draw the
graph the way the lecture does (`draw`, `steps`, `save_steps`).
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING, Any

from microgrand import ops  # first: defining the op table gives Node its methods
from microgrand.compile import Compiled, Result, compile
from microgrand.define import define_op
from microgrand.gradcheck import GradcheckError, gradcheck
from microgrand.gradients import grad
from microgrand.node import Node

# `compile` is imported eagerly (its module is light: numpy and the code generator load on
# first use): were it lazy, importing the submodule microgrand.compile would bind the
# module, not the function, to microgrand.compile.

if TYPE_CHECKING:
    from microgrand.backprop_steps import save_steps, steps
    from microgrand.chain_rule import explain
    from microgrand.comparison import compare
    from microgrand.logreg import lecture_graph, three_abc_graph, train
    from microgrand.network import train_network
    from microgrand.network_comparison import compare_network
    from microgrand.nn import MLP
    from microgrand.node import Number
    from microgrand.render import draw

    # Each op of the table is also a function here, made by `define_op` (microgrand.exp,
    # microgrand.sigmoid, ...); this declaration only tells type checkers about the loss.
    def bce_with_logits(z: Node | Number, y: Node | Number) -> Node: ...


# The lecture, explanation and drawing tools load on first use, so that `import microgrand`
# stays fast (a script that only builds graphs pays for none of them).
_LAZY = {
    "compare": "microgrand.comparison",
    "explain": "microgrand.chain_rule",
    "lecture_graph": "microgrand.logreg",
    "three_abc_graph": "microgrand.logreg",
    "train": "microgrand.logreg",
    "MLP": "microgrand.nn",
    "train_network": "microgrand.network",
    "compare_network": "microgrand.network_comparison",
    "draw": "microgrand.render",
    "steps": "microgrand.backprop_steps",
    "save_steps": "microgrand.backprop_steps",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    # microgrand.lecture, microgrand.logreg, ... on first use (Jupyter probes many
    # _private names: they never scan the package)
    if not name.startswith("_") and name in _submodules():
        return importlib.import_module(f"microgrand.{name}")
    raise AttributeError(f"module 'microgrand' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public API, for tab completion: the exported names, the op functions (one per
    row of the op table, ``microgrand.exp``) and the submodules."""
    dunders = (name for name in globals() if name.startswith("__"))
    return sorted({*__all__, *_submodules(), *ops.TABLE, *dunders})


@functools.cache
def _submodules() -> frozenset[str]:
    import pkgutil

    modules = pkgutil.iter_modules(__path__)
    return frozenset(info.name for info in modules if not info.name.startswith("_"))


__all__ = [
    "MLP",
    "Compiled",
    "GradcheckError",
    "Node",
    "Result",
    "bce_with_logits",
    "compare",
    "compare_network",
    "compile",
    "define_op",
    "draw",
    "explain",
    "grad",
    "gradcheck",
    "lecture_graph",
    "save_steps",
    "steps",
    "three_abc_graph",
    "train",
    "train_network",
]
__version__ = "0.1.0"
