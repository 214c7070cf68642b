"""Free TCP ports on 127.0.0.1 for test servers."""

from __future__ import annotations

import random
import socket

__all__ = ["free_port", "restartable_port"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _local_port_range() -> tuple[int, int]:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
            return low, high
    except (OSError, ValueError):
        return 32768, 60999


def restartable_port() -> int:
    """A free port *below* the kernel's ephemeral range, for a server the test stops and
    starts again on the same port: a port from the ephemeral range (what ``free_port``
    gets) can be taken meanwhile as the local port of some outgoing connection, and the
    restarted server then cannot bind it."""
    low, _ = _local_port_range()
    for _ in range(200):
        port = random.randrange(20000, max(20001, min(low, 32768)))
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return free_port()
