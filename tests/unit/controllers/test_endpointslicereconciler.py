"""The EndpointSlice reconciler: desired endpoints, slices of 100, minimal churn."""

from __future__ import annotations

import copy
import datetime
from collections.abc import Mapping
from typing import Any

import pytest

from kubeling.controllers.endpointslicereconciler import (
    SliceChanges,
    address_types,
    pod_to_endpoint,
    reconcile_slices,
)

Obj = dict[str, Any]

NODES = {
    "node-a": {"metadata": {"name": "node-a", "labels": {"topology.kubernetes.io/zone": "zone-1"}}},
    "node-b": {"metadata": {"name": "node-b"}},
}


def nodes(name: str) -> Mapping[str, Any] | None:
    return NODES.get(name)


def pod(
    n: int,
    *,
    ready: bool = True,
    deleting: bool = False,
    node: str = "node-a",
    ips: list[str] | None = None,
    port_name: str = "http",
    **spec: Any,
) -> Obj:
    meta: Obj = {"name": f"p{n}", "namespace": "ns", "uid": f"uid-{n}"}
    if deleting:
        meta["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    addresses = ips or [f"10.0.{n // 250}.{n % 250 + 1}"]
    return {
        "metadata": meta,
        "spec": {
            "nodeName": node,
            "containers": [{"name": "c", "ports": [{"name": port_name, "containerPort": 8080}]}],
            **spec,
        },
        "status": {
            "phase": "Running",
            "podIPs": [{"ip": ip} for ip in addresses],
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def service(**spec: Any) -> Obj:
    base: Obj = {
        "selector": {"app": "a"},
        "clusterIP": "10.96.0.10",
        "ipFamilies": ["IPv4"],
        "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
    }
    base.update(spec)
    return {
        "metadata": {"name": "web", "namespace": "ns", "uid": "svc-uid", "labels": {"team": "x"}},
        "spec": base,
    }


def reconcile(svc: Obj, pods: list[Obj], existing: list[Obj] | None = None) -> SliceChanges:
    return reconcile_slices(svc, pods, existing or [], nodes=nodes, trigger_time=None)


def stored(changes: SliceChanges) -> list[Obj]:
    """What the API server would hold after the writes (names and generations given)."""
    out = []
    for i, slice_ in enumerate(changes.create):
        copy_ = copy.deepcopy(slice_)
        copy_["metadata"].update(name=f"web-{i}", uid=f"s-{i}", generation=1)
        out.append(copy_)
    return out + [copy.deepcopy(s) for s in changes.update]


def endpoint_names(slice_: Obj) -> list[str]:
    return [e["targetRef"]["name"] for e in slice_["endpoints"]]


def test_pod_to_endpoint() -> None:
    """Conditions, node, zone, reference and the published hostname."""
    the_pod = pod(1, hostname="w-1", subdomain="web")
    assert pod_to_endpoint(the_pod, NODES["node-a"], service(), "IPv4") == {
        "addresses": ["10.0.0.2"],
        "conditions": {"ready": True, "serving": True, "terminating": False},
        "hostname": "w-1",
        "targetRef": {"kind": "Pod", "namespace": "ns", "name": "p1", "uid": "uid-1"},
        "nodeName": "node-a",
        "zone": "zone-1",
    }


@pytest.mark.parametrize(
    ("ready", "deleting", "publish", "conditions"),
    [
        (True, False, False, {"ready": True, "serving": True, "terminating": False}),
        (False, False, False, {"ready": False, "serving": False, "terminating": False}),
        (True, True, False, {"ready": False, "serving": True, "terminating": True}),
        (False, True, True, {"ready": True, "serving": False, "terminating": True}),
    ],
)
def test_endpoint_conditions(ready: bool, deleting: bool, publish: bool, conditions: Obj) -> None:
    """ready = serving and not terminating, or always when publishing not-ready addresses."""
    svc = service(publishNotReadyAddresses=publish)
    endpoint = pod_to_endpoint(pod(1, ready=ready, deleting=deleting), None, svc, "IPv4")
    assert endpoint["conditions"] == conditions


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"ipFamilies": ["IPv4"]}, ["IPv4"]),
        ({"ipFamilies": ["IPv6", "IPv4"]}, ["IPv6", "IPv4"]),
        ({"ipFamilies": [], "clusterIP": "fd00::1"}, ["IPv6"]),
        ({"ipFamilies": [], "clusterIP": "None"}, ["IPv4", "IPv6"]),
    ],
)
def test_address_types(spec: Obj, expected: list[str]) -> None:
    """One slice family per service IP family (both for a headless one without families)."""
    assert address_types(service(**spec)) == expected


