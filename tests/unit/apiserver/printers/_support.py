"""Shared clock for the printer tests: every age is computed against ``NOW``."""

from __future__ import annotations

import datetime

NOW = datetime.datetime(2024, 6, 1, 12, 0, 0, tzinfo=datetime.UTC)


def ago(seconds: float) -> str:
    """The RFC 3339 timestamp ``seconds`` before ``NOW``."""
    when = NOW - datetime.timedelta(seconds=seconds)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")
