"""The forwarder against upstreams on 127.0.0.1: failover, TCP after TC, and only the real
reply accepted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import cast

import pytest

from kubeling.dns.message import CLASS_IN, A, AddressA, Edns, Flags, Message, Question, Record
from kubeling.dns.upstream import Forwarder
from kubeling.dns.wire import decode_message, encode_message
from tests.support.dns import FakeUpstream


def _query(name: str, *, edns: Edns | None = None) -> bytes:
    return encode_message(
        Message(id=0x0101, flags=Flags.RD, questions=[Question(name, A)], edns=edns)
    )


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    fake = await FakeUpstream().start()
    try:
        yield fake
    finally:
        await fake.stop()


class _Impostor(asyncio.DatagramProtocol):
    """Answers every query first with a wrong id, a wrong question, a query (no QR) and
    garbage, and only then properly."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = decode_message(data)
        good = Message(
            id=query.id,
            flags=Flags.QR,
            questions=query.questions,
            answers=[Record("a.test", A, CLASS_IN, 60, AddressA("192.0.2.99"))],
        )
        wrong_id = Message(id=query.id ^ 1, flags=Flags.QR, questions=query.questions)
        other = Message(id=query.id, flags=Flags.QR, questions=[Question("other.test", A)])
        not_a_reply = Message(id=query.id, questions=query.questions)
        for message in (wrong_id, other, not_a_reply):
            self.transport.sendto(encode_message(message), addr)
        self.transport.sendto(data[:2] + b"\x80\x00garbage", addr)
        self.transport.sendto(encode_message(good), addr)


async def test_only_the_real_reply_is_taken() -> None:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(_Impostor, local_addr=("127.0.0.1", 0))
    try:
        port = transport.get_extra_info("sockname")[1]
        reply = await Forwarder([("127.0.0.1", port)], timeout=2).exchange(_query("a.test"))
        assert reply is not None
        message = decode_message(reply)
        assert message.questions == [Question("a.test", A)]
        assert message.answers == [Record("a.test", A, CLASS_IN, 60, AddressA("192.0.2.99"))]
    finally:
        transport.close()


async def test_a_silent_upstream_is_skipped(upstream: FakeUpstream) -> None:
    loop = asyncio.get_running_loop()
    silent, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    try:
        dead = silent.get_extra_info("sockname")[1]
        forwarder = Forwarder([("127.0.0.1", dead), ("127.0.0.1", upstream.port)], timeout=0.3)
        reply = await forwarder.exchange(_query("www.example.test"))
        assert reply is not None
        assert decode_message(reply).answers[0].name == "www.example.test"
        assert forwarder.in_flight == 0
    finally:
        silent.close()


async def test_nobody_answering_is_none(upstream: FakeUpstream) -> None:
    forwarder = Forwarder([("127.0.0.1", upstream.port)], timeout=0.3)
    assert await forwarder.exchange(_query("slow.example.test")) is None
    assert await Forwarder([], timeout=0.3).exchange(_query("www.example.test")) is None


@pytest.mark.parametrize("tcp", [True, False])
async def test_truncated_answers_are_asked_again_over_tcp(
    upstream: FakeUpstream, tcp: bool
) -> None:
    """100 addresses do not fit 512 bytes: the UDP answer has TC; with TCP allowed the
    forwarder asks again over TCP and gets them all."""
    forwarder = Forwarder([("127.0.0.1", upstream.port)], timeout=2)
    reply = await forwarder.exchange(_query("big.example.test"), tcp_on_truncation=tcp)
    assert reply is not None
    message = decode_message(reply)
    assert message.truncated is not tcp
    assert (len(message.answers) == 100) is tcp
    assert [q[0] for q in upstream.queries] == (["udp", "tcp"] if tcp else ["udp"])


async def test_every_query_leaves_with_a_fresh_id(upstream: FakeUpstream) -> None:
    forwarder = Forwarder([("127.0.0.1", upstream.port)], timeout=2)
    for _ in range(5):
        reply = await forwarder.exchange(_query("www.example.test"))
        assert reply is not None
        assert reply[:2] == upstream.queries[-1][1].to_bytes(2, "big")
    assert len({query[1] for query in upstream.queries}) > 1


def test_saturation() -> None:
    forwarder = Forwarder([], max_in_flight=2)
    forwarder.in_flight = 2
    assert forwarder.saturated()
