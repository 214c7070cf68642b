"""The crash-loop back-off: 10 s doubling to 5 min, forgotten after 10 quiet minutes."""

from __future__ import annotations

import pytest

from kubeling.kubelet.backoff import Backoff, format_seconds


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_restarts_wait_10s_then_double_up_to_5_minutes() -> None:
    clock = Clock()
    backoff = Backoff(clock=clock)
    delays = []
    finished = clock.now
    assert not backoff.is_in_backoff_since("c", finished)  # the first restart is immediate
    backoff.next("c", finished)
    for _ in range(7):
        clock.now += 1  # the container ran for a second and crashed again
        finished = clock.now
        assert backoff.is_in_backoff_since("c", finished)
        delays.append(backoff.get("c"))
        assert backoff.remaining("c", finished) == pytest.approx(backoff.get("c"))
        clock.now = finished + backoff.get("c")
        assert not backoff.is_in_backoff_since("c", finished)
        backoff.next("c", finished)
    assert delays == [10, 20, 40, 80, 160, 300, 300]


def test_a_container_that_ran_10_minutes_starts_over() -> None:
    clock = Clock()
    backoff = Backoff(clock=clock)
    for _ in range(4):
        backoff.next("c", clock.now)
    assert backoff.get("c") == 80
    clock.now += 601  # it ran for more than twice the maximum since the last restart
    assert not backoff.is_in_backoff_since("c", clock.now)
    backoff.next("c", clock.now)
    assert backoff.get("c") == 10


def test_keys_are_independent_and_forgotten_by_prefix() -> None:
    clock = Clock()
    backoff = Backoff(clock=clock)
    backoff.next("pod-a_c1", clock.now)
    backoff.next("pod-a_c1", clock.now)
    backoff.next("pod-b_c1", clock.now)
    assert (backoff.get("pod-a_c1"), backoff.get("pod-b_c1")) == (20, 10)
    backoff.forget("pod-a_")
    assert (backoff.get("pod-a_c1"), backoff.get("pod-b_c1")) == (0, 10)


def test_gc_drops_stale_entries() -> None:
    clock = Clock()
    backoff = Backoff(clock=clock)
    backoff.next("old", clock.now)
    clock.now += 700
    backoff.next("new", clock.now)
    backoff.gc()
    assert (backoff.get("old"), backoff.get("new")) == (0, 10)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(10, "10s"), (20, "20s"), (80, "1m20s"), (160, "2m40s"), (300, "5m0s"), (1.5, "1.5s")],
)
def test_delays_print_as_go_durations(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text
