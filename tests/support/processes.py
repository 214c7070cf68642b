"""Checks that the processes a test started are gone: no test may leave any behind."""

from __future__ import annotations

from collections.abc import Iterable

from kubeling.kubelet.runtime.records import process_alive
from tests.support.waiting import eventually

__all__ = ["assert_all_gone", "wait_all_gone"]


async def wait_all_gone(processes: Iterable[tuple[int, int]], *, seconds: float = 15.0) -> None:
    """Wait until none of ``(pid, start ticks)`` runs; AssertionError naming those left."""
    remaining = set(processes)

    def still_running() -> list[int]:
        return sorted(pid for pid, ticks in remaining if process_alive(pid, ticks))

    await eventually(
        still_running,
        within=seconds,
        what="the processes left running to end",
        accept=lambda left: not left,
    )


def assert_all_gone(processes: Iterable[tuple[int, int]]) -> None:
    """Fail at once if any of ``(pid, start ticks)`` still runs."""
    left = sorted(pid for pid, ticks in processes if process_alive(pid, ticks))
    assert not left, f"processes left running: {left}"
