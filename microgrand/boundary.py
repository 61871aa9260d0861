"""The decision boundary of a trained network, drawn over its data (matplotlib).

The course ends the shallow-network week with this picture: the plane coloured by the
network's prediction, the flower's points on top, the petals separated by a curved
boundary that no logistic regression can draw. matplotlib is an optional dependency
(``pip install 'microgrand[plot]'``): without it `plot_boundary` raises
`PlotUnavailableError` saying how to get it, and nothing else in microgrand needs it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from microgrand.labels import clean_path
from microgrand.nn import MLP

INSTALL_HINT = "pip install 'microgrand[plot]' (or: pip install matplotlib)"
GRID = 300  # points per side of the predicted grid: 90,000 examples, one compiled call
MARGIN = 1.0
COLORS = ("#d7191c", "#2b83ba")  # the examples of class 0 and 1
BANDS = ("#fdae91", "#abd9e9")  # where the network predicts 0 and 1 (lighter)


class PlotUnavailableError(RuntimeError):
    """matplotlib is not installed; the message says how to install it."""


def _figure_class() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise PlotUnavailableError(
            f"plotting the decision boundary needs matplotlib, which is not installed: "
            f"{INSTALL_HINT}"
        ) from None
    return Figure


def check_path(path: str | os.PathLike[str]) -> None:
    """Raise before any work if a plot could not be saved at `path`.

    Raises:
        PlotUnavailableError: matplotlib is not installed.
        ValueError: no file name, a folder, a folder that does not exist, or a suffix
            matplotlib cannot write; the message is the reason.
    """
    figure = _figure_class()()
    target = Path(path)
    if not os.fspath(path).strip():
        raise ValueError("no file name")
    if target.is_dir():
        raise ValueError("it is a folder")
    if not target.parent.is_dir():
        raise ValueError(f"the folder {clean_path(target.parent)} does not exist")
    suffix = target.suffix[1:].lower()
    supported = figure.canvas.get_supported_filetypes()
    if suffix and suffix not in supported:
        formats = ", ".join(f".{name}" for name in sorted(supported))
        raise ValueError(f"matplotlib cannot write .{suffix} files; it writes {formats}")


def plot_boundary(
    net: MLP | Sequence[MLP],
    X: Any,
    Y: Any,
    *,
    title: str | None = None,
    path: str | os.PathLike[str] | None = None,
    grid: int = GRID,
) -> Any:
    """Colour the plane by the network's prediction (ŷ > 0.5 or not) and plot the examples.

    Args:
        net: a trained network with two features, or several (one panel each, as the
            course's figure of hidden-layer sizes).
        X: the course's 2 × m features; Y: the m labels.
        title: the figure's title (default: the network and its training accuracy).
        path: if given, save the figure there (.png, .svg, .pdf).
        grid: points per side of the grid the boundary is computed on.

    Returns:
        The matplotlib Figure (Jupyter shows it; no pyplot state is touched).

    Raises:
        PlotUnavailableError: matplotlib is not installed.
    """
    from microgrand.network import as_examples

    Figure = _figure_class()
    nets = [net] if isinstance(net, MLP) else list(net)
    if not nets:
        raise ValueError("plot_boundary: no network to draw")
    for one in nets:
        if one.n_in != 2:
            raise ValueError(f"plot_boundary draws networks of 2 features, this one has {one.n_in}")
    (x1, x2), labels = as_examples(X, Y, 2)
    columns = min(len(nets), 3)
    rows = -(-len(nets) // columns)
    figure = Figure(
        figsize=(6.0 if columns == 1 else 4.2 * columns, 4.5 if rows == 1 else 3.6 * rows),
        layout="constrained",
    )
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax, one in zip(axes, nets, strict=False):
        _panel(ax, one, x1, x2, labels, grid, title if len(nets) == 1 else None)
    for ax in axes[len(nets) :]:
        ax.set_visible(False)
    if title is not None and len(nets) > 1:
        figure.suptitle(title)
    if path is not None:
        _save(figure, path)
    return figure


def _save(figure: Any, path: str | os.PathLike[str]) -> None:
    """Save through Python's own file writing: matplotlib's PNG writer ignores a full disk
    (`-o /dev/full` "succeeded"), Python's write raises OSError for it."""
    import io

    suffix = os.path.splitext(os.fspath(path))[1][1:].lower()
    buffer = io.BytesIO()
    figure.savefig(buffer, format=suffix or None, dpi=120)
    with open(path, "wb") as file:
        file.write(buffer.getvalue())


def _panel(ax: Any, net: MLP, x1: Any, x2: Any, labels: Any, grid: int, title: str | None) -> None:
    """One network's boundary and the examples on one matplotlib Axes."""
    import numpy as np

    from microgrand.network import predict

    u = np.linspace(x1.min() - MARGIN, x1.max() + MARGIN, grid)
    v = np.linspace(x2.min() - MARGIN, x2.max() + MARGIN, grid)
    uu, vv = np.meshgrid(u, v)
    above = predict(net, np.vstack([uu.ravel(), vv.ravel()])).reshape(uu.shape) > 0.5
    right = int(((predict(net, np.vstack([x1, x2])) > 0.5) == (labels == 1.0)).sum())
    ax.contourf(uu, vv, above.astype(float), levels=[-0.5, 0.5, 1.5], colors=BANDS)
    for label, color in ((0.0, COLORS[0]), (1.0, COLORS[1])):
        chosen = labels == label
        ax.scatter(
            x1[chosen],
            x2[chosen],
            color=color,
            s=14,
            edgecolors="black",
            linewidths=0.3,
            label=f"y = {label:g}",
        )
    ax.legend(loc="upper right", fontsize="small")
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    m = len(labels)
    shape = "-".join(str(n) for n in [net.n_in, *net.sizes])
    ax.set_title(title or f"{shape}: {100 * right / m:.4g}% ({right}/{m}) right")
