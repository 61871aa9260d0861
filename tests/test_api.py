"""The package's top-level names are the functions users call, however they import them."""

from __future__ import annotations

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
