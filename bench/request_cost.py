"""API server CPU per request, for the writes a cluster makes most: what one request costs.

Starts a real ``kubeling server`` (sqlite datastore, HTTPS, client-cert auth) in a temporary
directory, creates ``--objects`` pods and as many Leases, then sends each kind of request for
``--seconds`` with ``--concurrency`` requests in flight, and reads the server's CPU time from
``/proc`` before and after:

- ``lease_update``: a node's heartbeat, a PUT of its Lease with a new ``renewTime``;
- ``status_patch``: a kubelet's pod status write, the JSON patch it sends (``test`` of the uid,
  ``replace`` of ``/status`` with a Running pod's whole status) to ``pods/status``, each one a
  change (Ready, then not Ready...);
- ``pod_create``: a POST of a small pod.

At 5,000 nodes the heartbeats alone are 500 Lease updates a second and each pod's start is
about three status writes, so these costs bound what one server core can carry (see
docs/benchmarks.md, Scale). The server runs with its usual settings.

    .venv/bin/python bench/request_cost.py [--objects 2000] [--seconds 10] [--concurrency 32]

One line per kind: ``cost: kind=<k> requests=<n> per_s=<x> server_cpu_ms=<x>``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.cluster import RunningServer, running_server
from tests.support.process_stats import cpu_seconds

from kubeling.api.timestamps import format_micro_time, format_time
from kubeling.client import ApiClient, PatchType, load_client_config
from kubeling.client.resources import LEASES, PODS

NAMESPACE = "default"
LEASE_NAMESPACE = "kube-node-lease"


def _pod(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "cost"}},
        "spec": {
            "nodeName": "node-1",
            "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"]}],
        },
    }


def _running_status(started: str, ready: bool) -> dict[str, Any]:
    """A Running pod's status as the kubelet writes it, Ready or not."""
    readiness = "True" if ready else "False"
    conditions = [
        {"type": kind, "status": status, "lastProbeTime": None, "lastTransitionTime": started}
        for kind, status in (
            ("PodReadyToStartContainers", "True"),
            ("Initialized", "True"),
            ("Ready", readiness),
            ("ContainersReady", readiness),
        )
    ]
    conditions.append(
        {"type": "PodScheduled", "status": "True", "lastProbeTime": None,
         "lastTransitionTime": started}
    )  # fmt: skip
    return {
        "phase": "Running",
        "conditions": conditions,
        "hostIP": "127.0.0.1",
        "hostIPs": [{"ip": "127.0.0.1"}],
        "podIP": "127.0.0.1",
        "podIPs": [{"ip": "127.0.0.1"}],
        "startTime": started,
        "qosClass": "BestEffort",
        "containerStatuses": [
            {
                "name": "c",
                "state": {"running": {"startedAt": started}},
                "lastState": {},
                "ready": ready,
                "restartCount": 0,
                "image": "busybox",
                "imageID": "",
                "containerID": "process://0123456789abcdef",
                "started": True,
            }
        ],
    }


async def _measure(
    server: RunningServer,
    kind: str,
    count: int,
    concurrency: int,
    seconds: float,
    request: Callable[[int], Awaitable[Any]],
) -> None:
    """Send ``request(i)`` for i = 0, 1, ... over ``count`` objects for ``seconds``."""
    sent = 0
    stop = time.monotonic() + seconds

    async def worker(first: int) -> None:
        nonlocal sent
        i = first
        while time.monotonic() < stop:
            await request(i % count)
            sent += 1
            i += concurrency

    cpu_before, started = cpu_seconds(server.process.pid), time.monotonic()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    elapsed, cpu = time.monotonic() - started, cpu_seconds(server.process.pid) - cpu_before
    print(
        f"cost: kind={kind} requests={sent} per_s={sent / elapsed:.0f} "
        f"server_cpu_ms={1000 * cpu / sent:.3f}",
        flush=True,
    )


async def _run(server: RunningServer, objects: int, seconds: float, concurrency: int) -> None:
    config = load_client_config(server.kubeconfig)
    async with ApiClient(config, max_concurrent_requests=concurrency) as client:
        pods, leases = client.resource(PODS), client.resource(LEASES)
        created = await asyncio.gather(
            *(pods.create(_pod(f"p{i:05d}"), namespace=NAMESPACE) for i in range(objects))
        )
        uids = [pod["metadata"]["uid"] for pod in created]
        current = list(
            await asyncio.gather(
                *(
                    leases.create(
                        {
                            "apiVersion": "coordination.k8s.io/v1",
                            "kind": "Lease",
                            "metadata": {"name": f"node-{i:05d}"},
                            "spec": {
                                "holderIdentity": f"node-{i:05d}",
                                "leaseDurationSeconds": 40,
                                "renewTime": format_micro_time(),
                            },
                        },
                        namespace=LEASE_NAMESPACE,
                    )
                    for i in range(objects)
                )
            )
        )

        async def renew(i: int) -> None:
            lease = current[i]
            lease["spec"]["renewTime"] = format_micro_time()
            current[i] = await leases.update(lease, namespace=LEASE_NAMESPACE)

        # Each write changes the pod (Ready, then not, then Ready...), as a kubelet's do: an
        # unchanged status is answered without a write, which is another (cheaper) cost.
        started = format_time()
        statuses = [_running_status(started, ready) for ready in (True, False)]
        writes = [0] * objects

        async def write_status(i: int) -> None:
            writes[i] += 1
            patch = [
                {"op": "test", "path": "/metadata/uid", "value": uids[i]},
                {"op": "replace", "path": "/status", "value": statuses[writes[i] % 2]},
            ]
            await pods.patch(
                f"p{i:05d}", patch, patch_type=PatchType.JSON, namespace=NAMESPACE,
                subresource="status",
            )  # fmt: skip

        creates = iter(range(objects, 10**9))

        async def create(_: int) -> None:
            await pods.create(_pod(f"p{next(creates):05d}"), namespace=NAMESPACE)

        await _measure(server, "lease_update", objects, concurrency, seconds, renew)
        await _measure(server, "status_patch", objects, concurrency, seconds, write_status)
        await _measure(server, "pod_create", objects, concurrency, seconds, create)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="kubeling-bench-cost-") as tmp,
        running_server(Path(tmp), extra=["--log-level", "warning"]) as server,
    ):
        print(f"server pid {server.process.pid}", flush=True)
        asyncio.run(_run(server, args.objects, args.seconds, args.concurrency))


if __name__ == "__main__":
    main()
