"""Which requests wait when the server is busy: node heartbeats never do.

Kubernetes' API Priority and Fairness sorts requests into priority levels, each with its own
seats, so that a flood of one kind cannot starve another; its ``system-node-high`` level keeps
the nodes' heartbeats (their Leases and Node statuses) answered while controllers write pods
by the thousand, and a node whose heartbeat is late is soon marked NotReady and its pods
evicted. On one event loop the same thing needs less machinery:

- **heartbeats** (one Lease, a node's in ``kube-node-lease`` or a leader election's, or one
  Node, its status included: get, update, patch) and **long-running** requests
  (watches, logs, exec, attach, port-forward, proxy) never wait;
- **every other resource request** takes one of ``seats`` (``--max-requests-inflight``), first
  come, first served. Beyond them requests wait in line for a seat rather than all being served
  at once: the event loop's queue, which a heartbeat has to wait through at every step of its
  handler, stays as short as the seats.

Unlike APF there is one line for all other requests (no flows, no fair queuing between
users), and a request waiting in it is never rejected with 429: it waits for its seat.
``apiserver_flowcontrol_current_executing_requests`` and
``apiserver_flowcontrol_current_inqueue_requests`` (``/metrics``) show the seats and the line.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Final

from kubeling.apiserver.request_info import RequestInfo

__all__ = ["DEFAULT_SEATS", "HEARTBEAT_LEVEL", "WORKLOAD_LEVEL", "RequestSeats", "level_of"]

#: Requests served at once (heartbeats and long-running requests aside). Enough to keep the
#: one event loop busy while some of them wait for the store; few enough that a heartbeat
#: waits for only that many handlers at each of its steps. Measured with 5,000 simulated
#: nodes (docs/benchmarks.md, Scale): with 64 seats 220 Leases were renewed a second, with 16
#: 400-460, the 500 a second they need with pods being written alongside.
DEFAULT_SEATS: Final = 16

#: The priority levels, named as Kubernetes' (``system-node-high``'s level is ``node-high``).
HEARTBEAT_LEVEL: Final = "node-high"
WORKLOAD_LEVEL: Final = "workload"
LONG_RUNNING: Final = "long-running"

_SINGLE_OBJECT_VERBS: Final = frozenset({"get", "update", "patch"})
#: (group, resource) of the heartbeats: Leases and Nodes (their status is a subresource).
_HEARTBEAT_RESOURCES: Final = frozenset({("coordination.k8s.io", "leases"), ("", "nodes")})
_STREAMING_SUBRESOURCES: Final = frozenset({"log", "exec", "attach", "portforward", "proxy"})


def level_of(info: RequestInfo) -> str:
    """The line ``info`` goes through: a heartbeat, a long-running request, or the workload.

    >>> from kubeling.apiserver.request_info import parse_request_info
    >>> lease = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-1"
    >>> level_of(parse_request_info("PUT", lease, {}))
    'node-high'
    >>> level_of(parse_request_info("PATCH", "/api/v1/nodes/node-1/status", {}))
    'node-high'
    >>> level_of(parse_request_info("GET", "/api/v1/nodes", {}))
    'workload'
    >>> level_of(parse_request_info("GET", "/api/v1/pods", {"watch": "true"}))
    'long-running'
    >>> level_of(parse_request_info("PATCH", "/api/v1/namespaces/ns/pods/web/status", {}))
    'workload'
    """
    # a proxy's subresource carries the rest of the path: ``proxy/stats/summary``
    if info.verb == "watch" or info.subresource.partition("/")[0] in _STREAMING_SUBRESOURCES:
        return LONG_RUNNING
    if (
        info.verb in _SINGLE_OBJECT_VERBS
        and info.name
        and (info.group, info.resource) in _HEARTBEAT_RESOURCES
    ):
        return HEARTBEAT_LEVEL
    return WORKLOAD_LEVEL


class RequestSeats:
    """The workload's seats and its line (see the module docstring)."""

    def __init__(self, seats: int = DEFAULT_SEATS) -> None:
        if seats < 1:
            raise ValueError(f"seats must be at least 1, not {seats}")
        self._free = asyncio.Semaphore(seats)
        self._executing = {HEARTBEAT_LEVEL: 0, WORKLOAD_LEVEL: 0}
        self._waiting = 0

    @asynccontextmanager
    async def serving(self, info: RequestInfo) -> AsyncIterator[None]:
        """Hold ``info``'s seat (after waiting for one, if it needs one) while it is served."""
        level = level_of(info)
        if level == LONG_RUNNING:
            yield
            return
        if level == WORKLOAD_LEVEL:
            self._waiting += 1
            try:
                await self._free.acquire()
            finally:
                self._waiting -= 1
        self._executing[level] += 1
        try:
            yield
        finally:
            self._executing[level] -= 1
            if level == WORKLOAD_LEVEL:
                self._free.release()

    def executing(self, level: str) -> int:
        """Requests of ``level`` being served now."""
        return self._executing[level]

    @property
    def waiting(self) -> int:
        """Workload requests waiting for a seat."""
        return self._waiting

    def metrics(self) -> Iterator[str]:
        """The two gauges, in the Prometheus text format (Kubernetes' names)."""
        yield (
            "# HELP apiserver_flowcontrol_current_executing_requests Number of requests in "
            "initial (for a WATCH) or any (for a non-WATCH) execution stage in the API "
            "Priority and Fairness subsystem"
        )
        yield "# TYPE apiserver_flowcontrol_current_executing_requests gauge"
        for level, count in self._executing.items():
            yield (
                f'apiserver_flowcontrol_current_executing_requests{{priority_level="{level}"}}'
                f" {count}"
            )
        yield (
            "# HELP apiserver_flowcontrol_current_inqueue_requests Number of requests "
            "currently pending in queues of the API Priority and Fairness subsystem"
        )
        yield "# TYPE apiserver_flowcontrol_current_inqueue_requests gauge"
        yield (
            f'apiserver_flowcontrol_current_inqueue_requests{{priority_level="{WORKLOAD_LEVEL}"}}'
            f" {self._waiting}"
        )
