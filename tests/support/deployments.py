"""Helpers for the Deployment controller's tests: manifests, a paced kubelet, waiting.

Tests run the controller manager (the ``deployment`` and ``replicaset``
controllers) in-process against a real ``kubeling server``. There is no
kubelet: :class:`PacedKubelet` makes pods Ready the way a slow one would,
one at a time and only those a test allows, so that a rollout moves in small
steps a sampler can watch. ``eventually`` is :func:`tests.support.waiting.eventually`,
re-exported for these tests.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from kubeling.api import errors
from kubeling.api.timestamps import format_time
from kubeling.client import ApiClient, ClientConfig, TransportError
from kubeling.client.resources import DEPLOYMENTS, PODS, REPLICASETS
from kubeling.controllers.manager import ControllerManagerOptions, run_controller_manager
from kubeling.controllers.pods import is_pod_active, is_pod_ready
from tests.support.waiting import eventually

__all__ = [
    "PacedKubelet",
    "deployment_manifest",
    "eventually",
    "get_deployment",
    "mark_ready",
    "owned_pods",
    "replica_sets_of",
    "running_controllers",
]

Obj = dict[str, Any]


def deployment_manifest(
    name: str,
    *,
    replicas: int,
    version: str = "v1",
    strategy: Mapping[str, Any] | None = None,
    **spec: Any,
) -> Obj:
    """A Deployment of ``replicas`` pods labelled ``app=<name>``, ``version=<version>``."""
    labels = {"app": name, "version": version}
    body: Obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": f"example.com/app:{version}"}]},
            },
            **spec,
        },
    }
    if strategy is not None:
        body["spec"]["strategy"] = dict(strategy)
    return body


async def replica_sets_of(client: ApiClient, namespace: str, app: str) -> list[Obj]:
    items: list[Obj] = (
        await client.resource(REPLICASETS).list(namespace=namespace, label_selector=f"app={app}")
    )["items"]
    return sorted(items, key=lambda rs: rs["metadata"]["name"])


async def owned_pods(client: ApiClient, namespace: str, app: str) -> list[Obj]:
    """The active pods labelled ``app=<app>``."""
    items = (await client.resource(PODS).list(namespace=namespace, label_selector=f"app={app}"))[
        "items"
    ]
    return [pod for pod in items if is_pod_active(pod)]


async def get_deployment(client: ApiClient, namespace: str, name: str) -> Obj:
    return await client.resource(DEPLOYMENTS).get(name, namespace=namespace)


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


class PacedKubelet:
    """Marks pods Ready one at a time, every ``pace`` seconds, if ``allow(pod)``."""

    def __init__(
        self,
        client: ApiClient,
        namespace: str,
        *,
        pace: float = 0.0,
        allow: Callable[[Mapping[str, Any]], bool] = lambda pod: True,
    ) -> None:
        self.client = client
        self.namespace = namespace
        self.pace = pace
        self.allow = allow

    async def run(self) -> None:
        while True:
            try:
                pods = (await self.client.resource(PODS).list(namespace=self.namespace))["items"]
            except (errors.StatusError, TransportError):
                await asyncio.sleep(0.1)  # the server's cache lagged (504): try again
                continue
            pending = [p for p in pods if is_pod_active(p) and not is_pod_ready(p)]
            allowed = [p for p in pending if self.allow(p)]
            for pod in allowed[:1] if self.pace else allowed:
                await mark_ready(self.client, pod)
            await asyncio.sleep(self.pace if allowed and self.pace else 0.1)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[PacedKubelet]:
        task = asyncio.create_task(self.run())
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@contextlib.asynccontextmanager
async def running_controllers(config: ClientConfig) -> AsyncIterator[asyncio.Task[None]]:
    """The controller manager with the deployment and replicaset controllers, for the block."""
    task = asyncio.create_task(
        run_controller_manager(
            config,
            ControllerManagerOptions(controllers=("deployment", "replicaset"), leader_elect=False),
        )
    )
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
