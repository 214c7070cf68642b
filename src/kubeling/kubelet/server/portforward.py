"""The port-forward protocol (``portforward.k8s.io``) over a SPDY session.

For every local connection, kubectl opens two streams with the headers ``streamType`` (``error``
then ``data``), ``port`` (the pod's port) and ``requestID`` (the same for both). Once both are
there the kubelet connects to the port in the pod's network and copies bytes between the data
stream and that connection; if anything fails, the reason goes on the error stream. Both streams
are then half-closed, which is how the client learns that this connection is over.

As the kubelet's ``httpStreamHandler``:

- a stream without a valid ``port`` (1-65535) or ``streamType`` is refused (RST_STREAM);
- a stream without ``requestID`` (very old clients) gets one from its stream id: its own for an
  error stream, two less for a data stream;
- a second stream of a type already there is reported on the pair's error stream;
- a pair still incomplete after 30 s is reported as timed out.

When the connection to the pod ends, the data stream is half-closed; when the client half-closes
the data stream, the connection's write side is shut down and its remaining output still flows
back (for at most a second, as containerd waits).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from kubeling.httpstream.spdy_session import SpdySession, SpdyStream, StreamClosedError
from kubeling.kubelet.server.interface import StreamingError

__all__ = ["PortForwarder", "stream_refusal"]

log = logging.getLogger(__name__)

_PAIR_TIMEOUT = 30.0
_CLOSE_GRACE = 1.0
_CHUNK = 32 * 1024

#: Connects to a port in the pod: the runtime's ``port_forward`` bound to one pod.
Connect = Callable[[int], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


def stream_refusal(stream: SpdyStream) -> str | None:
    """Why a new stream is refused (``httpStreamReceived``), or None.

    >>> class S:
    ...     def __init__(self, **h): self.h = h
    ...     def header(self, name): return self.h.get(name.lower(), "")
    >>> stream_refusal(S(port="0", streamtype="data"))
    'port "0" must be > 0'
    """
    port = stream.header("port")
    if not port:
        return '"port" header is required'
    if not port.isdigit() or int(port) > 65535:
        return f'unable to parse "{port}" as a port: invalid syntax'
    if int(port) < 1:
        return f'port "{port}" must be > 0'
    kind = stream.header("streamType")
    if not kind:
        return '"streamType" header is required'
    if kind not in ("error", "data"):
        return f'invalid stream type "{kind}"'
    return None


@dataclass
class _Pair:
    request_id: str
    error: SpdyStream | None = None
    data: SpdyStream | None = None
    started: bool = False
    timer: asyncio.TimerHandle | None = field(default=None, repr=False)


class PortForwarder:
    """Serves the port-forward streams of one SPDY session to one pod."""

    def __init__(self, *, connect: Connect, pod_id: str) -> None:
        self._connect = connect
        self._pod_id = pod_id
        self._pairs: dict[str, _Pair] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def accept(self, stream: SpdyStream) -> str | None:
        """The session's accept callback: check the stream and pair it."""
        refusal = stream_refusal(stream)
        if refusal is not None:
            return refusal
        request_id = stream.header("requestID")
        if not request_id:
            offset = 0 if stream.header("streamType") == "error" else 2
            request_id = str(stream.id - offset)
        pair = self._pairs.get(request_id)
        if pair is None:
            pair = self._pairs[request_id] = _Pair(request_id)
            loop = asyncio.get_running_loop()
            pair.timer = loop.call_later(_PAIR_TIMEOUT, lambda: self._spawn(self._time_out(pair)))
        kind = stream.header("streamType")
        if getattr(pair, kind) is not None:
            # Reported on the pair's error stream once the reply is out (the stream is accepted).
            self._spawn(
                self._report(
                    pair,
                    f"error processing stream for request {request_id}: "
                    f"{kind} stream already assigned",
                )
            )
            return None
        setattr(pair, kind, stream)
        if pair.error is not None and pair.data is not None and not pair.started:
            pair.started = True
            if pair.timer is not None:
                pair.timer.cancel()
            self._spawn(self._forward(pair))
        return None

    async def serve(self, session: SpdySession) -> None:
        """Serve ``session`` (built with :meth:`accept`) until it ends, then stop forwarding."""
        try:
            await session.serve()
        finally:
            for pair in self._pairs.values():
                if pair.timer is not None:
                    pair.timer.cancel()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _report(self, pair: _Pair, message: str) -> None:
        log.debug("port-forward: %s", message)
        if pair.error is not None:
            with contextlib.suppress(StreamClosedError):
                await pair.error.write(message.encode())

    async def _time_out(self, pair: _Pair) -> None:
        if not pair.started:
            await self._report(
                pair,
                f"(conn={id(self):x}, request={pair.request_id}) timed out waiting for streams",
            )
            self._pairs.pop(pair.request_id, None)

    async def _forward(self, pair: _Pair) -> None:
        assert pair.data is not None
        assert pair.error is not None
        data, error = pair.data, pair.error
        port = int(data.header("port"))
        try:
            try:
                reader, writer = await self._connect(port)
            except (OSError, StreamingError) as err:
                await self._report(
                    pair, f"error forwarding port {port} to pod {self._pod_id}, uid : {err}"
                )
                return
            try:
                await _splice(data, reader, writer)
            finally:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
        finally:
            self._pairs.pop(pair.request_id, None)
            await error.close()
            await data.close()


async def _splice(
    stream: SpdyStream, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    async def upstream() -> None:
        while data := await stream.read():
            writer.write(data)
            await writer.drain()
        if not stream.is_reset and writer.can_write_eof():
            writer.write_eof()

    async def downstream() -> None:
        while data := await reader.read(_CHUNK):
            await stream.write(data)

    up = asyncio.create_task(upstream())
    down = asyncio.create_task(downstream())
    try:
        done, _ = await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
        if up in done and not stream.is_reset:
            await asyncio.wait({down})  # the client finished sending: the answer still comes
        elif down in done:
            await asyncio.wait({up}, timeout=_CLOSE_GRACE)
    finally:
        for task in (up, down):
            task.cancel()
        results = await asyncio.gather(up, down, return_exceptions=True)
        for result in results:
            if isinstance(result, Exception) and not isinstance(
                result, (ConnectionError, asyncio.CancelledError)
            ):
                log.debug("port-forward copy failed: %r", result)
