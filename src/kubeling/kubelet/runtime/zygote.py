"""Starting container shims: the zygote process and the pipes it reports on.

See :mod:`~kubeling.kubelet.runtime.shim` for why one long-lived process forks the shims.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import sys
from pathlib import Path
from typing import Final

from kubeling.kubelet.runtime import shim

__all__ = ["DEFAULT_PATH", "SHIM_SCRIPT", "Zygote", "read_to_eof"]

log = logging.getLogger(__name__)

#: containerd's PATH for an image that sets none.
DEFAULT_PATH: Final = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SHIM_SCRIPT: Final = Path(shim.__file__)


class Zygote:
    """The process that forks container shims (see :mod:`~kubeling.kubelet.runtime.shim`)."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self._sock: socket.socket | None = None
        self._pid = 0
        self._pidfd = -1

    def start(self) -> None:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        log_fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        try:
            argv = [sys.executable, "-I", "-S", str(SHIM_SCRIPT), "zygote"]
            self._pid = os.posix_spawn(
                sys.executable,
                argv,
                {"PATH": os.environ.get("PATH", DEFAULT_PATH)},
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_DUP2, log_fd, 1),
                    (os.POSIX_SPAWN_DUP2, log_fd, 2),
                    (os.POSIX_SPAWN_DUP2, child.fileno(), shim.ZYGOTE_FD),
                ],
                setsid=True,
            )
        finally:
            os.close(log_fd)
            child.close()
        self._sock = parent
        # Reap it when it ends (after the kubelet hung up and its last shim ended).
        self._pidfd = os.pidfd_open(self._pid)
        asyncio.get_running_loop().add_reader(self._pidfd, self._reap)

    def _reap(self) -> None:
        asyncio.get_running_loop().remove_reader(self._pidfd)
        os.close(self._pidfd)
        self._pidfd = -1
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self._pid, 0)

    def spawn(self, directory: Path, report_fd: int) -> None:
        """Ask for a shim for the container in ``directory``; restart a dead zygote once."""
        self.request({"dir": str(directory)}, report_fd)

    def request(self, value: dict[str, str], report_fd: int) -> None:
        """Send a request (a container's shim, or ``uts`` and ``hostname``: a pod's UTS
        namespace to pin); the answer comes on ``report_fd``."""
        message = json.dumps(value).encode()
        for attempt in range(2):
            if self._sock is None:
                self.start()
            assert self._sock is not None
            try:
                socket.send_fds(self._sock, [message], [report_fd])
                return
            except OSError:
                if attempt:
                    raise
                log.warning("the container shim zygote is gone; starting a new one")
                self._sock.close()
                self._sock = None

    @property
    def pid(self) -> int:
        """The running zygote's pid (0 before the first container start)."""
        return self._pid if self._pidfd >= 0 else 0

    async def close(self, *, wait: float = 2.0) -> None:
        """Hang up. The zygote exits once its shims have ended (running containers keep
        theirs): wait up to ``wait`` seconds to reap it, else leave it running."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._pidfd < 0:
            return
        loop = asyncio.get_running_loop()
        ended: asyncio.Future[None] = loop.create_future()
        loop.remove_reader(self._pidfd)

        def readable() -> None:
            if not ended.done():
                ended.set_result(None)

        loop.add_reader(self._pidfd, readable)
        try:
            await asyncio.wait_for(ended, wait)
        except TimeoutError:
            loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = -1
            log.info("the container shim zygote outlives the runtime: containers still run")
            return
        self._reap()


async def read_to_eof(fd: int) -> bytes:
    """All of a pipe's content, read on the event loop; closes ``fd``."""
    loop = asyncio.get_running_loop()
    os.set_blocking(fd, False)
    chunks: list[bytes] = []
    done: asyncio.Future[None] = loop.create_future()

    def readable() -> None:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        if data:
            chunks.append(data)
        elif not done.done():
            done.set_result(None)

    loop.add_reader(fd, readable)
    try:
        await done
    finally:
        loop.remove_reader(fd)
        os.close(fd)
    return b"".join(chunks)
