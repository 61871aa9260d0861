"""`Neuron`, `Layer` and `MLP`: the course's shallow neural network, built from Nodes.

The shape is micrograd's (``MLP(n_in, [n_1, ..., n_out])``, ``parameters()``,
``zero_grad()``, calling a model on inputs builds the graph), with what the course adds:

- a hidden activation to choose (``tanh`` as the course uses, ``relu``, ``sigmoid``) and a
  sigmoid output for binary classification (``output="linear"`` gives micrograd's);
- every node named in the course's notation: the weight from input k to unit j of layer l
  is ``W[l]ⱼₖ`` (``W[1]₁₂``), its bias ``b[l]ⱼ``, and a call names ``z[l]ⱼ`` and ``a[l]ⱼ``;
  so drawings, `explain` and error messages read like the lecture;
- the course's initialization, seeded (see `initial_weights`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from microgrand import bce_with_logits
from microgrand.checks import to_float
from microgrand.nn_setup import (
    DEFAULT_SEED,
    HIDDEN_ACTIVATIONS,
    INIT_SCALE,
    OUTPUT_ACTIVATIONS,
    Activation,
    check_activation,
    check_size,
    check_sizes,
    initial_weights,
    input_names,
    subscript,
)
from microgrand.node import Node, Number

__all__ = [
    "DEFAULT_SEED",
    "HIDDEN_ACTIVATIONS",
    "INIT_SCALE",
    "MLP",
    "OUTPUT_ACTIVATIONS",
    "Activation",
    "Input",
    "Layer",
    "Matrix",
    "Neuron",
    "initial_weights",
    "input_names",
    "subscript",
]

Input = Number | Node
Matrix = list[list[float]]


def _shape(matrix: object) -> tuple[int, ...]:
    """(rows, columns) of a list (or array) of equally long rows; () for anything else."""
    try:
        if isinstance(matrix, str | bytes):
            return ()
        rows = list(matrix)  # type: ignore[call-overload]  # not iterable: TypeError
        lengths = {-1 if isinstance(row, str | bytes) else len(row) for row in rows}
    except TypeError:  # a number where a row or a matrix should be
        return ()
    return (len(rows), *lengths)


def _grad_of(node: Node) -> float:
    return node.grad


def _value_of(node: Node) -> float:
    return node.value


def _activate(z: Node, activation: str) -> Node:
    if activation == "tanh":
        return z.tanh()
    if activation == "relu":
        return z.relu()
    if activation == "sigmoid":
        return z.sigmoid()
    return z  # linear


class Neuron:
    """One unit: ``z = w₁x₁ + w₂x₂ + ... + b``, then ``a = g(z)``.

    Args:
        n_in: how many inputs the unit takes.
        activation: ``"tanh"``, ``"relu"``, ``"sigmoid"`` or ``"linear"`` (a = z).
        layer: the course's layer number l (names ``W[l]ⱼₖ``, ``b[l]ⱼ``, ``z[l]ⱼ``).
        unit: the unit's number j in its layer, from 1.
        weights: the initial weights (n_in numbers); zeros when omitted.
        bias: the initial bias.
    """

    def __init__(
        self,
        n_in: int,
        activation: Activation = "tanh",
        *,
        layer: int = 1,
        unit: int = 1,
        weights: Sequence[float] | None = None,
        bias: float = 0.0,
    ) -> None:
        n_in = check_size(n_in, "Neuron: n_in")
        check_activation(activation, (*HIDDEN_ACTIVATIONS, "linear"), "Neuron: activation")
        if weights is None:
            weights = [0.0] * n_in
        if len(weights) != n_in:
            raise ValueError(f"Neuron: {len(weights)} weights given for {n_in} inputs")
        self.activation = activation
        self.layer = layer
        self.unit = unit
        self.w = [Node(v, f"W[{layer}]{subscript(unit, k + 1)}") for k, v in enumerate(weights)]
        self.b = Node(bias, f"b[{layer}]{subscript(unit)}")
        # Made once: every call names its z and a (a 400-example cost makes 3,600 of them).
        self._z_name = f"z[{layer}]{subscript(unit)}"
        self._a_name = f"a[{layer}]{subscript(unit)}"

    def logit(self, x: Sequence[Input]) -> Node:
        """z = w·x + b, written the course's way (w₁x₁ + w₂x₂ + ... + b), named ``z[l]ⱼ``."""
        if len(x) != len(self.w):
            raise ValueError(
                f"unit {self.unit} of layer {self.layer} takes {len(self.w)} inputs, got {len(x)}"
            )
        z = self.w[0] * x[0]
        for w, xi in zip(self.w[1:], x[1:], strict=True):
            z = z + w * xi
        return (z + self.b).named(self._z_name)

    def __call__(self, x: Sequence[Input]) -> Node:
        """a = g(z), named ``a[l]ⱼ`` (for a linear unit, z itself)."""
        z = self.logit(x)
        if self.activation == "linear":
            return z
        return _activate(z, self.activation).named(self._a_name)

    def parameters(self) -> list[Node]:
        """The weights, then the bias."""
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)} inputs, {self.activation}, layer {self.layer})"


