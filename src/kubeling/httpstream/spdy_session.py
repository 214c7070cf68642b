"""A SPDY/3.1 session over a byte channel: streams opened, fed, half-closed and reset.

One :class:`SpdySession` runs over one :class:`ByteChannel` (a taken-over TCP/TLS connection, or
the binary messages of a WebSocket that tunnels SPDY). It behaves as Kubernetes' spdystream does:

- The client opens streams (odd ids, increasing); the server answers each SYN_STREAM with a
  SYN_REPLY if its ``accept`` callback takes it, and with RST_STREAM CANCEL otherwise. A client
  session's :meth:`SpdySession.open_stream` waits for that reply.
- DATA frames go to their stream's buffer; FLAG_FIN ends what the peer sends on it (a half-close:
  the stream can still be written). RST_STREAM ends it both ways.
- PINGs with the peer's parity are echoed; SETTINGS, WINDOW_UPDATE and HEADERS are ignored (no
  flow control, as in spdystream).
- When the channel ends (EOF, error, bytes that are not SPDY), every stream ends.

Backpressure: a stream buffers up to 256 KiB; past that, the reading loop waits for the stream's
reader, which stops reading the channel (so TCP slows the peer). Data for one slow stream
therefore delays the others, as spdystream's unbuffered channels do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from kubeling.httpstream import spdy

__all__ = ["ByteChannel", "SpdySession", "SpdyStream", "StreamClosedError"]

log = logging.getLogger(__name__)

_BUFFER_LIMIT = 256 * 1024
_FRAME_CHUNK = 32 * 1024


class ByteChannel(Protocol):
    """An ordered, reliable byte channel (both directions)."""

    async def receive(self) -> bytes:
        """The next bytes; ``b""`` once the peer is done."""
        ...

    async def send(self, data: bytes) -> None:
        """Send ``data``."""
        ...

    async def close(self) -> None:
        """End the channel."""
        ...


class StreamClosedError(ConnectionError):
    """Writing to a stream that was reset, or on a session that ended."""


#: Decides on a stream the peer opened: None accepts it; a reason refuses it (RST_STREAM).
AcceptStream = Callable[["SpdyStream"], str | None]


class SpdyStream:
    """One stream of a session: read the peer's bytes, write ours, half-close, reset."""

    def __init__(self, session: SpdySession, stream_id: int, headers: spdy.Headers) -> None:
        self._session = session
        self.id = stream_id
        self.headers = headers
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._remote_done = False
        self._local_done = False
        self._reset = False
        self._readable = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._replied = asyncio.Event()

    def header(self, name: str) -> str:
        """The first value of header ``name`` (any case), or ``""``."""
        return spdy.header_value(self.headers, name)

    @property
    def is_reset(self) -> bool:
        """Whether either side reset the stream (or the session ended)."""
        return self._reset

    async def read(self) -> bytes:
        """The peer's next bytes; ``b""`` once it half-closed, reset, or the session ended."""
        while not self._chunks:
            if self._remote_done:
                return b""
            self._readable.clear()
            await self._readable.wait()
        chunk = self._chunks.popleft()
        self._buffered -= len(chunk)
        if self._buffered < _BUFFER_LIMIT:
            self._room.set()
        return chunk

    async def write(self, data: bytes) -> None:
        """Send ``data`` in DATA frames; raises :class:`StreamClosedError` once reset or closed."""
        for start in range(0, len(data), _FRAME_CHUNK):
            if self._reset or self._local_done:
                raise StreamClosedError(f"stream {self.id} is closed")
            chunk = data[start : start + _FRAME_CHUNK]
            await self._session.send_frame(spdy.Data(stream_id=self.id, data=chunk))

    async def close(self) -> None:
        """Half-close: tell the peer we send nothing more (an empty DATA frame with FIN)."""
        if self._local_done or self._reset:
            return
        self._local_done = True
        with contextlib.suppress(ConnectionError):
            await self._session.send_frame(spdy.Data(stream_id=self.id, flags=spdy.FLAG_FIN))
        self._session.forget_if_done(self)

    async def reset(self, status: int = spdy.RstStatus.CANCEL) -> None:
        """Abort the stream both ways (RST_STREAM)."""
        if self._reset:
            return
        self._end(reset=True)
        with contextlib.suppress(ConnectionError):
            await self._session.send_frame(spdy.RstStream(stream_id=self.id, status=status))

    # -- fed by the session ---------------------------------------------------------------------

    async def _deliver(self, data: bytes, *, fin: bool) -> None:
        if data and not self._remote_done:
            await self._room.wait()
            self._chunks.append(data)
            self._buffered += len(data)
            if self._buffered >= _BUFFER_LIMIT:
                self._room.clear()
            self._readable.set()
        if fin:
            self._remote_done = True
            self._readable.set()

    def _end(self, *, reset: bool) -> None:
        """No more bytes from the peer; with ``reset`` no more writes either."""
        self._remote_done = True
        self._reset = self._reset or reset
        if reset:
            self._local_done = True
        self._readable.set()
        self._room.set()
        self._replied.set()

    @property
    def done(self) -> bool:
        return self._remote_done and self._local_done


