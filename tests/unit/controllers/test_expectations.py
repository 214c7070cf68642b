"""Expectations: a controller waits until its cache has seen what it just did."""

from __future__ import annotations

from kubeling.controllers.expectations import EXPECTATIONS_TIMEOUT, Expectations


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_counts_creations_and_deletions() -> None:
    expectations = Expectations()
    assert expectations.satisfied("ns/a")  # nothing expected
    expectations.expect("ns/a", adds=2, deletes=1)
    expectations.creation_observed("ns/a")
    expectations.deletion_observed("ns/a")
    assert not expectations.satisfied("ns/a")
    expectations.creation_observed("ns/a")
    assert expectations.satisfied("ns/a")


def test_tracked_deletions_count_once_and_only_for_the_named_objects() -> None:
    expectations = Expectations()
    expectations.expect_deletions("ns/a", ["ns/p1", "ns/p2"])
    expectations.deletion_observed("ns/a", "ns/p1")  # its deletionTimestamp
    expectations.deletion_observed("ns/a", "ns/p1")  # then its removal
    expectations.deletion_observed("ns/a", "ns/other")
    assert not expectations.satisfied("ns/a")
    expectations.deletion_observed("ns/a", "ns/p2")
    assert expectations.satisfied("ns/a")
    # a new expectation replaces the tracked names
    expectations.expect_deletions("ns/a", ["ns/p3"])
    expectations.deletion_observed("ns/a", "ns/p2")
    assert not expectations.satisfied("ns/a")


def test_old_expectations_are_satisfied_and_forget_drops_them() -> None:
    clock = _Clock()
    expectations = Expectations(now=clock)
    expectations.expect("ns/a", adds=1)
    clock.now += EXPECTATIONS_TIMEOUT + 1
    assert expectations.satisfied("ns/a")
    expectations.expect("ns/b", adds=1)
    expectations.forget("ns/b")
    assert expectations.satisfied("ns/b")