class Layer:
    """n_out units that all read the same inputs: the course's layer l.

    Args:
        n_in: inputs per unit.
        n_out: how many units.
        activation: every unit's activation.
        layer: the layer number l.
        weights: n_out rows of n_in weights (the course's W[l]); zeros when omitted.
        biases: n_out biases (the course's b[l]); zeros when omitted.
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation: Activation = "tanh",
        *,
        layer: int = 1,
        weights: Sequence[Sequence[float]] | None = None,
        biases: Sequence[float] | None = None,
    ) -> None:
        n_out = check_size(n_out, "Layer: n_out")
        if weights is not None and len(weights) != n_out:
            raise ValueError(f"Layer: {len(weights)} rows of weights given for {n_out} units")
        if biases is not None and len(biases) != n_out:
            raise ValueError(f"Layer: {len(biases)} biases given for {n_out} units")
        self.layer = layer
        self.activation = activation
        self.neurons = [
            Neuron(
                n_in,
                activation,
                layer=layer,
                unit=j + 1,
                weights=None if weights is None else weights[j],
                bias=0.0 if biases is None else biases[j],
            )
            for j in range(n_out)
        ]

    def __call__(self, x: Sequence[Input]) -> list[Node]:
        """Every unit's output a[l]ⱼ, in order."""
        return [neuron(x) for neuron in self.neurons]

    def logits(self, x: Sequence[Input]) -> list[Node]:
        """Every unit's z[l]ⱼ, without the activation."""
        return [neuron.logit(x) for neuron in self.neurons]

    def parameters(self) -> list[Node]:
        """Unit by unit: its weights, then its bias."""
        return [p for neuron in self.neurons for p in neuron.parameters()]

    @property
    def W(self) -> list[list[Node]]:
        """The course's W[l]: one row per unit, one column per input."""
        return [neuron.w for neuron in self.neurons]

    @property
    def b(self) -> list[Node]:
        """The course's b[l], one bias per unit."""
        return [neuron.b for neuron in self.neurons]

    def __repr__(self) -> str:
        return f"Layer({len(self.neurons[0].w)} -> {len(self.neurons)}, {self.activation})"


