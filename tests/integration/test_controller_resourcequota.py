"""The ResourceQuota controller against a real API server: status.used follows the namespace."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from kubeling.client import ApiClient, load_client_config
from kubeling.client.resources import (
    CONFIGMAPS,
    DEPLOYMENTS,
    NAMESPACES,
    PERSISTENTVOLUMECLAIMS,
    PODS,
    PRIORITYCLASSES,
    RESOURCEQUOTAS,
    SECRETS,
    SERVICES,
)
from kubeling.controllers.manager import ControllerManagerOptions, run_controller_manager
from tests.support.cluster import RunningServer, running_server
from tests.support.waiting import eventually

Obj = dict[str, Any]

HARD = {
    "pods": "10",
    "count/pods": "20",
    "requests.cpu": "2",
    "requests.memory": "1Gi",
    "limits.cpu": "4",
    "limits.memory": "2Gi",
    "requests.ephemeral-storage": "1Gi",
    "services": "5",
    "services.nodeports": "3",
    "services.loadbalancers": "1",
    "configmaps": "10",
    "count/secrets": "10",
    "persistentvolumeclaims": "5",
    "requests.storage": "10Gi",
    "fast.storageclass.storage.k8s.io/requests.storage": "5Gi",
    "count/deployments.apps": "2",
}


@pytest.fixture(scope="module")
def kubeling_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server without quota enforcement: these tests follow the controller's accounting,
    pods a quota would refuse at admission included (tests/e2e/test_up_resource_quota.py
    covers enforcement)."""
    with running_server(
        tmp_path_factory.mktemp("server"), disabled_admission=("ServiceAccount", "ResourceQuota")
    ) as server:
        yield server


@pytest.fixture
async def controllers(kubeling_server: RunningServer) -> AsyncIterator[None]:
    config = load_client_config(kubeling_server.kubeconfig)
    task = asyncio.create_task(
        run_controller_manager(
            config,
            # without quota admission nothing charges creates: recount every second
            ControllerManagerOptions(
                controllers=("resourcequota",), leader_elect=False, resource_quota_sync_period=1.0
            ),
        )
    )
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _pod(name: str, *, requests: Obj | None = None, limits: Obj | None = None, **spec: Any) -> Obj:
    resources = {}
    if requests:
        resources["requests"] = requests
    if limits:
        resources["limits"] = limits
    return {
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "busybox", "resources": resources}], **spec},
    }


async def _used(client: ApiClient, namespace: str, name: str) -> dict[str, str]:
    quota = await client.resource(RESOURCEQUOTAS).get(name, namespace=namespace)
    used: dict[str, str] = (quota.get("status") or {}).get("used") or {}
    return used


async def _used_is(client: ApiClient, namespace: str, name: str, expected: dict[str, str]) -> bool:
    return await _used(client, namespace, name) == expected


