"""The layout subprocess: DOT text in, SVG or PNG bytes out, from `dot` or `graphviz-pure`.

Images come from a layout program run as a subprocess with a timeout: the system Graphviz
``dot`` when it is on PATH, otherwise ``graphviz-pure`` (a pip-installable port of
Graphviz, looked for next to the Python interpreter and on PATH), or the one named by
``engine=``. A program that fails, crashes or runs past its timeout is reported as a
`RenderError` that names it.
"""

from __future__ import annotations

import os
from pathlib import Path

ENGINES = ("dot", "graphviz-pure")
TIMEOUT = 60.0
PNG_DPI = 150

INSTALL_HINT = (
    "install Graphviz (it provides `dot`: apt-get install graphviz, brew install graphviz, "
    "or https://graphviz.org/download/) or run `pip install 'graphviz-pure<0.3'`; "
    "saving to a .dot file needs neither"
)


class RenderError(RuntimeError):
    """The layout program failed or took longer than its timeout."""


class RendererNotFoundError(RenderError):
    """Neither `dot` nor `graphviz-pure` (or not the one asked for) could be found."""


def _scripts_dir() -> str | None:
    import sysconfig

    try:
        return sysconfig.get_path("scripts")
    except KeyError:  # pragma: no cover - unusual install schemes
        return None


def _find_graphviz_pure() -> str | None:
    import shutil

    names = ["graphviz-pure.exe", "graphviz-pure"] if os.name == "nt" else ["graphviz-pure"]
    scripts = _scripts_dir()
    if scripts:
        for name in names:
            candidate = Path(scripts) / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    return shutil.which("graphviz-pure")


def find_renderer(engine: str | None = None) -> tuple[str, str]:
    """The layout program to use: (engine name, executable path).

    Args:
        engine: "dot" or "graphviz-pure"; None picks `dot` when it is on PATH, else
            `graphviz-pure` (next to the Python interpreter, or on PATH).

    Raises:
        RendererNotFoundError: nothing suitable is installed; the message says what to do.
    """
    import shutil

    if engine is not None and engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)} or None, got {engine!r}")
    if engine in (None, "dot"):
        found = shutil.which("dot")
        if found:
            return "dot", found
        if engine == "dot":
            raise RendererNotFoundError(
                "engine='dot' was asked for but `dot` is not on PATH: install Graphviz "
                "(apt-get install graphviz, brew install graphviz), or use "
                "engine='graphviz-pure' (pip install 'graphviz-pure<0.3')"
            )
    pure = _find_graphviz_pure()
    if pure:
        return "graphviz-pure", pure
    if engine == "graphviz-pure":
        raise RendererNotFoundError(
            "engine='graphviz-pure' was asked for but it is not installed: "
            "pip install 'graphviz-pure<0.3' (or use engine='dot' with Graphviz installed)"
        )
    raise RendererNotFoundError(f"no Graphviz layout program found: {INSTALL_HINT}")


def run_layout(
    source: str, fmt_name: str, engine: str | None = None, timeout: float = TIMEOUT
) -> bytes:
    """Lay out DOT text and return the image bytes (``fmt_name`` is "svg" or "png")."""
    if fmt_name == "dot":
        return source.encode("utf-8")
    if fmt_name not in ("svg", "png"):
        raise ValueError(f"unknown image format {fmt_name!r}: use svg, png or dot")
    import subprocess

    name, exe = find_renderer(engine)
    command = [exe, f"-T{fmt_name}"]
    if fmt_name == "png":
        command.append(f"-Gdpi={PNG_DPI}")
    try:
        result = subprocess.run(
            command, input=source.encode("utf-8"), capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"{name} did not finish laying out the graph within {timeout:g} s; draw a "
            "smaller graph, or pass a larger timeout="
        ) from None
    except OSError as error:
        raise RendererNotFoundError(f"could not run {name} ({exe}): {error}") from None
    if result.returncode != 0 or not result.stdout:
        # graphviz-pure prints width warnings for non-ASCII text on stderr: they are noise
        # and only shown when the program actually failed.
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RenderError(
            f"{name} failed (exit code {result.returncode}): "
            f"{message[-1] if message else 'no output'}"
        )
    return result.stdout
