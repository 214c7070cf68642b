"""Which volume a claim gets: the PV controller's matching, as tables."""

from __future__ import annotations

from typing import Any

import pytest

from kubeling.controllers.volume.binding import (
    access_modes_key,
    bind_volume_to_claim,
    check_volume_satisfies_claim,
    find_best_match,
    is_volume_bound_to_claim,
)

Obj = dict[str, Any]


def _pv(
    name: str,
    size: str = "1Gi",
    *,
    modes: tuple[str, ...] = ("ReadWriteOnce",),
    cls: str = "",
    phase: str = "Available",
    labels: dict[str, str] | None = None,
    claim_ref: Obj | None = None,
    mode: str = "Filesystem",
    deleting: bool = False,
) -> Obj:
    meta: Obj = {"name": name, "labels": labels or {}}
    if deleting:
        meta["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    spec: Obj = {
        "capacity": {"storage": size},
        "accessModes": list(modes),
        "storageClassName": cls,
        "volumeMode": mode,
    }
    if claim_ref is not None:
        spec["claimRef"] = claim_ref
    return {"metadata": meta, "spec": spec, "status": {"phase": phase}}


def _pvc(
    size: str = "1Gi",
    *,
    modes: tuple[str, ...] = ("ReadWriteOnce",),
    cls: str | None = "",
    selector: Obj | None = None,
    mode: str = "Filesystem",
) -> Obj:
    spec: Obj = {
        "accessModes": list(modes),
        "resources": {"requests": {"storage": size}},
        "volumeMode": mode,
    }
    if cls is not None:
        spec["storageClassName"] = cls
    if selector is not None:
        spec["selector"] = selector
    return {"metadata": {"name": "claim", "namespace": "ns", "uid": "u-1"}, "spec": spec}


_MINE = {"namespace": "ns", "name": "claim"}
_THEIRS = {"namespace": "ns", "name": "other", "uid": "u-2"}


@pytest.mark.parametrize(
    ("claim", "volumes", "delay", "expected"),
    [
        # the smallest volume that is big enough
        (_pvc("1Gi"), [_pv("big", "10Gi"), _pv("fit", "2Gi"), _pv("small", "500Mi")], False, "fit"),
        # an exact size fits
        (_pvc("1Gi"), [_pv("exact", "1Gi"), _pv("big", "2Gi")], False, "exact"),
        # 1G < 1Gi: too small
        (_pvc("1Gi"), [_pv("si", "1G")], False, None),
        # the class must be the same ("" only matches "")
        (_pvc(cls="fast"), [_pv("slow", cls="slow"), _pv("none")], False, None),
        (
            _pvc(cls="fast"),
            [_pv("slow", cls="slow"), _pv("fast", "5Gi", cls="fast")],
            False,
            "fast",
        ),
        (_pvc(cls=None), [_pv("classless")], False, "classless"),
        # volumeMode must match
        (_pvc(mode="Block"), [_pv("fs")], False, None),
        (_pvc(mode="Block"), [_pv("fs"), _pv("block", mode="Block")], False, "block"),
        # access modes: the claim's must all be offered; fewer extra modes win over size
        (_pvc(modes=("ReadWriteMany",)), [_pv("rwo")], False, None),
        (
            _pvc(modes=("ReadWriteOnce",)),
            [
                _pv("many", "1Gi", modes=("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany")),
                _pv("one", "5Gi", modes=("ReadWriteOnce",)),
            ],
            False,
            "one",
        ),
        # only Available, unclaimed, not deleted volumes
        (_pvc(), [_pv("pending", phase="Pending")], False, None),
        (_pvc(), [_pv("released", phase="Released")], False, None),
        (_pvc(), [_pv("taken", claim_ref=_THEIRS)], False, None),
        (_pvc(), [_pv("going", deleting=True)], False, None),
        # the claim's selector picks among labels
        (
            _pvc(selector={"matchLabels": {"tier": "gold"}}),
            [_pv("plain", "1Gi"), _pv("gold", "3Gi", labels={"tier": "gold"})],
            False,
            "gold",
        ),
        (
            _pvc(selector={"matchExpressions": [{"key": "tier", "operator": "Exists"}]}),
            [_pv("plain")],
            False,
            None,
        ),
        # a volume pre-bound to the claim wins even over a better fit, class aside
        (
            _pvc("1Gi", cls="fast"),
            [_pv("fit", "1Gi", cls="fast"), _pv("reserved", "9Gi", claim_ref=_MINE)],
            False,
            "reserved",
        ),
        # ... if it is big enough
        (_pvc("1Gi"), [_pv("reserved", "500Mi", claim_ref=_MINE)], False, None),
        # WaitForFirstConsumer: only pre-bound volumes; the scheduler binds the rest
        (_pvc(), [_pv("free")], True, None),
        (_pvc(), [_pv("free"), _pv("reserved", claim_ref=_MINE)], True, "reserved"),
    ],
)
def test_find_best_match(claim: Obj, volumes: list[Obj], delay: bool, expected: str | None) -> None:
    found = find_best_match(claim, volumes, delay_binding=delay)
    assert (found["metadata"]["name"] if found is not None else None) == expected


