"""copy, deepcopy and pickle give independent, still-connected graphs; threads do not mix."""

from __future__ import annotations

import copy
import io
import math
import pickle
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microgrand import bce_with_logits, copying, engine
from microgrand.node import Node


def lecture() -> dict[str, Node]:
    """The lecture's graph with its names, after one backward pass."""
    x1 = Node(2.0, "x1", requires_grad=False)
    x2 = Node(-1.0, "x2", requires_grad=False)
    w1, w2, b = Node(0.3, "w1"), Node(0.5, "w2"), Node(0.1, "b")
    z = (w1 * x1 + w2 * x2 + b).named("z")
    a = z.sigmoid().named("a")
    L = (-(1.0 * a.log() + 0.0 * (1 - a).log())).named("L")
    L.backward()
    return {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b, "z": z, "a": a, "L": L}


def snapshot(nodes: dict[str, Node]) -> dict[str, tuple[float, float, str | None, str | None]]:
    """Everything a copy could disturb: value, grad, name and op of each node."""
    return {key: (n.value, n.grad, n.name, n.op) for key, n in nodes.items()}


def pickle_round_trip(obj: object) -> object:
    return pickle.loads(pickle.dumps(obj))


COPIERS = [copy.deepcopy, pickle_round_trip]
COPIER_IDS = ["deepcopy", "pickle"]


def descend(node: Node, *path: int) -> Node:
    """The node reached by following parents[i] for each i of path."""
    for i in path:
        node = node.parents[i]
    return node


@pytest.mark.parametrize("copier", COPIERS, ids=COPIER_IDS)
def test_copy_has_the_same_values_and_grads(copier: Callable[..., Any]) -> None:
    g = lecture()
    before = snapshot(g)
    L2 = copier(g["L"])
    assert isinstance(L2, Node)
    assert L2 is not g["L"]
    assert (L2.value, L2.grad, L2.name, L2.op) == before["L"]
    # L = neg(add(mul(1, log a), mul(0, log(1 - a)))), a = sigmoid(z)
    a2 = descend(L2, 0, 0, 1, 0)
    assert (a2.value, a2.grad, a2.name, a2.op) == before["a"]
    z2 = a2.parents[0]
    assert (z2.value, z2.grad, z2.name, z2.op) == before["z"]
    w1_copy = descend(z2, 0, 0, 0)
    assert (w1_copy.value, w1_copy.grad, w1_copy.name, w1_copy.op) == before["w1"]


@pytest.mark.parametrize("copier", COPIERS, ids=COPIER_IDS)
def test_copying_leaves_the_original_alone(copier: Callable[..., Any]) -> None:
    g = lecture()
    before = snapshot(g)
    copier(g["L"])
    assert snapshot(g) == before


@pytest.mark.parametrize("copier", COPIERS, ids=COPIER_IDS)
def test_copy_is_independent(copier: Callable[..., Any]) -> None:
    g = lecture()
    before = snapshot(g)
    L2, w1_copy = copier([g["L"], g["w1"]])
    before = snapshot(g)  # (copying is tested not to change it in the test above)
    assert w1_copy is not g["w1"]
    L2.zero_grad()
    w1_copy.value = 5.0
    w1_copy.grad = 123.0
    assert snapshot(g) == before
    # the copy can be rebuilt and backpropagated on its own
    z2 = w1_copy * 2.0 + 1.0
    z2.backward()
    assert w1_copy.grad == 2.0
    assert snapshot(g) == before


@pytest.mark.parametrize("copier", COPIERS, ids=COPIER_IDS)
def test_copy_backward_gives_the_same_grads(copier: Callable[..., Any]) -> None:
    g = lecture()
    dw1, db = g["w1"].grad, g["b"].grad
    L2, w1_copy, b_copy = copier([g["L"], g["w1"], g["b"]])
    w1_copy.grad = b_copy.grad = 0.0
    L2.backward()
    assert w1_copy.grad == dw1
    assert b_copy.grad == db


@pytest.mark.parametrize("copier", COPIERS, ids=COPIER_IDS)
@pytest.mark.parametrize("order", [("L", "z", "w1"), ("z", "L", "w1"), ("w1", "z", "L")])
def test_nodes_copied_together_stay_connected(
    copier: Callable[..., Any], order: tuple[str, ...]
) -> None:
    g = lecture()
    copies = dict(zip(order, copier([g[key] for key in order]), strict=True))
    L2, z2, w1_copy = copies["L"], copies["z"], copies["w1"]
    assert descend(L2, 0, 0, 1, 0, 0) is z2
    # z = add(add(mul(w1, x1), mul(w2, x2)), b)
    assert descend(z2, 0, 0, 0) is w1_copy
    assert z2 is not g["z"]
    w1_copy.value = 1.0  # the copies share one graph, so the copied L is now stale
    with pytest.raises(RuntimeError, match="leaf 'w1'"):
        L2.backward()
    g["L"].backward()  # the original is not


