"""Leader election against an in-memory Lease store with optimistic concurrency.

The fake store behaves like the API server for one kind: create fails if the Lease exists,
update fails with 409 Conflict unless the resourceVersion is current. Timings are short
(lease 2 s, renew 1 s, retry 0.1 s) so that expiry and take-over happen within a test.
"""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import Mapping
from typing import Any

import pytest

from kubeling.api import errors
from kubeling.client.leaderelection import (
    LeaderElectionConfig,
    LeaderElectionRecord,
    LeaderElector,
)
from kubeling.client.rest import TransportError

Obj = dict[str, Any]
MICRO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


class FakeLeases:
    def __init__(self) -> None:
        self.lease: Obj | None = None
        self.version = 0
        self.down = False
        self.slow_updates = False  # an update lands, but its answer takes long to come back
        self.writes: list[str] = []
        self.written = asyncio.Event()

    def _check(self) -> None:
        if self.down:
            raise TransportError("connection refused")

    async def get(self, name: str, *, namespace: str = "") -> Obj:
        await asyncio.sleep(0)
        self._check()
        if self.lease is None:
            raise errors.not_found("leases.coordination.k8s.io", name)
        return copy.deepcopy(self.lease)

    async def create(self, body: Mapping[str, Any], *, namespace: str = "") -> Obj:
        await asyncio.sleep(0)
        self._check()
        if self.lease is not None:
            raise errors.already_exists("leases.coordination.k8s.io", body["metadata"]["name"])
        return self._store(body, "create")

    async def update(self, body: Mapping[str, Any], *, namespace: str = "") -> Obj:
        await asyncio.sleep(0)
        self._check()
        assert self.lease is not None
        if body["metadata"].get("resourceVersion") != self.lease["metadata"]["resourceVersion"]:
            raise errors.conflict(
                "leases.coordination.k8s.io",
                body["metadata"]["name"],
                "the object has been modified",
            )
        stored = self._store(body, "update")
        if self.slow_updates:
            await asyncio.sleep(60)
        return stored

    def _store(self, body: Mapping[str, Any], verb: str) -> Obj:
        self.version += 1
        self.lease = copy.deepcopy(dict(body))
        self.lease["metadata"]["resourceVersion"] = str(self.version)
        self.writes.append(f"{verb}:{body['spec'].get('holderIdentity', '')}")
        self.written.set()
        return copy.deepcopy(self.lease)

    @property
    def record(self) -> LeaderElectionRecord:
        assert self.lease is not None
        return LeaderElectionRecord.from_lease(self.lease)


def _config(identity: str, **overrides: Any) -> LeaderElectionConfig:
    timings: dict[str, Any] = {"lease_duration": 2.0, "renew_deadline": 1.0, "retry_period": 0.1}
    return LeaderElectionConfig(
        namespace="kube-system", name="kube-scheduler", identity=identity, **(timings | overrides)
    )


class Candidate:
    """An elector plus what its callbacks saw."""

    def __init__(self, leases: FakeLeases, identity: str, **overrides: Any) -> None:
        self.leading = asyncio.Event()
        self.stopped = asyncio.Event()
        self.lead_cancelled = False
        self.leaders: list[str] = []
        self.elector = LeaderElector(
            leases,
            _config(identity, **overrides),
            on_started_leading=self._lead,
            on_stopped_leading=self.stopped.set,
            on_new_leader=self.leaders.append,
        )
        self.task: asyncio.Task[None] | None = None

    async def _lead(self) -> None:
        self.leading.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.lead_cancelled = True
            raise

    def start(self) -> None:
        self.task = asyncio.create_task(self.elector.run())

    async def stop(self) -> None:
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"identity": ""}, "identity"),
        ({"lease_duration": 0.5, "renew_deadline": 0.2}, "at least one second"),
        ({"lease_duration": 10, "renew_deadline": 10}, "greater than renew_deadline"),
        ({"renew_deadline": 2.0, "retry_period": 2.0}, r"retry_period \* 1.2"),
        ({"retry_period": 0, "renew_deadline": 5}, "retry_period must be greater than zero"),
    ],
)
def test_config_is_checked_like_new_leader_elector(overrides: dict[str, Any], message: str) -> None:
    """Timings that could let two leaders overlap are refused."""
    values: dict[str, Any] = {"namespace": "ns", "name": "l", "identity": "a"} | overrides
    with pytest.raises(ValueError, match=message):
        LeaderElectionConfig(**values)


def test_default_timings_are_kubernetes() -> None:
    """15 s lease, 10 s renew deadline, 2 s retry."""
    config = LeaderElectionConfig(namespace="ns", name="l", identity="a")
    assert (config.lease_duration, config.renew_deadline, config.retry_period) == (15.0, 10.0, 2.0)


