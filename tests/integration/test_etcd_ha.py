"""The etcd backend on a three-member cluster while one member is stopped.

A writer keeps writing and a watcher keeps watching through the stop and the
restart of a member (the leader, or the member the store is connected to).
With quorum 2 of 3 every write must succeed (the store retries across a
leader election), reads must succeed, and the watch must deliver every write
exactly once, in order, with no gap.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import grpc.aio
import pytest
from aetcd.rpc import rpc_pb2, rpc_pb2_grpc

from kubeling.storage import EventType, StoreUnavailableError, WatchEvent
from kubeling.storage.etcd import EtcdStore
from tests.support.etcd import EtcdMember, start_cluster

pytestmark = [pytest.mark.etcd, pytest.mark.timeout(180)]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[list[EtcdMember]]:
    members = start_cluster(tmp_path, size=3)
    try:
        yield members
    finally:
        for member in members:
            member.stop()


async def leader_of(members: list[EtcdMember]) -> EtcdMember:
    """The current leader, asked of each running member."""
    for member in members:
        if member.process is None:
            continue
        async with grpc.aio.insecure_channel(member.endpoint) as channel:
            status = await rpc_pb2_grpc.MaintenanceStub(channel).Status(
                rpc_pb2.StatusRequest(), timeout=2
            )
        if status.leader == status.header.member_id:
            return member
    raise AssertionError("no leader")


@pytest.mark.parametrize("victim", ["leader", "connected"])
async def test_writes_reads_and_watch_survive_a_member_stop(
    cluster: list[EtcdMember], victim: str
) -> None:
    store = await EtcdStore.open([m.endpoint for m in cluster], timeout=2.0)
    try:
        watcher = await store.watch("/ha/", prefix=True)
        stop_writing = asyncio.Event()
        written: list[int] = []
        latencies: list[float] = []

        async def writer() -> None:
            n = 0
            while not stop_writing.is_set():
                started = time.monotonic()
                key = f"/ha/k{n % 50}"
                if n < 50:
                    kv = await store.create(key, str(n).encode())
                else:
                    kv = await store.update(key, str(n).encode())
                latencies.append(time.monotonic() - started)
                written.append(kv.mod_revision)
                assert (await store.get(key)) == kv  # reads succeed too
                n += 1
                await asyncio.sleep(0.005)

        received: list[WatchEvent] = []

        async def watch_until(revision: int) -> None:
            while not received or received[-1].revision < revision:
                event = await asyncio.wait_for(watcher.__anext__(), 30)
                if event.type is not EventType.PROGRESS:
                    received.append(event)

        task = asyncio.create_task(writer())
        await asyncio.sleep(1.0)
        if victim == "leader":
            stopped = await leader_of(cluster)
        else:
            stopped = cluster[store._client.stubs().index]
        stopped.stop()
        await asyncio.sleep(3.0)  # writing with two of three members
        count_during = len(written)
        stopped.start()
        await asyncio.to_thread(stopped.wait_healthy)
        await asyncio.sleep(1.0)
        stop_writing.set()
        await task
        assert len(written) > count_during > 10
        await watch_until(written[-1])
        # Every write, exactly once, in order, and nothing else: the writer is
        # the only writer, so its revisions are consecutive.
        revisions = [e.revision for e in received]
        assert revisions == written, sorted(set(revisions) ^ set(written))
        assert written == list(range(written[0], written[0] + len(written)))
        assert all(e.type is EventType.ADDED for e in received[:50])
        assert all(e.prev_kv is not None for e in received[50:])
        # "After at most a retry": no write took longer than two attempts.
        assert max(latencies) < 2 * 2.0 + 1.0, max(latencies)
        # The restarted member has rejoined and serves the latest state (on a loaded machine
        # it may refuse connections for a moment after reporting healthy: ask for 20 s).
        await _rejoined_serves(stopped.endpoint, written[-1])
        await watcher.close()
    finally:
        await store.close()


async def _rejoined_serves(endpoint: str, revision: int) -> None:
    deadline = time.monotonic() + 20
    while True:
        rejoined = await EtcdStore.open([endpoint])
        try:
            assert await rejoined.current_revision() >= revision
            assert await rejoined.count("/ha/") == 50
            return
        except StoreUnavailableError:
            if time.monotonic() > deadline:
                raise
        finally:
            await rejoined.close()
        await asyncio.sleep(0.5)
