"""`compile`: trace a graph once, then run its forward and backward pass as plain code.

``f = microgrand.compile(L, inputs=[x1, x2, y, w1, w2, b])`` writes one Python function
for the graph (`microgrand.codegen`: one statement per node, the graph's names, each
derivative from its op's formula) and returns it as a callable with ``.source``. Calling
``f(2.0, -1.0, 1.0, 0.3, 0.5, 0.1)`` gives a `Result`: the root's value and the gradients,
by name or by traced Node (``out.grads["w1"]``, ``out.grads[w1]``), without building a
graph. Leaves that are not inputs keep their traced value.

- **Floats** run the generated function itself (no wrapper in between): the same float
  operations as the engine in the same order, so the results are equal bit for bit. It
  checks finiteness only where a value could turn inf or nan without an exception, and
  when anything is wrong it re-runs the example through the engine (`Compiled.fail`),
  which raises the engine's own error naming the node.
- **Arrays**: any input may be a 1-d float64 numpy array of m examples (scalars are
  broadcast). The same statements run with numpy's functions (`microgrand.array_ops`)
  under ``np.errstate(... "raise")``, which costs nothing until something overflows; then
  the examples are re-run one by one to name the node and the first bad example.
  ``reduce="sum"`` (default) or ``"mean"`` (the lecture's J = (1/m) Σ L) turns the root's
  values and the gradients of scalar inputs into one number; array inputs and named
  nodes keep per-example gradients (dz_i = dL_i/dz_i, the lecture's dZ = A - Y).

Where compiled code and the engine differ, on purpose:

- Compiled code computes only the gradients it returns and those they need. The engine
  also computes (and checks) gradients of nodes made from data and constants alone, so in
  a rare overflow there the engine raises where compiled code, which never computes that
  number, does not.
- On arrays, values and gradients agree with the engine's per-example results within a few
  ulp, not bit for bit: numpy's exp, log, log1p and tanh differ from glibc's in the last
  bit now and then (where a formula then subtracts nearly equal numbers, as 1 - tanh² near
  saturation does, the difference is a few ulp of the terms). An op without a numpy form
  (one a user defined) runs its float function element by element: exact, at Python speed.

numpy is imported when the first array is passed, never by ``import microgrand``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from operator import itemgetter
from typing import TYPE_CHECKING, Any, ClassVar

from microgrand.checks import clean_name, container_error, describe, quote_name, short, to_float
from microgrand.engine import CONSTANT, DATA, PARAMETER, op_row
from microgrand.node import Node

if TYPE_CHECKING:
    from microgrand.codegen import Plan

REDUCTIONS = ("sum", "mean")
_new = object.__new__


class Result(tuple):  # type: ignore[type-arg]  # items of several types: value, grads, values
    """What a compiled graph returns: ``value``, ``grads`` and ``values``.

    A tuple (the root's value, the named nodes' values, the gradients) so that compiled
    code makes it in one step; ``grads`` and ``values`` look entries up by code name,
    node name or traced Node.
    """

    __slots__ = ()
    _grad_keys: ClassVar[dict[object, int | None]] = {}
    _value_keys: ClassVar[dict[object, int | None]] = {}

    value = property(itemgetter(0), doc="The root's value (J, the sum or mean, for arrays).")

    @property
    def grads(self) -> Gradients:
        """d root / d node for every input and named node."""
        # A training loop reads this on every step: object.__new__ and two slot stores
        # cost a third less than calling the class (no __init__ frame).
        view = _new(Gradients)
        view._result, view._keys = self, self._grad_keys
        return view

    @property
    def values(self) -> Values:
        """The value of the root and of every named node (per example for arrays)."""
        view = _new(Values)
        view._result, view._keys = self, self._value_keys
        return view

    def __reduce__(self) -> Any:
        # Each compiled graph makes its own class, which pickle cannot find by name.
        raise TypeError(
            "a compiled graph's result cannot be pickled; pickle plain copies instead: "
            "out.value, dict(out.grads), dict(out.values)"
        )

    def __copy__(self) -> Result:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Result:
        return type(self)(copy.deepcopy(tuple(self), memo))


_KNOWN_SHOWN = 20  # names a missing-key error lists; a graph may name thousands


class Lookup(Mapping[object, Any]):
    """A read-only view of part of a `Result`, keyed by names and by traced Nodes.

    Lookups are a dict lookup and a tuple index (a training loop reads a few per step); a
    key that is missing, or a name several nodes share, takes the slow path that explains.
    """

    __slots__ = ("_keys", "_result")
    _what = "entry"
    _result: Result
    _keys: dict[object, int | None]

    def __getitem__(self, key: object) -> Any:
        try:
            # The ignore below: None (a shared name) raises TypeError, caught below
            return self._result[self._keys[key]]  # type: ignore[index]
        except (KeyError, TypeError):  # missing, unhashable, or None: a shared name
            raise self._missing(key) from None

    def _missing(self, key: object) -> KeyError:
        # Node names are user text: each is cleaned and cut, and so is the list.
        names = [clean_name(str(k)) for k in self]
        known = ", ".join(names[:_KNOWN_SHOWN])
        if len(names) > _KNOWN_SHOWN:
            known += f" and {len(names) - _KNOWN_SHOWN} more"
        try:
            shared = key in self._keys
        except TypeError:
            shared = False
        if isinstance(key, Node):
            shown = describe(key)
        else:
            shown = quote_name(key) if isinstance(key, str) else short(repr(key))
        why = "its name is shared by several nodes: use the Node" if shared else f"known: {known}"
        return KeyError(f"no {self._what} for {shown} ({why})")

    def __iter__(self) -> Iterator[object]:
        return (k for k, i in self._keys.items() if isinstance(k, str) and i is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{k!r}: {self[k]!r}" for k in self) + "}"


class Gradients(Lookup):
    """`Result.grads`: d root / d node by name or Node."""

    __slots__ = ()
    _what = "gradient"


class Values(Lookup):
    """`Result.values`: the value of the root and of every named node."""

    __slots__ = ()
    _what = "value"


class Compiled:
    """A compiled graph: call it with one value per input (floats or numpy arrays).

    Attributes:
        source: the generated function as Python source (what runs on floats).
        array_sources: the numpy versions made so far, one per set of inputs given as
            arrays: the same forward statements; backward sums scalar gradients as it goes;
            in a short graph's code results go into temporaries that are not used again
            (`microgrand.inplace`); a graph of more than 5,000 statements is written in
            parts (`microgrand.parts`), without that rewrite.
        inputs: the traced input leaves, in call order.
        root: the traced root.
    """

    source: str
    inputs: tuple[Node, ...]
    root: Node
    _plan: Plan
    _order: list[Node]

    def __reduce__(self) -> Any:
        # Each compiled graph makes its own class, which pickle cannot find by name.
        raise TypeError(
            "a compiled graph cannot be pickled: pickle its graph (the root Node) and "
            "compile it again after loading"
        )

    def __copy__(self) -> Compiled:
        return self  # generated code and its plan: nothing a copy could change

    def __deepcopy__(self, memo: dict[int, Any]) -> Compiled:
        return self

    _result: type[Result]
    _arrays: dict[tuple[bool, ...], Any]

    @property
    def array_sources(self) -> dict[tuple[str, ...], str]:
        """Source of each numpy version made so far, keyed by the inputs given as arrays."""
        params = self._plan.params
        return {
            tuple(n for n, is_array in zip(params, key, strict=True) if is_array): source
            for key, (_, source, *_) in self._arrays.items()
        }

    if TYPE_CHECKING:  # each compiled graph's class sets __call__ to its generated function

        def __call__(self, *args: Any, reduce: str = "sum") -> Result: ...

    def __repr__(self) -> str:
        p = self._plan
        wrt = [p.names[n] for n in p.grads if n is not self.root and n._op is not DATA]
        return (
            f"<compiled {p.names[self.root]}({', '.join(p.params)}): its value and the "
            f"gradients of {', '.join(wrt) or 'nothing'}>"
        )

    # --- anything but floats: ints, numpy scalars, arrays, wrong types -------------------
    def general(self, *args: object, reduce: str = "sum") -> Result:
        """Check and convert the arguments, then run the float or the array version."""
        names = self._plan.params
        if not isinstance(reduce, str):  # f(x1, ..., b, 0.3): one value too many?
            raise TypeError(
                f"compiled {self._plan.names[self.root]} takes {len(names)} inputs "
                f"({', '.join(names)}) and then reduce='sum' or 'mean'; reduce (or an input "
                f"too many) is {short(repr(reduce))}"
            )
        if reduce not in REDUCTIONS:
            raise ValueError(f"reduce must be 'sum' or 'mean', got {short(repr(reduce))}")
        for arg in args:
            if type(arg).__module__ == "numpy":  # numpy is imported already, then
                from microgrand import vectorize

                return vectorize.run(self, args, reduce)
        for arg, name in zip(args, names, strict=True):
            error = container_error(f"compiled {self._plan.names[self.root]}: input {name}", arg)
            if error is not None:
                raise error
        floats = [
            to_float(a, f"compiled {self._plan.names[self.root]}: input {n}")
            for a, n in zip(args, names, strict=True)
        ]
        for name in self._plan.labels:
            label = floats[names.index(name)]
            if not 0.0 <= label <= 1.0:
                raise ValueError(
                    f"bce_with_logits: the label {name} must be in [0, 1], got {label!r}"
                )
        return self(*floats)

    def fail(self, *args: float) -> Result:
        """Re-run one example through the engine, which raises its error naming the node."""
        for arg, name in zip(args, self._plan.params, strict=True):  # nan, inf: name the input
            to_float(arg, f"compiled {self._plan.names[self.root]}: input {name}")
        replay(self, args).backward()
        raise RuntimeError(
            "compile: the compiled code met a value that is not finite where the engine "
            f"does not, at {args!r}; please report this with the graph"
        )


def replay(compiled: Compiled, args: Iterable[float]) -> Node:
    """Build the traced graph again from Nodes, at these input values; returns its root."""
    from microgrand.node import _binary, _unary

    made: dict[Node, Node] = {}
    for leaf, value in zip(compiled.inputs, args, strict=True):
        made[leaf] = Node(value, leaf.name, requires_grad=leaf._op is PARAMETER)
    for node in compiled._order:
        if node in made:
            continue
        if node._op is CONSTANT:
            made[node] = node
        elif node._p0 is None:
            value = compiled._plan.frozen[compiled._plan.names[node]]
            made[node] = Node(value, node.name, requires_grad=node._op is PARAMETER)
        else:
            parents = [made[p] for p in node.parents]
            op = op_row(node)
            method = _unary(op) if len(parents) == 1 else _binary(op)
            made[node] = method(*parents)
            made[node]._name = node._name
    return made[compiled.root]


def compile(root: Node, inputs: Iterable[Node]) -> Compiled:
    """Trace root's graph once and generate the code of its forward and backward pass.

    Args:
        root: the node to differentiate (the lecture's L).
        inputs: the leaves the compiled function takes, in call order; parameters get
            gradients, data leaves (``requires_grad=False``) do not. Other leaves of the
            graph are frozen at their current values.

    Returns:
        A `Compiled` callable: ``f(*values, reduce="sum")`` returns a `Result`.

    Raises:
        TypeError: root or an input is not a Node.
        ValueError: an input is computed (not a leaf), is a constant, or repeats. An input
            that root does not depend on is allowed: its gradient is 0.0.
        RuntimeError: the graph is stale (a leaf was set after a node was made from it).
    """
    from microgrand import codegen, generated, parts
    from microgrand.engine import ancestors

    leaves = _checked_arguments(root, inputs)
    order = ancestors(root)
    p = codegen.plan(root, leaves, order)
    fname = f"{p.names[root]}_and_grads"
    scalar_source = generated.source(p, fname)
    namespace = generated.namespace(p, arrays=False)
    parts.define(scalar_source, f"<compiled {fname}>", namespace)
    result = type("Result", (Result,), _keys(p))
    namespace["result"] = result  # a tuple subclass: made in C, no Python __init__
    cls = type(
        "Compiled",
        (Compiled,),
        {
            # The generated function itself, without a self: calling the object then costs
            # no copying of the arguments behind a self (about 2 % of a one-example call).
            "__call__": staticmethod(namespace[fname]),
            "__slots__": (),
            "source": scalar_source,
            "inputs": tuple(leaves),
            "root": root,
            "_plan": p,
            "_order": order,
            "_result": result,
            "_arrays": {},
        },
    )
    compiled: Compiled = cls()
    namespace["general"], namespace["fail"] = compiled.general, compiled.fail
    return compiled


def _checked_arguments(root: object, inputs: object) -> list[Node]:
    """`compile`'s inputs as a list, once root and inputs are what it needs."""
    if not isinstance(root, Node):
        raise TypeError(f"compile: root must be a Node, got {type(root).__name__}")
    if isinstance(inputs, Node | str) or not isinstance(inputs, Iterable):
        raise TypeError("compile: inputs must be a list of Nodes (the leaves to pass in)")
    if isinstance(inputs, set | frozenset):  # its order follows hashes: f(2.0, ...) would
        # give a value to whichever input came first, a different one from run to run
        raise TypeError(
            "compile: inputs must be in call order, but a set has no order: pass a list"
        )
    if root._op is CONSTANT:
        raise ValueError(
            f"compile: the root is {describe(root)}: a number with no inputs and no "
            "gradients; compile the node that uses it"
        )
    leaves = list(inputs)
    _check_inputs(leaves)
    return leaves


def _check_inputs(leaves: list[Node]) -> None:
    seen: set[Node] = set()
    for leaf in leaves:
        if not isinstance(leaf, Node):
            raise TypeError(f"compile: inputs must be Nodes, got {type(leaf).__name__}")
        if leaf in seen:
            raise ValueError(f"compile: the input {describe(leaf)} is listed twice")
        seen.add(leaf)
        if leaf._op is CONSTANT:
            raise ValueError(f"compile: the input {describe(leaf)} is a constant, not a leaf")
        if leaf._p0 is not None:
            raise ValueError(
                f"compile: the input {describe(leaf)} is computed (by {leaf.op}); inputs "
                "must be leaves: Node(value) or Node(value, requires_grad=False)"
            )


def _keys(p: Plan) -> dict[str, dict[object, int | None]]:
    """Where each value and gradient sits in a Result, by code name, node name and Node
    (None for a node name that several nodes share)."""
    values: dict[object, int | None] = {}
    grads: dict[object, int | None] = {}
    value_nodes = [p.root, *p.named]
    for index, node in enumerate(value_nodes):
        _add_key(values, p, node, index)
    for index, node in enumerate(p.grads, start=len(value_nodes)):
        _add_key(grads, p, node, index)
    return {"_grad_keys": grads, "_value_keys": values}


def _add_key(keys: dict[object, int | None], p: Plan, node: Node, index: int) -> None:
    keys[node] = index
    keys[p.names[node]] = index
    name = node.name
    if name is not None and name != p.names[node]:
        keys[name] = None if name in keys and keys[name] != index else index


__all__ = ["Compiled", "Gradients", "Lookup", "Result", "Values", "compile"]
