"""The remote-command WebSocket channel protocols (v4, v5) and their final Statuses."""

from __future__ import annotations

import pytest

from kubeling.httpstream import channels
from kubeling.httpstream.channels import ChannelError, Message, TerminalSize


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        (["v5.channel.k8s.io"], "v5.channel.k8s.io"),
        (["v5.channel.k8s.io", "v4.channel.k8s.io"], "v5.channel.k8s.io"),
        (["v4.channel.k8s.io", "v5.channel.k8s.io"], "v4.channel.k8s.io"),
        ([" v4.channel.k8s.io "], "v4.channel.k8s.io"),
        (["channel.k8s.io", "base64.channel.k8s.io"], None),
        ([], None),
    ],
)
def test_negotiation_follows_the_clients_order(offered: list[str], chosen: str | None) -> None:
    """The first offered subprotocol that is served wins; none served is None (a 400)."""
    assert channels.negotiate(offered) == chosen


@pytest.mark.parametrize(
    ("message", "protocol", "decoded"),
    [
        (b"", channels.V5, None),
        (b"\x00hello", channels.V5, Message(0, b"hello")),
        (b"\x00", channels.V4, Message(0, b"")),
        (b'\x04{"Width":1,"Height":2}', channels.V4, Message(4, b'{"Width":1,"Height":2}')),
        (b"\xff\x00", channels.V5, Message(255, b"\x00")),
        (b"\xff\x00\x01", channels.V4, Message(255, b"\x00\x01")),  # v4 has no close channel
    ],
)
def test_decode(message: bytes, protocol: str, decoded: Message | None) -> None:
    """The first byte is the channel, the rest its payload; empty messages are ignored."""
    assert channels.decode(message, protocol) == decoded


@pytest.mark.parametrize("message", [b"\xff", b"\xff\x00\x01"])
def test_a_v5_close_names_exactly_one_channel(message: bytes) -> None:
    """A v5 close message is [255, channel]; anything else breaks the protocol."""
    with pytest.raises(ChannelError):
        channels.decode(message, channels.V5)


def test_encode_and_hello() -> None:
    """Server messages: channel byte first; the hello goes on the lowest written channel."""
    assert channels.encode(channels.STDERR, b"x") == b"\x02x"
    assert channels.encode(channels.STDOUT) == b"\x01"
    assert channels.first_writable_channel(stdout=True, stderr=True) == channels.STDOUT
    assert channels.first_writable_channel(stdout=False, stderr=True) == channels.STDERR
    assert channels.first_writable_channel(stdout=False, stderr=False) == channels.ERROR


@pytest.mark.parametrize(
    ("payload", "size"),
    [
        (b'{"Width":80,"Height":24}', TerminalSize(80, 24)),
        (b'{"Height":10}', TerminalSize(0, 10)),
        (b'{"Width":65535,"Height":0}', TerminalSize(65535, 0)),
    ],
)
def test_resize(payload: bytes, size: TerminalSize) -> None:
    """A resize is Go's TerminalSize as JSON."""
    assert channels.parse_resize(payload) == size


@pytest.mark.parametrize(
    "payload", [b"", b"not json", b"[80,24]", b'{"Width":-1}', b'{"Width":"80"}', b'{"Width":true}']
)
def test_bad_resizes(payload: bytes) -> None:
    """Anything else is a protocol error (the server logs it and goes on)."""
    with pytest.raises(ChannelError):
        channels.parse_resize(payload)


def test_final_statuses() -> None:
    """Success, and NonZeroExitCode with the code as the ExitCode cause (what kubectl exits
    with), as Kubernetes' stream translator sends them."""
    assert channels.success_status() == {"metadata": {}, "status": "Success"}
    assert channels.exit_code_status(42) == {
        "metadata": {},
        "status": "Failure",
        "message": "command terminated with non-zero exit code: command terminated with exit "
        "code 42",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": "42"}]},
    }
    assert channels.failure_status({"kind": "Status", "apiVersion": "v1", "code": 500}) == {
        "code": 500
    }
