"""Polling a synchronous check (kubectl, the Python client) until it holds, with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["eventually"]

T = TypeVar("T")


def eventually(check: Callable[[], T | None], *, within: float = 30.0, what: str = "") -> T:
    """Return ``check()``'s first true value (polled every 0.2 s); fail with ``what`` after
    ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what or check}")
        time.sleep(0.2)
