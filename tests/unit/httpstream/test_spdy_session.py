"""SPDY sessions: a client and a server over an in-memory channel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from kubeling.httpstream import spdy
from kubeling.httpstream.spdy_session import SpdySession, SpdyStream, StreamClosedError


class _Channel:
    """One end of an in-memory byte channel; what one end sends, the other receives."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[bytes] = asyncio.Queue()
        self.peer: _Channel | None = None
        self.sent: list[bytes] = []
        self.closed = False

    async def receive(self) -> bytes:
        return await self.inbox.get()

    async def send(self, data: bytes) -> None:
        if self.closed:
            raise ConnectionResetError("closed")
        assert self.peer is not None
        self.sent.append(data)
        await self.peer.inbox.put(data)

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            assert self.peer is not None
            await self.peer.inbox.put(b"")
            await self.inbox.put(b"")


def _pair() -> tuple[_Channel, _Channel]:
    a, b = _Channel(), _Channel()
    a.peer, b.peer = b, a
    return a, b


class _Sessions:
    def __init__(self, accept: Callable[[SpdyStream], str | None]) -> None:
        self.accepted: list[SpdyStream] = []

        def record(stream: SpdyStream) -> str | None:
            refusal = accept(stream)
            if refusal is None:
                self.accepted.append(stream)
            return refusal

        self.client_channel, self.server_channel = _pair()
        self.client = SpdySession(self.client_channel, client=True)
        self.server = SpdySession(self.server_channel, accept=record)
        self.tasks = [
            asyncio.create_task(self.client.serve()),
            asyncio.create_task(self.server.serve()),
        ]


@pytest.fixture
async def sessions() -> AsyncIterator[_Sessions]:
    pair = _Sessions(lambda stream: None if stream.header("port") else "no port")
    yield pair
    await pair.client.close()
    await pair.server.close()
    await asyncio.wait_for(asyncio.gather(*pair.tasks), 5)


async def test_streams_carry_bytes_both_ways_and_half_close(sessions: _Sessions) -> None:
    """The client opens a stream (the server replies), both write, each half-closes."""
    stream = await sessions.client.open_stream({"port": ["80"], "streamType": ["data"]})
    [server_side] = sessions.accepted
    assert server_side.header("streamtype") == "data"
    await stream.write(b"ping")
    assert await server_side.read() == b"ping"
    await server_side.write(b"pong" * 20000)  # several frames
    received = b""
    while len(received) < 80000:
        received += await stream.read()
    assert received == b"pong" * 20000
    await stream.close()
    assert await server_side.read() == b""
    await server_side.write(b"after the client's half-close")
    assert await stream.read() == b"after the client's half-close"
    await server_side.close()
    assert await stream.read() == b""


async def test_refused_stream(sessions: _Sessions) -> None:
    """A stream the server refuses is reset; open_stream raises."""
    with pytest.raises(StreamClosedError, match="refused"):
        await sessions.client.open_stream({"streamType": ["data"]})
    assert sessions.accepted == []


async def test_reset_ends_both_ways(sessions: _Sessions) -> None:
    """RST_STREAM: the peer's reads end at once and its writes fail."""
    stream = await sessions.client.open_stream({"port": ["1"]})
    [server_side] = sessions.accepted
    await stream.reset()
    assert await server_side.read() == b""
    assert server_side.is_reset
    with pytest.raises(StreamClosedError):
        await stream.write(b"x")
    await asyncio.sleep(0)
    with pytest.raises(StreamClosedError):
        await server_side.write(b"x")


async def test_pings_with_the_peers_parity_are_echoed(sessions: _Sessions) -> None:
    """A client ping (odd id) comes back from the server; the server's own (even) are not."""
    decoder = spdy.FrameDecoder()
    await sessions.client.send_frame(spdy.Ping(ping_id=7))
    await asyncio.sleep(0.05)
    echoed = [f for data in sessions.server_channel.sent for f in decoder.feed(data)]
    assert spdy.Ping(ping_id=7) in echoed


