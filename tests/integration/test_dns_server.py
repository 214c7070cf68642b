"""The DNS server on real sockets, asked by dig over UDP and TCP, forwarding to a fake
upstream; and what floods of malformed packets and connections leave behind (nothing)."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from kubeling.dns.handler import QueryHandler
from kubeling.dns.message import A, Flags, Message, Question
from kubeling.dns.records import namespace_contribution, service_contribution
from kubeling.dns.server import DnsServer
from kubeling.dns.upstream import Forwarder
from kubeling.dns.wire import decode_message, encode_message
from kubeling.dns.zone import ClusterZone
from tests.support.controllers import eventually
from tests.support.dns import FakeUpstream, dig
from tests.support.dns_objects import endpoint, endpoint_slice, port, service

HOST = "127.0.0.1"
WEB = "web.default.svc.cluster.local"
BIG = "big.default.svc.cluster.local"


def _zone() -> ClusterZone:
    zone = ClusterZone(dns_ips=("10.96.0.10",))
    zone.set_source(("namespace", "default"), namespace_contribution("default", zone=zone.domain))
    web = service("web", ports=[port("http", 80)])
    zone.set_source(("service", "default/web"), service_contribution(web, [], zone=zone.domain))
    big = endpoint_slice("big", [endpoint(f"10.1.0.{i}") for i in range(1, 101)])
    zone.set_source(
        ("service", "default/big"),
        service_contribution(service("big", cluster_ip="None"), [big], zone=zone.domain),
    )
    for name, target in (("ext", "www.example.test"), ("slow", "slow.example.test")):
        ext = service(name, cluster_ip=None, type="ExternalName", external_name=target)
        zone.set_source(
            ("service", f"default/{name}"), service_contribution(ext, [], zone=zone.domain)
        )
    return zone


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    fake = await FakeUpstream().start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def server(upstream: FakeUpstream) -> AsyncIterator[DnsServer]:
    dns = DnsServer(
        QueryHandler(_zone()),
        Forwarder([(HOST, upstream.port)], timeout=1.0, max_in_flight=50),
        max_tcp_connections=20,
        tcp_idle_timeout=2.0,
    )
    await dns.start(HOST, 0)
    try:
        yield dns
    finally:
        await dns.stop()


def _port(server: DnsServer) -> int:
    assert server.address is not None
    return server.address[1]


@pytest.mark.parametrize("transport", ["+notcp", "+tcp"])
async def test_dig_gets_cluster_answers(server: DnsServer, transport: str) -> None:
    port_number = _port(server)
    answer = await dig(HOST, port_number, WEB, "A", transport)
    assert answer.status == "NOERROR"
    assert {"qr", "aa", "rd", "ra"} <= answer.flags
    assert answer.answer == [f"{WEB} 5 A 10.96.0.5"]
    assert answer.transport == ("TCP" if transport == "+tcp" else "UDP")
    srv = await dig(HOST, port_number, f"_http._tcp.{WEB}", "SRV", transport)
    assert srv.answer == [f"_http._tcp.{WEB} 5 SRV 0 100 80 {WEB}"]
    assert srv.additional == [f"{WEB} 5 A 10.96.0.5"]
    missing = await dig(HOST, port_number, "nope.default.svc.cluster.local", "A", transport)
    assert missing.status == "NXDOMAIN"
    assert missing.authority[0].startswith("cluster.local 5 SOA ns.dns.cluster.local")
    nodata = await dig(HOST, port_number, WEB, "AAAA", transport)
    assert nodata.status == "NOERROR"
    assert nodata.answer == []
    assert len(nodata.authority) == 1


async def test_truncated_over_udp_whole_over_tcp(server: DnsServer) -> None:
    """100 addresses do not fit a UDP answer: TC, and dig's retry over TCP gets them all."""
    port_number = _port(server)
    udp = await dig(HOST, port_number, BIG, "A", "+ignore", "+noedns")
    assert "tc" in udp.flags
    assert 0 < len(udp.answer) < 100
    retried = await dig(HOST, port_number, BIG, "A")
    assert retried.transport == "TCP"
    assert "tc" not in retried.flags
    assert len(retried.answer) == 100


async def test_other_names_are_forwarded(server: DnsServer, upstream: FakeUpstream) -> None:
    port_number = _port(server)
    answer = await dig(HOST, port_number, "www.example.test", "A")
    assert answer.status == "NOERROR"
    assert answer.data == ["192.0.2.1"]
    assert "aa" not in answer.flags
    nx = await dig(HOST, port_number, "nx.example.test", "A")
    assert nx.status == "NXDOMAIN"
    # The upstream saw queries with ids of the forwarder's own.
    assert [q[0] for q in upstream.queries] == ["udp", "udp"]


async def test_large_forwarded_answers_come_whole_over_tcp(
    server: DnsServer, upstream: FakeUpstream
) -> None:
    """dig over UDP gets TC (the upstream's own UDP answer), retries over TCP, and the
    forwarder, asked over TCP, goes UDP then TCP upstream."""
    answer = await dig(HOST, _port(server), "big.example.test", "A")
    assert answer.transport == "TCP"
    assert len(answer.answer) == 100
    assert [q[0] for q in upstream.queries] == ["udp", "udp", "tcp"]


async def test_external_names_are_resolved_upstream(server: DnsServer) -> None:
    answer = await dig(HOST, _port(server), "ext.default.svc.cluster.local", "A")
    assert answer.answer == [
        "ext.default.svc.cluster.local 5 CNAME www.example.test",
        "www.example.test 60 A 192.0.2.1",
    ]


