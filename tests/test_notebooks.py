"""The committed notebooks: the lesson first, checks last (tagged, collapsed), no outputs.

`make test` executes the notebooks (nbmake); this reads the files as committed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def cells(path: Path) -> list[dict[str, Any]]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = notebook["cells"]
    return found


def source(cell: dict[str, Any]) -> str:
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def is_check(cell: dict[str, Any]) -> bool:
    metadata = cell.get("metadata", {})
    hidden = metadata.get("jupyter", {}).get("source_hidden") is True
    return cell["cell_type"] == "code" and "check" in metadata.get("tags", []) and hidden


def test_the_notebooks_are_numbered_from_01() -> None:
    numbers = [path.name[:3] for path in NOTEBOOKS]
    assert numbers == [f"{n:02d}_" for n in range(1, len(NOTEBOOKS) + 1)] and len(numbers) >= 4


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_checks_come_last_tagged_and_collapsed(path: Path) -> None:
    """Every assert lives in a check cell; the check cells end the notebook, after a
    "## Checks" heading, and their code starts collapsed."""
    all_cells = cells(path)
    checks = [i for i, cell in enumerate(all_cells) if is_check(cell)]
    assert checks, "no check cells"
    first = checks[0]
    assert checks == list(range(first, len(all_cells)))
    assert source(all_cells[first - 1]).startswith("## Checks")
    for cell in all_cells[:first]:
        lines = source(cell).splitlines()
        assert not any(line.startswith("assert ") for line in lines), source(cell)
    for index in checks:
        assert "assert " in source(all_cells[index])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_committed_without_outputs(path: Path) -> None:
    for cell in cells(path):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def test_the_interactive_notebook_keeps_its_plumbing_in_microgrand_widgets() -> None:
    """Notebook 4 used to open with ~60 lines of widget code; the lesson cells are short."""
    (path,) = [path for path in NOTEBOOKS if path.name.startswith("04_")]
    lesson = [
        source(cell) for cell in cells(path) if cell["cell_type"] == "code" and not is_check(cell)
    ]
    assert "from microgrand.widgets import" in lesson[0]
    for code in lesson:
        assert "def " not in code and "ipywidgets" not in code and ".observe(" not in code
        assert len(code.splitlines()) <= 5, code
