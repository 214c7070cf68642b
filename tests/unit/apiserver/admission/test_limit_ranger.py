"""LimitRanger: container defaults and their annotation; min, max and ratio refusals."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.api.errors import StatusError
from kubeling.apiserver.admission.limit_ranger import LimitRanger, mutate_pod
from kubeling.apiserver.admission.lookup import StaticReader
from tests.unit.apiserver.admission.support import Obj, attributes


def _range(*limits: Obj) -> Obj:
    return {"metadata": {"name": "lr", "namespace": "ns"}, "spec": {"limits": list(limits)}}


def _pod(*resources: Obj, init: Obj | None = None) -> Obj:
    spec: Obj = {"containers": [{"name": f"c{i}", "resources": r} for i, r in enumerate(resources)]}
    if init is not None:
        spec["initContainers"] = [{"name": "i0", "resources": init}]
    return {"metadata": {"name": "p", "namespace": "ns"}, "spec": spec}


def test_defaults_fill_only_what_is_missing_and_annotate() -> None:
    pod = _pod({"requests": {"cpu": "200m"}}, {}, init={"limits": {"memory": "1Gi"}})
    mutate_pod(
        pod,
        _range(
            {
                "type": "Container",
                "default": {"cpu": "1", "memory": "512Mi"},
                "defaultRequest": {"cpu": "100m", "memory": "256Mi"},
            }
        ),
    )
    first, second = pod["spec"]["containers"]
    assert first["resources"] == {
        "requests": {"cpu": "200m", "memory": "256Mi"},
        "limits": {"cpu": "1", "memory": "512Mi"},
    }
    assert second["resources"]["requests"] == {"cpu": "100m", "memory": "256Mi"}
    assert pod["spec"]["initContainers"][0]["resources"]["limits"] == {
        "cpu": "1",
        "memory": "1Gi",
    }
    assert pod["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: memory request for container c0; cpu, memory limit for "
        "container c0; cpu, memory request for container c1; cpu, memory limit for container "
        "c1; cpu, memory request for init container i0; cpu limit for init container i0"
    )


def test_no_defaults_no_annotation() -> None:
    pod = _pod({})
    mutate_pod(pod, _range({"type": "Pod", "max": {"cpu": "1"}}))
    assert "annotations" not in pod["metadata"]


@pytest.mark.parametrize(
    ("limit", "resources", "message"),
    [
        (
            {"type": "Container", "min": {"cpu": "100m"}},
            {"requests": {"cpu": "50m"}},
            "minimum cpu usage per Container is 100m, but request is 50m",
        ),
        (
            {"type": "Container", "min": {"cpu": "100m"}},
            {},
            "minimum cpu usage per Container is 100m.  No request is specified",
        ),
        (
            {"type": "Container", "min": {"memory": "1Gi"}},
            {"requests": {"memory": "2Gi"}, "limits": {"memory": "512Mi"}},
            "minimum memory usage per Container is 1Gi, but limit is 512Mi",
        ),
        (
            {"type": "Container", "max": {"cpu": "1"}},
            {"limits": {"cpu": "2"}},
            "maximum cpu usage per Container is 1, but limit is 2",
        ),
        (
            {"type": "Container", "max": {"cpu": "1"}},
            {"requests": {"cpu": "500m"}},
            "maximum cpu usage per Container is 1.  No limit is specified",
        ),
        (
            {"type": "Container", "maxLimitRequestRatio": {"cpu": "2"}},
            {"requests": {"cpu": "100m"}, "limits": {"cpu": "500m"}},
            "cpu max limit to request ratio per Container is 2, but provided ratio is 5.000000",
        ),
        (
            {"type": "Container", "maxLimitRequestRatio": {"cpu": "2"}},
            {"limits": {"cpu": "500m"}},
            "cpu max limit to request ratio per Container is 2, but no request is specified or "
            "request is 0",
        ),
        (
            {"type": "Pod", "max": {"cpu": "1"}},
            {"requests": {"cpu": "600m"}, "limits": {"cpu": "600m"}},
            "maximum cpu usage per Pod is 1, but limit is 1200m",
        ),
        ({"type": "Container", "min": {"cpu": "0.1"}}, {"requests": {"cpu": "100m"}}, None),
        ({"type": "Container", "max": {"cpu": "1"}}, {"limits": {"cpu": "1000m"}}, None),
    ],
)
async def test_pod_constraints(limit: Obj, resources: Obj, message: str | None) -> None:
    pod = _pod(resources, resources) if limit["type"] == "Pod" else _pod(resources)
    plugin = LimitRanger(StaticReader([_range(limit)]))
    attrs = attributes("CREATE", "pods", pod)
    assert plugin.handles(attrs)
    if message is None:
        await plugin.validate(attrs)
        return
    with pytest.raises(StatusError) as refused:
        await plugin.validate(attrs)
    assert refused.value.code == 403
    assert refused.value.message == f'pods "p" is forbidden: {message}'


async def test_several_violations_are_one_aggregate() -> None:
    limit = {"type": "Container", "min": {"cpu": "1", "memory": "1Gi"}}
    plugin = LimitRanger(StaticReader([_range(limit)]))
    with pytest.raises(StatusError) as refused:
        await plugin.validate(attributes("CREATE", "pods", _pod({})))
    assert refused.value.message == (
        'pods "p" is forbidden: [minimum cpu usage per Container is 1.  No request is '
        "specified, minimum memory usage per Container is 1Gi.  No request is specified]"
    )


@pytest.mark.parametrize(
    ("storage", "message"),
    [
        ("500Mi", "minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi"),
        ("20Gi", "maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi"),
        ("5Gi", None),
    ],
)
async def test_claim_constraints(storage: str, message: str | None) -> None:
    claim = {
        "metadata": {"name": "c", "namespace": "ns"},
        "spec": {"resources": {"requests": {"storage": storage}}},
    }
    limit = {"type": "PersistentVolumeClaim", "min": {"storage": "1Gi"}, "max": {"storage": "10Gi"}}
    plugin = LimitRanger(StaticReader([_range(limit)]))
    attrs = attributes("CREATE", "persistentvolumeclaims", claim)
    if message is None:
        await plugin.validate(attrs)
        return
    with pytest.raises(StatusError) as refused:
        await plugin.validate(attrs)
    assert refused.value.message == f'persistentvolumeclaims "c" is forbidden: {message}'


@pytest.mark.parametrize(
    ("operation", "resource", "subresource", "handled"),
    [
        ("CREATE", "pods", "", True),
        ("UPDATE", "pods", "", False),  # containers' resources are immutable
        ("CREATE", "pods", "status", False),
        ("UPDATE", "persistentvolumeclaims", "", True),
        ("CREATE", "configmaps", "", False),
    ],
)
def test_what_is_handled(operation: Any, resource: str, subresource: str, handled: bool) -> None:
    attrs = attributes(operation, resource, _pod({}), subresource=subresource)
    assert LimitRanger(StaticReader()).handles(attrs) is handled


async def test_a_claim_being_deleted_is_left_alone() -> None:
    claim = {"metadata": {"name": "c", "namespace": "ns"}, "spec": {"resources": {}}}
    old = {"metadata": {"name": "c", "deletionTimestamp": "2025-01-01T00:00:00Z"}}
    limit = {"type": "PersistentVolumeClaim", "min": {"storage": "1Gi"}}
    await LimitRanger(StaticReader([_range(limit)])).validate(
        attributes("UPDATE", "persistentvolumeclaims", claim, old)
    )
