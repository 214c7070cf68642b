"""Polling a synchronous check (kubectl, the Python client) until it holds, with a deadline.

For tests that are not coroutines: :func:`tests.support.waiting.eventually` does the
polling, in an event loop of its own for the duration of the wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from tests.support import waiting

__all__ = ["eventually"]

T = TypeVar("T")


def eventually(check: Callable[[], T | None], *, within: float = 30.0, what: str = "") -> T:
    """Return ``check()``'s first true value (polled every 0.2 s); fail with ``what`` after
    ``within`` seconds."""
    found = asyncio.run(
        waiting.eventually(check, within=within, what=what or str(check), every=0.2)
    )
    assert found is not None
    return found
