"""Attaching to a running container: the shim's attach socket and its framing.

containerd keeps a container's stdio in its shim and lets CRI ``Attach`` join it; the process
runtime does the same. Each container's shim listens on an abstract Unix socket named after the
container (:func:`socket_name`; abstract, so no path length limit and nothing left on disk), and
accepts only callers of its own user or root (``SO_PEERCRED``). A client (the kubelet's
streaming server) sends a hello frame saying which streams it wants, then frames of stdin
data, a stdin close, or a terminal resize; the shim sends frames of the container's output from
then on (the past is in the log) and closes the connection once the container has ended.

A frame is one byte of stream, four bytes of big-endian length, and the data::

    HELLO   {"stdin": true, "stdout": true, "stderr": false}   (JSON)
    STDIN   bytes for the container's stdin          (client → shim)
    STDOUT  / STDERR   the container's output        (shim → client)
    CLOSE   the client's stdin ended                 (client → shim)
    RESIZE  {"Width": 80, "Height": 24}              (client → shim, with a TTY)

The container has a stdin only when its spec says ``stdin: true`` (a pipe, or its terminal with
``tty: true``); without, stdin frames are dropped, as containerd drops them. With
``stdinOnce``, the container's stdin is closed when the first client that attached with stdin
closes it or goes away.

This module is used by the shim (a bare interpreter: standard library only) and by the
kubelet.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
from typing import Any, Final

__all__ = [
    "CLOSE",
    "HELLO",
    "RESIZE",
    "STDERR",
    "STDIN",
    "STDOUT",
    "AttachHub",
    "FrameReader",
    "encode_frame",
    "socket_name",
]

STDIN: Final = 0
STDOUT: Final = 1
STDERR: Final = 2
CLOSE: Final = 3
RESIZE: Final = 4
HELLO: Final = 255
_HEADER: Final = struct.Struct(">BI")
#: A client that cannot take output for this long is dropped (the shim must not stall).
SEND_TIMEOUT_SECONDS: Final = 1.0
MAX_FRAME: Final = 1 << 20


def socket_name(container_id: str) -> str:
    """The abstract socket a container's shim listens on.

    >>> socket_name("ab12")
    '\\x00kubeling-attach-ab12'
    """
    return f"\0kubeling-attach-{container_id}"


def encode_frame(stream: int, data: bytes) -> bytes:
    """One frame.

    >>> encode_frame(STDOUT, b"hi")
    b'\\x01\\x00\\x00\\x00\\x02hi'
    """
    return _HEADER.pack(stream, len(data)) + data


class FrameReader:
    """Cuts a byte stream into ``(stream, data)`` frames.

    >>> reader = FrameReader()
    >>> reader.feed(encode_frame(STDIN, b"ab") + encode_frame(CLOSE, b"")[:3])
    [(0, b'ab')]
    >>> reader.feed(encode_frame(CLOSE, b"")[3:])
    [(3, b'')]
    """

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        self._buffer += data
        frames: list[tuple[int, bytes]] = []
        while len(self._buffer) >= _HEADER.size:
            stream, length = _HEADER.unpack_from(self._buffer)
            if length > MAX_FRAME:
                raise ValueError(f"attach frame of {length} bytes")
            end = _HEADER.size + length
            if len(self._buffer) < end:
                break
            frames.append((stream, self._buffer[_HEADER.size : end]))
            self._buffer = self._buffer[end:]
        return frames


class _Client:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = FrameReader()
        self.wants: set[int] = set()
        self.greeted = False


class AttachHub:
    """The shim's side: the listening socket, the attached clients, the container's stdin.

    The shim's ``select`` loop watches :meth:`read_fds` and :meth:`write_fds` and calls
    :meth:`readable` / :meth:`writable` for them, and :meth:`broadcast` with the container's
    output. ``stdin_fd`` is the write end of the container's stdin (a pipe or its terminal);
    -1 when the container has no stdin. ``resize`` sets the terminal's size (TTY only)."""

    def __init__(
        self,
        container_id: str,
        *,
        stdin_fd: int,
        stdin_once: bool,
        terminal: bool,
        resize: Any = None,
    ) -> None:
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(socket_name(container_id))
        self.listener.listen(8)
        self.listener.setblocking(False)
        self.stdin_fd = stdin_fd
        self.stdin_once = stdin_once
        self.terminal = terminal
        self._resize = resize
        self._pending = b""
        self._stdin_used = False
        self._clients: dict[int, _Client] = {}
        if stdin_fd >= 0:
            os.set_blocking(stdin_fd, False)

    def read_fds(self) -> list[int]:
        return [self.listener.fileno(), *self._clients]

    def write_fds(self) -> list[int]:
        return [self.stdin_fd] if self._pending and self.stdin_fd >= 0 else []

    def readable(self, fd: int) -> bool:
        """Handle a readable fd; False if it is not one of the hub's."""
        if fd == self.listener.fileno():
            self._accept()
            return True
        client = self._clients.get(fd)
        if client is None:
            return False
        try:
            data = client.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            data = b""
        if not data:
            self._drop(client)
            return True
        try:
            frames = client.reader.feed(data)
        except ValueError:
            self._drop(client)
            return True
        for stream, payload in frames:
            self._frame(client, stream, payload)
        return True

    def writable(self, fd: int) -> bool:
        if fd != self.stdin_fd or self.stdin_fd < 0:
            return False
        try:
            written = os.write(self.stdin_fd, self._pending)
        except BlockingIOError:
            return True
        except OSError:  # the container closed its stdin
            self._pending = b""
            return True
        self._pending = self._pending[written:]
        return True

    def broadcast(self, stream: int, data: bytes) -> None:
        """Send the container's output to every client that asked for that stream."""
        frame = encode_frame(stream, data)
        for client in list(self._clients.values()):
            if stream not in client.wants:
                continue
            try:
                client.sock.settimeout(SEND_TIMEOUT_SECONDS)
                client.sock.sendall(frame)
            except OSError:
                self._drop(client)
            finally:
                with contextlib.suppress(OSError):
                    client.sock.setblocking(False)

    def close(self) -> None:
        """The container ended: every client is let go, the socket closed."""
        for client in list(self._clients.values()):
            self._drop(client, ended=True)
        self.listener.close()
        self._close_stdin()

    # -- inside --------------------------------------------------------------------------

    def _accept(self) -> None:
        try:
            sock, _ = self.listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        credentials = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _, uid, _ = struct.unpack("3i", credentials)
        if uid not in (0, os.geteuid()):
            sock.close()
            return
        sock.setblocking(False)
        self._clients[sock.fileno()] = _Client(sock)

    def _frame(self, client: _Client, stream: int, payload: bytes) -> None:
        if stream == HELLO:
            try:
                wanted = json.loads(payload)
            except ValueError:
                wanted = {}
            client.wants = {
                s for s, key in ((STDOUT, "stdout"), (STDERR, "stderr")) if wanted.get(key)
            }
            if self.terminal:  # one stream: the terminal's output comes as stdout
                client.wants.discard(STDERR)
            client.greeted = bool(wanted.get("stdin"))
            return
        if stream == STDIN and self.stdin_fd >= 0 and payload:
            self._pending += payload
            self.writable(self.stdin_fd)
        elif stream == CLOSE:
            self._stdin_ended(client)
        elif stream == RESIZE and self.terminal and self._resize is not None:
            with contextlib.suppress(ValueError, KeyError, TypeError, OSError):
                size = json.loads(payload)
                self._resize(int(size["Width"]), int(size["Height"]))

    def _stdin_ended(self, client: _Client) -> None:
        """A client's stdin ended: with stdinOnce, the first such end closes the container's."""
        if client.greeted and self.stdin_once and not self._stdin_used:
            self._stdin_used = True
            if self.terminal:
                self._pending += b"\x04"  # end of file, as a terminal says it
                self.writable(self.stdin_fd)
            else:
                self._close_stdin()
        client.greeted = False

    def _close_stdin(self) -> None:
        if self.stdin_fd >= 0 and not self.terminal:
            with contextlib.suppress(OSError):
                os.close(self.stdin_fd)
            self.stdin_fd = -1
            self._pending = b""

    def _drop(self, client: _Client, *, ended: bool = False) -> None:
        self._clients.pop(client.sock.fileno(), None)
        if not ended:
            self._stdin_ended(client)
        with contextlib.suppress(OSError):
            client.sock.close()
