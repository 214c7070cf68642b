"""Request seats: the workload waits in line for a seat, each user in their own line, served
in turn; node heartbeats and the admins never wait."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from kubeling.api.authentication.user import UserInfo
from kubeling.apiserver.app import ApiServerApp
from kubeling.apiserver.authn.anonymous import AnonymousAuthenticator
from kubeling.apiserver.authn.authentication import Authentication
from kubeling.apiserver.registry.builtin import builtin_resources
from kubeling.apiserver.registry.registry import Registry
from kubeling.apiserver.request_info import RequestInfo, parse_request_info
from kubeling.apiserver.request_seats import (
    EXEMPT_LEVEL,
    HEARTBEAT_LEVEL,
    LONG_RUNNING,
    WORKLOAD_LEVEL,
    RequestSeats,
    level_of,
)
from kubeling.storage.memory import MemoryStore

NODE_LEASE = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1"
CONFIGMAPS = "/api/v1/namespaces/default/configmaps"
SCHEDULER = UserInfo("system:kube-scheduler", groups=("system:authenticated",))
ADMIN = UserInfo("kubernetes-admin", groups=("system:masters", "system:authenticated"))


def _info(method: str, path: str, **query: str) -> RequestInfo:
    return parse_request_info(method, path, query)


@pytest.mark.parametrize(
    ("method", "path", "query", "level"),
    [
        ("PUT", NODE_LEASE, {}, HEARTBEAT_LEVEL),
        ("GET", NODE_LEASE, {}, HEARTBEAT_LEVEL),
        (
            "PATCH",
            "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/x",
            {},
            HEARTBEAT_LEVEL,
        ),
        ("PATCH", "/api/v1/nodes/n1/status", {}, HEARTBEAT_LEVEL),
        ("PUT", "/api/v1/nodes/n1/status", {}, HEARTBEAT_LEVEL),
        ("PATCH", "/api/v1/nodes/n1", {}, HEARTBEAT_LEVEL),
        # lists, deletions and creations of them are ordinary work
        (
            "GET",
            "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
            {},
            WORKLOAD_LEVEL,
        ),
        ("GET", "/api/v1/nodes", {}, WORKLOAD_LEVEL),
        ("POST", "/api/v1/nodes", {}, WORKLOAD_LEVEL),
        ("DELETE", "/api/v1/nodes/n1", {}, WORKLOAD_LEVEL),
        ("PATCH", "/api/v1/namespaces/ns/pods/p/status", {}, WORKLOAD_LEVEL),
        ("POST", CONFIGMAPS, {}, WORKLOAD_LEVEL),
        ("GET", "/api/v1/pods", {"watch": "true"}, LONG_RUNNING),
        ("GET", "/api/v1/namespaces/ns/pods/p/log", {"follow": "true"}, LONG_RUNNING),
        ("POST", "/api/v1/namespaces/ns/pods/p/exec", {}, LONG_RUNNING),
        ("GET", "/api/v1/namespaces/ns/pods/p/portforward", {}, LONG_RUNNING),
        ("GET", "/api/v1/nodes/n1/proxy/stats/summary", {}, LONG_RUNNING),
    ],
)
def test_levels(method: str, path: str, query: dict[str, str], level: str) -> None:
    assert level_of(_info(method, path, **query)) == level
    assert level_of(_info(method, path, **query), SCHEDULER) == level


@pytest.mark.parametrize(
    ("method", "path", "query"),
    [("POST", CONFIGMAPS, {}), ("GET", "/api/v1/nodes", {}), ("PUT", NODE_LEASE, {})],
)
def test_system_masters_are_exempt(method: str, path: str, query: dict[str, str]) -> None:
    assert level_of(_info(method, path, **query), ADMIN) == EXEMPT_LEVEL


def test_a_watch_of_an_admin_is_long_running() -> None:
    assert level_of(_info("GET", "/api/v1/pods", watch="true"), ADMIN) == LONG_RUNNING


def test_at_least_one_seat() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RequestSeats(0)


async def _hold(
    seats: RequestSeats,
    info: RequestInfo,
    release: asyncio.Event,
    log: list[str],
    name: str,
    user: UserInfo | None = None,
) -> None:
    async with seats.serving(info, user):
        log.append(name)
        await release.wait()


async def test_beyond_the_seats_requests_wait_in_order_and_heartbeats_do_not() -> None:
    seats = RequestSeats(2)
    work = _info("POST", CONFIGMAPS)
    release = {name: asyncio.Event() for name in "abcde"}
    served: list[str] = []
    tasks = {
        name: asyncio.create_task(_hold(seats, work, release[name], served, name))
        for name in "abcd"
    }
    await asyncio.sleep(0.01)
    assert served == ["a", "b"]
    assert (seats.executing(WORKLOAD_LEVEL), seats.waiting) == (2, 2)

    heartbeat = asyncio.create_task(
        _hold(seats, _info("PUT", NODE_LEASE), release["e"], served, "e")
    )
    watch = asyncio.create_task(
        _hold(seats, _info("GET", "/api/v1/pods", watch="true"), asyncio.Event(), served, "w")
    )
    await asyncio.sleep(0.01)
    assert served == ["a", "b", "e", "w"]
    assert seats.executing(HEARTBEAT_LEVEL) == 1

    release["b"].set()  # the first in line takes the freed seat
    await asyncio.sleep(0.01)
    assert served == ["a", "b", "e", "w", "c"]
    assert (seats.executing(WORKLOAD_LEVEL), seats.waiting) == (2, 1)

    for event in release.values():
        event.set()
    await asyncio.gather(*tasks.values(), heartbeat)
    watch.cancel()
    assert served[-1] == "d"
    assert (seats.executing(WORKLOAD_LEVEL), seats.executing(HEARTBEAT_LEVEL), seats.waiting) == (
        0,
        0,
        0,
    )


async def test_a_request_cancelled_in_line_leaves_no_seat_taken() -> None:
    seats = RequestSeats(1)
    work = _info("POST", CONFIGMAPS)
    release = asyncio.Event()
    served: list[str] = []
    first = asyncio.create_task(_hold(seats, work, release, served, "first"))
    waiting = asyncio.create_task(_hold(seats, work, asyncio.Event(), served, "never"))
    await asyncio.sleep(0.01)
    waiting.cancel()
    await asyncio.sleep(0.01)
    assert seats.waiting == 0
    release.set()
    await first
    async with seats.serving(work):  # the one seat is free again
        assert seats.executing(WORKLOAD_LEVEL) == 1


async def test_the_lines_of_users_take_turns() -> None:
    """With one seat, a user with one request in line is served after one request of the
    busy user, not after all of them; each line keeps its own order."""
    seats = RequestSeats(1)
    work = _info("POST", CONFIGMAPS)
    busy, quiet = UserInfo("busy"), UserInfo("quiet")
    served: list[str] = []
    releases: dict[str, asyncio.Event] = {}

    def start(name: str, user: UserInfo) -> asyncio.Task[None]:
        releases[name] = asyncio.Event()
        return asyncio.create_task(_hold(seats, work, releases[name], served, name, user))

    tasks = [start("busy-0", busy)]
    await asyncio.sleep(0.01)
    tasks += [start(f"busy-{i}", busy) for i in (1, 2, 3)]
    await asyncio.sleep(0.01)
    tasks.append(start("quiet-0", quiet))
    await asyncio.sleep(0.01)
    assert seats.waiting == 4
    for step in range(5):
        releases[served[step]].set()
        await asyncio.sleep(0.01)
    await asyncio.gather(*tasks)
    assert served == ["busy-0", "busy-1", "quiet-0", "busy-2", "busy-3"]
    assert (seats.executing(WORKLOAD_LEVEL), seats.waiting) == (0, 0)


async def test_admins_pass_a_full_house() -> None:
    seats = RequestSeats(1)
    work = _info("POST", CONFIGMAPS)
    release = asyncio.Event()
    served: list[str] = []
    held = asyncio.create_task(_hold(seats, work, release, served, "held", SCHEDULER))
    waiting = asyncio.create_task(_hold(seats, work, release, served, "waits", SCHEDULER))
    admin = asyncio.create_task(_hold(seats, work, release, served, "admin", ADMIN))
    await asyncio.sleep(0.01)
    assert served == ["held", "admin"]
    assert (seats.executing(EXEMPT_LEVEL), seats.waiting) == (1, 1)
    release.set()
    await asyncio.gather(held, waiting, admin)
    assert served == ["held", "admin", "waits"]


async def test_a_seat_given_to_a_request_cancelled_before_it_ran_passes_on() -> None:
    seats = RequestSeats(1)
    work = _info("POST", CONFIGMAPS)
    served: list[str] = []
    async with seats.serving(work):
        given = asyncio.create_task(_hold(seats, work, asyncio.Event(), served, "never"))
        await asyncio.sleep(0.01)
        last = asyncio.create_task(_hold(seats, work, asyncio.Event(), served, "last"))
        await asyncio.sleep(0.01)
    given.cancel()  # the seat went to ``given`` as the block ended; it has not run yet
    await asyncio.sleep(0.01)
    assert given.cancelled()
    assert served == ["last"]
    assert (seats.executing(WORKLOAD_LEVEL), seats.waiting) == (1, 0)
    last.cancel()


@pytest.fixture
async def one_seat() -> AsyncIterator[tuple[RequestSeats, TestServer]]:
    registry = Registry(MemoryStore())
    for resource in builtin_resources():
        registry.add(resource)
    seats = RequestSeats(1)
    # Every request is system:anonymous's (allowed: no authorization), not a superuser's,
    # which would never wait for a seat.
    anonymous = Authentication([], anonymous=AnonymousAuthenticator())
    server = TestServer(ApiServerApp(registry, seats=seats, authentication=anonymous).app)
    await server.start_server()
    try:
        yield seats, server
    finally:
        await server.close()


async def test_over_http_a_lease_renewal_passes_a_full_house(
    one_seat: tuple[RequestSeats, TestServer],
) -> None:
    """With the one seat taken, a ConfigMap's create waits (and /metrics shows it in line)
    while a node's Lease is renewed; the ConfigMap is created once the seat is free."""
    seats, server = one_seat
    lease = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "n1"},
        "spec": {"holderIdentity": "n1", "leaseDurationSeconds": 40},
    }
    async with aiohttp.ClientSession() as session:
        leases = server.make_url("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases")
        async with session.post(leases, json=lease) as response:
            assert response.status == 201
            created = await response.json()

        release = asyncio.Event()
        held = asyncio.create_task(_hold(seats, _info("POST", CONFIGMAPS), release, [], "held"))
        await asyncio.sleep(0.01)
        configmap = {"metadata": {"name": "waits"}, "data": {"a": "b"}}
        waiting = asyncio.create_task(session.post(server.make_url(CONFIGMAPS), json=configmap))
        await asyncio.sleep(0.2)
        assert not waiting.done()
        async with session.get(server.make_url("/metrics")) as response:
            metrics = await response.text()
        assert (
            'apiserver_flowcontrol_current_inqueue_requests{priority_level="workload"} 1' in metrics
        )
        assert (
            'apiserver_flowcontrol_current_executing_requests{priority_level="workload"} 1'
            in metrics
        )

        created["spec"]["renewTime"] = "2026-11-27T18:00:00.000000Z"
        async with session.put(server.make_url(NODE_LEASE), json=created) as response:
            assert response.status == 200
            assert (await response.json())["spec"]["renewTime"] == "2026-11-27T18:00:00.000000Z"
        assert not waiting.done()

        release.set()
        await held
        response = await asyncio.wait_for(waiting, 10)
        assert response.status == 201
        response.release()
