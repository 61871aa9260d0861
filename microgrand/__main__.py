"""`python -m microgrand`: the same as the `microgrand` command."""

from __future__ import annotations

from microgrand.cli import main

raise SystemExit(main())
