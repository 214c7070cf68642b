"""Polling a synchronous check (kubectl, the Python client) until it holds, with a deadline.

For tests that are not coroutines: :func:`tests.support.waiting.eventually` does the
polling, in an event loop of its own for the duration of the wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar, overload

from tests.support import waiting

__all__ = ["eventually"]

T = TypeVar("T")


@overload
def eventually(
    check: Callable[[], T | None], *, within: float = ..., what: str = ..., every: float = ...
) -> T: ...


@overload
def eventually(
    check: Callable[[], T],
    *,
    within: float = ...,
    what: str = ...,
    accept: Callable[[T], object],
    every: float = ...,
) -> T: ...


def eventually(
    check: Callable[[], Any],
    *,
    within: float = 30.0,
    what: str = "",
    accept: Callable[[Any], object] | None = None,
    every: float = 0.2,
) -> Any:
    """Return ``check()``'s first true value, or with ``accept`` its first value that
    ``accept`` takes (a phase, a completed process), polled every ``every`` s; fail with
    ``what`` and the last value seen after ``within`` seconds."""
    found = asyncio.run(
        waiting.eventually(
            check, within=within, what=what or str(check), accept=accept or bool, every=every
        )
    )
    assert accept is not None or found is not None
    return found
