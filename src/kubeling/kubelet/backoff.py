"""The crash-loop back-off: 10 s doubling to 5 min, forgotten after 10 min of quiet.

Kubernetes' kubelet keeps one ``flowcontrol.Backoff`` (no jitter) for restarting containers,
keyed by pod and container. Before restarting an exited container it asks whether the container
is still in back-off *since it finished*; if not, it records the restart (``next``), which
doubles the delay for the following one:

- the first restart is immediate (no entry yet), the second waits 10 s after the container
  finished, then 20 s, 40 s, ... up to 300 s;
- an entry not updated for twice the maximum (10 min, e.g. a container that ran that long)
  starts again from 10 s.

Times are Unix seconds (a container's ``finishedAt``); the clock is injected for tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from kubeling.api.protobuf import format_go_duration

__all__ = ["Backoff", "format_seconds"]


@dataclass(slots=True)
class _Entry:
    delay: float
    last_update: float


def format_seconds(seconds: float) -> str:
    """A delay as Go prints a ``time.Duration``: ``10s``, ``1m20s``, ``5m0s``."""
    return format_go_duration(round(seconds * 1e9))


class Backoff:
    """Per-key exponential back-off (see the module docstring)."""

    def __init__(
        self,
        *,
        initial: float = 10.0,
        maximum: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.initial = initial
        self.maximum = maximum
        self.clock = clock
        self._entries: dict[str, _Entry] = {}

    def _expired(self, event_time: float, entry: _Entry) -> bool:
        return event_time - entry.last_update > 2 * self.maximum

    def next(self, key: str, event_time: float) -> None:
        """Record a restart after an event (a container's exit) at ``event_time``."""
        entry = self._entries.get(key)
        if entry is None or self._expired(event_time, entry):
            self._entries[key] = _Entry(self.initial, self.clock())
            return
        entry.delay = min(entry.delay * 2, self.maximum)
        entry.last_update = self.clock()

    def is_in_backoff_since(self, key: str, event_time: float) -> bool:
        """Whether a restart must still wait, counting from ``event_time``."""
        entry = self._entries.get(key)
        if entry is None or self._expired(event_time, entry):
            return False
        return self.clock() - event_time < entry.delay

    def remaining(self, key: str, event_time: float) -> float:
        """Seconds until a restart may happen (0 when it may now)."""
        if not self.is_in_backoff_since(key, event_time):
            return 0.0
        return max(0.0, event_time + self._entries[key].delay - self.clock())

    def get(self, key: str) -> float:
        """The current delay of ``key`` (0 if none)."""
        entry = self._entries.get(key)
        return entry.delay if entry else 0.0

    def forget(self, prefix: str) -> None:
        """Drop the entries whose key starts with ``prefix`` (a pod that is gone)."""
        for key in [k for k in self._entries if k.startswith(prefix)]:
            del self._entries[key]

    def gc(self) -> None:
        """Drop entries not updated for twice the maximum (they would start over anyway)."""
        now = self.clock()
        for key in [k for k, e in self._entries.items() if now - e.last_update > 2 * self.maximum]:
            del self._entries[key]