async def test_silent_upstreams_give_servfail_in_time(server: DnsServer) -> None:
    port_number = _port(server)
    answer = await dig(HOST, port_number, "slow.example.test", "A")
    assert answer.status == "SERVFAIL"
    chased = await dig(HOST, port_number, "slow.default.svc.cluster.local", "A")
    assert chased.status == "NOERROR"
    assert chased.answer == ["slow.default.svc.cluster.local 5 CNAME slow.example.test"]


def _no_tasks_left(server: DnsServer) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return server.statistics()["tasks"] == 0

    return check


def _garbage(rng: random.Random, valid: bytes) -> bytes:
    kind = rng.randrange(4)
    if kind == 0:
        return rng.randbytes(rng.randrange(0, 600))
    data = bytearray(valid)
    for _ in range(rng.randrange(1, 6)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    if kind == 1:
        return bytes(data[: rng.randrange(len(data) + 1)])
    if kind == 2:
        # Pointers everywhere, counts that lie.
        data[4:12] = rng.randbytes(8)
        return bytes(data) + b"\xc0\x0c" * rng.randrange(1, 50)
    return bytes(data)


async def test_a_flood_of_malformed_packets_changes_nothing(server: DnsServer) -> None:
    """20,000 random and mutated datagrams: the server answers or drops each, keeps no
    state for them, and still answers properly afterwards."""
    rng = random.Random(6)
    valid = encode_message(Message(id=1, flags=Flags.RD, questions=[Question(WEB, A)]))
    address = (HOST, _port(server))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.setblocking(False)
        for i in range(20_000):
            try:
                sender.sendto(_garbage(rng, valid), address)
            except BlockingIOError:
                await asyncio.sleep(0.001)
            if i % 200 == 0:
                await asyncio.sleep(0)  # let the server read
    await asyncio.sleep(0.5)
    statistics = server.statistics()
    assert statistics["queries"] > 1000
    assert statistics["formerr"] > 100
    assert statistics["cached_answers"] <= server.handler.cache_size
    answer = await dig(HOST, address[1], WEB, "A")
    assert answer.answer == [f"{WEB} 5 A 10.96.0.5"]
    # Mutated names outside the zone went upstream; every forward has finished.
    await eventually(
        _no_tasks_left(server), within=10, what="every forward started by the flood to finish"
    )


async def test_tcp_abuse_is_bounded(server: DnsServer) -> None:
    """Garbage lengths close the connection; idle connections are closed after the idle
    timeout; connections beyond the limit are closed at once; queries still work."""
    host, port_number = HOST, _port(server)
    # A length below a header: closed.
    reader, writer = await asyncio.open_connection(host, port_number)
    writer.write(b"\x00\x03abc")
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()
    # A length and then garbage: FORMERR, then the connection stays usable.
    reader, writer = await asyncio.open_connection(host, port_number)
    writer.write(b"\x00\x0c" + b"\x42\x42" + b"\x01\x00" + b"\xff" * 8)
    size = int.from_bytes(await asyncio.wait_for(reader.readexactly(2), 5), "big")
    response = decode_message(await reader.readexactly(size))
    assert response.id == 0x4242
    assert response.rcode == 1
    query = encode_message(Message(id=7, flags=Flags.RD, questions=[Question(WEB, A)]))
    writer.write(len(query).to_bytes(2, "big") + query)
    size = int.from_bytes(await asyncio.wait_for(reader.readexactly(2), 5), "big")
    assert decode_message(await reader.readexactly(size)).answers
    writer.close()
    # Many idle connections: at most 20 held, all closed by the idle timeout.
    connections = [await asyncio.open_connection(host, port_number) for _ in range(40)]
    await asyncio.sleep(0.2)
    assert server.statistics()["tcp_connections"] <= 20
    async with asyncio.timeout(10):
        for reader, _ in connections:
            assert await reader.read() == b""
    for _, writer in connections:
        writer.close()
    assert server.statistics()["tcp_connections"] == 0
    answer = await dig(host, port_number, WEB, "A", "+tcp")
    assert answer.answer == [f"{WEB} 5 A 10.96.0.5"]


async def test_port_zero_binds_udp_and_tcp_on_one_port(server: DnsServer) -> None:
    port_number = _port(server)
    udp = await dig(HOST, port_number, WEB, "A", "+notcp")
    tcp = await dig(HOST, port_number, WEB, "A", "+tcp")
    assert udp.answer == tcp.answer


async def test_forwards_beyond_the_limit_are_refused_at_once(upstream: FakeUpstream) -> None:
    """With 2 forwards allowed and an upstream that never answers, the third query on is
    REFUSED at once instead of queueing."""
    dns = DnsServer(
        QueryHandler(_zone()), Forwarder([(HOST, upstream.port)], timeout=30, max_in_flight=2)
    )
    await dns.start(HOST, 0)
    try:
        loop = asyncio.get_running_loop()
        answers: asyncio.Queue[bytes] = asyncio.Queue()

        class Client(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
                answers.put_nowait(data)

        transport, _ = await loop.create_datagram_endpoint(Client, remote_addr=dns.address)
        for ident in range(6):
            query = Message(id=ident, flags=Flags.RD, questions=[Question("slow.example.test", A)])
            transport.sendto(encode_message(query))
        async with asyncio.timeout(10):  # long before the forwards could end
            refused = [decode_message(await answers.get()) for _ in range(4)]
        assert {response.rcode for response in refused} == {5}
        assert dns.statistics()["tasks"] == 2
        transport.close()
    finally:
        await dns.stop()
