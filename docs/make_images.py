"""Regenerate the README's pictures of the lecture graphs from the current code.

Run ``python docs/make_images.py`` (after ``make demo`` or ``make test`` made .venv); it
writes docs/images/*.png with the same layout program a user gets (dot if installed).
"""

from __future__ import annotations

from pathlib import Path

from microgrand import draw, lecture_graph, three_abc_graph

IMAGES = Path(__file__).resolve().parent / "images"


def main() -> None:
    """Draw both lecture graphs in both views and save them as PNG."""
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
    for name, drawing in drawings.items():
        print(drawing.save(IMAGES / name))


if __name__ == "__main__":
    main()
