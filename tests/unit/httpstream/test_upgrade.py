"""Reading an upgrade response's head."""

from __future__ import annotations

import pytest

from kubeling.httpstream.upgrade import UpgradeError, parse_response_head


def test_switching_protocols_head() -> None:
    """Status, reason and headers in order, names as sent, looked up in any case."""
    head = parse_response_head(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Protocol: v5.channel.k8s.io\r\nX-A: 1\r\nx-a: 2"
    )
    assert (head.status, head.reason) == (101, "Switching Protocols")
    assert head.header("sec-websocket-protocol") == "v5.channel.k8s.io"
    assert head.header("X-A") == "1"
    assert head.header("missing") == ""
    assert head.headers[-1] == ("x-a", "2")


def test_error_head_without_reason() -> None:
    """A status line may have no reason phrase."""
    head = parse_response_head(b"HTTP/1.0 404\r\nContent-Length: 3")
    assert (head.status, head.reason, head.header("content-length")) == (404, "", "3")


@pytest.mark.parametrize(
    "raw",
    [b"", b"SSH-2.0-OpenSSH\r\n", b"HTTP/1.1 abc OK", b"HTTP/2 200 OK", b"HTTP/1.1 200 OK\r\nbad"],
)
def test_not_http(raw: bytes) -> None:
    """What is not an HTTP/1.x response head is an UpgradeError."""
    with pytest.raises(UpgradeError):
        parse_response_head(raw)
