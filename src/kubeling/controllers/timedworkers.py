"""Work to run once, no earlier than a given time, per key (``TimedWorkerQueue``).

The taint eviction controller schedules one pod deletion per pod: at once for
a pod that does not tolerate its node's NoExecute taints, after the shortest
``tolerationSeconds`` for one that tolerates them for a while. Work for a key
is scheduled once: adding it again while it waits, runs or has succeeded
does nothing, until it is cancelled. Cancelling stops timed work that has not
started; work due at once, or already running, finishes. A failed run
forgets its key, so the next decision schedules it again.

The queue runs its waits and work as tasks of the TaskGroup it is bound to
(the controller's), so nothing outlives the controller.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

__all__ = ["TimedWorker", "TimedWorkerQueue"]

log = logging.getLogger(__name__)

#: ``work(key)``: the work for a key, run when its time comes.
Work = Callable[[str], Awaitable[None]]


@dataclass(slots=True)
class TimedWorker:
    """Work waiting for its time (``created_at``/``fire_at`` on the queue's clock)."""

    created_at: float
    fire_at: float
    task: asyncio.Task[None] | None = None
    #: no wait: started at once (upstream keeps no timer for it)
    immediate: bool = False
    started: bool = field(default=False)
    done: bool = field(default=False)


class TimedWorkerQueue:
    """One pending piece of work per key."""

    def __init__(self, work: Work, *, now: Callable[[], float] = time.monotonic) -> None:
        self._work = work
        self.now = now
        #: key -> its worker, kept after a success so that the work is not repeated
        self._workers: dict[str, TimedWorker] = {}
        self._group: asyncio.TaskGroup | None = None

    def bind(self, group: asyncio.TaskGroup) -> None:
        """Run work as tasks of ``group`` from now on."""
        self._group = group

    def add_work(self, key: str, created_at: float, fire_at: float) -> None:
        """Run the work for ``key`` at ``fire_at`` (``fire_at - created_at`` from now)."""
        if key in self._workers:
            return
        if self._group is None:
            raise RuntimeError("the timed worker queue is not bound to a task group")
        delay = fire_at - created_at
        worker = TimedWorker(created_at=created_at, fire_at=fire_at, immediate=delay <= 0)
        self._workers[key] = worker
        worker.task = self._group.create_task(
            self._run(key, worker, max(0.0, delay)), name=f"timed-work {key}"
        )

    def cancel_work(self, key: str) -> bool:
        """Forget ``key``'s work, stopping it unless it started; True if it was timed
        work not yet done (upstream's "cancelled", which earns an event)."""
        worker = self._workers.pop(key, None)
        if worker is None:
            return False
        # immediate work is already on its way (upstream starts it at once)
        if not worker.started and not worker.immediate:
            assert worker.task is not None
            worker.task.cancel()
        return not worker.immediate and not worker.done

    def get(self, key: str) -> TimedWorker | None:
        """The timed work waiting or running for ``key`` (None: none, immediate or done)."""
        worker = self._workers.get(key)
        return None if worker is None or worker.immediate or worker.done else worker

    def __contains__(self, key: object) -> bool:
        return key in self._workers

    async def _run(self, key: str, worker: TimedWorker, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        worker.started = True
        try:
            await self._work(key)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("timed worker for %s failed", key)
            if self._workers.get(key) is worker:
                del self._workers[key]
            return
        worker.done = True
