"""Regressions found by using the new surface (compile, grad, define_op, nn, the CLI) the way
a hostile user would: each input here once gave a traceback from inside the library."""

from __future__ import annotations

import numpy as np

import microgrand
from microgrand import Node


def test_a_leaf_root_compiles() -> None:
    # The generated float function once had an empty try block (IndentationError).
    w = Node(1.0, "w")
    f = microgrand.compile(w, inputs=[w])
    out = f(5.0)
    assert (out.value, out.grads["w"]) == (5.0, 1.0)
    assert f(np.array([1.0, 2.0]), reduce="mean").value == 1.5
    c = Node(2.0, "c", requires_grad=False)
    assert microgrand.compile(c, inputs=[]).__call__().value == 2.0
