"""VolumeBinding: claims (PreFilter), bound volumes' affinity and delayed binding (Filter)."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.scheduler.framework.cycle_state import CycleState
from kubeling.scheduler.framework.objects import ObjectKind
from kubeling.scheduler.framework.status import Code
from kubeling.scheduler.framework.types import PodInfo
from kubeling.scheduler.plugins.volume_binding import (
    ERR_REASON_BIND_CONFLICT,
    ERR_REASON_NODE_CONFLICT,
    ERR_REASON_PV_NOT_EXIST,
    ERR_REASON_UNBOUND_IMMEDIATE,
    VolumeBinding,
)

from ..fakes import Harness, make_node, make_pod

NODES = [make_node("n1", labels={"disk": "yes"}), make_node("n2")]


def _claim(
    name: str, *, volume: str = "", cls: str | None = "local", size: str = "1Gi", **meta: Any
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": size}},
    }
    if cls is not None:
        spec["storageClassName"] = cls
    if volume:
        spec["volumeName"] = volume
    return {
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}", **meta},
        "spec": spec,
        "status": {},
    }


def _volume(
    name: str,
    *,
    node_label: str | None = None,
    size: str = "1Gi",
    phase: str = "Available",
    cls: str = "local",
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "capacity": {"storage": size},
        "accessModes": ["ReadWriteOnce"],
        "storageClassName": cls,
    }
    if node_label:
        spec["nodeAffinity"] = {
            "required": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": node_label, "operator": "Exists"}]}
                ]
            }
        }
    return {"metadata": {"name": name}, "spec": spec, "status": {"phase": phase}}


def _class(
    name: str,
    mode: str = "WaitForFirstConsumer",
    provisioner: str = "kubernetes.io/no-provisioner",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "provisioner": provisioner,
        "volumeBindingMode": mode,
        **extra,
    }


def _pod(*claims: str) -> dict[str, Any]:
    volumes = [{"name": c, "persistentVolumeClaim": {"claimName": c}} for c in claims]
    return make_pod("p", spec={"volumes": volumes})


def _harness(*objects: tuple[ObjectKind, dict[str, Any]]) -> Harness:
    return Harness(nodes=NODES, objects=objects)


PVC, PV, SC = (
    ObjectKind.PERSISTENT_VOLUME_CLAIMS,
    ObjectKind.PERSISTENT_VOLUMES,
    ObjectKind.STORAGE_CLASSES,
)


@pytest.mark.parametrize(
    ("objects", "message"),
    [
        ((), 'persistentvolumeclaim "data" not found'),
        (
            ((PVC, _claim("data", deletionTimestamp="2024-01-01T00:00:00Z")),),
            'persistentvolumeclaim "data" is being deleted',
        ),
        (((PVC, _claim("data", cls=None)),), ERR_REASON_UNBOUND_IMMEDIATE),
        (
            ((PVC, _claim("data")), (SC, _class("local", mode="Immediate"))),
            ERR_REASON_UNBOUND_IMMEDIATE,
        ),
        (((PVC, _claim("data")),), ERR_REASON_UNBOUND_IMMEDIATE),
    ],
)
def test_pre_filter_rejections(
    objects: tuple[tuple[ObjectKind, dict[str, Any]], ...], message: str
) -> None:
    """Missing, deleted and unbound immediate claims reject the pod, unresolvably."""
    statuses = _harness(*objects).filter("VolumeBinding", _pod("data"))
    assert statuses["PreFilter"].code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert statuses["PreFilter"].message() == message


def test_ephemeral_claim_not_created_yet() -> None:
    """A generic ephemeral volume's claim is awaited with upstream's message."""
    pod = make_pod(
        "p", spec={"volumes": [{"name": "scratch", "ephemeral": {"volumeClaimTemplate": {}}}]}
    )
    status = _harness().filter("VolumeBinding", pod)["PreFilter"]
    assert status.message() == (
        'waiting for ephemeral volume controller to create the persistentvolumeclaim "p-scratch"'
    )


def test_bound_claims() -> None:
    """A bound volume's node affinity must match; a missing volume is its own reason."""
    harness = _harness(
        (PVC, _claim("data", volume="pv-1")),
        (PV, _volume("pv-1", node_label="disk", phase="Bound")),
    )
    assert harness.reasons("VolumeBinding", _pod("data")) == {
        "n1": (),
        "n2": (ERR_REASON_NODE_CONFLICT,),
    }
    harness = _harness((PVC, _claim("data", volume="gone")))
    assert harness.reasons("VolumeBinding", _pod("data")) == {
        "n1": (ERR_REASON_PV_NOT_EXIST,),
        "n2": (ERR_REASON_PV_NOT_EXIST,),
    }


def test_delayed_binding_static_volumes() -> None:
    """WaitForFirstConsumer: a fitting Available volume must be reachable from the node."""
    objects = (
        (PVC, _claim("data")),
        (SC, _class("local")),
        (PV, _volume("pv-1", node_label="disk")),
    )
    assert _harness(*objects).reasons("VolumeBinding", _pod("data")) == {
        "n1": (),
        "n2": (ERR_REASON_BIND_CONFLICT,),
    }
    too_small = ((PVC, _claim("data", size="2Gi")), (SC, _class("local")), (PV, _volume("pv-1")))
    assert _harness(*too_small).reasons("VolumeBinding", _pod("data")) == {
        "n1": (ERR_REASON_BIND_CONFLICT,),
        "n2": (ERR_REASON_BIND_CONFLICT,),
    }
    # Two claims cannot share one volume.
    two = ((PVC, _claim("a")), (PVC, _claim("b")), (SC, _class("local")), (PV, _volume("pv-1")))
    assert _harness(*two).reasons("VolumeBinding", _pod("a", "b"))["n1"] == (
        ERR_REASON_BIND_CONFLICT,
    )


def test_delayed_binding_dynamic_provisioning() -> None:
    """A provisioning class satisfies the claim where its allowedTopologies admit the node."""
    topology = [{"matchLabelExpressions": [{"key": "disk", "values": ["yes"]}]}]
    objects = (
        (PVC, _claim("data")),
        (SC, _class("local", provisioner="rancher.io/local-path", allowedTopologies=topology)),
    )
    assert _harness(*objects).reasons("VolumeBinding", _pod("data")) == {
        "n1": (),
        "n2": (ERR_REASON_BIND_CONFLICT,),
    }


async def test_pre_bind_annotates_delayed_claims() -> None:
    """PreBind names the chosen node on each WaitForFirstConsumer claim."""
    harness = _harness(
        (PVC, _claim("data")), (SC, _class("local", provisioner="rancher.io/local-path"))
    )
    plugin = harness.plugin("VolumeBinding")
    assert isinstance(plugin, VolumeBinding)
    state = CycleState()
    pod = PodInfo(_pod("data"))
    _, status = plugin.pre_filter(state, pod)
    assert status.is_success()
    assert (await plugin.pre_bind(state, pod, "n1")).is_success()
    assert harness.cluster.annotations == [("data", "n1")]


def test_skip_without_claims() -> None:
    """A pod without claim-backed volumes Skips the filter."""
    assert all(s.is_success() for s in _harness().filter("VolumeBinding", make_pod("p")).values())
