"""Strict HTTP/1.1 parsing and body relaying (what the reverse proxy trusts)."""

from __future__ import annotations

import asyncio

import pytest

from kubeling.ingress.http1 import (
    BadMessage,
    Framing,
    parse_request,
    parse_response,
    read_head,
    relay_body,
    request_framing,
    response_framing,
    simple_response,
)


def request(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode() + b"\r\n"


def test_request_head() -> None:
    """Method, target, path without query, headers in order (values trimmed)."""
    head = parse_request(request("POST /a/b?x=1 HTTP/1.1\nHost: h.test\nX-A:  1 \nX-A: 2\n"))
    assert (head.method, head.target, head.path, head.version) == (
        "POST",
        "/a/b?x=1",
        "/a/b",
        "HTTP/1.1",
    )
    assert head.values("x-a") == ["1", "2"]
    absolute = parse_request(request("GET http://h.test/p?q HTTP/1.1\nHost: h.test\n"))
    assert absolute.path == "/p"


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("GET / HTTP/1.1\n", 400),  # no Host
        ("GET / HTTP/1.1\nHost: a\nHost: b\n", 400),
        ("GET /  HTTP/1.1\nHost: a\n", 400),
        ("GET / HTTP/2.0\nHost: a\n", 400),
        ("GET nope HTTP/1.1\nHost: a\n", 400),
        ("G(T / HTTP/1.1\nHost: a\n", 400),
        ("GET / HTTP/1.1\nHost: a\nBad Name: x\n", 400),
        ("GET / HTTP/1.1\nHost: a\nX: 1\n  folded\n", 400),
        ("GET / HTTP/1.1\nHost: a\nnocolon\n", 400),
        ("POST / HTTP/1.1\nHost: a\nContent-Length: 1\nTransfer-Encoding: chunked\n", 400),
        ("POST / HTTP/1.1\nHost: a\nContent-Length: 1\nContent-Length: 2\n", 400),
        ("POST / HTTP/1.1\nHost: a\nContent-Length: -1\n", 400),
        ("POST / HTTP/1.1\nHost: a\nContent-Length: 1x\n", 400),
        ("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: gzip, chunked\n", 501),
    ],
)
def test_refused_requests(text: str, status: int) -> None:
    """Anything ambiguous or malformed is refused before a backend sees it."""
    with pytest.raises(BadMessage) as raised:
        request_framing(parse_request(request(text)))
    assert raised.value.status == status


def test_http10_needs_no_host() -> None:
    """HTTP/1.0 requests may leave Host out."""
    assert parse_request(request("GET / HTTP/1.0\n")).header("host") is None


@pytest.mark.parametrize(
    ("text", "framing"),
    [
        ("GET / HTTP/1.1\nHost: a\n", Framing("none")),
        ("POST / HTTP/1.1\nHost: a\nContent-Length: 0\n", Framing("none")),
        ("POST / HTTP/1.1\nHost: a\nContent-Length: 12\n", Framing("length", 12)),
        ("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: Chunked\n", Framing("chunked")),
    ],
)
def test_request_framing(text: str, framing: Framing) -> None:
    """Where a request body ends."""
    assert request_framing(parse_request(request(text))) == framing


@pytest.mark.parametrize(
    ("text", "method", "framing"),
    [
        ("HTTP/1.1 200 OK\nContent-Length: 5\n", "GET", Framing("length", 5)),
        ("HTTP/1.1 200 OK\nContent-Length: 5\n", "HEAD", Framing("none")),
        ("HTTP/1.1 204 No Content\n", "GET", Framing("none")),
        ("HTTP/1.1 304 Not Modified\nContent-Length: 5\n", "GET", Framing("none")),
        ("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n", "GET", Framing("chunked")),
        ("HTTP/1.1 200 OK\n", "GET", Framing("close")),
        ("HTTP/1.0 200 OK\n", "GET", Framing("close")),
    ],
)
def test_response_framing(text: str, method: str, framing: Framing) -> None:
    """Where a response body ends: by method and status, length, chunks, or EOF."""
    assert response_framing(parse_response(request(text)), method) == framing


def test_bad_response_is_502() -> None:
    """A backend that does not speak HTTP is a bad gateway."""
    with pytest.raises(BadMessage) as raised:
        parse_response(b"SSH-2.0-OpenSSH\r\n\r\n")
    assert raised.value.status == 502


class _Sink:
    """A StreamWriter stand-in collecting what is written."""

    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data

    async def drain(self) -> None:
        return None


def _reader(data: bytes, *, eof: bool = True) -> asyncio.StreamReader:
    reader = asyncio.StreamReader(limit=64 * 1024)
    reader.feed_data(data)
    if eof:
        reader.feed_eof()
    return reader


async def _relay(data: bytes, framing: Framing) -> tuple[bytes, bytes]:
    reader, sink = _reader(data), _Sink()
    await relay_body(reader, sink, framing, idle=1)  # type: ignore[arg-type]
    return sink.data, await reader.read()


async def test_relay_length_leaves_the_next_message() -> None:
    """A body by length is copied exactly; what follows stays for the next request."""
    assert await _relay(b"helloGET", Framing("length", 5)) == (b"hello", b"GET")


async def test_relay_chunked_passes_framing_and_trailers() -> None:
    """Chunks (with extensions and trailers) pass through as they are, and stop at the end."""
    body = b"5;ext=1\r\nhello\r\n1\r\n!\r\n0\r\nX-T: 1\r\n\r\n"
    assert await _relay(body + b"NEXT", Framing("chunked")) == (body, b"NEXT")


@pytest.mark.parametrize(
    "body",
    [
        b"zz\r\nhello\r\n0\r\n\r\n",  # not hex
        b"5\r\nhelloXX\r\n0\r\n\r\n",  # longer than its size
        b"5\r\nhel",  # cut short
        b"-1\r\n\r\n",
    ],
)
async def test_relay_chunked_refuses_garbage(body: bytes) -> None:
    """Malformed chunking is an error, never silently passed on."""
    with pytest.raises(BadMessage):
        await _relay(body, Framing("chunked"))


async def test_relay_cut_short() -> None:
    """A body shorter than its length is an error."""
    with pytest.raises(BadMessage):
        await _relay(b"abc", Framing("length", 5))


async def test_relay_idle_times_out() -> None:
    """No byte within the idle timeout: TimeoutError."""
    reader, sink = _reader(b"ab", eof=False), _Sink()
    with pytest.raises(TimeoutError):
        await relay_body(reader, sink, Framing("length", 5), idle=0.05)  # type: ignore[arg-type]


async def test_read_head_limits() -> None:
    """Heads are bounded; a clean close between requests is None."""
    assert await read_head(_reader(b"")) is None
    with pytest.raises(BadMessage):
        await read_head(_reader(b"GET / HTTP/1.1\r\nHost: a\r\n"))
    big = asyncio.StreamReader(limit=1024)
    big.feed_data(b"GET / HTTP/1.1\r\nX: " + b"a" * 2000 + b"\r\n\r\n")
    with pytest.raises(BadMessage):
        await read_head(big)


def test_simple_response() -> None:
    """The proxy's own answers: plain text with a length; HEAD gets the head only."""
    data = simple_response(404, "404 page not found\n", close=True)
    assert data.startswith(b"HTTP/1.1 404 Not Found\r\n")
    assert b"Content-Length: 19\r\n" in data
    assert b"Connection: close\r\n" in data
    assert data.endswith(b"\r\n\r\n404 page not found\n")
    assert simple_response(503, "x", close=False, head_only=True).endswith(b"\r\n\r\n")
