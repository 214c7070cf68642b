"""One probe of one container of one pod, run periodically (``pkg/kubelet/prober/worker.go``).

Every ``periodSeconds`` the worker looks at the pod's latest status and, in Kubernetes' order:

1. stops for good when the pod has reached a terminal phase, or (liveness and startup) when it
   is being deleted, after setting success so that nothing restarts it;
2. waits while the container has no ID yet; when the ID changes (a restart), the old result
   goes, the new container starts from the initial result (readiness failure, liveness success,
   startup unknown) and a probe that was on hold resumes;
3. while the container is not running: failure (and the worker stops if it ended for good
   under ``restartPolicy: Never``);
4. waits until ``initialDelaySeconds`` have passed since the container started; probes other
   than startup wait for the container to have started, and startup stops probing once it has;
5. probes, and changes the result only after ``successThreshold`` successes or
   ``failureThreshold`` failures in a row; a liveness or startup failure puts the worker on
   hold until the container is replaced.

The result is published through the manager, which wakes the pod's worker when it changes.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from kubeling.kubelet.prober.prober import probe_settings
from kubeling.kubelet.prober.result import ProbeError, ProbeResult

if TYPE_CHECKING:
    from kubeling.kubelet.prober.manager import ProbeManager

__all__ = ["INITIAL_RESULTS", "ProbeWorker"]

log = logging.getLogger(__name__)

#: The result a new container starts with, by probe kind (``initialValue``).
INITIAL_RESULTS: Final = {
    "readiness": ProbeResult.FAILURE,
    "liveness": ProbeResult.SUCCESS,
    "startup": ProbeResult.UNKNOWN,
}


def _seconds_since(timestamp: object, now: float) -> float:
    if not isinstance(timestamp, str) or not timestamp:
        return 0.0
    moment = datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return now - moment.timestamp()


class ProbeWorker:
    """The worker of ``kind`` probes of ``container`` in pod ``uid`` (see the module
    docstring)."""

    def __init__(
        self,
        manager: ProbeManager,
        uid: str,
        container: Mapping[str, Any],
        kind: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.manager = manager
        self.uid = uid
        self.container = container
        self.name = str(container["name"])
        self.kind = kind
        self.clock = clock
        probe = container[f"{kind}Probe"]
        (
            self.period,
            self.timeout,
            self.initial_delay,
            self.success_threshold,
            self.failure_threshold,
        ) = probe_settings(probe)
        self.container_id = ""
        self.last_result: ProbeResult | None = None
        self.result_run = 0
        self.on_hold = False
        #: Whether the current container was probed at least once.
        self.probed = False
        self._trigger = asyncio.Event()
        self._stopped = asyncio.Event()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.uid, self.name, self.kind)

    def trigger(self) -> None:
        """Probe now rather than at the next period (a readiness probe of a container that
        just started)."""
        self._trigger.set()

    def stop(self) -> None:
        self._stopped.set()

    async def run(self) -> None:
        """Probe every period until :meth:`do_probe` says to stop or :meth:`stop` is called."""
        try:
            while not self._stopped.is_set():
                began = self.clock()
                try:
                    keep = await self.do_probe()
                except Exception:  # a bug must not end the kubelet; the next period retries
                    log.exception("%s probe of %s/%s failed", self.kind, self.uid, self.name)
                    keep = True
                if not keep:
                    break
                await self._wait(max(0.0, self.period - (self.clock() - began)))
        finally:
            self.manager.worker_done(self)

    async def _wait(self, seconds: float) -> None:
        trigger = asyncio.ensure_future(self._trigger.wait())
        stopped = asyncio.ensure_future(self._stopped.wait())
        try:
            await asyncio.wait({trigger, stopped}, timeout=seconds, return_when="FIRST_COMPLETED")
        finally:
            trigger.cancel()
            stopped.cancel()
        self._trigger.clear()

    def _set(self, result: ProbeResult) -> None:
        self.manager.set_result(self.kind, self.container_id, result, self.uid)

    async def do_probe(self) -> bool:
        """One period's work; whether to keep probing (see the module docstring)."""
        latest = self.manager.pod_state(self.uid)
        if latest is None:
            return True  # no status yet
        pod, status = latest
        if status.get("phase") in ("Succeeded", "Failed"):
            return False
        statuses = [
            *(status.get("containerStatuses") or []),
            *(status.get("initContainerStatuses") or []),
        ]
        current = next((s for s in statuses if s.get("name") == self.name), None)
        if current is None or not current.get("containerID"):
            return True
        if self.container_id != current["containerID"]:
            if self.container_id:
                self.manager.remove_result(self.kind, self.container_id)
            self.container_id = current["containerID"]
            self._set(INITIAL_RESULTS[self.kind])
            self.on_hold = False
            self.probed = False
            self.last_result, self.result_run = None, 0
        if self.on_hold:
            return True
        state = current.get("state") or {}
        running = state.get("running")
        if running is None:
            self._set(ProbeResult.FAILURE)
            ended = state.get("terminated") is not None
            return not ended or (pod.get("spec") or {}).get("restartPolicy") != "Never"
        if (pod.get("metadata") or {}).get("deletionTimestamp") and self.kind in (
            "liveness",
            "startup",
        ):
            self._set(ProbeResult.SUCCESS)  # a quiet shutdown: nothing restarts it now
            return False
        if int(_seconds_since(running.get("startedAt"), self.clock())) < self.initial_delay:
            return True
        if current.get("started"):
            if self.kind == "startup":
                return True
        elif self.kind != "startup":
            return True
        container = self.manager.container_spec(self.uid, self.name) or self.container
        try:
            result = await self.manager.prober.probe(
                self.kind, pod, str(status.get("podIP") or ""), container, self.container_id
            )
        except ProbeError:
            return True  # thrown away, as Kubernetes does
        self.probed = True
        if result == self.last_result:
            self.result_run += 1
        else:
            self.last_result, self.result_run = result, 1
        if (result is ProbeResult.FAILURE and self.result_run < self.failure_threshold) or (
            result is ProbeResult.SUCCESS and self.result_run < self.success_threshold
        ):
            return True
        self._set(result)
        if self.kind in ("liveness", "startup") and result is ProbeResult.FAILURE:
            # The container is restarted; probing it again would only say so again.
            self.on_hold = True
            self.result_run = 0
        return True
