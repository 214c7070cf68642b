"""Memory per pod in the long-lived caches of kubeling's components, in one process.

Fills each cache with ``--pods`` realistic pods (as ``bench/scale.py`` makes them: a
Deployment's pod, bound, Running and Ready, with labels, ownerReferences, conditions,
containerStatuses and the managedFields of the controller manager and the kubelet) and
reports the bytes each pod adds, as ``tracemalloc`` counts them:

- ``watch_cache``: the API server's watch cache (``kubeling server``), filled by its relist of
  a memory store (the store's own copies are not counted);
- ``informer``: a shared informer's cache as the scheduler, the simulated kubelets and the
  controller manager keep it: each pod decoded from its own watch event line, through
  ``strip_managed_fields``, into the indexer;
- ``scheduler_cache``: the scheduler's cache of bound pods (its ``PodInfo``), beyond the
  informer's objects it points to.

    .venv/bin/python bench/memory_per_object.py [--pods 20000]

Last line: ``memory_per_object: pods=<n> watch_cache_b=<x> informer_b=<x>
scheduler_cache_b=<x>``.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import gc
import json
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kubeling.apiserver.rest.resource_store import selectable
from kubeling.apiserver.strategies.pods import PodStrategy
from kubeling.apiserver.watch_cache import WatchCache
from kubeling.client import SharedInformer, strip_managed_fields
from kubeling.client.resources import PODS
from kubeling.client.rest import WatchEvent
from kubeling.scheduler.cache import Cache
from kubeling.scheduler.framework.types import PodInfo
from kubeling.storage.memory import MemoryStore

_CM_FIELDS = {
    "f:metadata": {
        "f:generateName": {},
        "f:labels": {"f:app": {}, "f:pod-template-hash": {}, "f:scale.kubeling.io/bench": {}},
        "f:ownerReferences": {},
    },
    "f:spec": {
        "f:containers": {
            'k:{"name":"app"}': {
                ".": {},
                "f:image": {},
                "f:imagePullPolicy": {},
                "f:name": {},
                "f:resources": {"f:requests": {"f:cpu": {}, "f:memory": {}}},
                "f:terminationMessagePath": {},
                "f:terminationMessagePolicy": {},
            }
        },
        "f:dnsPolicy": {},
        "f:enableServiceLinks": {},
        "f:preemptionPolicy": {},
        "f:priority": {},
        "f:restartPolicy": {},
        "f:schedulerName": {},
        "f:securityContext": {},
        "f:terminationGracePeriodSeconds": {},
        "f:tolerations": {},
    },
}
_CONDITION_FIELDS = {
    ".": {},
    "f:lastProbeTime": {},
    "f:lastTransitionTime": {},
    "f:status": {},
    "f:type": {},
}


def _time(second: int) -> str:
    return f"2026-11-27T13:{second // 60 % 60:02d}:{second % 60:02d}Z"


def pod(index: int, nodes: int = 1000) -> dict[str, Any]:
    """Pod ``index`` of a scale run: 30 per Deployment, 3,000 per namespace, Running."""
    app = f"app-{index // 30:05d}"
    rs_uid = f"cb9a22b7-613b-4b46-b57b-{index // 30:012d}"
    node = index % nodes
    pod_ip = f"10.{128 + node // 256}.{node % 256}.{index // nodes % 250 + 1}"
    created, started = _time(index // 20), _time(index // 20 + 1)
    manager_fields = copy.deepcopy(_CM_FIELDS)
    manager_fields["f:metadata"]["f:ownerReferences"] = {f'k:{{"uid":"{rs_uid}"}}': {}}
    kubelet_fields = {
        "f:status": {
            "f:conditions": {
                f'k:{{"type":"{kind}"}}': dict(_CONDITION_FIELDS)
                for kind in ("ContainersReady", "Initialized", "PodReadyToStartContainers", "Ready")
            },
            "f:containerStatuses": {},
            "f:hostIP": {},
            "f:hostIPs": {},
            "f:phase": {},
            "f:podIP": {},
            "f:podIPs": {f'k:{{"ip":"{pod_ip}"}}': {".": {}, "f:ip": {}}},
            "f:startTime": {},
        }
    }
    toleration = {"effect": "NoExecute", "operator": "Exists", "tolerationSeconds": 300}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "creationTimestamp": created,
            "generateName": f"{app}-54994d8c66-",
            "labels": {
                "app": app,
                "pod-template-hash": "54994d8c66",
                "scale.kubeling.io/bench": "true",
            },
            "managedFields": [
                {
                    "apiVersion": "v1",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": manager_fields,
                    "manager": "kube-controller-manager",
                    "operation": "Update",
                    "time": created,
                },
                {
                    "apiVersion": "v1",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": kubelet_fields,
                    "manager": "kubelet",
                    "operation": "Update",
                    "subresource": "status",
                    "time": started,
                },
            ],
            "name": f"{app}-54994d8c66-{index:05x}",
            "namespace": f"scale-{index // 3000:03d}",
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "blockOwnerDeletion": True,
                    "controller": True,
                    "kind": "ReplicaSet",
                    "name": f"{app}-54994d8c66",
                    "uid": rs_uid,
                }
            ],
            "resourceVersion": str(1000 + index),
            "uid": f"12dd3bf4-ce13-4d5a-a517-{index:012d}",
        },
        "spec": {
            "containers": [
                {
                    "image": "registry.k8s.io/pause:3.10",
                    "imagePullPolicy": "IfNotPresent",
                    "name": "app",
                    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                }
            ],
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": True,
            "nodeName": f"sim-{node:05d}",
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "terminationGracePeriodSeconds": 30,
            "tolerations": [
                {"key": "node.kubernetes.io/not-ready", **toleration},
                {"key": "node.kubernetes.io/unreachable", **toleration},
            ],
        },
        "status": {
            "conditions": [
                {
                    "lastProbeTime": None,
                    "lastTransitionTime": started,
                    "status": "True",
                    "type": kind,
                }
                for kind in (
                    "PodReadyToStartContainers",
                    "Initialized",
                    "Ready",
                    "ContainersReady",
                    "PodScheduled",
                )
            ],
            "containerStatuses": [
                {
                    "containerID": f"simulated://{index:016x}",
                    "image": "registry.k8s.io/pause:3.10",
                    "imageID": "registry.k8s.io/pause:3.10",
                    "lastState": {},
                    "name": "app",
                    "ready": True,
                    "restartCount": 0,
                    "started": True,
                    "state": {"running": {"startedAt": started}},
                }
            ],
            "hostIP": f"10.64.{node // 256}.{node % 256}",
            "hostIPs": [{"ip": f"10.64.{node // 256}.{node % 256}"}],
            "phase": "Running",
            "podIP": pod_ip,
            "podIPs": [{"ip": pod_ip}],
            "qosClass": "Burstable",
            "startTime": started,
        },
    }


def _traced(build: Callable[[], Any]) -> tuple[int, Any]:
    """Bytes still allocated after ``build()`` (what the result keeps), and the result."""
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    kept = build()
    gc.collect()
    return tracemalloc.get_traced_memory()[0] - before, kept


def _typed_pod(obj: dict[str, Any]) -> dict[str, Any]:
    obj["apiVersion"], obj["kind"] = "v1", "Pod"  # as ServedVersion.storage_typed
    return obj


async def watch_cache_bytes(count: int) -> int:
    store = MemoryStore()
    for index in range(count):
        value = pod(index)
        meta = value["metadata"]
        del meta["resourceVersion"]
        key = f"/registry/pods/{meta['namespace']}/{meta['name']}"
        await store.create(key, json.dumps(value, separators=(",", ":")).encode())
    cache = WatchCache(
        store,
        "/registry/pods",
        _typed_pod,
        selectable(PodStrategy(), namespaced=True),
    )
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    await cache.ensure_started()
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - before
    await cache.stop()
    return used


def informer_bytes(count: int) -> tuple[int, SharedInformer]:
    lines = [json.dumps({"type": "ADDED", "object": pod(i)}).encode() for i in range(count)]
    informer = SharedInformer(
        _NoListWatch(), resource=PODS.group_resource, transform=strip_managed_fields
    )

    def fill() -> None:
        for line in lines:
            event = json.loads(line)
            informer._apply(WatchEvent(event["type"], event["object"]))

    used, _ = _traced(fill)
    return used, informer


def scheduler_cache_bytes(informer: SharedInformer) -> int:
    def fill() -> Cache:
        cache = Cache()
        for obj in informer.indexer.list():
            cache.add_pod(PodInfo(obj))
        return cache

    used, _ = _traced(fill)
    return used


class _NoListWatch:
    async def list(self, **_: Any) -> dict[str, Any]:
        raise NotImplementedError

    def watch(self, **_: Any) -> Any:
        raise NotImplementedError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=20000)
    args = parser.parse_args()
    count = args.pods
    wire = len(json.dumps(pod(0), separators=(",", ":")))
    print(f"a pod's JSON: {wire} bytes", flush=True)
    tracemalloc.start()
    cache = asyncio.run(watch_cache_bytes(count))
    print(f"watch cache: {cache / count:.0f} bytes per pod", flush=True)
    informer, filled = informer_bytes(count)
    print(f"informer (managedFields stripped): {informer / count:.0f} bytes per pod", flush=True)
    scheduler = scheduler_cache_bytes(filled)
    print(f"scheduler cache (beyond the informer): {scheduler / count:.0f} bytes per pod")
    print(
        f"memory_per_object: pods={count} watch_cache_b={cache / count:.0f} "
        f"informer_b={informer / count:.0f} scheduler_cache_b={scheduler / count:.0f}"
    )


if __name__ == "__main__":
    main()
