"""A test-only stand-in for the ReplicaSet controller (and the kubelet's readiness).

The Deployment controller only sizes ReplicaSets; something must turn their
``spec.replicas`` into pods and report them in ``status``. Until the real
ReplicaSet controller is merged, the Deployment tests run this stand-in: it
is *not* that controller (no slow start, no expectations, no adoption, no
Events), just the smallest loop that gives a Deployment real pods to count.

Each pass reads every ReplicaSet and pod of the namespace from the API (not a
cache, so a pass never acts on stale counts), then:

1. deletes the surplus pods of each ReplicaSet (not-ready ones first, then the
   newest), before
2. creating the missing ones from its template, so that there are never more
   pods than the ReplicaSets ask for in all, and
3. writes each ReplicaSet's status from the pods it is left with
   (``replicas``, ``fullyLabeledReplicas``, ``readyReplicas``,
   ``availableReplicas`` with ``minReadySeconds``, ``observedGeneration``).

A pass runs whenever a ReplicaSet or pod changes (the informers only wake the
loop), and every half second while some pod waits for ``minReadySeconds``.

:func:`mark_ready` plays the kubelet: it reports a pod Running and Ready, as a
test decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
from collections.abc import AsyncIterator, Mapping
from typing import Any

from kubeling.api import errors
from kubeling.api.labels import label_selector_as_selector
from kubeling.api.timestamps import format_time
from kubeling.client import ApiClient, SharedInformerFactory, TransportError
from kubeling.client.resources import PODS, REPLICASETS
from kubeling.controllers.ownership import controller_of, new_controller_ref
from kubeling.controllers.podcontrol import pod_from_template
from kubeling.controllers.pods import is_pod_active, is_pod_available, is_pod_ready

__all__ = ["FakeReplicaSetController", "mark_ready", "running_fake_replicasets"]

Obj = dict[str, Any]


async def mark_ready(client: ApiClient, pod: Mapping[str, Any]) -> None:
    """Report ``pod`` Running with Ready=True since now (what a kubelet would write)."""
    now = format_time()
    meta = pod["metadata"]
    status = {
        "phase": "Running",
        "conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": now},
            {"type": "ContainersReady", "status": "True", "lastTransitionTime": now},
        ],
        "startTime": now,
    }
    with contextlib.suppress(errors.StatusError):  # deleted meanwhile
        await client.resource(PODS).patch(
            meta["name"], {"status": status}, namespace=meta["namespace"], subresource="status"
        )


def _deletion_order(pods: list[Obj]) -> list[Obj]:
    """Not-ready pods first, then the newest (Kubernetes' ranking, simplified)."""
    newest_first = sorted(
        pods, key=lambda pod: str(pod["metadata"].get("creationTimestamp") or ""), reverse=True
    )
    return sorted(newest_first, key=is_pod_ready)


class FakeReplicaSetController:
    """Pods and status for every ReplicaSet of one namespace (see the module docstring)."""

    def __init__(self, client: ApiClient, namespace: str) -> None:
        self.client = client
        self.namespace = namespace
        self.replicasets = client.resource(REPLICASETS)
        self.pods = client.resource(PODS)
        self._wake = asyncio.Event()

    async def run(self) -> None:
        """Run passes until cancelled."""
        factory = SharedInformerFactory(self.client, namespace=self.namespace)
        for resource in (REPLICASETS, PODS):
            factory.informer_for(resource).add_event_handler(
                on_add=lambda _: self._wake.set(),
                on_update=lambda _old, _new: self._wake.set(),
                on_delete=lambda _: self._wake.set(),
            )
        try:
            async with asyncio.TaskGroup() as group:
                factory.start(group)
                group.create_task(self._loop())
        finally:
            factory.shutdown()

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                waiting = await self.sync_once()
            except (errors.StatusError, TransportError):
                # A refused or timed-out read (the server answers 504 when its
                # cache lags): try again, as a controller would.
                waiting = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.5 if waiting else None)

    async def sync_once(self) -> bool:
        """One pass; True if a pod waits for minReadySeconds (look again soon)."""
        replicasets = (await self.replicasets.list(namespace=self.namespace))["items"]
        pods = [
            pod
            for pod in (await self.pods.list(namespace=self.namespace))["items"]
            if is_pod_active(pod)
        ]
        owned: dict[str, list[Obj]] = {rs["metadata"]["uid"]: [] for rs in replicasets}
        for pod in pods:
            ref = controller_of(pod)
            if ref is not None and ref.get("uid") in owned:
                owned[str(ref["uid"])].append(pod)
        for rs in replicasets:  # 1. surplus pods go first
            mine = owned[rs["metadata"]["uid"]]
            surplus = len(mine) - int(rs["spec"].get("replicas", 1))
            for pod in _deletion_order(mine)[: max(0, surplus)]:
                with contextlib.suppress(errors.StatusError):
                    await self.pods.delete(pod["metadata"]["name"], namespace=self.namespace)
                mine.remove(pod)
        for rs in replicasets:  # 2. then missing pods are created
            mine = owned[rs["metadata"]["uid"]]
            if rs["metadata"].get("deletionTimestamp"):
                continue
            ref = new_controller_ref(rs, "apps/v1", "ReplicaSet")
            for _ in range(int(rs["spec"].get("replicas", 1)) - len(mine)):
                body = pod_from_template(rs["spec"]["template"], rs, ref)
                mine.append(await self.pods.create(body, namespace=self.namespace))
        waiting = False
        now = datetime.datetime.now(datetime.UTC)
        for rs in replicasets:  # 3. status from the pods left
            mine = owned[rs["metadata"]["uid"]]
            min_ready = int(rs["spec"].get("minReadySeconds", 0))
            selector = label_selector_as_selector(rs["spec"].get("selector"))
            counts = {
                "replicas": len(mine),
                "fullyLabeledReplicas": sum(
                    1 for p in mine if selector.matches(p["metadata"].get("labels") or {})
                ),
                "readyReplicas": sum(1 for p in mine if is_pod_ready(p)),
                "availableReplicas": sum(1 for p in mine if is_pod_available(p, min_ready, now)),
                "observedGeneration": rs["metadata"].get("generation", 0),
            }
            waiting = waiting or counts["availableReplicas"] < counts["readyReplicas"]
            status = {key: value for key, value in counts.items() if value}
            status["replicas"] = len(mine)  # not omitempty in Go
            if status != rs.get("status"):
                with contextlib.suppress(errors.StatusError):  # changed meanwhile: next pass
                    await self.replicasets.update_status({**rs, "status": status})
        return waiting


@contextlib.asynccontextmanager
async def running_fake_replicasets(client: ApiClient, namespace: str) -> AsyncIterator[None]:
    """Run the stand-in for the duration of the block."""
    task = asyncio.create_task(FakeReplicaSetController(client, namespace).run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
