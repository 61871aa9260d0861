"""microgrand: a tiny, exact and fast scalar autograd engine that teaches backpropagation.

Build a computation graph from `Node` objects, call ``backward()`` on the result and read
every node's ``grad``; compare with the hand-derived formulas of the lecture.
"""

from __future__ import annotations

from microgrand.gradcheck import GradcheckError, gradcheck
from microgrand.node import Node, bce_with_logits

__all__ = ["GradcheckError", "Node", "bce_with_logits", "gradcheck"]
__version__ = "0.1.0"