def test_deepcopy_of_a_dict_of_nodes() -> None:
    g = lecture()
    g2 = copy.deepcopy(g)
    assert descend(g2["L"], 0, 0, 1, 0) is g2["a"]
    assert descend(g2["a"], 0, 0, 0, 1) is g2["x1"]
    assert not g2["x1"].requires_grad
    assert descend(g2["L"], 0, 0, 0).is_constant


def test_pickle_the_same_graph_twice_in_a_row() -> None:
    g = lecture()
    first = pickle.dumps(g["L"])
    second = pickle.dumps(g["L"])
    for data in (first, second):
        L2 = pickle.loads(data)
        assert L2.value == g["L"].value
        assert descend(L2, 0, 0, 1, 0, 0).name == "z"


def test_pickle_a_node_after_its_descendant() -> None:
    g = lecture()
    pickle.dumps(g["L"])
    z2 = pickle.loads(pickle.dumps(g["z"]))
    assert (z2.name, z2.value, z2.grad) == ("z", g["z"].value, g["z"].grad)
    w1_copy = descend(z2, 0, 0, 0)
    assert w1_copy.name == "w1"
    z2.backward()
    assert w1_copy.grad == 2.0


def test_pickle_with_one_pickler_twice() -> None:
    """Two dumps through one Pickler share its memo: the second refers to the first."""
    import io

    g = lecture()
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer)
    pickler.dump(g["z"])
    pickler.dump(g["L"])
    buffer.seek(0)
    unpickler = pickle.Unpickler(buffer)
    z2 = unpickler.load()
    L2 = unpickler.load()
    assert descend(L2, 0, 0, 1, 0, 0) is z2


def chain(length: int) -> Node:
    node = Node(1.0, "w")
    for _ in range(length):
        node = node + 1.0
    return node


class FullDisk(io.RawIOBase):
    """A file whose disk fills up after `room` bytes."""

    def __init__(self, room: int) -> None:
        self.room = room

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.room -= len(data)
        if self.room < 0:
            raise OSError(28, "No space left on device")
        return len(data)


def assert_pickles_cleanly(node: Node) -> None:
    """No state of an earlier dump is left: `node` pickles whole and loads back equal."""
    assert getattr(copying._pickling, "pending", None) is None
    copy_of_node = pickle.loads(pickle.dumps(node))
    assert copy_of_node.value == node.value
    assert len(engine.ancestors(copy_of_node)) == len(engine.ancestors(node))


@pytest.mark.parametrize("pickler", [pickle.Pickler, pickle._Pickler], ids=["C", "Python"])
def test_a_dump_that_fails_on_a_full_disk_leaves_no_state_behind(pickler: Any) -> None:
    n = chain(100_000)
    with pytest.raises(OSError, match="No space left"):
        pickler(FullDisk(64 * 1024)).dump(n)
    assert_pickles_cleanly(n.parents[0])
    assert_pickles_cleanly(n)


def test_a_reducer_override_that_raises_part_way_leaves_no_state_behind() -> None:
    class Refusing(pickle.Pickler):
        calls = 0

        def reducer_override(self, obj: Any) -> Any:
            self.calls += 1
            if self.calls > 20_000:
                raise ValueError("refused")
            return NotImplemented

    n = chain(30_000)
    pickler = Refusing(io.BytesIO())  # kept alive: its memo still holds the graph's list
    with pytest.raises(ValueError, match="refused"):
        pickler.dump(n)
    assert_pickles_cleanly(n.parents[0])
    assert pickler.calls > 20_000


def test_a_failed_dump_inside_a_dump_of_another_graph() -> None:
    """A dump that fails while another is listing its graph puts the outer state back."""
    g, inner = lecture(), chain(3)

    class PicklesOnTheSide(pickle.Pickler):
        def reducer_override(self, obj: Any) -> Any:
            if obj is g["z"]:  # in the middle of L's list of nodes
                with pytest.raises(OSError):
                    pickle.Pickler(FullDisk(0)).dump(inner)
            return NotImplemented

    buffer = io.BytesIO()
    PicklesOnTheSide(buffer).dump([g["L"], g["z"]])
    L2, z2 = pickle.loads(buffer.getvalue())
    assert descend(L2, 0, 0, 1, 0, 0) is z2
    assert (z2.name, z2.value) == ("z", g["z"].value)
    assert getattr(copying._pickling, "pending", None) is None


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_every_protocol(protocol: int) -> None:
    g = lecture()
    L2 = pickle.loads(pickle.dumps(g["L"], protocol=protocol))
    assert L2.value == g["L"].value
    L2.backward()
    assert descend(L2, 0, 0, 1, 0, 0).grad == -0.45016600268752205


