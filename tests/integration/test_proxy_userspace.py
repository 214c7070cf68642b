"""The userspace backend with real sockets: rules in, traffic through 127.96.x.y out.

No API server here: rules come from Service and EndpointSlice objects built in
the test (as the API would return them), and small servers on 127.0.0.1 stand
in for pods. Cluster IPs are in 127.96.0.0/16, which Linux answers for on
loopback, so binding them needs no root.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kubeling.proxy.node import NodeInfo
from kubeling.proxy.rules import compute_rules
from kubeling.proxy.userspace import backend as backend_module
from kubeling.proxy.userspace.backend import UserspaceBackend
from tests.support.backends import (
    EchoBackend,
    HttpBackend,
    UdpEchoBackend,
    http_get,
    open_fds,
    udp_ask,
)
from tests.support.ports import free_port
from tests.support.waiting import eventually
from tests.unit.proxy.builders import endpoint, endpoint_slice, service

Obj = dict[str, Any]
NODE = NodeInfo("node-1")
CLUSTER_IP = "127.96.200.10"


@pytest.fixture
async def backend() -> AsyncIterator[UserspaceBackend]:
    proxy = UserspaceBackend(udp_idle_timeout=0.3, connect_timeout=2.0)
    yield proxy
    await proxy.close()


@pytest.fixture
async def pods() -> AsyncIterator[list[HttpBackend]]:
    hits: Counter[str] = Counter()
    servers = [await HttpBackend(f"pod-{n}", hits).start() for n in range(3)]
    yield servers
    for server in servers:
        await server.close()


def web(**spec: Any) -> Obj:
    return service("web", cluster_ip=CLUSTER_IP, **spec)


def slices_for(*ports: int, ready: bool = True, protocol: str = "TCP") -> list[Obj]:
    """One slice per backend port (pods resolving the target port to different numbers)."""
    return [
        endpoint_slice(
            "web", endpoint("127.0.0.1", ready=ready), name=f"web-{p}", port=p, protocol=protocol
        )
        for p in ports
    ]


async def apply(proxy: UserspaceBackend, services: list[Obj], slices: list[Obj]) -> None:
    problems = await proxy.sync(compute_rules(services, slices, NODE), NODE)
    assert problems == []


async def test_traffic_is_spread_round_robin(
    backend: UserspaceBackend, pods: list[HttpBackend]
) -> None:
    await apply(backend, [web()], slices_for(*(p.port for p in pods)))
    answers = [await http_get(CLUSTER_IP, 80) for _ in range(9)]
    assert Counter(answers) == {"pod-0": 3, "pod-1": 3, "pod-2": 3}


async def test_no_endpoints_is_refused_at_once(
    backend: UserspaceBackend, pods: list[HttpBackend]
) -> None:
    await apply(backend, [web()], slices_for(pods[0].port))
    assert await http_get(CLUSTER_IP, 80) == "pod-0"
    await apply(backend, [web()], [])
    assert backend.listening == frozenset()
    with pytest.raises(ConnectionRefusedError):
        await http_get(CLUSTER_IP, 80)
    await apply(backend, [web()], slices_for(pods[1].port))  # scaled up again
    assert await http_get(CLUSTER_IP, 80) == "pod-1"


async def test_existing_connections_finish_when_endpoints_change(
    backend: UserspaceBackend, pods: list[HttpBackend]
) -> None:
    await apply(backend, [web()], slices_for(pods[0].port))
    reader, writer = await asyncio.open_connection(CLUSTER_IP, 80)
    request = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"
    writer.write(request)
    assert (await reader.readuntil(b"pod-0")).endswith(b"pod-0")
    await apply(backend, [web()], [])  # scaled to zero: no new connections...
    writer.write(request)  # ...but this one carries on
    assert (await reader.readuntil(b"pod-0")).endswith(b"pod-0")
    writer.close()


async def test_a_not_ready_endpoint_leaves_rotation(
    backend: UserspaceBackend, pods: list[HttpBackend]
) -> None:
    ready = slices_for(pods[0].port, pods[1].port)
    not_ready = slices_for(pods[2].port, ready=False)
    await apply(backend, [web()], ready + not_ready)
    answers = {await http_get(CLUSTER_IP, 80) for _ in range(6)}
    assert answers == {"pod-0", "pod-1"}


async def test_client_ip_affinity_sticks(
    backend: UserspaceBackend, pods: list[HttpBackend]
) -> None:
    sticky = web(
        sessionAffinity="ClientIP", sessionAffinityConfig={"clientIP": {"timeoutSeconds": 60}}
    )
    await apply(backend, [sticky], slices_for(*(p.port for p in pods)))
    answers = {await http_get(CLUSTER_IP, 80) for _ in range(6)}
    assert len(answers) == 1


async def test_a_dead_endpoint_is_skipped(
    backend: UserspaceBackend, pods: list[HttpBackend]
) -> None:
    dead = free_port()  # nothing listens there
    await apply(backend, [web()], slices_for(pods[0].port, dead))
    assert {await http_get(CLUSTER_IP, 80) for _ in range(4)} == {"pod-0"}


async def test_no_endpoint_answering_resets_the_client(backend: UserspaceBackend) -> None:
    await apply(backend, [web()], slices_for(free_port(), free_port()))
    with pytest.raises(ConnectionError):
        await http_get(CLUSTER_IP, 80)
    assert backend.statistics().tcp_upstream_failures == 1


async def test_half_close_and_large_transfers_pass_through(backend: UserspaceBackend) -> None:
    echo = await EchoBackend(after_eof=True).start()
    try:
        await apply(backend, [web()], slices_for(echo.port))
        payload = bytes(range(256)) * 40_000  # 10 MB: flow control both ways
        reader, writer = await asyncio.open_connection(CLUSTER_IP, 80)

        async def send() -> None:
            writer.write(payload)
            await writer.drain()
            writer.write_eof()

        sending = asyncio.create_task(send())
        received = await reader.read(-1)
        await sending
        writer.close()
        assert received == payload
    finally:
        await echo.close()


async def test_node_port_and_load_balancer_frontends(
    backend: UserspaceBackend, pods: list[HttpBackend]
) -> None:
    node_port, lb_port = free_port(), free_port()
    svc = web(
        type="LoadBalancer",
        ports=[{"name": "http", "port": lb_port, "protocol": "TCP", "nodePort": node_port}],
        ingress=[{"ip": "127.0.0.1", "ipMode": "VIP"}],
        externalIPs=["192.0.2.10"],  # not an address of this host: skipped quietly
    )
    await apply(backend, [svc], slices_for(pods[0].port))
    assert await http_get("127.0.0.1", node_port) == "pod-0"
    assert await http_get("127.0.0.1", lb_port) == "pod-0"
    assert await http_get(CLUSTER_IP, lb_port) == "pod-0"


async def test_ports_that_cannot_be_opened_are_reported_and_retried(
    backend: UserspaceBackend, pods: list[HttpBackend]
) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    svc = web(
        type="NodePort", ports=[{"name": "http", "port": 80, "protocol": "TCP", "nodePort": port}]
    )
    rules = compute_rules([svc], slices_for(pods[0].port), NODE)
    (problem,) = await backend.sync(rules, NODE)
    assert problem.message == (
        f"can't open port nodePort for ns/web:http (127.0.0.1:{port}/TCP), skipping it: "
        "Address already in use"
    )
    assert await http_get(CLUSTER_IP, 80) == "pod-0"  # the rest works
    taken.close()
    assert await backend.sync(rules, NODE) == []
    assert await http_get("127.0.0.1", port) == "pod-0"


async def test_two_services_on_one_address_and_port(
    backend: UserspaceBackend, pods: list[HttpBackend]
) -> None:
    port = free_port()
    services = [
        service(
            name,
            cluster_ip=ip,
            type="LoadBalancer",
            ingress=[{"ip": "127.0.0.1"}],
            ports=[{"name": "http", "port": port, "protocol": "TCP"}],
        )
        for name, ip in (("a", "127.96.200.11"), ("b", "127.96.200.12"))
    ]
    slices = [endpoint_slice(name, endpoint("127.0.0.1"), port=pods[0].port) for name in ("a", "b")]
    (problem,) = await backend.sync(compute_rules(services, slices, NODE), NODE)
    assert problem.frontend.rule.name.name == "b"
    assert problem.message.endswith(
        f"in use by loadbalancer IP for ns/a:http (127.0.0.1:{port}/TCP)"
    )


async def test_connection_limit_resets_the_excess(pods: list[HttpBackend]) -> None:
    proxy = UserspaceBackend(max_connections=3)
    try:
        await apply(proxy, [web()], slices_for(pods[0].port))
        held = [await asyncio.open_connection(CLUSTER_IP, 80) for _ in range(3)]
        for _reader, writer in held:  # make sure each is relaying
            writer.write(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        for reader, _writer in held:
            await reader.readuntil(b"pod-0")
        with pytest.raises(ConnectionError):
            await http_get(CLUSTER_IP, 80)
        for _reader, writer in held:
            writer.close()
        await eventually(
            lambda: proxy.statistics().tcp_active == 0,
            within=10,
            what="the proxy's connections closed",
        )
        assert await http_get(CLUSTER_IP, 80) == "pod-0"
    finally:
        await proxy.close()


async def test_a_flood_of_connections_leaves_nothing_behind(
    backend: UserspaceBackend, pods: list[HttpBackend]
) -> None:
    await apply(backend, [web()], slices_for(*(p.port for p in pods)))
    assert await http_get(CLUSTER_IP, 80)
    baseline = open_fds()

    async def one(n: int) -> None:
        try:
            _reader, writer = await asyncio.open_connection(CLUSTER_IP, 80)
        except OSError:
            return  # the listen backlog overflowed: a refusal is fine, a crash is not
        if n % 3 == 0:
            writer.transport.abort()  # a client that resets at once
            return
        if n % 3 == 1:
            writer.write(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        writer.close()

    for _round in range(4):
        await asyncio.gather(*(one(n) for n in range(300)))
    await eventually(
        lambda: backend.statistics().tcp_active == 0,
        within=10,
        what="the backend's connections closed",
    )
    assert await http_get(CLUSTER_IP, 80)
    assert open_fds() <= baseline + 5
    assert backend.statistics().tcp_accepted >= 1000


async def test_udp_flows(backend: UserspaceBackend) -> None:
    hits: Counter[str] = Counter()
    echoes = [await UdpEchoBackend(f"udp-{n}", hits).start() for n in range(2)]
    stack = contextlib.ExitStack()
    try:
        dns = web(ports=[{"name": "dns", "port": 53, "protocol": "UDP"}])
        slices = [
            endpoint_slice(
                "web",
                endpoint("127.0.0.1"),
                name=f"w{e.port}",
                port=e.port,
                port_name="dns",
                protocol="UDP",
            )
            for e in echoes
        ]
        await apply(backend, [dns], slices)
        # One client keeps its flow (and endpoint); new clients are spread.
        client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        stack.callback(client.close)
        answers = {await udp_ask(CLUSTER_IP, 53, b"q", sock=client) for _ in range(3)}
        assert len(answers) == 1
        others = {await udp_ask(CLUSTER_IP, 53, b"q") for _ in range(4)}
        assert others == {b"udp-0:q", b"udp-1:q"}
        # Idle flows are forgotten.
        await eventually(
            lambda: backend.statistics().udp_flows == 0,
            within=10,
            what="the backend's UDP flows expired",
        )
        # An endpoint leaving ends its flows; no endpoint at all: nothing listens.
        first = await udp_ask(CLUSTER_IP, 53, b"q", sock=client)
        keep = 0 if first.startswith(b"udp-1") else 1
        await apply(backend, [dns], [slices[keep]])
        assert await udp_ask(CLUSTER_IP, 53, b"q", sock=client) == f"udp-{keep}:q".encode()
        await apply(backend, [dns], [])
        with pytest.raises((TimeoutError, ConnectionRefusedError)):
            await udp_ask(CLUSTER_IP, 53, b"q", sock=client, within=0.3)
    finally:
        stack.close()
        for echo in echoes:
            await echo.close()


async def test_load_balancer_source_ranges(
    backend: UserspaceBackend, pods: list[HttpBackend]
) -> None:
    port = free_port()

    def lb(ranges: list[str]) -> Obj:
        return web(
            type="LoadBalancer",
            ports=[{"name": "http", "port": port, "protocol": "TCP"}],
            ingress=[{"ip": "127.0.0.1"}],
            loadBalancerSourceRanges=ranges,
        )

    await apply(backend, [lb(["10.0.0.0/8"])], slices_for(pods[0].port))
    with pytest.raises(ConnectionError):
        await http_get("127.0.0.1", port)
    assert await http_get(CLUSTER_IP, port) == "pod-0"  # the cluster IP is not firewalled
    await apply(backend, [lb(["127.0.0.0/8"])], slices_for(pods[0].port))
    assert await http_get("127.0.0.1", port) == "pod-0"


async def test_closing_the_backend_ends_everything(pods: list[HttpBackend]) -> None:
    proxy = UserspaceBackend()
    await apply(proxy, [web()], slices_for(pods[0].port))
    reader, writer = await asyncio.open_connection(CLUSTER_IP, 80)
    writer.write(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    await reader.readuntil(b"pod-0")
    await proxy.close()
    assert proxy.listening == frozenset()
    with pytest.raises(ConnectionResetError):
        await reader.read()
    writer.close()
    with pytest.raises(ConnectionRefusedError):
        await http_get(CLUSTER_IP, 80)


async def test_a_udp_flood_is_bounded() -> None:
    """Datagrams from many clients open at most ``max_connections`` flows; the rest are
    dropped, and the flows time out."""
    echo = await UdpEchoBackend("udp-0").start()
    proxy = UserspaceBackend(max_connections=20, udp_idle_timeout=0.3)
    try:
        dns = web(ports=[{"name": "dns", "port": 53, "protocol": "UDP"}])
        slice_ = endpoint_slice(
            "web", endpoint("127.0.0.1"), port=echo.port, port_name="dns", protocol="UDP"
        )
        await apply(proxy, [dns], [slice_])
        baseline = open_fds()
        senders = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(200)]
        try:
            for sender in senders:
                sender.sendto(b"\x00garbage\xff" * 10, (CLUSTER_IP, 53))
            await eventually(
                lambda: proxy.statistics().udp_dropped >= 180,
                within=10,
                what="180 dropped datagrams",
            )
            assert proxy.statistics().udp_flows <= 20
            assert open_fds() <= baseline + len(senders) + 20
        finally:
            for sender in senders:
                sender.close()
        await eventually(
            lambda: proxy.statistics().udp_flows == 0,
            within=10,
            what="the proxy's UDP flows expired",
        )
        assert await udp_ask(CLUSTER_IP, 53, b"still there") == b"udp-0:still there"
    finally:
        await proxy.close()
        await echo.close()


async def test_privileged_ports_without_the_right_are_reported(
    backend: UserspaceBackend, pods: list[HttpBackend], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As an unprivileged user (these tests run as root), ports below 1024 fail to open:
    that Service port is reported, the others work."""
    real_open = backend_module.open_socket

    def unprivileged(ip: str, port: int, protocol: str) -> socket.socket:
        if port < 1024:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(ip, port, protocol)

    monkeypatch.setattr(backend_module, "open_socket", unprivileged)
    svc = web(
        type="NodePort",
        ports=[{"name": "http", "port": 80, "protocol": "TCP", "nodePort": free_port()}],
    )
    rules = compute_rules([svc], slices_for(pods[0].port), NODE)
    (problem,) = await backend.sync(rules, NODE)
    assert problem.message == (
        f"can't open port cluster IP for ns/web:http ({CLUSTER_IP}:80/TCP), skipping it: "
        "Permission denied"
    )
    node_port = svc["spec"]["ports"][0]["nodePort"]
    assert await http_get("127.0.0.1", node_port) == "pod-0"
