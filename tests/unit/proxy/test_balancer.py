"""Picking endpoints: round-robin, random, ClientIP affinity with its timeout, bounds."""

from __future__ import annotations

import random

import pytest

from kubeling.proxy.endpoints import Endpoint
from kubeling.proxy.userspace.balancer import RANDOM, Balancer

A, B, C = (Endpoint(f"10.0.0.{i}", 80) for i in (1, 2, 3))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_round_robin_spreads_evenly() -> None:
    balancer = Balancer()
    picks = [balancer.pick((A, B, C), "c") for _ in range(9)]
    assert picks == [A, B, C] * 3


def test_round_robin_follows_a_changing_set() -> None:
    balancer = Balancer()
    assert balancer.pick((A, B, C), "c") == A
    assert balancer.pick((A, C), "c") in (A, C)
    assert {balancer.pick((A, C), "c") for _ in range(4)} == {A, C}


def test_random_uses_every_endpoint() -> None:
    balancer = Balancer(strategy=RANDOM, rng=random.Random(7))
    assert {balancer.pick((A, B, C), "c") for _ in range(60)} == {A, B, C}


def test_unknown_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown balancing strategy"):
        Balancer(strategy="least-loaded")


def test_nothing_to_pick() -> None:
    assert Balancer().pick((), "c") is None
    assert Balancer().pick((A,), "c", exclude=(A,)) is None


def test_exclude_skips_failed_endpoints() -> None:
    balancer = Balancer()
    assert {balancer.pick((A, B), "c", exclude=(A,)) for _ in range(3)} == {B}


def test_client_ip_affinity_sticks_until_idle_for_the_timeout() -> None:
    clock = FakeClock()
    balancer = Balancer(affinity_seconds=10, clock=clock)
    first = balancer.pick((A, B, C), "192.0.2.1")
    other = balancer.pick((A, B, C), "192.0.2.2")
    assert first != other  # different clients still spread
    for _ in range(5):
        clock.now += 9  # each connection refreshes the record
        assert balancer.pick((A, B, C), "192.0.2.1") == first
    clock.now += 10.5
    assert len(balancer) >= 1
    balancer.pick((A, B, C), "192.0.2.3")  # any pick sweeps expired records
    assert "192.0.2.1" not in balancer._affinity


def test_affinity_moves_when_the_endpoint_leaves() -> None:
    balancer = Balancer(affinity_seconds=100, clock=FakeClock())
    first = balancer.pick((A, B), "c")
    remaining = tuple(e for e in (A, B) if e != first)
    moved = balancer.pick(remaining, "c")
    assert moved in remaining
    assert balancer.pick((A, B), "c") == moved  # and sticks to its new endpoint


def test_affinity_records_are_bounded() -> None:
    balancer = Balancer(affinity_seconds=100, clock=FakeClock(), max_records=3)
    for n in range(10):
        balancer.pick((A, B), f"192.0.2.{n}")
    assert len(balancer) == 3
    assert list(balancer._affinity) == ["192.0.2.7", "192.0.2.8", "192.0.2.9"]


def test_turning_affinity_off_forgets_clients() -> None:
    balancer = Balancer(affinity_seconds=100, clock=FakeClock())
    balancer.pick((A, B), "c")
    balancer.configure(affinity_seconds=0)
    assert len(balancer) == 0
    assert [balancer.pick((A, B), "c") for _ in range(2)] != [A, A]