async def test_quota_status_follows_pods_services_configmaps_and_claims(
    api_client: ApiClient, kubeling_server: RunningServer, controllers: None
) -> None:
    ns = "quota"
    await api_client.resource(NAMESPACES).create({"metadata": {"name": ns}})
    quotas = api_client.resource(RESOURCEQUOTAS)
    await quotas.create({"metadata": {"name": "compute"}, "spec": {"hard": HARD}}, namespace=ns)
    zero = dict.fromkeys(HARD, "0")
    await eventually(
        lambda: _used_is(api_client, ns, "compute", zero),
        within=20,
        what="the usage of quota compute",
    )
    quota = await quotas.get("compute", namespace=ns)
    assert quota["status"]["hard"] == HARD

    pods = api_client.resource(PODS)
    await pods.create(
        _pod(
            "web-1",
            requests={"cpu": "250m", "memory": "128Mi", "ephemeral-storage": "100Mi"},
            limits={"cpu": "500m", "memory": "256Mi"},
        ),
        namespace=ns,
    )
    await pods.create(
        _pod("web-2", requests={"cpu": "250m", "memory": "128Mi"}, limits={"cpu": "1"}),
        namespace=ns,
    )
    await pods.create(_pod("idle"), namespace=ns)
    services = api_client.resource(SERVICES)
    await services.create(
        {
            "metadata": {"name": "np"},
            "spec": {
                "type": "NodePort",
                "ports": [{"name": "a", "port": 80}, {"name": "b", "port": 443}],
            },
        },
        namespace=ns,
    )
    await services.create(
        {"metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}},
        namespace=ns,
    )
    await services.create(
        {"metadata": {"name": "plain"}, "spec": {"ports": [{"port": 80}]}}, namespace=ns
    )
    for i in range(3):
        await api_client.resource(CONFIGMAPS).create(
            {"metadata": {"name": f"cm-{i}"}}, namespace=ns
        )
    await api_client.resource(SECRETS).create({"metadata": {"name": "s"}}, namespace=ns)
    await api_client.resource(PERSISTENTVOLUMECLAIMS).create(
        {
            "metadata": {"name": "fast-claim"},
            "spec": {
                "storageClassName": "fast",
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "3Gi"}},
            },
        },
        namespace=ns,
    )
    await api_client.resource(PERSISTENTVOLUMECLAIMS).create(
        {
            "metadata": {"name": "slow-claim"},
            "spec": {
                "storageClassName": "slow",
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "500Mi"}},
            },
        },
        namespace=ns,
    )
    await api_client.resource(DEPLOYMENTS).create(
        {
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 0,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx"}]},
                },
            },
        },
        namespace=ns,
    )
    expected = {
        "pods": "3",
        "count/pods": "3",
        "requests.cpu": "500m",
        "requests.memory": "256Mi",
        "limits.cpu": "1500m",
        "limits.memory": "256Mi",
        "requests.ephemeral-storage": "100Mi",
        "services": "3",
        "services.nodeports": "3",
        "services.loadbalancers": "1",
        "configmaps": "3",
        "count/secrets": "1",
        "persistentvolumeclaims": "2",
        "requests.storage": "3572Mi",
        "fast.storageclass.storage.k8s.io/requests.storage": "3Gi",
        "count/deployments.apps": "1",
    }
    await eventually(
        lambda: _used_is(api_client, ns, "compute", expected),
        within=20,
        what="the usage of quota compute",
    )

    # A finished pod stops using compute resources, but still exists.
    web2 = await pods.get("web-2", namespace=ns)
    web2["status"] = {"phase": "Succeeded"}
    await pods.update_status(web2)
    finished = {
        **expected,
        "pods": "2",
        "requests.cpu": "250m",
        "requests.memory": "128Mi",
        "limits.cpu": "500m",
    }
    await eventually(
        lambda: _used_is(api_client, ns, "compute", finished),
        within=20,
        what="the usage of quota compute",
    )
    # A deleted one is gone from count/pods too; so is a deleted configmap.
    await pods.delete("web-2", namespace=ns, grace_period_seconds=0)
    await api_client.resource(CONFIGMAPS).delete("cm-0", namespace=ns)
    await eventually(
        lambda: _used_is(
            api_client, ns, "compute", {**finished, "count/pods": "2", "configmaps": "2"}
        ),
        within=20,
        what="the usage of quota compute",
    )

    described = await asyncio.to_thread(
        kubeling_server.kubectl, "describe", "quota", "compute", "-n", ns
    )
    lines = [line.split() for line in described.stdout.splitlines()]
    assert ["Resource", "Used", "Hard"] in lines
    assert ["requests.cpu", "250m", "2"] in lines
    assert ["pods", "2", "10"] in lines
    assert ["services.nodeports", "3", "3"] in lines
    assert ["requests.storage", "3572Mi", "10Gi"] in lines


async def test_scoped_quotas_count_only_their_pods(
    api_client: ApiClient, controllers: None
) -> None:
    ns = "scoped"
    await api_client.resource(NAMESPACES).create({"metadata": {"name": ns}})
    quotas = api_client.resource(RESOURCEQUOTAS)
    await quotas.create(
        {
            "metadata": {"name": "best-effort"},
            "spec": {"hard": {"pods": "5"}, "scopes": ["BestEffort"]},
        },
        namespace=ns,
    )
    await quotas.create(
        {
            "metadata": {"name": "terminating"},
            "spec": {"hard": {"pods": "5", "requests.cpu": "1"}, "scopes": ["Terminating"]},
        },
        namespace=ns,
    )
    await quotas.create(
        {
            "metadata": {"name": "high"},
            "spec": {
                "hard": {"pods": "5"},
                "scopeSelector": {
                    "matchExpressions": [
                        {"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}
                    ]
                },
            },
        },
        namespace=ns,
    )
    # the class must exist: the Priority admission plugin resolves it
    await api_client.resource(PRIORITYCLASSES).create({"metadata": {"name": "high"}, "value": 1000})
    pods = api_client.resource(PODS)
    await pods.create(_pod("free"), namespace=ns)
    await pods.create(_pod("job", requests={"cpu": "100m"}, activeDeadlineSeconds=60), namespace=ns)
    await pods.create(_pod("vip", requests={"cpu": "100m"}, priorityClassName="high"), namespace=ns)
    await eventually(
        lambda: _used_is(api_client, ns, "best-effort", {"pods": "1"}),
        within=20,
        what="the usage of quota best-effort",
    )
    await eventually(
        lambda: _used_is(api_client, ns, "terminating", {"pods": "1", "requests.cpu": "100m"}),
        within=20,
        what="the usage of quota terminating",
    )
    await eventually(
        lambda: _used_is(api_client, ns, "high", {"pods": "1"}),
        within=20,
        what="the usage of quota high",
    )