def test_pickled_data_leaves_and_constants_keep_their_kind() -> None:
    g = lecture()
    L2 = pickle_round_trip(g["L"])
    assert isinstance(L2, Node)
    one = descend(L2, 0, 0, 0)
    x1 = descend(L2, 0, 0, 1, 0, 0, 0, 0, 1)
    assert one.is_constant and one.value == 1.0
    assert x1.name == "x1" and not x1.requires_grad and not x1.is_constant
    with pytest.raises(AttributeError):
        one.value = 2.0


def test_shallow_copy_shares_parents() -> None:
    w = Node(2.0, "w")
    L = (w * w).named("L")
    L2 = copy.copy(L)
    assert L2 is not L
    assert L2.parents == L.parents
    assert (L2.value, L2.name, L2.op) == (4.0, "L", "mul")
    L2.backward()
    assert w.grad == 4.0


def test_shallow_copy_of_a_stale_graph_is_stale_too() -> None:
    """copy.copy must not hide that a leaf changed after the graph was built on it:
    either the copy is refused or its backward is."""
    w = Node(2.0, "w")
    L = w * w
    w.value = 3.0
    with pytest.raises(RuntimeError, match="leaf 'w'"):
        L.backward()
    with pytest.raises(RuntimeError, match="leaf 'w'"):
        L2 = copy.copy(L)
        assert L2.value == 4.0  # computed from w = 2.0
        L2.backward()


# --- threads ------------------------------------------------------------------------------


def train(seed: int) -> list[float]:
    """Build and backprop many small graphs (sharing constants with other threads)."""
    results: list[float] = []
    for step in range(300):
        x1 = Node(((seed * 7 + step) % 13) / 6.5 - 1.0, "x1", requires_grad=False)
        x2 = Node(((seed * 3 + step) % 11) / 5.5 - 1.0, "x2", requires_grad=False)
        w1, w2, b = Node(0.3, "w1"), Node(-0.5, "w2"), Node(0.1, "b")
        z = w1 * x1 + w2 * x2 + b
        a = z.sigmoid()
        y = float((seed + step) % 2)
        L = -(y * a.log() + (1 - y) * (1 - a).log()) + 0.5 * (w1 * w1 + w2 * w2)
        L.backward()
        fused = bce_with_logits(z, y)
        fused.backward()
        results += [L.value, w1.grad, w2.grad, b.grad, z.grad, fused.value]
    return results


def test_threads_give_the_same_results_as_one_thread() -> None:
    seeds = list(range(8))
    alone = [train(seed) for seed in seeds]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(train, seeds))
    assert together == alone
    assert all(math.isfinite(v) for run in alone for v in run)


class Gate(float):
    """A value that, multiplied in backward, says it arrived and waits for leave to go on.

    Put in a data leaf's value slot after the graph is built, it holds a backward pass at a
    chosen point of its chain rule, so two passes can be interleaved exactly."""

    arrived: threading.Event
    go: threading.Event

    def __rmul__(self, other: float) -> float:
        self.arrived.set()
        assert self.go.wait(30)
        return float(other) * float(self)

    __mul__ = __rmul__  # whichever side of the chain-rule product the engine puts it


def gated_graph(w: Node) -> tuple[Node, Gate]:
    """L = w*3 + u*x, with x a Gate: backward stops at u's product, before w's."""
    x = Node(2.0, "x", requires_grad=False)
    L = w * 3.0 + Node(1.0, "u") * x
    gate = Gate(2.0)
    gate.arrived, gate.go = threading.Event(), threading.Event()
    x._v = gate
    return L, gate


