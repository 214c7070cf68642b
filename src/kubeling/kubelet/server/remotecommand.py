"""Serving one exec or attach: the client's streams to the container's and back.

Kubernetes' ``remotecommand`` server, over a transport that carries the channels:

- :class:`WebSocketTransport`: ``v5``/``v4.channel.k8s.io`` (what kubectl 1.32 and the Python
  client speak);
- :class:`SpdyTransport`: one SPDY stream per channel (``streamType`` header), for clients that
  fall back to SPDY.

:func:`pump` runs the session: stdin and resize events from the client go to the process, its
stdout and stderr to the client, and when the process ends (and its output is drained) the
error channel gets the final Status: Success, or NonZeroExitCode with the exit code. If the
client goes away first, the process is told (exec kills it, attach detaches).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import WSMsgType, web

from kubeling.httpstream import channels
from kubeling.httpstream.spdy_session import SpdySession, SpdyStream, StreamClosedError
from kubeling.kubelet.server.interface import ContainerStream

__all__ = [
    "ClientEvent",
    "CommandTransport",
    "Resize",
    "SpdyTransport",
    "StdinClosed",
    "StdinData",
    "WebSocketTransport",
    "exit_status",
    "first_event",
    "pump",
]

_CHUNK = 32 * 1024
# How long output may still drain once the process exited (a daemon it started may keep the
# pipes open forever; upstream's runtimes bound this wait too).
_DRAIN_SECONDS = 2.0
#: How long a TTY exec waits for the client's first message (its terminal size) before starting
#: the command; a client that sends none (not kubectl) gets 80x24 that much later.
FIRST_EVENT_WAIT = 0.5


@dataclass(frozen=True, slots=True)
class StdinData:
    """Bytes the client typed or piped."""

    data: bytes


@dataclass(frozen=True, slots=True)
class StdinClosed:
    """The client's stdin reached EOF."""


@dataclass(frozen=True, slots=True)
class Resize:
    """The client's terminal changed size."""

    width: int
    height: int


ClientEvent = StdinData | StdinClosed | Resize


class CommandTransport(Protocol):
    """The channels of one remote command, whatever carries them."""

    async def send(self, channel: int, data: bytes) -> None:
        """Bytes on stdout or stderr (raises ConnectionError once the client is gone)."""
        ...

    async def receive(self) -> ClientEvent | None:
        """The client's next event; None once it went away."""
        ...

    async def finish(self, status: Mapping[str, Any]) -> None:
        """Send the final Status on the error channel and end the session."""
        ...


def exit_status(code: int | None) -> dict[str, Any]:
    """The final Status for an exit code (None: attach, which reports none).

    >>> exit_status(0)["status"], exit_status(-9)["details"]["causes"][0]["message"]
    ('Success', '137')
    """
    if code is not None and code < 0:
        code = 128 - code  # killed by signal N: 128+N, as container runtimes report it
    if not code:
        return channels.success_status()
    return channels.exit_code_status(code & 0xFF or 255)


async def first_event(transport: CommandTransport) -> ClientEvent | None:
    """The client's first message on a TTY session, if it comes within
    :data:`FIRST_EVENT_WAIT` seconds: kubectl sends its terminal's size first, and a command
    started before that size arrives (``stty size``, a shell's first prompt) would see 80x24."""
    try:
        async with asyncio.timeout(FIRST_EVENT_WAIT):
            return await transport.receive()
    except TimeoutError:
        return None


async def pump(
    transport: CommandTransport,
    stream: ContainerStream,
    *,
    tty: bool,
    first: ClientEvent | None = None,
) -> None:
    """Run the session until the process ends (then send its Status) or the client leaves;
    ``first`` is a client message read before the process started (:func:`first_event`)."""
    outputs = [
        asyncio.create_task(_copy_output(reader, channel, transport))
        for reader, channel in ((stream.stdout, channels.STDOUT), (stream.stderr, channels.STDERR))
        if reader is not None
    ]
    inputs = asyncio.create_task(_copy_input(transport, stream, tty=tty, first=first))
    waiter = asyncio.create_task(stream.wait())
    try:
        await asyncio.wait({waiter, inputs}, return_when=asyncio.FIRST_COMPLETED)
        if not waiter.done():
            await stream.close()  # the client went away first
            return
        code = waiter.result()
        if outputs:
            await asyncio.wait(outputs, timeout=_DRAIN_SECONDS)
        inputs.cancel()
        with contextlib.suppress(ConnectionError):
            await transport.finish(exit_status(code))
    finally:
        for task in (*outputs, inputs, waiter):
            task.cancel()
        await asyncio.gather(*outputs, inputs, waiter, return_exceptions=True)


async def _copy_output(
    reader: asyncio.StreamReader, channel: int, transport: CommandTransport
) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(_CHUNK):
            await transport.send(channel, data)


