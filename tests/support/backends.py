"""Small servers on 127.0.0.1 standing in for pods behind a Service, and clients for them.

``HttpBackend`` answers every HTTP/1.1 request (keep-alive) with its own name
and counts them; ``EchoBackend`` sends back what it receives, after the
client's half-close when asked; ``UdpEchoBackend`` answers each datagram with
its name and the datagram. ``http_get`` and ``udp_ask`` are one-shot clients
with deadlines.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections import Counter
from typing import Final, cast

__all__ = [
    "EchoBackend",
    "HttpBackend",
    "UdpEchoBackend",
    "http_get",
    "open_fds",
    "udp_ask",
]

_HEADER_END: Final = b"\r\n\r\n"


class _HttpProtocol(asyncio.Protocol):
    def __init__(self, backend: HttpBackend) -> None:
        self.backend = backend
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.backend.connections += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while _HEADER_END in self.buffer:
            head, self.buffer = self.buffer.split(_HEADER_END, 1)
            self.backend.hits[self.backend.name] += 1
            body = self.backend.name.encode()
            close = b"connection: close" in head.lower()
            assert self.transport is not None
            self.transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                + str(len(body)).encode()
                + (b"\r\nConnection: close" if close else b"")
                + _HEADER_END
                + body
            )
            if close:
                self.transport.close()
                return


class HttpBackend:
    """An HTTP server answering its ``name`` to every GET (a pod's stand-in)."""

    def __init__(self, name: str, hits: Counter[str] | None = None) -> None:
        self.name = name
        self.hits: Counter[str] = Counter() if hits is None else hits
        self.connections = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self, port: int = 0) -> HttpBackend:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _HttpProtocol(self), "127.0.0.1", port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


class EchoBackend:
    """A TCP server that echoes; with ``after_eof`` it answers only once the client
    half-closed, with everything it sent."""

    def __init__(self, *, after_eof: bool = False) -> None:
        self.after_eof = after_eof
        self.port = 0
        self._server: asyncio.Server | None = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if self.after_eof:
                writer.write(await reader.read())
            else:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def start(self) -> EchoBackend:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()


class _UdpEcho(asyncio.DatagramProtocol):
    def __init__(self, backend: UdpEchoBackend) -> None:
        self.backend = backend
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.backend.hits[self.backend.name] += 1
        self.backend.clients.add(addr)
        assert self.transport is not None
        self.transport.sendto(self.backend.name.encode() + b":" + data, addr)


class UdpEchoBackend:
    """A UDP server answering ``<name>:<datagram>``; ``clients`` are the addresses it saw."""

    def __init__(self, name: str, hits: Counter[str] | None = None) -> None:
        self.name = name
        self.hits: Counter[str] = Counter() if hits is None else hits
        self.clients: set[tuple[str, int]] = set()
        self.port = 0
        self._transport: asyncio.DatagramTransport | None = None

    async def start(self) -> UdpEchoBackend:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _UdpEcho(self), local_addr=("127.0.0.1", 0)
        )
        self._transport = transport
        self.port = transport.get_extra_info("sockname")[1]
        return self

    async def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def http_get(host: str, port: int, *, within: float = 5.0) -> str:
    """The body of ``GET /`` (one request, one connection); OSError if refused or reset."""
    async with asyncio.timeout(within):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            response = await reader.read()
        finally:
            writer.close()
    if not response:
        raise ConnectionResetError(f"{host}:{port} closed the connection without answering")
    return response.split(_HEADER_END, 1)[1].decode()


async def udp_ask(
    host: str, port: int, data: bytes, *, sock: socket.socket | None = None, within: float = 2.0
) -> bytes:
    """Send one datagram and wait for one answer (from ``sock`` if given, to keep a source
    port across calls); TimeoutError if none comes."""
    own = sock is None
    sock = sock or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    try:
        await loop.sock_sendto(sock, data, (host, port))
        async with asyncio.timeout(within):
            return await loop.sock_recv(sock, 65536)
    finally:
        if own:
            sock.close()


def open_fds() -> int:
    """File descriptors this process holds now."""
    return len(os.listdir("/proc/self/fd"))
