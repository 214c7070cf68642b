"""Sockets for the userspace proxy: opening frontends, refusing connections, fd limits."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import resource
import socket
import struct
from typing import Final

__all__ = [
    "MAX_CONNECTIONS_CAP",
    "address_missing",
    "default_max_connections",
    "is_loopback",
    "open_socket",
    "raise_fd_limit",
    "reset",
]

#: Listen backlog of TCP frontends (the kernel caps it at ``net.core.somaxconn``).
BACKLOG: Final = 4096
#: Proxied connections allowed at once, whatever the file descriptor limit.
MAX_CONNECTIONS_CAP: Final = 16384
#: Descriptors left for everything else in the process (API clients, logs, servers).
_RESERVED_FDS: Final = 256


def open_socket(ip: str, port: int, protocol: str) -> socket.socket:
    """A non-blocking socket bound to ``ip:port`` (listening, for TCP); OSError if the
    address cannot be taken (in use, privileged, not on this host)."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    kind = socket.SOCK_STREAM if protocol == "TCP" else socket.SOCK_DGRAM
    sock = socket.socket(family, kind)
    try:
        # Reopening a frontend right after closing it must not wait for TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((ip, port))
        if kind == socket.SOCK_STREAM:
            sock.listen(BACKLOG)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def address_missing(err: OSError) -> bool:
    """Whether binding failed because the address is not one of this host's."""
    return err.errno == errno.EADDRNOTAVAIL


def reset(transport: asyncio.Transport) -> None:
    """Close a TCP connection with a reset (SO_LINGER 0), as a refused connection looks."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # already gone: closing is all that is left
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def is_loopback(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def raise_fd_limit() -> int:
    """Raise the soft limit on open files to the hard one (as every Go program does at
    start, kube-proxy included) and return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (OSError, ValueError):
            pass  # keep the soft limit: the connection cap follows it
    return soft


def default_max_connections(fd_limit: int) -> int:
    """Proxied TCP connections (and, separately, UDP flows) to allow at once: a connection
    holds two descriptors and a flow one, so both at their limit stay within ``fd_limit``."""
    if fd_limit == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS_CAP
    return max(16, min(MAX_CONNECTIONS_CAP, (fd_limit - _RESERVED_FDS) // 3))