def test_two_threads_backpropagating_graphs_that_share_a_parameter() -> None:
    """A's pass marks w, B's pass marks it again, A adds into B's mark: A's gradient of w
    is nan. The message says what happened (it used to say w overflowed, and print a
    finite number read after the other thread had changed it)."""
    w = Node(0.5, "w")
    (LA, gate_a), (LB, gate_b) = gated_graph(w), gated_graph(w)
    errors: list[BaseException] = []

    def pass_a() -> None:
        try:
            LA.backward()
        except RuntimeError as error:
            errors.append(error)
        finally:
            gate_b.go.set()

    with ThreadPoolExecutor(max_workers=2) as pool:
        a = pool.submit(pass_a)
        assert gate_a.arrived.wait(30)  # A has marked w and waits before adding into it
        b = pool.submit(LB.backward)
        assert gate_b.arrived.wait(30)  # B has marked w again and waits too
        gate_a.go.set()
        a.result(30)
        b.result(30)
    assert len(errors) == 1, errors
    message = str(errors[0])
    assert "gradient of 'w' became nan while another backward() ran at the same time" in message
    assert "threading.Lock" in message
    assert "overflow" not in message
    assert not engine._running  # every pass took its mark out, however it ended


def test_an_overflow_while_another_thread_runs_backward_is_an_overflow() -> None:
    """inf is an overflow whoever else is running: only a nan can be another pass's mark."""
    other = Node(0.5, "v")
    L_other, gate = gated_graph(other)
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(L_other.backward)
        try:
            assert gate.arrived.wait(30)
            x = Node(1e-310, "x")
            with pytest.raises(OverflowError, match=r"gradient of 'x' is inf.*through log"):
                x.log().backward()
        finally:
            gate.go.set()
        running.result(30)


def test_pickling_on_threads() -> None:
    def round_trip(seed: int) -> list[float]:
        grads = []
        for _ in range(50):
            g = lecture()
            L2, z2 = pickle.loads(pickle.dumps([g["L"], g["z"]]))
            assert descend(L2, 0, 0, 1, 0, 0) is z2
            L2.backward()
            grads.append(z2.grad)
        return grads

    alone = [round_trip(seed) for seed in range(8)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(round_trip, range(8)))
    assert together == alone
    assert all(grad == -0.45016600268752205 for run in alone for grad in run)


def churn_constants(seed: int) -> list[float]:
    """Graphs whose constants differ per thread and per step, so the cache keeps refilling."""
    results: list[float] = []
    w = Node(0.25, "w")
    for step in range(3000):
        c = seed * 10_000 + step + 0.5
        L = (w * c - c / 2).tanh()
        L.backward()
        results += [L.value, w.grad]
    return results


def test_threads_churning_the_constant_cache() -> None:
    seeds = list(range(4))
    alone = [churn_constants(seed) for seed in seeds]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(churn_constants, seeds))
    assert together == alone


# --- random graphs, copied several nodes at a time ---------------------------------------


def assert_isomorphic(originals: list[Node], copies: list[Node]) -> None:
    """The copies form the same graph as the originals, node for node, sharing nothing."""
    mapping: dict[int, Node] = {}
    stack = list(zip(originals, copies, strict=True))
    while stack:
        old, new = stack.pop()
        if id(old) in mapping:
            assert mapping[id(old)] is new
            continue
        assert new is not old
        mapping[id(old)] = new
        assert (new.value, new.grad, new.name, new.op) == (old.value, old.grad, old.name, old.op)
        assert new.is_constant == old.is_constant
        assert new.requires_grad == old.requires_grad
        assert len(new.parents) == len(old.parents)
        stack.extend(zip(old.parents, new.parents, strict=True))
    assert len({id(n) for n in mapping.values()}) == len(mapping)


@pytest.mark.parametrize("copier", COPIERS, ids=COPIER_IDS)
@given(data=st.data())
def test_random_graphs_copied_together(copier: Callable[..., Any], data: st.DataObject) -> None:
    nodes = [Node(0.5, "w"), Node(-0.25, "x", requires_grad=False), Node(2.0)]
    for _ in range(data.draw(st.integers(1, 15), label="size")):
        a = data.draw(st.sampled_from(nodes), label="a")
        b = data.draw(st.sampled_from(nodes), label="b")
        kind = data.draw(st.sampled_from(["add", "mul", "tanh", "number"]), label="kind")
        if kind == "add":
            nodes.append(a + b)
        elif kind == "mul":
            nodes.append(a * b)
        elif kind == "tanh":
            nodes.append(a.tanh())
        else:
            nodes.append(a * data.draw(st.sampled_from([1.0, 2.0, -0.5]), label="number"))
    data.draw(st.sampled_from(nodes), label="backward root").backward()
    chosen = data.draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=5), label="copy")
    before = [(n.value, n.grad) for n in nodes]
    copies = copier(chosen)
    assert [(n.value, n.grad) for n in nodes] == before
    assert_isomorphic(chosen, copies)
