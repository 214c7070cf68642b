"""HTTP/1.1 messages as a reverse proxy needs them: heads parsed strictly, bodies relayed.

A proxy must know where each message ends to keep connections alive, and must
never let a client and a backend disagree about it (request smuggling), so
parsing is strict and anything ambiguous is refused with 400 before a byte
reaches a backend (RFC 9112):

- a head is at most :data:`MAX_HEAD` bytes (request line and headers,
  CRLF-terminated); header names are tokens, values carry no CR, LF or NUL,
  obsolete line folding is refused;
- a request with both ``Content-Length`` and ``Transfer-Encoding``, with
  differing lengths, or a length that is not a number, is refused;
  ``Transfer-Encoding`` other than ``chunked`` gets 501;
- an HTTP/1.1 request needs exactly one ``Host``.

Bodies are relayed as they arrive, never buffered whole: by length, as
chunks (the chunked framing is passed on as it is, each size line checked), or
up to the end of the connection for a response without a length.

    >>> head = parse_request(b"GET /a?b=1 HTTP/1.1\\r\\nHost: x.test\\r\\n\\r\\n")
    >>> head.method, head.path, head.header("host"), request_framing(head)
    ('GET', '/a', 'x.test', Framing(kind='none', length=0))
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Final, Literal

__all__ = [
    "HOP_BY_HOP",
    "MAX_HEAD",
    "BadMessage",
    "Framing",
    "Head",
    "parse_request",
    "parse_response",
    "read_head",
    "relay_body",
    "request_framing",
    "response_framing",
    "simple_response",
]

#: The largest request or response head accepted (nginx: 4 x 8 KiB buffers, Go: 1 MiB).
MAX_HEAD: Final = 64 * 1024
#: The longest chunk-size line (size, extensions) accepted.
_MAX_CHUNK_LINE: Final = 4096
_READ_SIZE: Final = 64 * 1024

#: Headers about one connection, not the message: never passed on (RFC 9110 7.6.1).
HOP_BY_HOP: Final = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)

_TOKEN: Final = re.compile(rb"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_VERSION: Final = re.compile(rb"^HTTP/1\.[01]\Z")
_BAD_VALUE: Final = re.compile(rb"[\x00\r\n]")
_REASONS: Final = {
    400: "Bad Request",
    404: "Not Found",
    408: "Request Timeout",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class BadMessage(Exception):
    """A message that cannot be relayed safely; ``status`` is what a client is answered."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class Head:
    """A request or response head: the start line's parts and the headers, in order."""

    #: Request: method, target, version. Response: version, status code, reason.
    start: tuple[str, str, str]
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def method(self) -> str:
        return self.start[0]

    @property
    def target(self) -> str:
        return self.start[1]

    @property
    def version(self) -> str:
        """A request's version (a response's is ``start[0]``)."""
        return self.start[2]

    @property
    def status(self) -> int:
        return int(self.start[1])

    @property
    def path(self) -> str:
        """A request target's path, without the query (origin or absolute form)."""
        target = self.target
        if not target.startswith("/"):
            _scheme, _sep, rest = target.partition("://")
            slash = rest.find("/")
            target = rest[slash:] if slash >= 0 else "/"
        return target.split("?", 1)[0].split("#", 1)[0]

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (lowercase), None if absent."""
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def values(self, name: str) -> list[str]:
        """Every value of ``name``, comma-separated lists split."""
        found: list[str] = []
        for key, value in self.headers:
            if key.lower() == name:
                found.extend(v.strip() for v in value.split(",") if v.strip())
        return found

    def tokens(self, name: str) -> set[str]:
        """The lowercase tokens of a list header (``Connection``, ``Upgrade``)."""
        return {v.lower() for v in self.values(name)}


@dataclass(frozen=True, slots=True)
class Framing:
    """Where a body ends: none, after ``length`` bytes, after the last chunk, or at EOF."""

    kind: Literal["none", "length", "chunked", "close"]
    length: int = 0


NO_BODY: Final = Framing("none")


async def read_head(reader: asyncio.StreamReader) -> bytes | None:
    """The next head from ``reader`` (up to and including its blank line); None when the
    peer closed before sending a byte. BadMessage if it is too long or cut short."""
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError as err:
        raise BadMessage("message head too large") from err
    except asyncio.IncompleteReadError as err:
        if not err.partial.strip():
            return None
        raise BadMessage("connection closed in the middle of a message head") from err


def _lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\r\n")
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _headers(lines: list[bytes]) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            raise BadMessage("obsolete header line folding")
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.match(name):
            raise BadMessage("invalid header line")
        value = value.strip(b" \t")
        if _BAD_VALUE.search(value):
            raise BadMessage("invalid header value")
        headers.append((name.decode("ascii"), value.decode("latin-1")))
    return headers


def parse_request(data: bytes) -> Head:
    """A request head from its bytes (as :func:`read_head` returns them)."""
    lines = _lines(data)
    while lines and not lines[0]:
        lines.pop(0)  # RFC 9112 2.2: an empty line before the request line is ignored
    if not lines:
        raise BadMessage("empty request")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not _TOKEN.match(parts[0]) or not _VERSION.match(parts[2]):
        raise BadMessage("invalid request line")
    target = parts[1]
    if not target or any(b <= 0x20 or b == 0x7F for b in target):
        raise BadMessage("invalid request target")
    origin = target.startswith(b"/") or target.startswith((b"http://", b"https://"))
    if not origin and not (target == b"*" and parts[0] == b"OPTIONS"):
        raise BadMessage("invalid request target")
    head = Head(
        (parts[0].decode("ascii"), target.decode("latin-1"), parts[2].decode("ascii")),
        _headers(lines[1:]),
    )
    hosts = [v for k, v in head.headers if k.lower() == "host"]
    if len(hosts) > 1 or (head.version == "HTTP/1.1" and not hosts):
        raise BadMessage("a request needs exactly one Host header")
    return head


def parse_response(data: bytes) -> Head:
    """A response head from its bytes."""
    lines = _lines(data)
    if not lines:
        raise BadMessage("empty response", status=502)
    version, _sp, rest = lines[0].partition(b" ")
    code, _sp, reason = rest.partition(b" ")
    if not _VERSION.match(version) or len(code) != 3 or not code.isdigit():
        raise BadMessage("invalid status line", status=502)
    try:
        headers = _headers(lines[1:])
    except BadMessage as err:
        raise BadMessage(str(err), status=502) from err
    return Head((version.decode(), code.decode(), reason.decode("latin-1")), headers)


def _length(head: Head) -> int | None:
    values = set(head.values("content-length"))
    if not values:
        return None
    if len(values) > 1 or not all(v.isdigit() for v in values):
        raise BadMessage("invalid Content-Length")
    return int(values.pop())


def request_framing(head: Head) -> Framing:
    """How the body of request ``head`` is delimited."""
    encodings = [v.lower() for v in head.values("transfer-encoding")]
    if encodings:
        if head.header("content-length") is not None:
            raise BadMessage("both Content-Length and Transfer-Encoding")
        if encodings != ["chunked"]:
            raise BadMessage("unsupported Transfer-Encoding", status=501)
        return Framing("chunked")
    length = _length(head)
    return Framing("length", length) if length else NO_BODY


def response_framing(head: Head, method: str) -> Framing:
    """How the body of response ``head`` to a ``method`` request is delimited."""
    status = head.status
    if method == "HEAD" or status < 200 or status in (204, 304):
        return NO_BODY
    try:
        encodings = [v.lower() for v in head.values("transfer-encoding")]
        if encodings:
            return Framing("chunked") if encodings[-1] == "chunked" else Framing("close")
        length = _length(head)
    except BadMessage as err:
        raise BadMessage(str(err), status=502) from err
    if length is None:
        return Framing("close")
    return Framing("length", length) if length else NO_BODY


async def _send(writer: asyncio.StreamWriter, data: bytes, idle: float) -> None:
    writer.write(data)
    async with asyncio.timeout(idle):
        await writer.drain()


async def _read(reader: asyncio.StreamReader, size: int, idle: float) -> bytes:
    async with asyncio.timeout(idle):
        return await reader.read(size)


async def _line(reader: asyncio.StreamReader, idle: float) -> bytes:
    try:
        async with asyncio.timeout(idle):
            line = await reader.readuntil(b"\r\n")
    except (asyncio.LimitOverrunError, asyncio.IncompleteReadError) as err:
        raise BadMessage("invalid chunked body") from err
    if len(line) > _MAX_CHUNK_LINE:
        raise BadMessage("chunk line too long")
    return line


async def relay_body(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, framing: Framing, *, idle: float
) -> None:
    """Copy one body from ``reader`` to ``writer`` as it arrives; ``idle`` seconds without
    progress raise TimeoutError; a body cut short or malformed raises BadMessage."""
    if framing.kind == "length":
        left = framing.length
        while left:
            data = await _read(reader, min(left, _READ_SIZE), idle)
            if not data:
                raise BadMessage("connection closed in the middle of a body")
            left -= len(data)
            await _send(writer, data, idle)
    elif framing.kind == "close":
        while data := await _read(reader, _READ_SIZE, idle):
            await _send(writer, data, idle)
    elif framing.kind == "chunked":
        await _relay_chunks(reader, writer, idle)


async def _relay_chunks(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, idle: float
) -> None:
    while True:
        line = await _line(reader, idle)
        size_text = line[:-2].split(b";", 1)[0].strip()
        if (
            not size_text
            or len(size_text) > 16
            or not all(c in b"0123456789abcdefABCDEF" for c in size_text)
        ):
            raise BadMessage("invalid chunk size")
        size = int(size_text, 16)
        await _send(writer, line, idle)
        if size == 0:
            while True:  # trailer fields, up to the blank line
                trailer = await _line(reader, idle)
                await _send(writer, trailer, idle)
                if trailer == b"\r\n":
                    return
        await relay_body(reader, writer, Framing("length", size), idle=idle)
        end = await _line(reader, idle)
        if end != b"\r\n":
            raise BadMessage("chunk data longer than its size")
        await _send(writer, end, idle)


def serialize(head: Head) -> bytes:
    """The bytes of ``head``."""
    lines = [" ".join(head.start)] + [f"{name}: {value}" for name, value in head.headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def simple_response(status: int, body: str, *, close: bool, head_only: bool = False) -> bytes:
    """A small plain-text response of the proxy's own (404, 503, 400...)."""
    data = body.encode()
    headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(data))),
        ("X-Content-Type-Options", "nosniff"),
    ]
    if close:
        headers.append(("Connection", "close"))
    head = Head(("HTTP/1.1", str(status), _REASONS.get(status, "Error")), headers)
    return serialize(head) + (b"" if head_only else data)
