"""One pod's life on the node: sync it, terminate it, forget it.

The three steps a pod worker takes (Kubernetes' ``SyncPod``, ``SyncTerminatingPod`` and
``SyncTerminatedPod``), each reading the runtime, computing the status
(:func:`~kubeling.kubelet.status.generate_pod_status`) and writing it when it changed:

- :meth:`PodLifecycle.sync`: write the status, and unless the pod has reached a terminal phase,
  carry out its next actions; when that changed the runtime, look again at once (so that a pod
  turns Running as soon as its containers run: the runtime's event of a container it started
  wakes nobody); returns whether the pod is terminal and when to look again at the latest (a
  back-off ending, a retry);
- :meth:`PodLifecycle.terminate`: stop the liveness and startup probes, stop every container
  (with the grace period) and the remaining probes, then write the
  terminal status (Succeeded if every container ended with 0, else Failed), and, for a pod
  being deleted, remove it from the API;
- :meth:`PodLifecycle.cleanup`: once the pod is gone from the API, remove its sandboxes,
  containers and logs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kubeling.api.timestamps import format_time
from kubeling.kubelet.pod_runtime import PodRuntimeManager
from kubeling.kubelet.probes import ProbeResults
from kubeling.kubelet.runtimestatus import PodRuntimeStatus
from kubeling.kubelet.status import StatusInputs, generate_pod_status, terminate_pod_status
from kubeling.kubelet.status_manager import StatusManager

__all__ = ["PodLifecycle", "SyncResult"]

#: How many sync rounds one wake-up may take when each round changes something.
MAX_ROUNDS: Final = 5

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SyncResult:
    terminal: bool
    #: Seconds until the pod should be synced again at the latest (None: no need).
    retry_after: float | None = None


class PodLifecycle:
    """Syncs, terminates and cleans up pods (see the module docstring)."""

    def __init__(
        self,
        manager: PodRuntimeManager,
        statuses: StatusManager,
        *,
        probes: ProbeResults,
        host_ips: Sequence[str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.manager = manager
        self.statuses = statuses
        self.probes = probes
        self.host_ips = list(host_ips)
        self.clock = clock

    def _status(
        self,
        pod: Mapping[str, Any],
        runtime: PodRuntimeStatus,
        reasons: Mapping[str, tuple[str, str]],
        *,
        terminal: bool,
    ) -> Obj:
        status = generate_pod_status(
            pod,
            runtime,
            StatusInputs(
                previous=self.statuses.previous(pod),
                reasons=dict(reasons),
                probes=self.probes,
                runtime_name=self.manager.runtime.name,
                host_ips=self.host_ips,
                now=format_time(self.clock()),
                pod_is_terminal=terminal,
            ),
        )
        self.probes.update_pod(pod, status)
        return status

    async def sync(
        self, pod: Mapping[str, Any], reasons: MutableMapping[str, tuple[str, str]]
    ) -> SyncResult:
        """Bring the pod's containers towards its spec (see the module docstring)."""
        retry: float | None = None
        for _ in range(MAX_ROUNDS):
            runtime = await self.manager.pod_status(pod)
            status = self._status(pod, runtime, reasons, terminal=False)
            self.statuses.set_status(pod, status)
            if status["phase"] in ("Succeeded", "Failed"):
                return SyncResult(terminal=True)
            before = dict(reasons)
            outcome = await self.manager.sync_pod(pod, runtime, reasons)
            retry = outcome.retry_after
            if not outcome.changed:
                break
        else:
            retry = 0.0  # still changing: come back at once, after others had their turn
        if outcome.changed or reasons != before:
            # The last status was computed before the last actions: it misses the reasons
            # they recorded (a back-off, a configuration error). Actions that changed nothing
            # and recorded nothing leave it as it is: computing it again would give it again.
            runtime = await self.manager.pod_status(pod)
            self.statuses.set_status(pod, self._status(pod, runtime, reasons, terminal=False))
        return SyncResult(terminal=False, retry_after=retry)

    async def terminate(
        self,
        pod: Mapping[str, Any],
        reasons: Mapping[str, tuple[str, str]],
        *,
        gone: bool = False,
    ) -> None:
        """Stop the pod's containers and report it terminal; ``gone``: it is no longer in the
        API (force-deleted), so there is nobody to report to."""
        self.probes.stop_liveness_and_startup(pod)
        runtime = await self.manager.pod_status(pod)
        if not gone:
            self.statuses.set_status(pod, self._status(pod, runtime, reasons, terminal=False))
        await self.manager.kill_pod(pod, runtime)
        self.probes.remove_pod(pod)
        if gone:
            return
        runtime = await self.manager.pod_status(pod)
        final = terminate_pod_status(pod, self._status(pod, runtime, reasons, terminal=True))
        self.statuses.set_status(pod, final)
        await self.finish(pod)

    async def finish(self, pod: Mapping[str, Any]) -> None:
        """A terminated pod that is being deleted leaves the API now."""
        if (pod.get("metadata") or {}).get("deletionTimestamp"):
            await self.statuses.delete_pod(pod)

    async def cleanup(self, pod: Mapping[str, Any]) -> None:
        """Forget a pod the API no longer has: its runtime state, logs, back-off, status."""
        uid = pod["metadata"]["uid"]
        self.probes.remove_pod(pod)
        await self.manager.remove_pod(uid)
        meta = pod["metadata"]
        self.manager.backoff.forget(f"{meta['name']}_{meta['namespace']}_{uid}_")
        self.statuses.forget(uid)
