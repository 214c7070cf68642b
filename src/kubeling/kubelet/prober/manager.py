"""The probe manager: a worker per probe, and the results the kubelet reads
(``pkg/kubelet/prober/prober_manager.go`` and ``results``).

When the kubelet first reports a pod's status (:meth:`ProbeManager.update_pod`), every probe of
its regular containers and sidecars gets a :class:`~kubeling.kubelet.prober.worker.ProbeWorker`.
Workers publish results per container ID; a changed result wakes the pod's worker (the
``on_change`` callback), which computes the status again and acts on it:

- ``started`` is true for a running container without a startup probe, or whose startup probe
  succeeded (once the startup worker is gone, as during termination, true);
- ``ready`` is true for a started, running container without a readiness probe, or whose
  readiness probe succeeded; a readiness worker that has not probed the container yet is
  asked to do so now, so that a container is ready as soon as it answers;
- ``failed`` names a liveness or startup probe whose result is failure: the container is
  killed and restarted per the restart policy.

Termination stops the liveness and startup workers first (no restart while the pod stops),
then every worker once its containers are stopped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

from kubeling.client import EventRecorder
from kubeling.kubelet.podutil import is_restartable_init_container, spec_of
from kubeling.kubelet.prober.prober import PROBE_KINDS, Prober
from kubeling.kubelet.prober.result import ProbeResult
from kubeling.kubelet.prober.worker import ProbeWorker
from kubeling.kubelet.runtime.interface import RuntimeService

__all__ = ["ProbeManager"]

Obj = dict[str, Any]


def _probed_containers(pod: Mapping[str, Any]) -> list[Obj]:
    """The containers whose probes run: regular ones and sidecars."""
    spec = spec_of(pod)
    sidecars = [c for c in spec.get("initContainers") or [] if is_restartable_init_container(c)]
    return [*sidecars, *(spec.get("containers") or [])]


class ProbeManager:
    """Probe workers and their results (see the module docstring); a
    :class:`~kubeling.kubelet.probes.ProbeResults`."""

    def __init__(
        self,
        runtime: RuntimeService,
        recorder: EventRecorder,
        *,
        clock: Callable[[], float] = time.time,
        prober: Prober | None = None,
    ) -> None:
        self.prober = prober or Prober(runtime, recorder)
        self.clock = clock
        self.workers: dict[tuple[str, str, str], ProbeWorker] = {}
        self._results: dict[tuple[str, str], ProbeResult] = {}
        self._pods: dict[str, tuple[Obj, Obj]] = {}
        self._group: asyncio.TaskGroup | None = None
        self._on_change: Callable[[str], None] = lambda uid: None
        #: Pods whose workers were made (a pod gets them once, as with ``AddPod``).
        self._added: set[str] = set()

    def start(self, group: asyncio.TaskGroup, on_change: Callable[[str], None]) -> None:
        """Run workers in ``group`` from now on; ``on_change(pod_uid)`` on every changed
        result."""
        self._group = group
        self._on_change = on_change
        for uid in list(self._pods):
            self._add_workers(uid)

    # -- what the kubelet tells -----------------------------------------------------------------

    def update_pod(self, pod: Mapping[str, Any], status: Mapping[str, Any]) -> None:
        uid = pod["metadata"]["uid"]
        terminal = status.get("phase") in ("Succeeded", "Failed")
        if terminal and uid not in self._pods:
            return  # removed already, or never probed: nothing to tell
        self._pods[uid] = (dict(pod), dict(status))
        if uid not in self._added and not terminal:
            self._add_workers(uid)

    def _add_workers(self, uid: str) -> None:
        if self._group is None:
            return
        self._added.add(uid)
        pod, _ = self._pods[uid]
        for container in _probed_containers(pod):
            for kind in PROBE_KINDS:
                if not container.get(f"{kind}Probe"):
                    continue
                worker = ProbeWorker(self, uid, container, kind, clock=self.clock)
                self.workers[worker.key] = worker
                self._group.create_task(worker.run(), name=f"probe {kind} {uid}/{worker.name}")

    def stop_liveness_and_startup(self, pod: Mapping[str, Any]) -> None:
        uid = pod["metadata"]["uid"]
        for (owner, _, kind), worker in list(self.workers.items()):
            if owner == uid and kind in ("liveness", "startup"):
                worker.stop()

    def remove_pod(self, pod: Mapping[str, Any]) -> None:
        uid = pod["metadata"]["uid"]
        for (owner, _, _), worker in list(self.workers.items()):
            if owner == uid:
                worker.stop()
        self._pods.pop(uid, None)
        self._added.discard(uid)

    # -- what the workers ask and tell ----------------------------------------------------------

    def pod_state(self, uid: str) -> tuple[Obj, Obj] | None:
        """The pod and the status the kubelet last computed for it."""
        return self._pods.get(uid)

    def container_spec(self, uid: str, name: str) -> Obj | None:
        entry = self._pods.get(uid)
        if entry is None:
            return None
        return next((c for c in _probed_containers(entry[0]) if c.get("name") == name), None)

    def set_result(self, kind: str, container_id: str, result: ProbeResult, uid: str) -> None:
        key = (kind, container_id)
        if self._results.get(key) is result:
            return
        self._results[key] = result
        self._on_change(uid)

    def remove_result(self, kind: str, container_id: str) -> None:
        self._results.pop((kind, container_id), None)

    def worker_done(self, worker: ProbeWorker) -> None:
        if self.workers.get(worker.key) is worker:
            del self.workers[worker.key]
        if worker.container_id:
            self.remove_result(worker.kind, worker.container_id)

    # -- what the kubelet asks ------------------------------------------------------------------

    def started(self, pod: Mapping[str, Any], container: str, container_id: str) -> bool:
        result = self._results.get(("startup", container_id))
        if result is not None:
            return result is ProbeResult.SUCCESS
        return (pod["metadata"]["uid"], container, "startup") not in self.workers

    def ready(self, pod: Mapping[str, Any], container: str, container_id: str) -> bool:
        if self._results.get(("readiness", container_id)) is ProbeResult.SUCCESS:
            return True
        worker = self.workers.get((pod["metadata"]["uid"], container, "readiness"))
        if worker is None:
            return True
        if not worker.probed or worker.container_id != container_id:
            worker.trigger()  # a container it has not probed yet: probe it now
        return False

    def failed(self, pod: Mapping[str, Any], container: str, container_id: str) -> str:
        for kind in ("liveness", "startup"):
            if self._results.get((kind, container_id)) is ProbeResult.FAILURE:
                return kind
        return ""
