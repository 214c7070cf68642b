"""Waiting on a condition with a deadline, without sleeping and hoping."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["until"]


async def until(condition: Callable[[], object], *, within: float = 10.0, what: str = "") -> None:
    """Return once ``condition()`` is truthy (polled every 20 ms); fail after ``within`` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        if condition():
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what or condition}")
        await asyncio.sleep(0.02)
