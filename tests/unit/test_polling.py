"""The synchronous ``eventually`` of tests/support/polling.py: what it returns and how it fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.polling import eventually


def _values(*values: str) -> Iterator[str]:
    """``values`` in turn, then the last one forever."""
    yield from values
    while True:
        yield values[-1]


def test_returns_the_first_true_value() -> None:
    seen = _values("", "", "node-1")
    assert eventually(lambda: next(seen), within=5, every=0.01) == "node-1"


def test_accept_takes_a_false_value_and_skips_true_ones() -> None:
    codes = iter([1, 1, 0, 1])
    assert eventually(lambda: next(codes), accept=lambda code: code == 0, every=0.01) == 0


def test_a_wait_that_never_holds_fails_naming_what_and_the_last_value() -> None:
    with pytest.raises(AssertionError, match=r"the pod to finish did not happen .*'Pending'"):
        eventually(
            lambda: "Pending",
            accept=lambda phase: phase in ("Succeeded", "Failed"),
            within=0.3,
            what="the pod to finish",
            every=0.05,
        )
