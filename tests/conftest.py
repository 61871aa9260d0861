"""Shared test settings: hypothesis profiles (`ci` is pinned and derandomized), and two
user-defined ops (`user_ops.py`) that every op-parametrized suite runs on."""

from __future__ import annotations

import os

import user_ops  # noqa: F401  (defines softplus and hypot for the whole session)
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=100,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