async def _copy_input(
    transport: CommandTransport, stream: ContainerStream, *, tty: bool, first: ClientEvent | None
) -> None:
    """Until the client goes away: its stdin to the process, resizes to the terminal."""
    event = first if first is not None else await transport.receive()
    while event is not None:
        try:
            if isinstance(event, StdinData):
                await stream.write_stdin(event.data)
            elif isinstance(event, StdinClosed):
                await stream.close_stdin()
            elif tty:
                stream.resize(event.width, event.height)
        except (ConnectionError, OSError):
            pass  # the process closed its stdin: the client may still resize or wait
        event = await transport.receive()


class WebSocketTransport:
    """The channels over one WebSocket (``v5`` or ``v4.channel.k8s.io``)."""

    def __init__(self, ws: web.WebSocketResponse, protocol: str) -> None:
        self._ws = ws
        self._protocol = protocol
        self._send_lock = asyncio.Lock()

    async def hello(self, *, stdout: bool, stderr: bool) -> None:
        """The opening empty message on the lowest channel the server writes."""
        await self._send(
            channels.encode(channels.first_writable_channel(stdout=stdout, stderr=stderr))
        )

    async def send(self, channel: int, data: bytes) -> None:
        await self._send(channels.encode(channel, data))

    async def _send(self, message: bytes) -> None:
        async with self._send_lock:
            if self._ws.closed:
                raise ConnectionResetError("the client went away")
            await self._ws.send_bytes(message)

    async def receive(self) -> ClientEvent | None:
        while True:
            message = await self._ws.receive()
            if message.type in (
                WSMsgType.CLOSE,
                WSMsgType.CLOSING,
                WSMsgType.CLOSED,
                WSMsgType.ERROR,
            ):
                return None
            if message.type != WSMsgType.BINARY:
                continue  # text frames belong to the base64 protocols, not served
            try:
                decoded = channels.decode(message.data, self._protocol)
                if decoded is None:
                    continue
                if decoded.channel == channels.STDIN:
                    return StdinData(decoded.data)
                if decoded.channel == channels.RESIZE:
                    size = channels.parse_resize(decoded.data)
                    return Resize(size.width, size.height)
                if decoded.channel == channels.CLOSE and decoded.data == bytes((channels.STDIN,)):
                    return StdinClosed()
            except channels.ChannelError:
                continue  # upstream logs a bad message and goes on

    async def finish(self, status: Mapping[str, Any]) -> None:
        await self.send(channels.ERROR, json.dumps(status, separators=(",", ":")).encode())
        await self._ws.close()


class SpdyTransport:
    """The channels as SPDY streams of one session (``streamType`` error/stdin/stdout/...)."""

    def __init__(
        self,
        session: SpdySession,
        streams: Mapping[str, SpdyStream],
        serving: asyncio.Task[None],
    ) -> None:
        self._session = session
        self._streams = streams
        self._events: asyncio.Queue[ClientEvent | None] = asyncio.Queue(maxsize=16)
        self._readers = [
            asyncio.create_task(self._read_stdin()),
            asyncio.create_task(self._read_resizes()),
            asyncio.create_task(self._watch_session(serving)),
        ]

    async def send(self, channel: int, data: bytes) -> None:
        name = "stdout" if channel == channels.STDOUT else "stderr"
        stream = self._streams.get(name)
        if stream is None:
            return
        try:
            await stream.write(data)
        except StreamClosedError as err:
            raise ConnectionResetError(str(err)) from err

    async def receive(self) -> ClientEvent | None:
        return await self._events.get()

    async def finish(self, status: Mapping[str, Any]) -> None:
        error = self._streams["error"]
        with contextlib.suppress(StreamClosedError):
            await error.write(json.dumps(status, separators=(",", ":")).encode())
            for stream in self._streams.values():
                await stream.close()
        for task in self._readers:
            task.cancel()
        await self._session.close()

    async def _watch_session(self, serving: asyncio.Task[None]) -> None:
        """Report the client's departure once the session's reading loop ends."""
        await asyncio.wait({serving})
        await self._events.put(None)

    async def _read_stdin(self) -> None:
        stream = self._streams.get("stdin")
        if stream is None:
            return
        while data := await stream.read():
            await self._events.put(StdinData(data))
        if not stream.is_reset:
            await self._events.put(StdinClosed())

    async def _read_resizes(self) -> None:
        stream = self._streams.get("resize")
        if stream is None:
            return
        decoder = json.JSONDecoder()
        pending = ""
        while data := await stream.read():
            pending += data.decode(errors="replace")
            while pending.strip():
                try:
                    value, end = decoder.raw_decode(pending.lstrip())
                except ValueError:
                    break  # an object split across frames: wait for the rest
                pending = pending.lstrip()[end:]
                try:
                    size = channels.parse_resize(json.dumps(value).encode())
                except channels.ChannelError:
                    continue
                await self._events.put(Resize(size.width, size.height))
