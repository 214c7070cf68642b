"""Checks that the processes a test started are gone: no test may leave any behind."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from kubeling.kubelet.runtime.records import process_alive

__all__ = ["assert_all_gone", "wait_all_gone"]


async def wait_all_gone(processes: Iterable[tuple[int, int]], *, seconds: float = 15.0) -> None:
    """Wait until none of ``(pid, start ticks)`` runs; AssertionError naming those left."""
    remaining = set(processes)
    deadline = time.monotonic() + seconds
    while True:
        remaining = {(pid, ticks) for pid, ticks in remaining if process_alive(pid, ticks)}
        if not remaining:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"processes left running: {sorted(pid for pid, _ in remaining)}")
        await asyncio.sleep(0.05)


def assert_all_gone(processes: Iterable[tuple[int, int]]) -> None:
    """Fail at once if any of ``(pid, start ticks)`` still runs."""
    left = sorted(pid for pid, ticks in processes if process_alive(pid, ticks))
    assert not left, f"processes left running: {left}"
