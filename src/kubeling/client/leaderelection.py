"""Leader election on a ``coordination.k8s.io/v1`` Lease, as client-go's ``leaderelection`` does.

Several replicas of a component (scheduler, controller manager) run a :class:`LeaderElector`
on the same Lease; one leads, the others wait to take over::

    elector = LeaderElector(
        client.resource(LEASES),
        LeaderElectionConfig(namespace="kube-system", name="kube-scheduler", identity=host_id),
        on_started_leading=scheduler.run,      # cancelled when leadership is lost
        on_stopped_leading=lambda: ...,
    )
    await elector.run()

The Lease's spec is the election record: ``holderIdentity``, ``leaseDurationSeconds``,
``acquireTime`` and ``renewTime`` (MicroTime) and ``leaseTransitions``. A candidate:

1. **Acquires**, trying every ``retry_period`` (2 s, plus up to 120 % jitter): it creates the
   Lease if there is none, or takes it over when it has no holder or its holder has not renewed
   for ``lease_duration`` (15 s) *as measured on this candidate's own clock* since the record
   last changed (record times written by other machines are never trusted: clock skew).
   Taking over from another holder bumps ``leaseTransitions`` and sets ``acquireTime``.
2. **Leads**: ``on_started_leading()`` runs as a task while the elector renews ``renewTime``
   every ``retry_period``. Every write carries the Lease's ``resourceVersion``, so two candidates
   racing for one Lease cannot both win: the loser gets 409 Conflict, not leadership.
3. **Stops leading** when a renewal has not succeeded within ``renew_deadline`` (10 s): the
   leading task is cancelled, ``on_stopped_leading()`` is called and :meth:`LeaderElector.run`
   returns. Components exit then, as Kubernetes' do, rather than risk acting as a second leader.
4. **Releases** on the way out (``release_on_cancel``, the default): the Lease is written with an
   empty ``holderIdentity`` and ``leaseDurationSeconds: 1``, so another candidate takes over at its
   next try instead of waiting out the lease. Only release once the work guarded by the lease has
   stopped, which is what cancelling ``on_started_leading`` ensures here.

Cancelling :meth:`LeaderElector.run` stops it at any stage. An optional recorder gets the
``LeaderElection`` Events Kubernetes writes (``<identity> became leader``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, Protocol

from kubeling.api import errors
from kubeling.api.errors import StatusError
from kubeling.api.timestamps import format_micro_time
from kubeling.client.events import NORMAL, EventRecorder
from kubeling.client.rest import Obj, TransportError

__all__ = [
    "LeaderElectionConfig",
    "LeaderElectionRecord",
    "LeaderElector",
    "LeaseClient",
]

logger = logging.getLogger(__name__)

JITTER_FACTOR: Final = 1.2  # client-go's: acquisition retries wait retry_period * (1 + 1.2 r)


@dataclass(frozen=True, kw_only=True)
class LeaderElectionConfig:
    """Which Lease, who we are, and the timings (client-go's defaults: 15 s, 10 s, 2 s)."""

    namespace: str
    name: str
    identity: str
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    release_on_cancel: bool = True

    def __post_init__(self) -> None:
        # The checks NewLeaderElector makes: a leader must give up before others may take over.
        if not self.identity:
            raise ValueError("leader election needs a non-empty identity")
        if self.lease_duration < 1:
            raise ValueError("lease_duration must be at least one second")
        if self.lease_duration <= self.renew_deadline:
            raise ValueError("lease_duration must be greater than renew_deadline")
        if self.renew_deadline <= JITTER_FACTOR * self.retry_period:
            raise ValueError("renew_deadline must be greater than retry_period * 1.2")
        if self.retry_period <= 0:
            raise ValueError("retry_period must be greater than zero")


class LeaseClient(Protocol):
    """The verbs leader election uses on ``leases``; ``client.resource(LEASES)`` is one."""

    async def get(self, name: str, *, namespace: str = "") -> Obj:
        """Read the Lease."""
        ...

    async def create(self, body: Mapping[str, Any], *, namespace: str = "") -> Obj:
        """Create the Lease."""
        ...

    async def update(self, body: Mapping[str, Any], *, namespace: str = "") -> Obj:
        """Replace the Lease (409 Conflict if its resourceVersion is stale)."""
        ...


@dataclass(frozen=True)
class LeaderElectionRecord:
    """A Lease's spec as the election reads and writes it."""

    holder_identity: str = ""
    lease_duration_seconds: int = 0
    acquire_time: str = ""
    renew_time: str = ""
    leader_transitions: int = 0

    @classmethod
    def from_lease(cls, lease: Mapping[str, Any]) -> LeaderElectionRecord:
        """The record in a Lease (missing fields are zero)."""
        spec = lease.get("spec") or {}
        return cls(
            holder_identity=str(spec.get("holderIdentity") or ""),
            lease_duration_seconds=int(spec.get("leaseDurationSeconds") or 0),
            acquire_time=str(spec.get("acquireTime") or ""),
            renew_time=str(spec.get("renewTime") or ""),
            leader_transitions=int(spec.get("leaseTransitions") or 0),
        )

    def to_spec(self) -> Obj:
        """The Lease spec (unset times left out)."""
        spec: Obj = {
            "holderIdentity": self.holder_identity,
            "leaseDurationSeconds": self.lease_duration_seconds,
            "leaseTransitions": self.leader_transitions,
        }
        if self.acquire_time:
            spec["acquireTime"] = self.acquire_time
        if self.renew_time:
            spec["renewTime"] = self.renew_time
        return spec


class LeaderElector:
    """One candidate in the election of ``config``'s Lease."""

    def __init__(
        self,
        leases: LeaseClient,
        config: LeaderElectionConfig,
        *,
        on_started_leading: Callable[[], Coroutine[Any, Any, None]],
        on_stopped_leading: Callable[[], None] | None = None,
        on_new_leader: Callable[[str], None] | None = None,
        recorder: EventRecorder | None = None,
    ) -> None:
        self.leases = leases
        self.config = config
        self._on_started_leading = on_started_leading
        self._on_stopped_leading = on_stopped_leading
        self._on_new_leader = on_new_leader
        self._recorder = recorder
        self._lease: Obj | None = None
        self._observed = LeaderElectionRecord()
        self._observed_at = float("-inf")
        self._reported_leader = ""

    def is_leader(self) -> bool:
        """True if the last record seen (or written) names this candidate."""
        return self._observed.holder_identity == self.config.identity

    @property
    def leader(self) -> str:
        """The identity of the last leader seen ("" if none)."""
        return self._observed.holder_identity

    async def run(self) -> None:
        """Acquire the Lease, lead until the Lease is lost, then return; cancel to stop.

        ``on_stopped_leading`` is called when leadership ends, whether lost, given up on
        cancellation, or because ``on_started_leading`` raised (its exception then propagates).
        """
        await self._acquire()
        self._record_event("became leader")
        leading = asyncio.create_task(
            self._on_started_leading(), name=f"leading {self.config.name}"
        )
        try:
            await self._renew_until_lost(leading)
        finally:
            leading.cancel()
            await asyncio.wait({leading})
            if not leading.cancelled():
                leading.exception()  # retrieved: _renew_until_lost re-raises it if it failed
            self._record_event("stopped leading")
            if self.config.release_on_cancel:
                await self._release()
            if self._on_stopped_leading is not None:
                self._on_stopped_leading()

    async def _acquire(self) -> None:
        logger.info("attempting to acquire leader lease %s", self._describe())
        while True:
            acquired = await self._try_acquire_or_renew()
            self._report_transition()
            if acquired:
                logger.info("successfully acquired lease %s", self._describe())
                return
            period = self.config.retry_period
            await asyncio.sleep(period * (1 + random.random() * JITTER_FACTOR))

    async def _renew_until_lost(self, leading: asyncio.Task[None]) -> None:
        """Renew every ``retry_period``; return once a renewal missed ``renew_deadline``."""
        loop = asyncio.get_running_loop()
        while True:
            deadline = loop.time() + self.config.renew_deadline
            try:
                async with asyncio.timeout_at(deadline):
                    while True:
                        if await self._try_acquire_or_renew():
                            break
                        await asyncio.sleep(self.config.retry_period)
            except TimeoutError:
                self._report_transition()
                logger.info("failed to renew lease %s: timed out", self._describe())
                return
            self._report_transition()
            if leading.done():
                await asyncio.sleep(self.config.retry_period)
            else:
                await asyncio.wait({leading}, timeout=self.config.retry_period)
            if leading.done() and not leading.cancelled():
                error = leading.exception()
                if error is not None:
                    raise error

    async def _try_acquire_or_renew(self) -> bool:
        """One attempt (client-go's ``tryAcquireOrRenew``); True if we hold the Lease now."""
        loop = asyncio.get_running_loop()
        now = time.time()
        stamp = format_micro_time(now)
        desired = LeaderElectionRecord(
            holder_identity=self.config.identity,
            lease_duration_seconds=int(self.config.lease_duration),
            acquire_time=stamp,
            renew_time=stamp,
        )

        # 1. Fast path: the leader renews on the Lease it last wrote, assuming nobody else did.
        if self.is_leader() and self._lease_valid(loop.time()) and self._lease is not None:
            renewed = replace(
                desired,
                acquire_time=self._observed.acquire_time,
                leader_transitions=self._observed.leader_transitions,
            )
            if await self._write(renewed, create=False):
                return True
            logger.info("failed to renew lease %s optimistically; rereading", self._describe())

        # 2. Read the Lease, or create it.
        try:
            self._lease = await self.leases.get(self.config.name, namespace=self.config.namespace)
        except StatusError as error:
            if not errors.is_not_found(error):
                logger.warning("error retrieving lease %s: %s", self._describe(), error)
                return False
            self._lease = None
            return await self._write(desired, create=True)
        except TransportError as error:
            logger.warning("error retrieving lease %s: %s", self._describe(), error)
            return False

        # 3. Someone else holds it and it has not expired (by our clock): wait.
        current = LeaderElectionRecord.from_lease(self._lease)
        if current != self._observed:
            self._set_observed(current)
        if current.holder_identity and self._lease_valid(loop.time()) and not self.is_leader():
            return False

        # 4. Ours to renew, or to take over.
        if self.is_leader():
            desired = replace(
                desired,
                acquire_time=current.acquire_time,
                leader_transitions=current.leader_transitions,
            )
        else:
            desired = replace(desired, leader_transitions=current.leader_transitions + 1)
        return await self._write(desired, create=False)

    async def _write(self, record: LeaderElectionRecord, *, create: bool) -> bool:
        """Create or update the Lease with ``record``; a lost race or an error is False."""
        try:
            if create:
                self._lease = await self.leases.create(
                    {
                        "apiVersion": "coordination.k8s.io/v1",
                        "kind": "Lease",
                        "metadata": {"name": self.config.name, "namespace": self.config.namespace},
                        "spec": record.to_spec(),
                    },
                    namespace=self.config.namespace,
                )
            else:
                assert self._lease is not None
                self._lease = await self.leases.update(
                    {**self._lease, "spec": record.to_spec()}, namespace=self.config.namespace
                )
        except (StatusError, TransportError) as error:
            logger.info("failed to write lease %s: %s", self._describe(), error)
            return False
        self._set_observed(record)
        return True

    async def _release(self) -> None:
        """Give the Lease up (empty holder, one-second duration) if we hold it."""
        if not self.is_leader() or self._lease is None:
            return
        stamp = format_micro_time(time.time())
        released = LeaderElectionRecord(
            lease_duration_seconds=1,
            acquire_time=stamp,
            renew_time=stamp,
            leader_transitions=self._observed.leader_transitions,
        )
        try:
            async with asyncio.timeout(self.config.renew_deadline):
                if await self._write(released, create=False):
                    return
                # A renewal cut off by the cancellation may have reached the server after all,
                # leaving our copy's resourceVersion stale: reread, and release if still ours.
                current = await self.leases.get(self.config.name, namespace=self.config.namespace)
                if LeaderElectionRecord.from_lease(current).holder_identity != self.config.identity:
                    return
                self._lease = current
                if await self._write(released, create=False):
                    return
        except (TimeoutError, StatusError, TransportError) as error:
            logger.warning("failed to release lease %s: %s", self._describe(), error)
            return
        logger.warning("failed to release lease %s", self._describe())

    def _set_observed(self, record: LeaderElectionRecord) -> None:
        self._observed = record
        self._observed_at = asyncio.get_running_loop().time()

    def _lease_valid(self, now: float) -> bool:
        return self._observed_at + self._observed.lease_duration_seconds > now

    def _report_transition(self) -> None:
        leader = self._observed.holder_identity
        if leader == self._reported_leader:
            return
        self._reported_leader = leader
        if self._on_new_leader is not None:
            self._on_new_leader(leader)

    def _record_event(self, what: str) -> None:
        if self._recorder is not None and self._lease is not None:
            self._recorder.event(
                self._lease, NORMAL, "LeaderElection", f"{self.config.identity} {what}"
            )

    def _describe(self) -> str:
        return f"{self.config.namespace}/{self.config.name}"