def test_a_new_service_gets_one_slice() -> None:
    """Labels, owner, generateName, ports and every pod, terminating ones included."""
    changes = reconcile(service(), [pod(1), pod(2, ready=False), pod(3, deleting=True)])
    assert not changes.update
    assert not changes.delete
    assert not changes.errors
    (slice_,) = changes.create
    assert slice_["metadata"]["generateName"] == "web-"
    assert slice_["metadata"]["labels"] == {
        "team": "x",
        "kubernetes.io/service-name": "web",
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
    }
    assert slice_["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "name": "web",
            "uid": "svc-uid",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert slice_["addressType"] == "IPv4"
    assert slice_["ports"] == [{"name": "http", "protocol": "TCP", "port": 8080}]
    assert endpoint_names(slice_) == ["p1", "p2", "p3"]
    assert "annotations" not in slice_["metadata"]


def test_the_trigger_time_is_stamped() -> None:
    """Every slice written carries the last change trigger time."""
    moment = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    changes = reconcile_slices(service(), [pod(1)], [], nodes=nodes, trigger_time=moment)
    annotations = changes.create[0]["metadata"]["annotations"]
    assert annotations == {
        "endpoints.kubernetes.io/last-change-trigger-time": "2024-01-02T03:04:05Z"
    }


@pytest.mark.parametrize(("count", "sizes"), [(100, [100]), (101, [100, 1]), (250, [100, 100, 50])])
def test_at_most_100_endpoints_per_slice(count: int, sizes: list[int]) -> None:
    """Endpoints beyond 100 go to further slices."""
    changes = reconcile(service(), [pod(n) for n in range(count)])
    assert [len(s["endpoints"]) for s in changes.create] == sizes


def test_a_headless_service_is_labelled_and_may_have_no_ports() -> None:
    """The headless label, and slices with no ports."""
    changes = reconcile(service(clusterIP="None", ports=[]), [pod(1)])
    (slice_,) = changes.create
    assert slice_["metadata"]["labels"]["service.kubernetes.io/headless"] == ""
    assert slice_["ports"] == []


def test_endpoints_are_grouped_by_port_set() -> None:
    """Pods resolving a named port differently land in different slices."""
    pods = [pod(1), pod(2), pod(3, port_name="other")]
    changes = reconcile(service(), pods)
    ports = sorted(
        (tuple(p["port"] for p in s["ports"]), len(s["endpoints"])) for s in changes.create
    )
    assert ports == [((), 1), ((8080,), 2)]


def test_nothing_changes_when_the_slices_are_right() -> None:
    """A second pass over its own result writes nothing."""
    pods = [pod(n) for n in range(150)]
    existing = stored(reconcile(service(), pods))
    again = reconcile(service(), pods, existing)
    assert (again.create, again.update, again.delete) == ([], [], [])


def test_a_changed_endpoint_is_updated_in_place() -> None:
    """Readiness flips update the slice holding the pod, nothing else."""
    pods = [pod(n) for n in range(150)]
    existing = stored(reconcile(service(), pods))
    pods[120] = pod(120, ready=False)
    changes = reconcile(service(), pods, existing)
    assert not changes.create
    assert not changes.delete
    (updated,) = changes.update
    assert updated["metadata"]["name"] == "web-1"
    changed = [e for e in updated["endpoints"] if e["targetRef"]["name"] == "p120"]
    assert changed[0]["conditions"]["ready"] is False


def test_new_endpoints_fill_the_slice_being_updated() -> None:
    """A slice updated anyway takes new endpoints first (one write, not two)."""
    pods = [pod(n) for n in range(150)]
    existing = stored(reconcile(service(), pods))
    pods[120] = pod(120, ready=False)
    changes = reconcile(service(), [*pods, pod(200), pod(201)], existing)
    assert not changes.create
    (updated,) = changes.update
    assert len(updated["endpoints"]) == 52


def test_new_endpoints_go_to_the_slice_they_fill_best() -> None:
    """With nothing else to update, the remaining endpoints fill an untouched slice."""
    pods = [pod(n) for n in range(150)]
    existing = stored(reconcile(service(), pods))
    changes = reconcile(service(), [*pods, pod(200)], existing)
    assert not changes.create
    (updated,) = changes.update
    assert updated["metadata"]["name"] == "web-1"
    assert len(updated["endpoints"]) == 51


def test_removed_endpoints_leave_their_slice_and_an_empty_slice_is_deleted() -> None:
    """A slice whose every endpoint went is deleted."""
    pods = [pod(n) for n in range(150)]
    existing = stored(reconcile(service(), pods))
    changes = reconcile(service(), pods[:100], existing)
    assert not changes.create
    assert not changes.update
    assert [s["metadata"]["name"] for s in changes.delete] == ["web-1"]


def test_no_endpoints_leaves_one_placeholder() -> None:
    """No pods: an empty slice stays, and is not rewritten on the next pass."""
    changes = reconcile(service(), [])
    (placeholder,) = changes.create
    assert placeholder["endpoints"] == []
    assert placeholder["ports"] == []
    existing = stored(changes)
    again = reconcile(service(), [], existing)
    assert (again.create, again.update, again.delete) == ([], [], [])


def test_last_pod_gone_turns_the_slice_into_the_placeholder() -> None:
    """Create + delete become one update of the slice that would be deleted."""
    existing = stored(reconcile(service(), [pod(1)]))
    changes = reconcile(service(), [], existing)
    assert not changes.create
    assert not changes.delete
    (updated,) = changes.update
    assert updated["metadata"]["name"] == "web-0"
    assert updated["endpoints"] == []


def test_a_slice_of_an_older_namesake_is_deleted() -> None:
    """Slices not owned by this service's uid are not reused."""
    existing = stored(reconcile(service(), [pod(1)]))
    existing[0]["metadata"]["ownerReferences"][0]["uid"] = "old-uid"
    changes = reconcile(service(), [pod(1)], existing)
    assert [s["metadata"]["name"] for s in changes.delete] == ["web-0"]
    assert len(changes.create) == 1
    assert not changes.update


def test_service_label_changes_are_mirrored() -> None:
    """Changing the service's labels updates its slices' labels."""
    existing = stored(reconcile(service(), [pod(1)]))
    svc = service()
    svc["metadata"]["labels"] = {"team": "y"}
    (updated,) = reconcile(svc, [pod(1)], existing).update
    assert updated["metadata"]["labels"]["team"] == "y"


def test_a_missing_node_skips_the_pod_and_reports_it() -> None:
    """A pod on an unknown node is left out and the sync fails (to come back)."""
    changes = reconcile(service(), [pod(1), pod(2, node="gone")])
    assert endpoint_names(changes.create[0]) == ["p1"]
    assert changes.errors == ["skipping Pod p2 for Service ns/web: Node gone Not Found"]
    published = reconcile(service(publishNotReadyAddresses=True), [pod(2, node="gone")])
    assert endpoint_names(published.create[0]) == ["p2"]
    assert not published.errors


def test_dual_stack_services_get_a_slice_per_family() -> None:
    """An IPv4 and an IPv6 slice, each with the pods' addresses of its family."""
    svc = service(ipFamilies=["IPv4", "IPv6"])
    changes = reconcile(svc, [pod(1, ips=["10.0.0.1", "fd00::0:1"])])
    assert sorted(
        (s["addressType"], s["endpoints"][0]["addresses"][0]) for s in changes.create
    ) == [
        ("IPv4", "10.0.0.1"),
        ("IPv6", "fd00::1"),  # re-printed canonically
    ]


def test_slices_of_a_lost_family_are_deleted() -> None:
    """A slice of an address type the service no longer has goes."""
    existing = stored(reconcile(service(ipFamilies=["IPv6"]), [pod(1, ips=["fd00::1"])]))
    changes = reconcile(service(), [pod(1)], existing)
    assert [s["addressType"] for s in changes.delete] == ["IPv6"]
    assert [s["addressType"] for s in changes.create] == ["IPv4"]


def test_hints_are_removed() -> None:
    """Topology hints are not computed; hints found are cleared."""
    existing = stored(reconcile(service(), [pod(1)]))
    existing[0]["endpoints"][0]["hints"] = {"forZones": [{"name": "zone-1"}]}
    (updated,) = reconcile(service(), [pod(1)], existing).update
    assert "hints" not in updated["endpoints"][0]


def test_nothing_is_created_for_a_service_being_deleted() -> None:
    """Creates would race the garbage collector."""
    svc = service()
    svc["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    assert reconcile(svc, [pod(1)]).create == []


def test_a_placeholder_read_back_without_lists_is_still_the_placeholder() -> None:
    """An empty list the API leaves out is no reason to rewrite the placeholder."""
    existing = stored(reconcile(service(), []))
    del existing[0]["endpoints"]
    del existing[0]["ports"]
    again = reconcile(service(), [], existing)
    assert (again.create, again.update, again.delete) == ([], [], [])
