"""Regenerate the README's pictures of the lecture graphs from the current code.

Run ``python docs/make_images.py`` (after ``make demo`` or ``make test`` made .venv); it
writes docs/images/*.png with the same layout program a user gets (dot if installed).
"""

from __future__ import annotations

from pathlib import Path

from microgrand import MLP, draw, lecture_graph, three_abc_graph
from microgrand.boundary import plot_boundary
from microgrand.datasets import flower
from microgrand.network import train_network

IMAGES = Path(__file__).resolve().parent / "images"


def main() -> None:
    """Draw both lecture graphs in both views, the 2-4-1 network and its boundary, as PNG."""
    logreg = lecture_graph()
    logreg.L.backward()
    abc = three_abc_graph()
    abc.J.backward()
    drawings = {
        "lecture-logreg-values.png": draw(logreg.L),
        "lecture-logreg-formulas.png": draw(logreg.L, values=False, grads=False),
        "ops-logreg.png": draw(logreg.L, view="ops"),
        "lecture-J.png": draw(abc.J),
        "ops-J.png": draw(abc.J, view="ops"),
    }
    net = MLP(2, [4, 1])
    drawings["network-layers.png"] = draw(net)
    for name, drawing in drawings.items():
        print(drawing.save(IMAGES / name))
    data = flower()
    train_network(net, [data.x1, data.x2], data.y)
    boundary = IMAGES / "network-boundary.png"
    plot_boundary(net, [data.x1, data.x2], data.y, path=boundary)
    print(boundary)


if __name__ == "__main__":
    main()
