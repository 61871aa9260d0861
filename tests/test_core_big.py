"""Size: a million-node chain, a 100,000-term sum, and copies of deep graphs.

Nothing in the engine may recurse: a recursive topological sort, repr, deepcopy or pickle
raises RecursionError near 1,000 nodes. Each test prints one progress line (`pytest -s`).
"""

from __future__ import annotations

import copy
import math
import pickle
import sys
import time
from collections.abc import Iterator

import pytest

from microgrand import grad
from microgrand.node import Node

pytestmark = pytest.mark.slow

# c -> c * K + D, STEPS times: two nodes per step. K close to 1 keeps K ** STEPS moderate.
K, D = 1.0 + 1e-6, 0.5
MILLION_STEPS = 500_000
COPY_STEPS = 100_000


def chain(steps: int) -> tuple[Node, Node]:
    """The first leaf and the last node of c -> c * K + D, 2 * steps computed nodes."""
    c0 = Node(1.0, "c0")
    c = c0
    for _ in range(steps):
        c = c * K + D
    return c0, c


def closed_form_value(steps: int) -> float:
    """c_n = K^n c_0 + D (K^n - 1) / (K - 1)."""
    return K**steps * 1.0 + D * (K**steps - 1.0) / (K - 1.0)


def walk(node: Node) -> Iterator[Node]:
    """Every node of the chain, from the last one down to c0 (through first parents)."""
    while True:
        yield node
        if not node.parents:
            return
        node = node.parents[0]


def progress(message: str, start: float) -> None:
    print(f"[core big] {message} in {time.perf_counter() - start:.2f} s", flush=True)


@pytest.fixture(scope="module")
def million() -> tuple[Node, Node]:
    start = time.perf_counter()
    c0, c = chain(MILLION_STEPS)
    progress(f"built a chain of {2 * MILLION_STEPS:,} nodes", start)
    return c0, c


def test_million_node_chain_backward(million: tuple[Node, Node]) -> None:
    c0, c = million
    assert math.isclose(c.value, closed_form_value(MILLION_STEPS), rel_tol=1e-6)
    start = time.perf_counter()
    c.backward()
    progress("backward through a million nodes", start)
    assert c.grad == 1.0
    assert math.isclose(c0.grad, K**MILLION_STEPS, rel_tol=1e-9)
    halfway = c
    for _ in range(MILLION_STEPS):  # down 500,000 of the 1,000,000 nodes
        halfway = halfway.parents[0]
    assert halfway.op == "add"
    assert math.isclose(halfway.grad, K ** (MILLION_STEPS // 2), rel_tol=1e-9)


def test_million_node_chain_repr_and_zero_grad(million: tuple[Node, Node]) -> None:
    c0, c = million
    text = repr(c)  # reads c alone (test_core_node checks that it walks nothing)
    assert len(text) < 80 and text.endswith("op='add')")
    c.backward()
    start = time.perf_counter()
    c.zero_grad()
    progress("zero_grad on a million nodes", start)
    assert all(node.grad == 0.0 for node in walk(c))
    assert c0.grad == 0.0


def test_sum_of_100000_nodes() -> None:
    leaves = [Node(float(i % 7), f"x{i}") for i in range(100_000)]
    start = time.perf_counter()
    total = sum(leaves)
    assert isinstance(total, Node)
    total.backward()
    progress("sum() of 100,000 nodes and backward", start)
    assert total.value == float(sum(i % 7 for i in range(100_000)))
    assert all(leaf.grad == 1.0 for leaf in leaves)


@pytest.fixture(scope="module")
def deep() -> tuple[Node, Node]:
    c0, c = chain(COPY_STEPS)
    c.backward()
    return c0, c


def test_deepcopy_of_a_deep_chain(deep: tuple[Node, Node]) -> None:
    c0, c = deep
    start = time.perf_counter()
    c2 = copy.deepcopy(c)
    progress(f"deepcopy of {2 * COPY_STEPS:,} nodes", start)
    assert c2 is not c
    assert c2.value == c.value
    copies = list(walk(c2))
    assert len(copies) == 2 * COPY_STEPS + 1
    first = copies[-1]
    assert first is not c0
    assert first.name == "c0"
    assert math.isclose(first.grad, K**COPY_STEPS, rel_tol=1e-9)  # copied with the graph
    c2.backward()
    assert math.isclose(first.grad, K**COPY_STEPS, rel_tol=1e-9)


def test_pickle_of_a_deep_chain(deep: tuple[Node, Node]) -> None:
    _, c = deep
    start = time.perf_counter()
    data = pickle.dumps(c)
    c2 = pickle.loads(data)
    progress(f"pickle round trip of {2 * COPY_STEPS:,} nodes ({len(data):,} bytes)", start)
    assert c2.value == c.value
    copies = list(walk(c2))
    assert len(copies) == 2 * COPY_STEPS + 1
    c2.backward()
    assert math.isclose(copies[-1].grad, K**COPY_STEPS, rel_tol=1e-9)
    assert copies[-1].name == "c0"


def test_zero_grad_and_repr_of_a_deep_chain(deep: tuple[Node, Node]) -> None:
    c0, c = deep
    c.backward()
    c.zero_grad()
    assert c0.grad == 0.0
    assert repr(c).startswith("Node(")


def test_freeing_a_deep_chain() -> None:
    """Reference counting frees the chain node by node; CPython must not recurse in C."""
    c0, c = chain(COPY_STEPS)
    held = sys.getrefcount(c0)
    start = time.perf_counter()
    del c
    progress(f"freed {2 * COPY_STEPS:,} nodes", start)
    # The first computed node held c0; it goes only when every node after it has gone.
    assert sys.getrefcount(c0) == held - 1


def test_million_node_chain_grad(million: tuple[Node, Node]) -> None:
    """`grad` walks the chain as backward does, without recursion, into no .grad."""
    c0, c = million
    c.zero_grad()
    start = time.perf_counter()
    (dc0,) = grad(c, c0)
    progress("grad through a million nodes", start)
    assert math.isclose(dc0, K**MILLION_STEPS, rel_tol=1e-9)
    assert c0.grad == 0.0 and c.grad == 0.0


def test_second_derivative_through_a_deep_nonlinear_chain() -> None:
    """create_graph on 200,000 nodes (a gradient graph of about 500,000), then its grad."""
    steps = 100_000
    x = Node(0.3, "x")
    c = x
    for _ in range(steps):
        c = (c * 0.5).tanh() + x
    start = time.perf_counter()
    (dx,) = grad(c, x, create_graph=True)
    (d2x,) = grad(dx, x)
    progress(f"second derivative through {2 * steps:,} nodes", start)
    # c converges to the fixed point c = tanh(c/2) + x within a few hundred steps, so a
    # short chain at x ± h gives the same first derivatives: their difference is d²c/dx².
    h = 1e-5
    grads = []
    for value in (0.3 + h, 0.3 - h):
        leaf = Node(value)
        top = leaf
        for _ in range(200):  # the chain has converged long before 200 steps
            top = (top * 0.5).tanh() + leaf
        grads.append(grad(top, leaf)[0])
    assert math.isclose(d2x, (grads[0] - grads[1]) / (2 * h), rel_tol=1e-5)
    assert math.isclose(dx.value, grad(c, x)[0], rel_tol=1e-12)
