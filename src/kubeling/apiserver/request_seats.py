"""Which requests wait when the server is busy, and whose turn comes next.

Kubernetes' API Priority and Fairness sorts requests into priority levels, each with its own
seats, so that a flood of one kind cannot starve another, and within a level it queues each
flow (by default: each user) apart and serves the queues in turn, so that one busy client
cannot make a quiet one wait behind all of its requests. Its ``system-node-high`` level keeps
the nodes' heartbeats (their Leases and Node statuses) answered while controllers write pods
by the thousand: a node whose heartbeat is late is soon marked NotReady and its pods evicted.
On one event loop the same thing needs less machinery:

- requests of **``system:masters``** (the admin, the server's own loopback client) never wait:
  Kubernetes' mandatory ``exempt`` FlowSchema;
- **heartbeats** (one Lease, a node's in ``kube-node-lease`` or a leader election's, or one
  Node, its status included: get, update, patch) and **long-running** requests
  (watches, logs, exec, attach, port-forward, proxy) never wait;
- **every other resource request** takes one of ``seats`` (``--max-requests-inflight``).
  Beyond them requests wait, in one line per user, rather than all being served at once: the
  event loop's queue, which a heartbeat has to wait through at every step of its handler,
  stays as short as the seats. A freed seat goes to the lines in turn (the first request of
  the next user's line), so a user with one request waits for at most one request of each
  other user, however many those have in line.

Unlike APF there are no FlowSchemas or PriorityLevelConfigurations to configure, the
heartbeats are told by what they ask rather than by the ``system:nodes`` group, all users
share one level's seats (turns by request, not by the seconds each request takes), and a
request in line is never rejected with 429: it waits for its seat.
``apiserver_flowcontrol_current_executing_requests`` and
``apiserver_flowcontrol_current_inqueue_requests`` (``/metrics``) show the seats and the lines.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Final

from kubeling.api.authentication.user import SYSTEM_PRIVILEGED_GROUP, UserInfo
from kubeling.apiserver.request_info import RequestInfo

__all__ = [
    "DEFAULT_SEATS",
    "EXEMPT_LEVEL",
    "HEARTBEAT_LEVEL",
    "LONG_RUNNING",
    "WORKLOAD_LEVEL",
    "RequestSeats",
    "level_of",
]

#: Requests served at once (exempt, heartbeat and long-running requests aside). Enough to
#: keep the one event loop busy while some of them wait for the store; few enough that a
#: heartbeat waits for only that many handlers at each of its steps. Measured with 5,000 simulated
#: nodes (docs/benchmarks.md, Scale): with 64 seats 220 Leases were renewed a second, with 16
#: 400-460, the 500 a second they need with pods being written alongside.
DEFAULT_SEATS: Final = 16

#: The priority levels, named as Kubernetes' (``system-node-high``'s level is ``node-high``).
EXEMPT_LEVEL: Final = "exempt"
HEARTBEAT_LEVEL: Final = "node-high"
WORKLOAD_LEVEL: Final = "workload"
LONG_RUNNING: Final = "long-running"

_SINGLE_OBJECT_VERBS: Final = frozenset({"get", "update", "patch"})
#: (group, resource) of the heartbeats: Leases and Nodes (their status is a subresource).
_HEARTBEAT_RESOURCES: Final = frozenset({("coordination.k8s.io", "leases"), ("", "nodes")})
_STREAMING_SUBRESOURCES: Final = frozenset({"log", "exec", "attach", "portforward", "proxy"})


def level_of(info: RequestInfo, user: UserInfo | None = None) -> str:
    """The line ``info``, asked by ``user``, goes through: exempt, a heartbeat, a long-running
    request, or the workload.

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
    >>> admin = UserInfo("kubernetes-admin", groups=("system:masters",))
    >>> level_of(parse_request_info("GET", "/api/v1/nodes", {}), admin)
    'exempt'
    """
    # a proxy's subresource carries the rest of the path: ``proxy/stats/summary``
    if info.verb == "watch" or info.subresource.partition("/")[0] in _STREAMING_SUBRESOURCES:
        return LONG_RUNNING
    if user is not None and SYSTEM_PRIVILEGED_GROUP in user.groups:
        return EXEMPT_LEVEL
    if (
        info.verb in _SINGLE_OBJECT_VERBS
        and info.name
        and (info.group, info.resource) in _HEARTBEAT_RESOURCES
    ):
        return HEARTBEAT_LEVEL
    return WORKLOAD_LEVEL


class RequestSeats:
    """The workload's seats and its lines, one per user (see the module docstring)."""

    def __init__(self, seats: int = DEFAULT_SEATS) -> None:
        if seats < 1:
            raise ValueError(f"seats must be at least 1, not {seats}")
        self._free = seats
        #: Each user's line, in the order their turns come (a served line goes to the end).
        self._lines: dict[str, deque[asyncio.Future[None]]] = {}
        self._executing = {EXEMPT_LEVEL: 0, HEARTBEAT_LEVEL: 0, WORKLOAD_LEVEL: 0}
        self._waiting = 0

    @asynccontextmanager
    async def serving(self, info: RequestInfo, user: UserInfo | None = None) -> AsyncIterator[None]:
        """Hold the seat of ``info``, asked by ``user``, while it is served (after waiting in
        the user's line for one, if it needs one)."""
        level = level_of(info, user)
        if level == LONG_RUNNING:
            yield
            return
        if level == WORKLOAD_LEVEL:
            await self._take_seat("" if user is None else user.name)
        self._executing[level] += 1
        try:
            yield
        finally:
            self._executing[level] -= 1
            if level == WORKLOAD_LEVEL:
                self._free_seat()

    async def _take_seat(self, flow: str) -> None:
        if self._free:  # a free seat means nobody is in line: a freed seat goes to the line
            self._free -= 1
            return
        turn = asyncio.get_running_loop().create_future()
        line = self._lines.setdefault(flow, deque())
        line.append(turn)
        self._waiting += 1
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._free_seat()  # given the seat, then cancelled: pass it on
            else:
                line.remove(turn)
                if not line and self._lines.get(flow) is line:
                    del self._lines[flow]
            raise
        finally:
            self._waiting -= 1

    def _free_seat(self) -> None:
        """Give the seat to the first request of the next user's line, or free it."""
        while self._lines:  # each pass takes one request out of a line
            flow = next(iter(self._lines))
            line = self._lines.pop(flow)
            turn = line.popleft()
            if line:
                self._lines[flow] = line  # to the end: every other line goes first
            if not turn.done():
                turn.set_result(None)
                return
        self._free += 1

    def executing(self, level: str) -> int:
        """Requests of ``level`` being served now."""
        return self._executing[level]

    @property
    def waiting(self) -> int:
        """Workload requests waiting for a seat, in every line."""
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
