"""The package's top-level names are the functions users call, however they import them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import microgrand

ROOT = Path(__file__).resolve().parent.parent


def test_every_exported_name_is_a_callable() -> None:
    for name in microgrand.__all__:
        assert callable(getattr(microgrand, name)), name


def test_names_stay_functions_after_importing_the_submodules() -> None:
    """A submodule named like a function would replace it on the package once imported."""
    code = (
        "import importlib, pkgutil, microgrand, types\n"
        "for info in pkgutil.iter_modules(microgrand.__path__):\n"
        "    if info.name == '__main__': continue\n"
        "    importlib.import_module('microgrand.' + info.name)\n"
        "from microgrand import *\n"
        "for name in microgrand.__all__:\n"
        "    value = getattr(microgrand, name)\n"
        "    assert not isinstance(value, types.ModuleType), name\n"
        "    assert callable(value), name\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_compare_near_saturation_keeps_its_finite_differences() -> None:
    """At z = 14, 1 - a is below the finite-difference step: the step must shrink."""
    table = microgrand.compare(1.0, 0.0, 14.0, 0.0, 0.0, 1.0)
    assert table.max_numeric_diff < 1e-6


def run_fresh(code: str) -> str:
    """Run `code` in a new interpreter (nothing imported yet) and return what it printed."""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_every_name_the_readme_uses_works_after_import_microgrand() -> None:
    """README names microgrand.lecture, microgrand.logreg, microgrand.compare, ...: each must
    work after a bare `import microgrand`, submodules included."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = sorted(set(re.findall(r"\bmicrogrand\.([A-Za-z_]\w*)", readme)))
    assert {"lecture", "logreg", "compare", "explain", "save_steps"} <= set(names)
    # One interpreter per name: compare imports microgrand.lecture, which would hide that
    # a bare `microgrand.lecture` fails.
    found = {
        name: run_fresh(f"import microgrand; print(type(microgrand.{name}).__name__)").strip()
        for name in names
    }
    assert found["lecture"] == found["logreg"] == "module"
    assert found["compare"] == found["explain"] == "function"


def test_dir_lists_the_public_api_for_tab_completion() -> None:
    listed = set(run_fresh("import microgrand; print(*dir(microgrand))").split())
    assert set(microgrand.__all__) <= listed
    assert {"compare", "explain", "draw", "save_steps", "lecture", "logreg"} <= listed
    assert "__version__" in listed
    assert not {"importlib", "TYPE_CHECKING", "Any", "annotations"} & listed


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    assert not hasattr(microgrand, "no_such_thing")
    assert not hasattr(microgrand, "_private")
