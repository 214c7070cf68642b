"""The client side of an HTTP/1.1 upgrade on a raw connection.

The API server forwards an exec, attach or port-forward request to the kubelet as it came (only
the path and query change) and, if the kubelet switches protocols, splices the two connections.
That needs the request written and the response head read by hand: an HTTP client library would
either refuse the upgrade or keep the connection to itself.

:func:`parse_response_head` is the pure part; :func:`request_upgrade` does the I/O.

>>> head = parse_response_head(b"HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: SPDY/3.1\\r\\n")
>>> head.status, head.header("upgrade")
(101, 'SPDY/3.1')
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "ResponseHead",
    "UpgradeError",
    "UpgradeResult",
    "parse_response_head",
    "request_upgrade",
]

_HEAD_LIMIT = 64 * 1024
# Kubernetes reads at most this much of an error body from a backend (maxReadLength).
_BODY_LIMIT = 50_000


class UpgradeError(Exception):
    """The server's answer is not HTTP/1.1."""


@dataclass(frozen=True, slots=True)
class ResponseHead:
    """A response's status line and headers (in order, names as sent)."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str:
        """The first value of ``name`` (any case), or ``""``."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), "")


@dataclass(slots=True)
class UpgradeResult:
    """The response, and the connection: its bytes after a 101, or the error body otherwise."""

    head: ResponseHead
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    body: bytes = b""


def parse_response_head(raw: bytes) -> ResponseHead:
    """The status and headers of a response head (up to and including the blank line)."""
    try:
        text = raw.decode("latin-1")
        status_line, *lines = text.split("\r\n")
        version, code, *reason = status_line.split(" ", 2)
        if not version.startswith("HTTP/1."):
            raise ValueError(version)
        status = int(code)
    except ValueError as err:
        raise UpgradeError(f"malformed HTTP status line: {raw[:80]!r}") from err
    headers: list[tuple[str, str]] = []
    for line in lines:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise UpgradeError(f"malformed HTTP header line: {line[:80]!r}")
        headers.append((name.strip(), value.strip()))
    return ResponseHead(status, reason[0] if reason else "", tuple(headers))


async def request_upgrade(
    *,
    host: str,
    port: int,
    ssl_context: ssl.SSLContext | None,
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]],
) -> UpgradeResult:
    """Send ``method target`` with ``headers`` and read the response head.

    After a 101 the caller owns ``reader``/``writer``; otherwise the connection is closed and
    ``body`` holds (up to 50 000 bytes of) the response body. Connection errors propagate
    (``OSError``, ``ssl.SSLError``).
    """
    reader, writer = await asyncio.open_connection(
        host, port, ssl=ssl_context, server_hostname=host if ssl_context is not None else None
    )
    try:
        lines = [f"{method} {target} HTTP/1.1", f"Host: {_host_header(host, port)}"]
        lines += [f"{name}: {value}" for name, value in headers]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await writer.drain()
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError as err:
            raise UpgradeError("the response head is too large") from err
        except asyncio.IncompleteReadError as err:
            raise UpgradeError("the connection closed before a response") from err
        head = parse_response_head(raw[:-4])
        if head.status == 101:
            return UpgradeResult(head, reader, writer)
        body = await _read_body(reader, head)
    except BaseException:
        writer.close()
        raise
    writer.close()
    return UpgradeResult(head, reader, writer, body)


async def _read_body(reader: asyncio.StreamReader, head: ResponseHead) -> bytes:
    length = head.header("content-length")
    if length.isdigit():
        try:
            return await reader.readexactly(min(int(length), _BODY_LIMIT))
        except asyncio.IncompleteReadError as err:
            return err.partial
    if "chunked" in head.header("transfer-encoding").lower():
        body = bytearray()
        while len(body) < _BODY_LIMIT:
            size_line = await reader.readline()
            try:
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
            except ValueError:
                break
            if size == 0:
                break
            body += await reader.readexactly(size)
            await reader.readline()
        return bytes(body[:_BODY_LIMIT])
    return await reader.read(_BODY_LIMIT)


def _host_header(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