class MLP:
    """A multilayer perceptron: ``MLP(2, [4, 1])`` is the course's 2-4-1 network.

    Calling it on one example's inputs builds the graph and returns the output node
    (``a[L]₁``; a list when the last layer has several units). The hidden layers use
    `activation`, the last one `output` (a sigmoid: the network's output is the probability
    ŷ = a[2] that y = 1). Weights start small and random (`initial_weights`, seeded by
    `seed`, layer after layer as the course draws them), biases at zero.

    Args:
        n_in: the number of features n_x.
        sizes: the units per layer, the last being the output layer.
        activation: the hidden activation: ``"tanh"`` (the course's), ``"relu"``, ``"sigmoid"``.
        output: ``"sigmoid"`` (binary classification) or ``"linear"`` (micrograd's).
        seed: seeds the initialization; the same seed gives the same network.
        scale: the initial weights' standard deviation (the course: 0.01).
    """

    def __init__(
        self,
        n_in: int,
        sizes: Sequence[int],
        *,
        activation: Activation = "tanh",
        output: Activation = "sigmoid",
        seed: int = DEFAULT_SEED,
        scale: float = INIT_SCALE,
    ) -> None:
        n_in = check_size(n_in, "MLP: n_in")
        sizes = check_sizes(sizes)
        check_activation(activation, HIDDEN_ACTIVATIONS, "MLP: activation")
        check_activation(output, OUTPUT_ACTIVATIONS, "MLP: output")
        self.activation = activation
        self.output = output
        self.seed = seed
        self._input_names = input_names(n_in)
        weights = initial_weights(n_in, sizes, seed, scale)
        self.layers = [
            Layer(
                len(W[0]),
                len(W),
                activation if number < len(sizes) else output,
                layer=number,
                weights=W,
            )
            for number, W in enumerate(weights, start=1)
        ]

    @property
    def n_in(self) -> int:
        """The number of features n_x."""
        return len(self.layers[0].neurons[0].w)

    @property
    def sizes(self) -> list[int]:
        """The units per layer."""
        return [len(layer.neurons) for layer in self.layers]

    def inputs(self, x: Sequence[Input]) -> list[Node]:
        """One example's features as nodes: numbers become data leaves named x₁, x₂, ..."""
        if len(x) != self.n_in:
            raise ValueError(f"the network takes {self.n_in} features, got {len(x)}")
        return [
            v if isinstance(v, Node) else Node(v, name, requires_grad=False)
            for v, name in zip(x, self._input_names, strict=True)
        ]

    def _hidden(self, x: Sequence[Input]) -> list[Node]:
        nodes = self.inputs(x)
        for layer in self.layers[:-1]:
            nodes = layer(nodes)
        return nodes

    def __call__(self, x: Sequence[Input]) -> Node | list[Node]:
        """Build the graph of one example; numbers become data leaves named x₁, x₂, ..."""
        out = self.layers[-1](self._hidden(x))
        return out[0] if len(out) == 1 else out

    def loss(self, x: Sequence[Input], y: Input) -> Node:
        """The course's loss L(a[L], y) on one example, named ``L``.

        Written as one `bce_with_logits` on the output unit's z (the lecture's loss of
        a = σ(z), computed without ever forming log(0)); needs a one-unit sigmoid output.
        The label y is a number in [0, 1] or a data leaf holding one.
        """
        if self.output != "sigmoid" or len(self.layers[-1].neurons) != 1:
            raise ValueError(
                "MLP.loss is the cross-entropy of one sigmoid output unit; this network has "
                f"{len(self.layers[-1].neurons)} {self.output} output units"
            )
        return bce_with_logits(self.logit(x), y).named("L")

    def logit(self, x: Sequence[Input]) -> Node:
        """The first output unit's z[L]₁, before its activation (ŷ > 0.5 exactly when z > 0)."""
        return self.layers[-1].neurons[0].logit(self._hidden(x))

    def cost(self, X: Sequence[Sequence[Number]], Y: Sequence[Number]) -> Node:
        """J = (1/m) Σ L(a[L]⁽ⁱ⁾, y⁽ⁱ⁾) over m examples, as one scalar graph named ``J``.

        X holds one row of features per example (the scalar graph reads examples one at a
        time; the course's n_x × m matrix is X's transpose).
        """
        m = len(Y)
        if m == 0 or len(X) != m:
            raise ValueError(
                "cost: X and Y must hold the same positive number of examples, "
                f"got {len(X)} and {m}"
            )
        total = self.loss(X[0], Y[0])
        for i in range(1, m):
            total = total + self.loss(X[i], Y[i])
        return (total * (1.0 / m)).named("J")

    def parameters(self) -> list[Node]:
        """Layer by layer, unit by unit: the weights, then the bias (micrograd's order)."""
        return [p for layer in self.layers for p in layer.parameters()]

    def named_parameters(self) -> Iterator[tuple[str, Node]]:
        """(name, node) pairs, e.g. ``("W[1]₁₂", node)``, in `parameters` order."""
        for p in self.parameters():
            yield p.name or "", p

    def matrices(self, *, grads: bool = False) -> list[tuple[Matrix, Matrix]]:
        """Each layer's (W[l], b[l]) as the course's matrices, lists of rows of floats.

        W[l] is n_l × n_l−1 and b[l] is n_l × 1 (``np.array`` makes them the course's
        arrays). With ``grads=True``: the parameters' gradients in the same shapes.
        """
        read = _grad_of if grads else _value_of
        return [
            ([[read(w) for w in row] for row in layer.W], [[read(b)] for b in layer.b])
            for layer in self.layers
        ]

    def set_matrices(self, matrices: Sequence[tuple[Matrix, Matrix]]) -> None:
        """Set every parameter from (W[l], b[l]) pairs shaped as `matrices` returns them.

        Graphs built before keep their old values and are refused as stale by backward.
        """
        if len(matrices) != len(self.layers):
            raise ValueError(
                f"set_matrices: {len(matrices)} layers given, the network has {len(self.layers)}"
            )
        # Every value is checked before any is set: an error leaves the network as it was.
        updates: list[tuple[Node, float]] = []
        for layer, (W, b) in zip(self.layers, matrices, strict=True):
            rows, cols = len(layer.W), len(layer.W[0])
            if (_shape(W), _shape(b)) != ((rows, cols), (rows, 1)):
                raise ValueError(
                    f"set_matrices: layer {layer.layer} needs W[{layer.layer}] {rows} × {cols} "
                    f"and b[{layer.layer}] {rows} × 1"
                )
            pairs = zip([*layer.W, [*layer.b]], [*W, [value for (value,) in b]], strict=True)
            for nodes, values in pairs:
                for node, value in zip(nodes, values, strict=True):
                    updates.append((node, to_float(value, f"set_matrices: {node.name}")))
        for node, value in updates:
            node.value = value

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0.0 (backward recomputes grads anyway)."""
        for p in self.parameters():
            p.grad = 0.0

    def __repr__(self) -> str:
        shape = "-".join(str(n) for n in [self.n_in, *self.sizes])
        return f"MLP({shape}, {self.activation} hidden, {self.output} output)"
