"""A tiny progress bar on stderr, with no dependencies.

On a terminal it redraws one line in place (at most ~20 times a second). When stderr is a
file or a pipe (CI logs, ``2> log``) carriage returns would pile up as garbage, so it
prints a plain line at every tenth of the way instead: at most 10 lines however long the
run.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

_WIDTH = 24
_REDRAW_SECONDS = 0.05


class Progress:
    """Progress of `total` steps: ``with Progress(1000, "training") as bar: bar.update(i + 1)``.

    Args:
        total: the number of steps.
        label: a word or two in front of the bar.
        stream: where to write (stderr by default, so stdout stays clean for results).
    """

    def __init__(self, total: int, label: str = "", stream: TextIO | None = None) -> None:
        self.total = max(int(total), 1)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.interactive = bool(isatty is not None and isatty())
        self._last_draw = 0.0
        self._last_tenth = 0
        self._drawn = False
        self._line_shown = ""

    def update(self, done: int, info: str = "") -> None:
        """Report that `done` of `total` steps are finished; `info` is shown after the bar."""
        done = min(max(done, 0), self.total)
        if self.interactive:
            now = time.monotonic()
            if done < self.total and now - self._last_draw < _REDRAW_SECONDS:
                return
            self._last_draw = now
            self._line_shown = self._line(done, info)
            self.stream.write("\r" + self._line_shown + "\x1b[K")
            self._drawn = True
        else:
            tenth = done * 10 // self.total
            if tenth <= self._last_tenth:
                return
            self._last_tenth = tenth
            self.stream.write(self._line(done, info) + "\n")
        self.stream.flush()

    def note(self, text: str) -> None:
        """Print a line of text (a warning) without breaking the bar: on a terminal the
        text replaces the bar's line and the bar is drawn again below it."""
        if self.interactive and self._drawn:
            self.stream.write("\r" + text + "\x1b[K\n" + self._line_shown)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line on a terminal."""
        if self.interactive and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False

    def _line(self, done: int, info: str) -> str:
        filled = done * _WIDTH // self.total
        bar = "#" * filled + "-" * (_WIDTH - filled)
        label = f"{self.label} " if self.label else ""
        tail = f"  {info}" if info else ""
        return f"{label}[{bar}] {done}/{self.total}{tail}"

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
