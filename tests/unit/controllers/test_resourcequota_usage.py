"""What a ResourceQuota counts: the evaluators and their sums, as tables."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

import pytest

from kubeling.api.groupversion import GroupResource
from kubeling.api.quota.usage import (
    PersistentVolumeClaimEvaluator,
    PodEvaluator,
    ServiceEvaluator,
    calculate_usage,
    evaluator_for,
    object_count_name,
)
from kubeling.controllers.resourcequota.controller import _replenishes

Obj = dict[str, Any]

NOW = datetime.datetime(2025, 1, 1, 12, 0, 0, tzinfo=datetime.UTC)


def _pod(
    *,
    requests: Obj | None = None,
    limits: Obj | None = None,
    phase: str = "Running",
    qos: str = "Burstable",
    meta: Obj | None = None,
    **spec: Any,
) -> Obj:
    resources: Obj = {}
    if requests is not None:
        resources["requests"] = requests
    if limits is not None:
        resources["limits"] = limits
    return {
        "metadata": {"name": "p", "namespace": "ns", **(meta or {})},
        "spec": {"containers": [{"name": "c", "resources": resources}], **spec},
        "status": {"phase": phase, "qosClass": qos},
    }


def _strings(usage: dict[str, Any]) -> dict[str, str]:
    return {name: str(amount) for name, amount in sorted(usage.items())}


@pytest.mark.parametrize(
    ("pod", "usage"),
    [
        (
            _pod(
                requests={"cpu": "250m", "memory": "64Mi", "ephemeral-storage": "1Gi"},
                limits={"cpu": "1", "memory": "128Mi", "ephemeral-storage": "2Gi"},
            ),
            {
                "count/pods": "1",
                "pods": "1",
                "cpu": "250m",
                "requests.cpu": "250m",
                "limits.cpu": "1",
                "memory": "64Mi",
                "requests.memory": "64Mi",
                "limits.memory": "128Mi",
                "ephemeral-storage": "1Gi",
                "requests.ephemeral-storage": "1Gi",
                "limits.ephemeral-storage": "2Gi",
            },
        ),
        # hugepages and extended resources
        (
            _pod(requests={"hugepages-2Mi": "4Mi", "example.com/gpu": "2"}),
            {
                "count/pods": "1",
                "pods": "1",
                "hugepages-2Mi": "4Mi",
                "requests.hugepages-2Mi": "4Mi",
                "requests.example.com/gpu": "2",
            },
        ),
        # a finished pod counts only as an object
        (_pod(requests={"cpu": "1"}, phase="Succeeded"), {"count/pods": "1"}),
        (_pod(requests={"cpu": "1"}, phase="Failed"), {"count/pods": "1"}),
        # deleted, and past its grace period again: no longer charged
        (
            _pod(
                requests={"cpu": "1"},
                meta={
                    "deletionTimestamp": "2025-01-01T11:58:00Z",
                    "deletionGracePeriodSeconds": 30,
                },
            ),
            {"count/pods": "1"},
        ),
        # deleted, still within its grace period: charged
        (
            _pod(
                requests={"cpu": "1"},
                meta={
                    "deletionTimestamp": "2025-01-01T11:59:50Z",
                    "deletionGracePeriodSeconds": 30,
                },
            ),
            {"count/pods": "1", "pods": "1", "cpu": "1", "requests.cpu": "1"},
        ),
    ],
)
def test_pod_usage(pod: Obj, usage: dict[str, str]) -> None:
    evaluator = PodEvaluator(lambda: NOW)
    assert _strings(evaluator.usage(pod)) == dict(sorted(usage.items()))


def _scope(name: str, operator: str = "Exists", values: Iterable[str] = ()) -> Obj:
    return {"scopeName": name, "operator": operator, "values": list(values)}


@pytest.mark.parametrize(
    ("scope", "pod", "matches"),
    [
        (_scope("Terminating"), _pod(activeDeadlineSeconds=30), True),
        (_scope("Terminating"), _pod(), False),
        (_scope("NotTerminating"), _pod(), True),
        (_scope("NotTerminating"), _pod(activeDeadlineSeconds=0), False),
        (_scope("BestEffort"), _pod(qos="BestEffort"), True),
        (_scope("BestEffort"), _pod(qos="Guaranteed"), False),
        (_scope("NotBestEffort"), _pod(qos="Burstable"), True),
        (_scope("PriorityClass"), _pod(priorityClassName="high"), True),
        (_scope("PriorityClass"), _pod(), False),
        (_scope("PriorityClass", "In", ["high", "mid"]), _pod(priorityClassName="mid"), True),
        (_scope("PriorityClass", "In", ["high"]), _pod(priorityClassName="low"), False),
        (_scope("PriorityClass", "NotIn", ["high"]), _pod(), True),
        (_scope("PriorityClass", "DoesNotExist"), _pod(), True),
        (
            _scope("CrossNamespacePodAffinity"),
            _pod(
                affinity={
                    "podAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": [
                            {"topologyKey": "zone", "namespaceSelector": {}}
                        ]
                    }
                }
            ),
            True,
        ),
        (
            _scope("CrossNamespacePodAffinity"),
            _pod(
                affinity={
                    "podAntiAffinity": {
                        "preferredDuringSchedulingIgnoredDuringExecution": [
                            {"weight": 1, "podAffinityTerm": {"topologyKey": "zone"}}
                        ]
                    }
                }
            ),
            False,
        ),
    ],
)
def test_pod_scopes(scope: Obj, pod: Obj, matches: bool) -> None:
    assert PodEvaluator(lambda: NOW).matches_scope(scope, pod) is matches


def _service(kind: str, ports: int, **spec: Any) -> Obj:
    return {
        "metadata": {"name": "s"},
        "spec": {"type": kind, "ports": [{"port": 80 + i} for i in range(ports)], **spec},
    }


@pytest.mark.parametrize(
    ("service", "nodeports", "loadbalancers"),
    [
        (_service("ClusterIP", 2), "0", "0"),
        (_service("NodePort", 2), "2", "0"),
        (_service("LoadBalancer", 3), "3", "1"),
        (_service("LoadBalancer", 2, allocateLoadBalancerNodePorts=False), "0", "1"),
        (_service("ExternalName", 0), "0", "0"),
    ],
)
def test_service_usage(service: Obj, nodeports: str, loadbalancers: str) -> None:
    usage = _strings(ServiceEvaluator().usage(service))
    assert usage == {
        "count/services": "1",
        "services": "1",
        "services.nodeports": nodeports,
        "services.loadbalancers": loadbalancers,
    }


def _claim(cls: str | None, size: str, allocated: str | None = None) -> Obj:
    spec: Obj = {"resources": {"requests": {"storage": size}}}
    if cls is not None:
        spec["storageClassName"] = cls
    status: Obj = {} if allocated is None else {"allocatedResources": {"storage": allocated}}
    return {"metadata": {"name": "c"}, "spec": spec, "status": status}


@pytest.mark.parametrize(
    ("claim", "usage"),
    [
        (
            _claim("gold", "1Gi"),
            {
                "count/persistentvolumeclaims": "1",
                "persistentvolumeclaims": "1",
                "requests.storage": "1Gi",
                "gold.storageclass.storage.k8s.io/persistentvolumeclaims": "1",
                "gold.storageclass.storage.k8s.io/requests.storage": "1Gi",
            },
        ),
        (
            _claim(None, "1Gi", allocated="2Gi"),
            {
                "count/persistentvolumeclaims": "1",
                "persistentvolumeclaims": "1",
                "requests.storage": "2Gi",
            },
        ),
        # fractional bytes are rounded up
        (
            _claim("", "1500m"),
            {
                "count/persistentvolumeclaims": "1",
                "persistentvolumeclaims": "1",
                "requests.storage": "2",
            },
        ),
    ],
)
def test_claim_usage(claim: Obj, usage: dict[str, str]) -> None:
    assert _strings(PersistentVolumeClaimEvaluator().usage(claim)) == dict(sorted(usage.items()))


@pytest.mark.parametrize(
    ("group_resource", "names"),
    [
        (GroupResource("", "configmaps"), ["count/configmaps", "configmaps"]),
        (GroupResource("", "secrets"), ["count/secrets", "secrets"]),
        (GroupResource("apps", "deployments"), ["count/deployments.apps"]),
        (GroupResource("example.com", "widgets"), ["count/widgets.example.com"]),
    ],
)
def test_object_counts(group_resource: GroupResource, names: list[str]) -> None:
    evaluator = evaluator_for(group_resource)
    assert evaluator.matching_resources([*names, "pods", "count/other"]) == names
    assert _strings(evaluator.usage({})) == dict.fromkeys(sorted(names), "1")
    assert object_count_name(group_resource) == names[0]


def _calculate(
    hard: Iterable[str], objects: dict[GroupResource, list[Obj]], **kw: Any
) -> dict[str, str]:
    usage = calculate_usage(
        hard_names=hard,
        scopes=kw.get("scopes", []),
        scope_selector=kw.get("scope_selector"),
        evaluators=[evaluator_for(gr, now=lambda: NOW) for gr in objects],
        objects_of=lambda gr: objects[gr],
    )
    return _strings(usage)


PODS = GroupResource("", "pods")
CONFIGMAPS = GroupResource("", "configmaps")


def test_usage_is_summed_masked_and_zero_when_unused() -> None:
    objects = {
        PODS: [
            _pod(requests={"memory": "100Mi"}),
            _pod(requests={"memory": "200Mi", "cpu": "1"}),
            _pod(requests={"cpu": "1"}, phase="Succeeded"),
        ],
        CONFIGMAPS: [{}, {}],
    }
    hard = ["pods", "count/pods", "requests.memory", "limits.cpu", "configmaps", "unknown.x/y"]
    assert _calculate(hard, objects) == {
        "configmaps": "2",
        "count/pods": "3",
        "limits.cpu": "0",
        "pods": "2",
        "requests.memory": "300Mi",
    }


def test_scopes_limit_usage_to_matching_pods_and_other_resources_to_nothing() -> None:
    objects = {
        PODS: [
            _pod(qos="BestEffort"),
            _pod(qos="BestEffort", priorityClassName="high"),
            _pod(requests={"cpu": "1"}),
        ],
        CONFIGMAPS: [{}],
    }
    assert _calculate(["pods", "configmaps"], objects, scopes=["BestEffort"]) == {
        "configmaps": "0",
        "pods": "2",
    }
    selector = {"matchExpressions": [_scope("PriorityClass", "In", ["high"])]}
    assert _calculate(["pods"], objects, scopes=["BestEffort"], scope_selector=selector) == {
        "pods": "1"
    }


@pytest.mark.parametrize(
    ("group_resource", "old", "new", "replenish"),
    [
        (PODS, _pod(), _pod(phase="Succeeded"), True),
        (PODS, _pod(phase="Failed"), _pod(phase="Failed"), False),
        (PODS, _pod(), _pod(qos="Guaranteed"), False),
        (GroupResource("", "services"), _service("ClusterIP", 1), _service("NodePort", 1), True),
        (GroupResource("", "services"), _service("NodePort", 1), _service("NodePort", 2), False),
        (
            GroupResource("", "persistentvolumeclaims"),
            _claim("a", "1Gi"),
            _claim("a", "1Gi", allocated="2Gi"),
            True,
        ),
        (CONFIGMAPS, {"data": {"a": "1"}}, {"data": {"a": "2"}}, False),
    ],
)
def test_which_updates_replenish_quota(
    group_resource: GroupResource, old: Obj, new: Obj, replenish: bool
) -> None:
    assert _replenishes(group_resource, old, new) is replenish
