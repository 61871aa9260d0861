"""`compare_network`: the shallow network's gradients four ways, side by side.

For each parameter matrix of an n_x-n_h-1 tanh network (W[1], b[1], W[2], b[2]) it puts
next to each other:

- **scalar graph**: backward() on the dynamic graph of J = (1/m) Σ L, one scalar node at
  a time (the per-example graphs, averaged);
- **compiled**: the network's one-example graph compiled and run over all m examples as
  arrays (`microgrand.network`, what training uses);
- **formulas**: the course's six hand-derived formulas in numpy (`microgrand.lecture`,
  which knows nothing of nodes);
- **finite differences**: central differences of J, one parameter at a time.

The table shows the largest difference from the formulas per matrix; `entries` lists every
parameter's four numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from microgrand import lecture, tables
from microgrand.labels import number
from microgrand.nn import MLP

MATRICES = ("W[1]", "b[1]", "W[2]", "b[2]")
FORMULAS = {
    "W[1]": "(1/m) dZ[1]Xᵀ",
    "b[1]": "(1/m) Σ dZ[1]",
    "W[2]": "(1/m) dZ[2]A[1]ᵀ",
    "b[2]": "(1/m) Σ dZ[2]",
}
METHODS = ("scalar graph", "compiled", "formulas", "finite diff")
HEADER = ("", "shape", "course formula", "Δ scalar graph", "Δ compiled", "Δ finite diff")


@dataclass(frozen=True, slots=True)
class Entry:
    """One parameter's gradient four ways (name in the course's notation, ``W[1]₁₂``)."""

    name: str
    scalar: float
    compiled: float
    formula: float
    finite_difference: float

    @property
    def max_diff(self) -> float:
        """The largest difference between any two of the four."""
        values = (self.scalar, self.compiled, self.formula, self.finite_difference)
        return max(values) - min(values)


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """One parameter matrix: its shape and the largest |method − formula| of each method."""

    matrix: str
    shape: tuple[int, int]
    formula: str
    scalar_diff: float
    compiled_diff: float
    finite_diff: float


@dataclass(frozen=True, slots=True)
class NetworkComparison:
    """What `compare_network` returns: one row per matrix, and every entry on request."""

    rows: tuple[MatrixRow, ...]
    entries: tuple[Entry, ...]
    cost: float

    @property
    def max_formula_diff(self) -> float:
        """The largest |autograd − formula| over every parameter, scalar and compiled."""
        return max(max(r.scalar_diff, r.compiled_diff) for r in self.rows)

    @property
    def max_numeric_diff(self) -> float:
        """The largest |finite difference − formula| over every parameter."""
        return max(r.finite_diff for r in self.rows)

    def table(self, *, entries: bool = False) -> list[list[str]]:
        """The rows as text cells, header first; with ``entries=True`` one row per parameter."""
        if entries:
            cells = [["", *METHODS]]
            for e in self.entries:
                values = (e.scalar, e.compiled, e.formula, e.finite_difference)
                cells.append([e.name, *(number(v) for v in values)])
            return cells
        cells = [list(HEADER)]
        for r in self.rows:
            diffs = (r.scalar_diff, r.compiled_diff, r.finite_diff)
            shape = f"{r.shape[0]} × {r.shape[1]}"
            cells.append(["d" + r.matrix, shape, r.formula, *(tables.difference(d) for d in diffs)])
        return cells

    def text(self, *, entries: bool = False) -> str:
        """The table as aligned text (numbers right-aligned)."""
        # The parameter's name alone, or the matrix, its shape and its formula.
        return tables.text(self.table(entries=entries), text_columns=1 if entries else 3)

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return tables.html(self.table())


def compare_network(net: MLP, X: Any, Y: Any, *, eps: float = 1e-6) -> NetworkComparison:
    """Compare the network's gradients at its current parameters on the examples X, Y.

    Args:
        net: an n_x-n_h-1 network with a tanh hidden layer and a sigmoid output (the
            course's); its parameters are not changed.
        X: the course's n_x × m features; Y: the m labels.
        eps: the finite-difference step.
    """
    import numpy as np

    from microgrand.network import as_examples, compile_network

    if len(net.layers) != 2 or net.activation != "tanh" or net.sizes[-1] != 1:
        raise ValueError(
            "compare_network: the course's formulas are for an n_x-n_h-1 network with a tanh "
            f"hidden layer and one sigmoid output unit; this is {net!r}"
        )
    columns, labels = as_examples(X, Y, net.n_in)
    params = net.parameters()
    values = [p.value for p in params]
    # 1. the scalar graph: J = (1/m) Σ L over per-example graphs, backward
    rows = [list(map(float, example)) for example in zip(*columns, strict=True)]
    J = net.cost(rows, labels.tolist())
    J.backward()
    scalar = {id(p): p.grad for p in params}
    # 2. the compiled, vectorized graph
    compiled = compile_network(net)
    out = compiled.function(*columns, labels, *values, reduce="mean")
    compiled_grads = {id(p): float(out.grads[p]) for p in params}
    # 3. the course's formulas, on the course's shapes
    (W1, b1), (W2, b2) = (tuple(np.array(a) for a in pair) for pair in net.matrices())
    course = lecture.two_layer_gradients(W1, b1, W2, b2, np.array(columns), labels[None, :])
    formula = {}
    for layer, (dW, db) in zip(
        net.layers, ((course["dW1"], course["db1"]), (course["dW2"], course["db2"])), strict=True
    ):
        for j, neuron in enumerate(layer.neurons):
            for k, w in enumerate(neuron.w):
                formula[id(w)] = float(dW[j, k])
            formula[id(neuron.b)] = float(db[j, 0])
    # 4. central finite differences of J, one parameter at a time
    numeric = {}
    for i, p in enumerate(params):
        h = eps * max(1.0, abs(values[i]))
        up, down = list(values), list(values)
        up[i] += h
        down[i] -= h
        J_up = compiled.function(*columns, labels, *up, reduce="mean").value
        J_down = compiled.function(*columns, labels, *down, reduce="mean").value
        numeric[id(p)] = float(J_up - J_down) / (2.0 * h)
    entries = tuple(
        Entry(p.name or "", scalar[id(p)], compiled_grads[id(p)], formula[id(p)], numeric[id(p)])
        for p in params
    )
    return NetworkComparison(_matrix_rows(net, entries), entries, J.value)


def _matrix_rows(net: MLP, entries: tuple[Entry, ...]) -> tuple[MatrixRow, ...]:
    by_name = {e.name: e for e in entries}
    rows = []
    for number_, layer in enumerate(net.layers, start=1):
        for kind, nodes in (("W", [w for row in layer.W for w in row]), ("b", layer.b)):
            matrix = f"{kind}[{number_}]"
            chosen = [by_name[node.name or ""] for node in nodes]
            shape = (len(layer.W), len(layer.W[0])) if kind == "W" else (len(layer.b), 1)
            rows.append(
                MatrixRow(
                    matrix,
                    shape,
                    FORMULAS[matrix],
                    max(abs(e.scalar - e.formula) for e in chosen),
                    max(abs(e.compiled - e.formula) for e in chosen),
                    max(abs(e.finite_difference - e.formula) for e in chosen),
                )
            )
    return tuple(rows)
