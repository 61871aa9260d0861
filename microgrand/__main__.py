"""`python -m microgrand`: the same as the `microgrand` command.

Ctrl-C while the command line module loads is one line and exit status 130, as it is in
`microgrand.cli.main`. (The package `microgrand` itself is imported before this module
runs: a Ctrl-C in that part is Python's.)
"""

from __future__ import annotations

import sys


def run() -> int:
    """Import the command line and run it; the exit code."""
    try:
        from microgrand.cli import main
    except KeyboardInterrupt:
        # arguments.PROG's text: importing it could be interrupted too
        print("microgrand: interrupted", file=sys.stderr)
        return 130
    return main()


raise SystemExit(run())
