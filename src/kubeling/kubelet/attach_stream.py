"""``kubectl attach`` to a process-runtime container: its shim's attach socket as a
``ContainerStream``.

The shim (:mod:`~kubeling.kubelet.runtime.attach`) sends the container's output as frames and
takes stdin, stdin-closed and resize frames; this side turns the frames into the stream readers
the streaming server copies to the client. ``wait`` ends (with no exit code: attach reports
none) when the shim closes the connection, i.e. when the container has ended; ``close``
detaches and leaves the container running.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from kubeling.kubelet.runtime.attach import (
    CLOSE,
    HELLO,
    RESIZE,
    STDERR,
    STDIN,
    STDOUT,
    FrameReader,
    encode_frame,
)

__all__ = ["AttachStream", "open_attach"]

_CHUNK = 65536


class AttachStream:
    """One attached client's view of a running container."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        stdin: bool,
        stdout: bool,
        stderr: bool,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._stdin = stdin
        self.stdout: asyncio.StreamReader | None = asyncio.StreamReader() if stdout else None
        self.stderr: asyncio.StreamReader | None = asyncio.StreamReader() if stderr else None
        self._receiving = asyncio.ensure_future(self._receive())

    async def _receive(self) -> None:
        frames = FrameReader()
        try:
            while data := await self._reader.read(_CHUNK):
                for stream, payload in frames.feed(data):
                    target = {STDOUT: self.stdout, STDERR: self.stderr}.get(stream)
                    if target is not None:
                        target.feed_data(payload)
        except (ConnectionError, ValueError):
            pass  # the shim went away, or spoke nonsense: the attach ends
        finally:
            for target in (self.stdout, self.stderr):
                if target is not None:
                    target.feed_eof()
            self._writer.close()  # the container ended: nothing more to send it

    async def _send(self, stream: int, data: bytes) -> None:
        if self._writer.is_closing():
            return
        self._writer.write(encode_frame(stream, data))
        with contextlib.suppress(ConnectionError):
            await self._writer.drain()

    async def write_stdin(self, data: bytes) -> None:
        if self._stdin:
            await self._send(STDIN, data)

    async def close_stdin(self) -> None:
        if self._stdin:
            await self._send(CLOSE, b"")

    def resize(self, width: int, height: int) -> None:
        if not self._writer.is_closing():
            self._writer.write(
                encode_frame(RESIZE, json.dumps({"Width": width, "Height": height}).encode())
            )

    async def wait(self) -> int | None:
        await asyncio.shield(self._receiving)
        return None

    async def close(self) -> None:
        """Detach: the container keeps running."""
        self._writer.close()
        self._receiving.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await self._receiving
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()


async def open_attach(address: str, *, stdin: bool, stdout: bool, stderr: bool) -> AttachStream:
    """Connect to a container's attach socket and say which streams are wanted; OSError if
    nothing listens there."""
    reader, writer = await asyncio.open_unix_connection(address)
    hello = {"stdin": stdin, "stdout": stdout, "stderr": stderr}
    writer.write(encode_frame(HELLO, json.dumps(hello).encode()))
    await writer.drain()
    return AttachStream(reader, writer, stdin=stdin, stdout=stdout, stderr=stderr)
