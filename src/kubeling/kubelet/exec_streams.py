"""A process started for ``kubectl exec``, as the streaming server's ``ContainerStream``.

Two shapes, as a container runtime offers them: with pipes (stdin, stdout and stderr apart) or
on a pseudo-terminal (``tty``: one output stream, resizable, and end of input is a ``^D``). The
process runs in a session of its own, so closing the stream (the client left) kills the whole
group it started, as ending an exec session in a container does.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import struct
import termios
from collections.abc import Sequence

__all__ = ["PipeStream", "TtyStream", "start_exec"]

#: The terminal's size until the client sends its own (as ``runc`` starts a console).
DEFAULT_WIDTH, DEFAULT_HEIGHT = 80, 24


def _kill_group(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


class PipeStream:
    """An exec'd process with pipes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self.stdout = process.stdout
        self.stderr = process.stderr

    async def write_stdin(self, data: bytes) -> None:
        if self._process.stdin is None or self._process.stdin.is_closing():
            return
        self._process.stdin.write(data)
        with contextlib.suppress(ConnectionError):
            await self._process.stdin.drain()

    async def close_stdin(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()

    def resize(self, width: int, height: int) -> None:
        return None

    async def wait(self) -> int | None:
        return await self._process.wait()

    async def close(self) -> None:
        if self._process.returncode is None:
            _kill_group(self._process)
            await self._process.wait()


def set_terminal_size(fd: int, width: int, height: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))


class TtyStream:
    """An exec'd process on a pseudo-terminal whose master end this stream holds."""

    def __init__(self, process: asyncio.subprocess.Process, master: int) -> None:
        self._process = process
        self._master = master
        self.stdout: asyncio.StreamReader | None = asyncio.StreamReader()
        self.stderr: asyncio.StreamReader | None = None
        os.set_blocking(master, False)
        asyncio.get_running_loop().add_reader(master, self._readable)

    def _readable(self) -> None:
        assert self.stdout is not None
        try:
            data = os.read(self._master, 65536)
        except BlockingIOError:
            return
        except OSError:  # EIO: every slave end is closed, the process is gone
            data = b""
        if data:
            self.stdout.feed_data(data)
            return
        self._release_terminal()
        self.stdout.feed_eof()

    def _release_terminal(self) -> None:
        """Let go of the terminal once its output ended (or the client left)."""
        if self._master < 0:
            return
        asyncio.get_running_loop().remove_reader(self._master)
        with contextlib.suppress(OSError):
            os.close(self._master)
        self._master = -1

    async def write_stdin(self, data: bytes) -> None:
        while data and self._master >= 0:
            try:
                written = os.write(self._master, data)
            except BlockingIOError:
                await asyncio.sleep(0.01)
                continue
            except OSError:
                return  # the terminal is gone with its process
            data = data[written:]

    async def close_stdin(self) -> None:
        await self.write_stdin(b"\x04")  # end of file, as a terminal says it

    def resize(self, width: int, height: int) -> None:
        if self._master < 0:
            return
        with contextlib.suppress(OSError):
            set_terminal_size(self._master, width, height)

    async def wait(self) -> int | None:
        return await self._process.wait()

    async def close(self) -> None:
        if self._process.returncode is None:
            _kill_group(self._process)
            await self._process.wait()
        self._release_terminal()


async def start_exec(
    argv: Sequence[str],
    *,
    stdin: bool,
    stdout: bool,
    stderr: bool,
    tty: bool,
    size: tuple[int, int] | None = None,
) -> PipeStream | TtyStream:
    """Start ``argv`` in a session of its own, wired as the exec request asks; a terminal
    has ``size`` (width, height) from the start, or 80x24."""
    if tty:
        master, slave = os.openpty()
        try:
            set_terminal_size(slave, *(size or (DEFAULT_WIDTH, DEFAULT_HEIGHT)))
            process = await asyncio.create_subprocess_exec(
                *argv, stdin=slave, stdout=slave, stderr=slave, start_new_session=True
            )
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        return TtyStream(process, master)
    pipe, devnull = asyncio.subprocess.PIPE, asyncio.subprocess.DEVNULL
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=pipe if stdin else devnull,
        stdout=pipe if stdout else devnull,
        stderr=pipe if stderr else devnull,
        start_new_session=True,
    )
    return PipeStream(process)