async def test_session_end_ends_every_stream(sessions: _Sessions) -> None:
    """When the channel goes, every stream reads EOF and refuses writes."""
    stream = await sessions.client.open_stream({"port": ["1"]})
    [server_side] = sessions.accepted
    await sessions.client_channel.close()
    assert await server_side.read() == b""
    assert await stream.read() == b""
    with pytest.raises(StreamClosedError):
        await stream.write(b"x")


async def test_garbage_ends_the_session_with_goaway() -> None:
    """Bytes that are not SPDY: GOAWAY PROTOCOL_ERROR, and the server's loop ends."""
    client_channel, server_channel = _pair()
    server = SpdySession(server_channel, accept=lambda stream: None)
    serving = asyncio.create_task(server.serve())
    await client_channel.send(b"\x80\x02\x00\x01\x00\x00\x00\x00")  # SPDY/2
    await asyncio.wait_for(serving, 5)
    [goaway] = spdy.FrameDecoder().feed(b"".join(server_channel.sent))
    assert goaway == spdy.GoAway(last_good_stream_id=0, status=spdy.GoAwayStatus.PROTOCOL_ERROR)


async def test_stream_ids_must_be_the_clients_and_increase() -> None:
    """An even id, or one not above the last, is reset with PROTOCOL_ERROR."""
    client_channel, server_channel = _pair()
    accepted: list[int] = []
    server = SpdySession(server_channel, accept=lambda stream: accepted.append(stream.id))
    serving = asyncio.create_task(server.serve())
    encoder = spdy.FrameEncoder()
    for stream_id in (3, 2, 3, 1, 5):
        await client_channel.send(encoder.encode(spdy.SynStream(stream_id=stream_id)))
    await client_channel.close()
    await asyncio.wait_for(serving, 5)
    assert accepted == [3, 5]
    frames = spdy.FrameDecoder().feed(b"".join(server_channel.sent))
    resets = [f.stream_id for f in frames if isinstance(f, spdy.RstStream)]
    assert resets == [2, 3, 1]


async def test_goaway_stops_new_streams() -> None:
    """After the client's GOAWAY the server accepts no new stream."""
    client_channel, server_channel = _pair()
    accepted: list[int] = []
    server = SpdySession(server_channel, accept=lambda stream: accepted.append(stream.id))
    serving = asyncio.create_task(server.serve())
    encoder = spdy.FrameEncoder()
    await client_channel.send(encoder.encode(spdy.SynStream(stream_id=1)))
    await client_channel.send(encoder.encode(spdy.GoAway(last_good_stream_id=0)))
    await client_channel.send(encoder.encode(spdy.SynStream(stream_id=3)))
    await client_channel.close()
    await asyncio.wait_for(serving, 5)
    assert accepted == [1]


async def test_slow_reader_holds_back_the_session() -> None:
    """Past the stream's buffer the reading loop waits for the reader (backpressure)."""
    client_channel, server_channel = _pair()
    streams: list[SpdyStream] = []
    server = SpdySession(server_channel, accept=lambda s: streams.append(s))
    serving = asyncio.create_task(server.serve())
    encoder = spdy.FrameEncoder()
    await client_channel.send(encoder.encode(spdy.SynStream(stream_id=1)))
    chunk = bytes(64 * 1024)
    for _ in range(8):
        await client_channel.send(encoder.encode(spdy.Data(stream_id=1, data=chunk)))
    await client_channel.send(encoder.encode(spdy.Data(stream_id=1, flags=spdy.FLAG_FIN)))
    await asyncio.sleep(0.05)
    assert not server_channel.inbox.empty()  # the loop stopped reading at the limit
    received = 0
    while data := await streams[0].read():
        received += len(data)
    assert received == 8 * len(chunk)
    await client_channel.close()
    await asyncio.wait_for(serving, 5)
