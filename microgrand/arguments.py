"""What the `microgrand` subcommands share: argparse types, one-line usage errors, stdout.

Every subcommand module (`cli` for `demo`, `train_cli`, `draw_cli`) takes its argument
types from here, so that ``--alpha 0`` or ``--epochs 1.5`` get the same one-line message
wherever they are given.
"""

from __future__ import annotations

import argparse
import errno
import math
import re
import sys
from typing import Any, NoReturn, Protocol

PROG = "microgrand"
# J is kept for every epoch (0.3 GB at this many), and a typo like --epochs 10000000000 ran
# for days with no word: iris takes about 3 minutes for 10,000,000 compiled epochs.
MAX_EPOCHS = 10_000_000


class Writable(Protocol):
    """What argparse writes its messages to (typeshed's SupportsWrite[str])."""

    def write(self, text: str, /) -> object:
        """Write `text`."""


# argparse reads only -1 and -.5 as negative numbers, and takes -1e-3 or -inf for an option
# ("--w2: expected one argument"): every float Python reads is a value here, with float()'s
# digit groups (-1_000) and whitespace after it (\s is str.isspace): -1 followed by a tab,
# \r\n or a line separator is -1, as 2 followed by one is 2; with \x1c-\x1f, which float()
# does not skip, it is "not a number", as 2 is.
_DIGITS = r"\d(?:_?\d)*"
NEGATIVE_NUMBER = re.compile(
    rf"^-(?:(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:e[-+]?{_DIGITS})?"
    r"|inf|infinity|nan)\s*\Z",
    re.I,
)


class Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (the usage text is one --help away), negative
    numbers in any notation, and help that fails loudly when it cannot be written."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = NEGATIVE_NUMBER

    def error(self, message: str) -> NoReturn:
        """Exit with status 2 and one line on stderr: the message and where help is."""
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")

    def _print_message(self, message: str, file: Writable | None = None) -> None:
        # argparse drops an OSError here: `--help > /dev/full` printed nothing and exited
        # 0. Flushed now, a full disk or closed stdout reaches `cli.main`'s one line. Only
        # stderr, where that line would go too, keeps argparse's silence.
        stream = file or sys.stderr
        try:
            stream.write(message)
            getattr(stream, "flush", lambda: None)()
        except OSError:
            if stream is not sys.stderr:
                raise


def given(text: str) -> str:
    """A number's text as an error shows it: int() and float() read it with whitespace
    around it, which could be a newline or a line separator (the one-line error would be
    two); what is left between is digits, signs, dots and letters."""
    return text.strip()


def finite_float(text: str) -> float:
    """An argparse type: a finite real number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{given(text)} is not a finite number")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0 (a learning rate: 0 would never move)."""
    value = finite_float(text)
    if value <= 0.0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {given(text)}")
    return value


def non_negative_float(text: str) -> float:
    """An argparse type: a finite number >= 0 (a tolerance, an L2 weight)."""
    value = finite_float(text)
    if value < 0.0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {given(text)}")
    return value


def label(text: str) -> float:
    """An argparse type: the label y, 0 or 1."""
    value = finite_float(text)
    if value not in (0.0, 1.0):
        raise argparse.ArgumentTypeError(f"the label must be 0 or 1, got {given(text)}")
    return value


def epochs(text: str) -> int:
    """An argparse type: a whole number of epochs, at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {given(text)}")
    if value > MAX_EPOCHS:
        raise argparse.ArgumentTypeError(f"at most {MAX_EPOCHS:,}, got {given(text)}")
    return value


class ClosedStream:
    """Stands in for a standard stream the shell closed (``>&-``), where Python has None.

    Writing to it raises the OSError a closed file descriptor gives, so a command that
    needs stdout fails with one line, and one that does not (``draw -o FILE``) runs.
    """

    def write(self, text: str) -> int:
        """Refuse: there is nowhere to write."""
        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        """Nothing was written, so nothing to flush."""

    def isatty(self) -> bool:
        """A closed stream is no terminal."""
        return False


def counted(count: int, word: str) -> str:
    """``count`` and ``word``, plural unless count is 1: "1 iteration", "50 iterations"."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