async def test_the_first_candidate_creates_the_lease_and_leads() -> None:
    """No Lease: create it with our identity, MicroTime stamps, 0 transitions; keep renewing."""
    leases = FakeLeases()
    a = Candidate(leases, "a")
    a.start()
    await asyncio.wait_for(a.leading.wait(), 10)
    record = leases.record
    assert (record.holder_identity, record.lease_duration_seconds, record.leader_transitions) == (
        "a",
        2,
        0,
    )
    assert MICRO_TIME.fullmatch(record.acquire_time)
    assert MICRO_TIME.fullmatch(record.renew_time)
    first_renewal = record.renew_time
    leases.written.clear()
    await asyncio.wait_for(leases.written.wait(), 10)
    assert leases.record.renew_time > first_renewal
    assert leases.record.acquire_time == record.acquire_time
    assert a.elector.is_leader()
    assert a.leaders == ["a"]
    await a.stop()


async def test_only_one_of_two_candidates_leads_and_the_other_takes_over_on_release() -> None:
    """Exactly one leads; when it stops it releases, and the other takes over at once."""
    leases = FakeLeases()
    a, b = Candidate(leases, "a"), Candidate(leases, "b")
    a.start()
    await asyncio.wait_for(a.leading.wait(), 10)
    b.start()
    await asyncio.sleep(0.5)
    assert not b.leading.is_set()  # a keeps renewing well within its 2 s lease
    assert b.leaders == ["a"]
    await a.stop()
    assert a.lead_cancelled
    assert a.stopped.is_set()
    assert leases.writes[-1] == "update:"  # released: empty holder
    await asyncio.wait_for(b.leading.wait(), 10)
    record = leases.record
    assert (record.holder_identity, record.leader_transitions) == ("b", 1)
    await b.stop()


async def test_a_stale_lease_is_taken_over_after_its_duration() -> None:
    """A holder that stopped renewing (no release) loses the Lease once it expires."""
    leases = FakeLeases()
    a = Candidate(leases, "a", release_on_cancel=False)
    a.start()
    await asyncio.wait_for(a.leading.wait(), 10)
    await a.stop()
    assert leases.record.holder_identity == "a"
    b = Candidate(leases, "b")
    b.start()
    await asyncio.sleep(0.8)
    assert not b.leading.is_set()  # still within a's lease, by b's clock
    await asyncio.wait_for(b.leading.wait(), 10)
    assert (leases.record.holder_identity, leases.record.leader_transitions) == ("b", 1)
    await b.stop()


async def test_a_leader_that_cannot_renew_stops_leading() -> None:
    """The API is unreachable past the renew deadline: lead task cancelled, callback, return."""
    leases = FakeLeases()
    a = Candidate(leases, "a")
    a.start()
    await asyncio.wait_for(a.leading.wait(), 10)
    leases.down = True
    await asyncio.wait_for(a.stopped.wait(), 10)
    assert a.lead_cancelled
    assert a.task is not None
    await asyncio.wait_for(a.task, 10)  # run() returned on its own


async def test_racing_candidates_never_both_lead() -> None:
    """Many candidates at once on a free Lease: conflicts leave exactly one leader."""
    leases = FakeLeases()
    candidates = [Candidate(leases, f"c{i}") for i in range(6)]
    for candidate in candidates:
        candidate.start()
    waiters = [asyncio.create_task(c.leading.wait()) for c in candidates]
    await asyncio.wait(waiters, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()
    await asyncio.sleep(0.3)  # the others keep trying meanwhile
    leaders = [c for c in candidates if c.leading.is_set()]
    assert len(leaders) == 1
    assert leases.record.holder_identity == leaders[0].elector.config.identity
    for candidate in candidates:
        await candidate.stop()


async def test_a_failing_lead_function_stops_leading_and_propagates() -> None:
    """on_started_leading raising ends the election run with its exception, after release."""
    leases = FakeLeases()
    stopped = asyncio.Event()

    async def lead() -> None:
        raise RuntimeError("scheduler crashed")

    elector = LeaderElector(
        leases, _config("a"), on_started_leading=lead, on_stopped_leading=stopped.set
    )
    with pytest.raises(RuntimeError, match="scheduler crashed"):
        await asyncio.wait_for(elector.run(), 10)
    assert stopped.is_set()
    assert leases.record.holder_identity == ""


async def test_release_after_a_renewal_cut_off_by_cancellation() -> None:
    """Cancelled while a renewal it sent is in flight (stored, unanswered): the elector's copy
    of the Lease is stale, yet the release rereads it and still gives the Lease up."""
    leases = FakeLeases()
    a = Candidate(leases, "a")
    a.start()
    await asyncio.wait_for(a.leading.wait(), 10)
    leases.slow_updates = True
    leases.written.clear()
    await asyncio.wait_for(leases.written.wait(), 10)  # a renewal landed; its answer hangs
    leases.slow_updates = False
    await a.stop()
    assert leases.record.holder_identity == ""
    assert leases.record.lease_duration_seconds == 1