@pytest.mark.parametrize(
    ("volume", "claim", "problem"),
    [
        (_pv("ok", "2Gi"), _pvc("1Gi"), None),
        (_pv("small", "500Mi"), _pvc("1Gi"), "requested PV is too small"),
        (_pv("slow", cls="slow"), _pvc(cls="fast"), "storageClassName does not match"),
        (_pv("block", mode="Block"), _pvc(), "incompatible volumeMode"),
        (_pv("rwo"), _pvc(modes=("ReadWriteMany",)), "incompatible accessMode"),
        (_pv("going", deleting=True), _pvc(), 'the volume is marked for deletion "going"'),
    ],
)
def test_check_volume_satisfies_claim(volume: Obj, claim: Obj, problem: str | None) -> None:
    assert check_volume_satisfies_claim(volume, claim) == problem


def test_binding_a_free_volume_marks_it_bound_by_controller() -> None:
    claim = _pvc()
    claim["metadata"]["resourceVersion"] = "42"
    bound, dirty = bind_volume_to_claim(_pv("free"), claim)
    assert dirty
    assert bound["spec"]["claimRef"] == {
        "kind": "PersistentVolumeClaim",
        "namespace": "ns",
        "name": "claim",
        "uid": "u-1",
        "apiVersion": "v1",
        "resourceVersion": "42",
    }
    assert bound["metadata"]["annotations"] == {"pv.kubernetes.io/bound-by-controller": "yes"}
    assert is_volume_bound_to_claim(bound, claim)
    # Binding again changes nothing.
    assert bind_volume_to_claim(bound, claim)[1] is False


def test_binding_a_user_prebound_volume_only_adds_the_uid() -> None:
    bound, dirty = bind_volume_to_claim(_pv("reserved", claim_ref=dict(_MINE)), _pvc())
    assert dirty
    assert bound["spec"]["claimRef"]["uid"] == "u-1"
    assert "annotations" not in bound["metadata"]


@pytest.mark.parametrize(
    ("ref", "bound"),
    [
        (None, False),
        ({"namespace": "ns", "name": "claim"}, True),
        ({"namespace": "ns", "name": "claim", "uid": "u-1"}, True),
        ({"namespace": "ns", "name": "claim", "uid": "u-old"}, False),
        ({"namespace": "other", "name": "claim"}, False),
    ],
)
def test_is_volume_bound_to_claim(ref: Obj | None, bound: bool) -> None:
    assert is_volume_bound_to_claim(_pv("v", claim_ref=ref), _pvc()) is bound


def test_access_modes_key_uses_upstreams_order() -> None:
    assert access_modes_key(["ReadWriteMany", "ReadWriteOnce", "ReadOnlyMany"]) == "RWO,ROX,RWX"
    assert access_modes_key(["ReadWriteOncePod"]) == "RWOP"
