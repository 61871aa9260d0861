"""The README stays true: its Python examples and its shell commands run as written."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, flags=re.DOTALL)
PYTHON = [code for lang, code in BLOCKS if lang == "python"]
SHELL = [line for lang, code in BLOCKS if lang == "sh" for line in code.splitlines() if line]
MICROGRAND = [line for line in SHELL if line.startswith("microgrand ")]
MAKE = [line.split()[1] for line in SHELL if line.startswith("make ")]


def test_the_readme_has_its_two_commands() -> None:
    assert "make demo" in SHELL[0] and "make test" in SHELL[1]


def run_example(code: str) -> tuple[dict[str, Any], str]:
    """Run a README example; return its variables and what it printed."""
    namespace: dict[str, Any] = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), namespace)
    return namespace, out.getvalue()


@pytest.mark.parametrize("code", PYTHON, ids=[f"python-{i}" for i in range(len(PYTHON))])
def test_python_examples_run_and_print_what_they_say(
    code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _, printed = run_example(code)
    # The comment lines right after a print() show what it prints: hold the README to them.
    for shown in re.findall(r"^print\(.*\n((?:# .*\n?)+)", code, flags=re.MULTILINE):
        for expected in shown.splitlines():
            assert expected[2:] in printed.splitlines(), (expected, printed)


SESSIONS = [code for lang, code in BLOCKS if lang == "text" and code.startswith(">>> ")]


@pytest.mark.parametrize("session", SESSIONS, ids=[f"session-{i}" for i in range(len(SESSIONS))])
def test_interactive_sessions_show_what_python_says(session: str) -> None:
    """A ```text block of `>>>` lines: run them; the lines after the last one are what it
    prints or raises (an error as `Type: message`, wrapped over several lines)."""
    lines = session.rstrip("\n").splitlines()
    prompts = [i for i, line in enumerate(lines) if line.startswith(">>> ")]
    *before, last = (lines[i][4:] for i in prompts)
    shown = " ".join(lines[prompts[-1] + 1 :])
    namespace: dict[str, Any] = {}
    exec("from microgrand import *", namespace)
    for statement in before:
        exec(statement, namespace)
    try:
        result = repr(eval(last, namespace))
    except Exception as error:  # the session shows an error: compare its text
        result = f"{type(error).__name__}: {error}"
    assert result == shown


def test_the_first_example_explains_in_the_lecture_s_notation() -> None:
    """With y a number, explain printed (-1/a + 0/(1 - a)): y must be a named data leaf."""
    namespace, printed = run_example(PYTHON[0])
    assert "(-y/a + (1-y)/(1-a))" in printed
    assert not namespace["y"].requires_grad and namespace["y"].name == "y"


def test_the_drawing_example_draws_what_the_picture_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The picture above it has the input y = 1 and the lecture's red labels."""
    monkeypatch.chdir(tmp_path)
    (code,) = [code for code in PYTHON if "d = draw(L)" in code]
    namespace, _ = run_example(code)
    source = namespace["d"].source
    assert 'label="y = 1"' in source
    assert "da = −y/a + (1−y)/(1−a)" in source
    assert "dz = a − y" in source


def test_the_command_is_found_before_it_is_used() -> None:
    """After `make demo`, `microgrand ...` said 'command not found': the command is in
    .venv/bin, and the README must say so before its first command line."""
    first_use = README.index("```sh\nmicrogrand ")
    assert 0 <= README.find(". .venv/bin/activate") < first_use


def _command_line(line: str, tmp_path: Path) -> list[str]:
    words = shlex.split(line.split("  #")[0])
    return [sys.executable, "-m", "microgrand", *words[1:]]


@pytest.mark.parametrize("line", MICROGRAND)
def test_microgrand_commands_run(line: str, tmp_path: Path) -> None:
    result = subprocess.run(
        _command_line(line, tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    for word in shlex.split(line):
        if word.endswith((".svg", ".png", ".html")):
            assert (tmp_path / word).stat().st_size > 0


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.skipif(
    not (ROOT / ".venv" / "bin" / "microgrand").exists(), reason="no .venv made by make"
)
def test_make_demo_runs_the_main_job() -> None:
    result = subprocess.run(
        ["make", "-s", "demo"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    assert "training accuracy: 100%" in result.stdout
    (ROOT / "lecture.svg").unlink(missing_ok=True)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("target", [t for t in MAKE if t not in ("demo", "test")])
def test_other_make_targets_exist(target: str) -> None:
    """Long-running or interactive targets (JupyterLab, the full benchmark): the recipe is
    there and its program starts; `make test` and `make demo` themselves run in CI."""
    dry = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    if target == "notebooks":
        jupyter = Path(sys.executable).parent / "jupyter"
        if not jupyter.exists():
            pytest.skip("jupyter is not installed in this environment")
        version = subprocess.run([str(jupyter), "lab", "--version"], capture_output=True)
        assert version.returncode == 0


def test_the_layout_names_every_module() -> None:
    # The README's layout paragraph is where a newcomer learns what each module is for: a
    # module it does not name is one nobody can find.
    modules = sorted(p.name for p in (ROOT / "microgrand").glob("*.py") if p.stem[:2] != "__")
    assert modules, "no modules found"
    unnamed = [name for name in modules if f"`{name}`" not in README]
    assert not unnamed, f"README's layout paragraph does not name {', '.join(unnamed)}"