class SpdySession:
    """SPDY/3.1 over ``channel``, as a server (``client=False``) or a client."""

    def __init__(
        self,
        channel: ByteChannel,
        *,
        client: bool = False,
        accept: AcceptStream | None = None,
    ) -> None:
        self._channel = channel
        self._client = client
        self._accept = accept
        self._encoder = spdy.FrameEncoder()
        self._decoder = spdy.FrameDecoder()
        self._send_lock = asyncio.Lock()
        self._streams: dict[int, SpdyStream] = {}
        self._next_id = 1 if client else 2
        self._last_peer_id = 0
        self._going_away = False
        self._ended = False

    @property
    def ended(self) -> bool:
        """Whether the channel is gone."""
        return self._ended

    async def send_frame(self, frame: spdy.SpdyFrame) -> None:
        """Encode and send one frame (in order: the header compressor is a stream)."""
        if self._ended:
            raise StreamClosedError("the SPDY session has ended")
        async with self._send_lock:
            try:
                await self._channel.send(self._encoder.encode(frame))
            except (ConnectionError, RuntimeError) as err:
                self._ended = True
                raise StreamClosedError(f"the SPDY session has ended: {err}") from err

    async def open_stream(self, headers: Mapping[str, Sequence[str]]) -> SpdyStream:
        """Client side: open a stream and wait for the server's reply (a refusal raises)."""
        stream = SpdyStream(self, self._next_id, {k.lower(): list(v) for k, v in headers.items()})
        self._next_id += 2
        self._streams[stream.id] = stream
        await self.send_frame(spdy.SynStream(stream_id=stream.id, headers=stream.headers))
        await stream._replied.wait()
        if stream.is_reset:
            raise StreamClosedError(f"stream {stream.id} was refused")
        return stream

    async def serve(self) -> None:
        """Read frames until the channel ends; then every stream ends."""
        try:
            while True:
                data = await self._channel.receive()
                if not data:
                    return
                for frame in self._decoder.feed(data):
                    await self._handle(frame)
        except spdy.SpdyProtocolError as err:
            log.debug("SPDY protocol error: %s", err)
            with contextlib.suppress(ConnectionError):
                await self.send_frame(
                    spdy.GoAway(
                        last_good_stream_id=self._last_peer_id,
                        status=spdy.GoAwayStatus.PROTOCOL_ERROR,
                    )
                )
        except (ConnectionError, asyncio.IncompleteReadError) as err:
            log.debug("SPDY channel failed: %s", err)
        finally:
            self._ended = True
            for stream in list(self._streams.values()):
                stream._end(reset=True)
            self._streams.clear()

    async def close(self) -> None:
        """Say GOAWAY and close the channel."""
        if not self._ended:
            with contextlib.suppress(ConnectionError):
                await self.send_frame(spdy.GoAway(last_good_stream_id=self._last_peer_id))
        self._ended = True
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self._channel.close()

    def forget_if_done(self, stream: SpdyStream) -> None:
        """Drop a stream closed both ways (its id is never reused)."""
        if stream.done and self._streams.get(stream.id) is stream:
            del self._streams[stream.id]

    # -- frames from the peer ---------------------------------------------------------------------

    async def _handle(self, frame: spdy.SpdyFrame) -> None:
        if isinstance(frame, spdy.Data):
            stream = self._streams.get(frame.stream_id)
            if stream is not None:  # data for a stream that is gone is dropped, as upstream
                await stream._deliver(frame.data, fin=bool(frame.flags & spdy.FLAG_FIN))
                self.forget_if_done(stream)
        elif isinstance(frame, spdy.SynStream):
            await self._peer_opened(frame)
        elif isinstance(frame, spdy.SynReply):
            stream = self._streams.get(frame.stream_id)
            if stream is not None:
                stream._replied.set()
                if frame.flags & spdy.FLAG_FIN:
                    await stream._deliver(b"", fin=True)
        elif isinstance(frame, spdy.RstStream):
            stream = self._streams.pop(frame.stream_id, None)
            if stream is not None:
                stream._end(reset=True)
        elif isinstance(frame, spdy.Ping):
            if (frame.ping_id & 1) == (0 if self._client else 1):
                await self.send_frame(frame)
        elif isinstance(frame, spdy.GoAway):
            self._going_away = True
        # SETTINGS, WINDOW_UPDATE, HEADERS: nothing to do (no flow control, no trailers).

    async def _peer_opened(self, frame: spdy.SynStream) -> None:
        expected_parity = 0 if self._client else 1
        if (
            self._going_away
            or (frame.stream_id & 1) != expected_parity
            or frame.stream_id <= self._last_peer_id
        ):
            await self.send_frame(
                spdy.RstStream(stream_id=frame.stream_id, status=spdy.RstStatus.PROTOCOL_ERROR)
            )
            return
        self._last_peer_id = frame.stream_id
        stream = SpdyStream(self, frame.stream_id, frame.headers)
        if frame.flags & spdy.FLAG_FIN:
            stream._remote_done = True
        refusal = self._accept(stream) if self._accept is not None else "no streams accepted"
        if refusal is not None:
            log.debug("SPDY stream %d refused: %s", stream.id, refusal)
            stream._end(reset=True)
            await self.send_frame(spdy.RstStream(stream_id=stream.id))
            return
        self._streams[stream.id] = stream
        stream._replied.set()
        await self.send_frame(spdy.SynReply(stream_id=stream.id))
