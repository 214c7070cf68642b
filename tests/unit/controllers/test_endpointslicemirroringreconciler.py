"""Mirroring hand-written Endpoints into EndpointSlices."""

from __future__ import annotations

import copy
from typing import Any

from kubeling.controllers.endpointslicemirroringreconciler import MirrorChanges, mirror_slices

Obj = dict[str, Any]

HTTP = {"name": "http", "port": 80, "protocol": "TCP"}


def endpoints(*subsets: Obj, labels: Obj | None = None, annotations: Obj | None = None) -> Obj:
    meta: Obj = {"name": "ext", "namespace": "ns", "uid": "ep-uid"}
    if labels:
        meta["labels"] = labels
    if annotations:
        meta["annotations"] = annotations
    return {"metadata": meta, "subsets": list(subsets)}


def stored(changes: MirrorChanges) -> list[Obj]:
    out = []
    for i, slice_ in enumerate(changes.create):
        copy_ = copy.deepcopy(slice_)
        copy_["metadata"]["name"] = f"ext-{i}"
        out.append(copy_)
    return out + copy.deepcopy(changes.update)


def test_addresses_become_endpoints_of_their_family() -> None:
    """Ready and not-ready addresses, one slice per address type, labels and owner."""
    source = endpoints(
        {
            "addresses": [{"ip": "192.0.2.1", "nodeName": "n1", "hostname": "a"}],
            "notReadyAddresses": [{"ip": "2001:db8::1"}],
            "ports": [HTTP],
        },
        labels={"team": "x"},
        annotations={
            "note": "kept",
            "endpoints.kubernetes.io/last-change-trigger-time": "t",
            "kubectl.kubernetes.io/last-applied-configuration": "{}",
        },
    )
    changes = mirror_slices(source, [])
    by_type = {s["addressType"]: s for s in changes.create}
    assert sorted(by_type) == ["IPv4", "IPv6"]
    v4 = by_type["IPv4"]
    assert v4["endpoints"] == [
        {
            "addresses": ["192.0.2.1"],
            "conditions": {"ready": True},
            "hostname": "a",
            "nodeName": "n1",
        }
    ]
    assert by_type["IPv6"]["endpoints"][0]["conditions"] == {"ready": False}
    assert v4["ports"] == [{"name": "http", "protocol": "TCP", "port": 80}]
    assert v4["metadata"]["generateName"] == "ext-"
    assert v4["metadata"]["labels"] == {
        "team": "x",
        "kubernetes.io/service-name": "ext",
        "endpointslice.kubernetes.io/managed-by": "endpointslicemirroring-controller.k8s.io",
    }
    assert v4["metadata"]["annotations"] == {"note": "kept"}
    assert v4["metadata"]["ownerReferences"][0]["kind"] == "Endpoints"


def test_invalid_and_excess_addresses_are_skipped_and_counted() -> None:
    """Invalid IPs are counted; beyond the limit per subset, addresses are skipped."""
    source = endpoints(
        {"addresses": [{"ip": "nonsense"}] + [{"ip": f"10.0.0.{n}"} for n in range(1, 6)]}
    )
    changes = mirror_slices(source, [], max_per_subset=3)
    assert changes.invalid == 1
    assert changes.skipped == 3  # the invalid one and two beyond the limit
    assert len(changes.create[0]["endpoints"]) == 3


def test_unchanged_mirror_writes_nothing_and_changes_update_in_place() -> None:
    """A second pass is idempotent; a new address rewrites the same slice."""
    source = endpoints({"addresses": [{"ip": "10.0.0.1"}], "ports": [HTTP]})
    existing = stored(mirror_slices(source, []))
    again = mirror_slices(source, existing)
    assert (again.create, again.update, again.delete) == ([], [], [])
    source["subsets"][0]["addresses"].append({"ip": "10.0.0.2"})
    (updated,) = mirror_slices(source, existing).update
    assert updated["metadata"]["name"] == "ext-0"
    assert len(updated["endpoints"]) == 2
    relabelled = endpoints({"addresses": [{"ip": "10.0.0.1"}], "ports": [HTTP]}, labels={"a": "b"})
    assert mirror_slices(relabelled, existing).update  # labels are mirrored too


def test_port_changes_recycle_the_slice_and_emptied_groups_go() -> None:
    """New ports for the same family reuse the old slice; no addresses: no slices."""
    source = endpoints({"addresses": [{"ip": "10.0.0.1"}], "ports": [HTTP]})
    existing = stored(mirror_slices(source, []))
    moved = endpoints({"addresses": [{"ip": "10.0.0.1"}], "ports": [{**HTTP, "port": 8080}]})
    changes = mirror_slices(moved, existing)
    assert not changes.create
    assert not changes.delete
    assert changes.update[0]["metadata"]["name"] == "ext-0"
    assert changes.update[0]["ports"][0]["port"] == 8080
    emptied = mirror_slices(endpoints({"ports": [HTTP]}), existing)
    assert [s["metadata"]["name"] for s in emptied.delete] == ["ext-0"]


def test_labels_absent_on_both_sides_are_unchanged() -> None:
    """No labels on the Endpoints and only the reserved ones on the slice: nothing to do."""
    source = endpoints({"addresses": [{"ip": "10.0.0.1"}], "ports": [HTTP]})
    existing = stored(mirror_slices(source, []))
    existing[0]["metadata"].pop("annotations", None)
    again = mirror_slices(source, existing)
    assert (again.create, again.update, again.delete) == ([], [], [])
