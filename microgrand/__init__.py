"""microgrand: a tiny, exact and fast scalar autograd engine that teaches backpropagation.

Build a computation graph from `Node` objects, call ``backward()`` on the result and read
every node's ``grad``; compare them with the lecture's hand-derived formulas (`compare`,
`explain`) and draw the graph the way the lecture does (`draw`, `steps`, `save_steps`).
"""

from __future__ import annotations

from microgrand.compare import compare
from microgrand.explain import explain
from microgrand.gradcheck import GradcheckError, gradcheck
from microgrand.logreg import lecture_graph, three_abc_graph, train
from microgrand.node import Node, bce_with_logits
from microgrand.render import draw
from microgrand.steps import save_steps, steps

__all__ = [
    "GradcheckError",
    "Node",
    "bce_with_logits",
    "compare",
    "draw",
    "explain",
    "gradcheck",
    "lecture_graph",
    "save_steps",
    "steps",
    "three_abc_graph",
    "train",
]
__version__ = "0.1.0"
