"""The remote-command channel protocols over WebSocket (``v4``/``v5.channel.k8s.io``), sans-IO.

``kubectl exec`` and ``attach`` (and the ``kubernetes`` Python client's ``stream``) carry the
streams of one command in one WebSocket: every message is binary and its first byte names the
channel, the rest is that channel's bytes::

    0 stdin    client → server
    1 stdout   server → client
    2 stderr   server → client
    3 error    server → client: one metav1.Status JSON when the command ends (v4 and v5)
    4 resize   client → server: {"Width": w, "Height": h} when a TTY changes size
    255 close  v5 only, either way: [255, channel] half-closes that channel (stdin's EOF)

The server opens with an empty message on the lowest channel it will write (stdout, else stderr,
else error): the client takes it as "connected". The final Status is what makes kubectl exit with
the command's code: ``Success``, or ``Failure`` with reason ``NonZeroExitCode`` and an
``ExitCode`` cause whose message is the code in decimal.

>>> encode(STDOUT, b"hi")
b'\\x01hi'
>>> decode(b"\\xff\\x00", V5)
Message(channel=255, data=b'\\x00')
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "CLOSE",
    "ERROR",
    "PROTOCOLS",
    "RESIZE",
    "STDERR",
    "STDIN",
    "STDOUT",
    "V4",
    "V5",
    "ChannelError",
    "Message",
    "TerminalSize",
    "decode",
    "encode",
    "exit_code_status",
    "failure_status",
    "first_writable_channel",
    "negotiate",
    "parse_resize",
    "success_status",
]

V5: Final = "v5.channel.k8s.io"
V4: Final = "v4.channel.k8s.io"
#: The subprotocols served, most preferred first.
PROTOCOLS: Final = (V5, V4)

STDIN: Final = 0
STDOUT: Final = 1
STDERR: Final = 2
ERROR: Final = 3
RESIZE: Final = 4
CLOSE: Final = 255

#: Status reason and cause type of a command that exited non-zero (remotecommand constants).
NON_ZERO_EXIT_CODE_REASON: Final = "NonZeroExitCode"
EXIT_CODE_CAUSE_TYPE: Final = "ExitCode"


class ChannelError(ValueError):
    """A message that breaks the channel protocol."""


@dataclass(frozen=True, slots=True)
class Message:
    """One decoded message: its channel and payload."""

    channel: int
    data: bytes


@dataclass(frozen=True, slots=True)
class TerminalSize:
    """A terminal's size, as the resize channel carries it."""

    width: int
    height: int


def negotiate(offered: Sequence[str]) -> str | None:
    """The subprotocol to answer among those the client offered (its order wins), or None.

    >>> negotiate(["v4.channel.k8s.io", "v5.channel.k8s.io"])
    'v4.channel.k8s.io'
    >>> negotiate(["channel.k8s.io"]) is None
    True
    """
    for protocol in offered:
        if protocol.strip() in PROTOCOLS:
            return protocol.strip()
    return None


def encode(channel: int, data: bytes = b"") -> bytes:
    """The message carrying ``data`` on ``channel``."""
    return bytes((channel,)) + data


def decode(message: bytes, protocol: str) -> Message | None:
    """The channel and payload of a client message; None for an empty one (ignored upstream).

    A v5 close message must name exactly one channel; other protocols have no close channel, so
    255 is then an unknown channel like any other.
    """
    if not message:
        return None
    channel = message[0]
    if channel == CLOSE and protocol == V5 and len(message) != 2:
        raise ChannelError("a close message must name exactly one channel")
    return Message(channel, bytes(message[1:]))


def first_writable_channel(*, stdout: bool, stderr: bool) -> int:
    """The channel of the server's opening empty message."""
    if stdout:
        return STDOUT
    if stderr:
        return STDERR
    return ERROR


def parse_resize(data: bytes) -> TerminalSize:
    """The size a resize message carries (Go's ``TerminalSize``: ``Width``, ``Height``).

    >>> parse_resize(b'{"Width":80,"Height":24}')
    TerminalSize(width=80, height=24)
    """
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise ChannelError(f"resize message is not JSON: {err}") from err
    if not isinstance(value, dict):
        raise ChannelError("resize message is not a JSON object")
    width, height = value.get("Width", 0), value.get("Height", 0)
    if not all(
        isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 65536 for n in (width, height)
    ):
        raise ChannelError("resize message has no valid Width and Height")
    return TerminalSize(width, height)


def success_status() -> dict[str, Any]:
    """The error channel's message when the command succeeded."""
    return {"metadata": {}, "status": "Success"}


def exit_code_status(code: int) -> dict[str, Any]:
    """The error channel's message for a command that exited with ``code`` (1-255).

    The message is the one kubectl 1.32 receives through the API server's stream translator.

    >>> exit_code_status(3)["details"]
    {'causes': [{'reason': 'ExitCode', 'message': '3'}]}
    """
    return {
        "metadata": {},
        "status": "Failure",
        "message": (
            f"command terminated with non-zero exit code: command terminated with exit code {code}"
        ),
        "reason": NON_ZERO_EXIT_CODE_REASON,
        "details": {"causes": [{"reason": EXIT_CODE_CAUSE_TYPE, "message": str(code)}]},
    }


def failure_status(status: dict[str, Any]) -> dict[str, Any]:
    """A Status error as the error channel carries it: TypeMeta dropped, as Go marshals it."""
    return {key: value for key, value in status.items() if key not in ("kind", "apiVersion")}
