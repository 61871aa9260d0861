"""What the command-line and benchmark tests share: running ``microgrand`` or a script in a
fresh process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This checkout's package, and UTF-8 output whatever the locale (σ, ₁, − in the output).
ENV = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(ROOT)}


def run_microgrand(
    args: Sequence[str],
    cwd: Path | None = None,
    *,
    timeout: float = 120,
    columns: int | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m microgrand ARGS``; `columns` fixes the width argparse wraps --help to."""
    env = ENV if columns is None else {**ENV, "COLUMNS": str(columns)}
    return subprocess.run(
        [sys.executable, "-m", "microgrand", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def shell(line: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `line` with sh, ``microgrand`` standing for this Python's ``-m microgrand``."""
    command = line.replace("microgrand ", f"{sys.executable} -m microgrand ", 1)
    return subprocess.run(
        ["sh", "-c", command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
        check=False,
    )


def run_python(args: Sequence[str], timeout: float = 600) -> str:
    """Run ``python ARGS`` in the checkout (a benchmark); its stdout and stderr, which must
    end with exit code 0."""
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output
