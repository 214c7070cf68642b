"""What every frontend listener of the userspace proxy shares: the node, limits, counters."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from kubeling.proxy.node import NodeInfo
from kubeling.proxy.userspace.sockets import is_loopback

__all__ = ["Shared", "Statistics"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Statistics:
    """Counters since start (what kube-proxy would export as metrics)."""

    tcp_accepted: int = 0
    tcp_refused: int = 0  # rejected, dropped, over the limit or not from allowed ranges
    tcp_upstream_failures: int = 0  # no endpoint answered
    tcp_active: int = 0
    udp_flows: int = 0
    udp_dropped: int = 0


class Relay(Protocol):
    """A proxied connection, as the backend sees it when it shuts down."""

    def abort(self) -> None: ...


@dataclass(slots=True)
class Shared:
    """State every listener reads; the backend updates ``node`` and ``local_ips`` on sync."""

    node: NodeInfo
    max_connections: int
    connect_timeout: float
    udp_idle_timeout: float
    max_udp_flows: int
    #: Addresses the proxy listens on besides the node's: they are this host's too.
    local_ips: frozenset[str] = frozenset()
    stats: Statistics = field(default_factory=Statistics)
    #: Connections being proxied, reset when the backend closes.
    relays: set[Relay] = field(default_factory=set)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def from_host(self, client_ip: str) -> bool:
        """Whether a connection from ``client_ip`` started on this host (iptables'
        ``--src-type LOCAL``)."""
        return (
            is_loopback(client_ip)
            or client_ip in self.node.addresses
            or (client_ip in self.local_ips)
        )

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        """Run a per-connection step as a task the backend cancels when it closes."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("proxy task %s failed", task.get_name(), exc_info=task.exception())

    async def stop(self) -> None:
        """Cancel per-connection steps and reset every proxied connection."""
        for relay in list(self.relays):
            relay.abort()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
