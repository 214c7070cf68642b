"""Waiting on a condition with a deadline, without sleeping and hoping.

``eventually(check)`` is the one polling loop of the test suite: it calls
``check`` (a coroutine function, or a plain function for in-process state)
every ``every`` seconds until its result is accepted and fails loudly, with
the last result seen, after ``within`` seconds. Tests that are not coroutines
use :func:`tests.support.polling.eventually`, which runs this one.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

__all__ = ["eventually"]

T = TypeVar("T")


@overload
async def eventually(
    check: Callable[[], Awaitable[T]],
    *,
    within: float = ...,
    what: str = ...,
    accept: Callable[[T], object] = ...,
    every: float = ...,
) -> T: ...


@overload
async def eventually(
    check: Callable[[], T],
    *,
    within: float = ...,
    what: str = ...,
    accept: Callable[[T], object] = ...,
    every: float = ...,
) -> T: ...


async def eventually(
    check: Callable[[], Any],
    *,
    within: float = 60,
    what: str = "the condition",
    accept: Callable[[Any], object] = bool,
    every: float = 0.1,
) -> Any:
    """The first result of ``check()`` that ``accept`` takes (by default: a truthy one), polled
    every ``every`` s for up to ``within`` s; ``check`` may return an awaitable, which is
    awaited."""
    last: Any = None
    try:
        async with asyncio.timeout(within):
            while True:
                last = check()
                if inspect.isawaitable(last):
                    last = await last
                if accept(last):
                    return last
                await asyncio.sleep(every)
    except TimeoutError:
        raise AssertionError(f"{what} did not happen in {within} s; last seen: {last!r}") from None
