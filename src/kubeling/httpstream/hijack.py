"""Taking over an aiohttp server connection once ``101 Switching Protocols`` is sent.

aiohttp upgrades only to WebSocket, and only to speak WebSocket itself. Kubernetes needs two more
things of an upgraded connection: the API server splices the client's bytes onto the kubelet's
(whatever the protocol), and the kubelet speaks SPDY/3.1 (``Upgrade: SPDY/3.1``, which aiohttp's
parser does not even treat as an upgrade). Both need the raw bytes.

aiohttp's request handler feeds everything it receives after a request to a *payload parser* once
one is set (that is how its own WebSocket support takes over). :func:`switch_protocols` sets one
that hands the bytes to an ``asyncio.StreamReader`` (which pauses the transport when its buffer
fills, so a slow reader slows the sender), writes the 101 response, and turns off keep-alive: the
connection is closed when the handler returns. The parser is set *before* the 101 is written, so
no byte the client sends after seeing it can reach the HTTP parser.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, cast

from aiohttp import web

__all__ = ["RawConnection", "switch_protocols"]

# How much the reader buffers before it pauses the transport (the pause is at twice this).
_READ_LIMIT = 256 * 1024
_CHUNK = 64 * 1024


class RawConnection:
    """The bytes of a taken-over connection: ``receive``, ``send``, ``close``."""

    def __init__(
        self, reader: asyncio.StreamReader, response: web.StreamResponse, request: web.Request
    ) -> None:
        self._reader = reader
        self._response = response
        self._request = request

    @property
    def response(self) -> web.StreamResponse:
        """The 101 response: what the handler must return (it is already sent)."""
        return self._response

    async def receive(self) -> bytes:
        """The next bytes the peer sent; ``b""`` once it closed its side."""
        return await self._reader.read(_CHUNK)

    async def send(self, data: bytes) -> None:
        """Send ``data``, waiting while the transport's write buffer is full."""
        if data:
            await self._response.write(data)

    async def close(self) -> None:
        """Close the connection (TLS cannot half-close, so this ends both directions)."""
        transport = self._request.transport
        if transport is not None:
            transport.close()


class _ReaderFeeder:
    """What aiohttp calls a payload parser: it passes every byte on to a StreamReader."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self._reader.feed_data(data)
        return False, b""

    def feed_eof(self) -> None:
        self._reader.feed_eof()


async def switch_protocols(
    request: web.Request, headers: Iterable[tuple[str, str]]
) -> RawConnection:
    """Answer ``101 Switching Protocols`` with ``headers`` and return the connection's bytes.

    ``headers`` must carry ``Connection: Upgrade`` and ``Upgrade`` (and whatever the protocol
    needs: ``Sec-WebSocket-Accept``, ``X-Stream-Protocol-Version``...). The handler must keep
    running while the connection is used; aiohttp closes it when the handler returns.
    """
    transport = request.transport
    if transport is None:
        raise ConnectionResetError("the client went away before the upgrade")
    reader = asyncio.StreamReader(limit=_READ_LIMIT)
    reader.set_transport(transport)
    # aiohttp types the parser as its WebSocketReader; it only calls feed_data and feed_eof.
    request.protocol.set_parser(cast(Any, _ReaderFeeder(reader)))
    request.protocol.keep_alive(False)
    response = web.StreamResponse(status=101, reason="Switching Protocols")
    response.headers.extend(headers)
    response.force_close()
    await response.prepare(request)
    return RawConnection(reader, response, request)
