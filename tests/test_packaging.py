"""Packaging: what microgrand installs is what it imports, and installing prints no banner."""

from __future__ import annotations

import ast
import configparser
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The layout program graphviz-pure is run, not imported (render finds its script).
PROGRAMS = {"graphviz-pure"}


def setup_cfg() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    return config


def requirement_names(text: str) -> set[str]:
    """'graphviz>=0.20' -> 'graphviz' for each line of a setup.cfg requirement list."""
    names = set()
    for line in text.strip().splitlines():
        name = line.strip()
        for separator in "<>=!~[; ":
            name = name.split(separator, 1)[0]
        if name:
            names.add(name.lower())
    return names


def third_party_imports() -> set[str]:
    """Top-level names of the modules microgrand/ imports that are not stdlib or its own."""
    found = set()
    for path in (ROOT / "microgrand").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names} - {"microgrand"}


def test_runtime_dependencies_are_what_the_package_imports() -> None:
    """pytest was a runtime dependency although nothing in microgrand/ imports it."""
    config = setup_cfg()
    install = requirement_names(config["options"]["install_requires"])
    assert "pytest" not in install
    # Imported only where an optional feature needs them, with an error that names the
    # extra: matplotlib draws the decision boundary (`plot`), ipywidgets makes the notebook
    # widgets (`notebooks`). They are not runtime dependencies.
    optional = {"matplotlib": "plot", "ipywidgets": "notebooks"}
    for module, extra in optional.items():
        assert module in requirement_names(config["options.extras_require"][extra]), module
    assert requirement_names(config["options.extras_require"]["plot"]) == {"matplotlib"}
    assert install - PROGRAMS == third_party_imports() - set(optional)


def test_test_tools_are_in_the_dev_extra() -> None:
    """`make test` installs .[dev,notebooks]: pytest and numpy (for the numpy scalar tests,
    which must not be skipped) come with it, from dev or from the runtime dependencies."""
    config = setup_cfg()
    dev = requirement_names(config["options.extras_require"]["dev"])
    install = requirement_names(config["options"]["install_requires"])
    assert {"pytest", "hypothesis", "mypy", "ruff"} <= dev
    assert "numpy" in dev | install


def test_the_license_is_an_spdx_expression_without_a_classifier() -> None:
    """A License classifier beside the SPDX field makes setuptools print a deprecation banner."""
    metadata = setup_cfg()["metadata"]
    assert metadata["license_expression"] == "MIT"
    assert "license" not in metadata
    assert "License ::" not in metadata["classifiers"]
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'requires = ["setuptools>=77"' in pyproject  # the first with license_expression


def test_building_the_wheel_prints_no_warning(tmp_path: Path) -> None:
    """What `pip install .` runs: a wheel built in an isolated environment (from a copy, so
    the build leaves nothing in the working tree). No setuptools banner of any kind."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "microgrand", source / "microgrand", ignore=shutil.ignore_patterns("__pycache__")
    )
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Warning" not in output and "deprecated" not in output, output
    (wheel,) = tmp_path.glob("microgrand-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata_name,) = (name for name in names if name.endswith(".dist-info/METADATA"))
        metadata = archive.read(metadata_name).decode()
    assert "License-Expression: MIT" in metadata
    assert "Classifier: License" not in metadata
    assert "microgrand/data/iris.csv" in names
    assert "microgrand/py.typed" in names
