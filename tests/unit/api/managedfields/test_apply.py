"""Server-side apply and ordinary writes: merge, prune, conflicts and ownership."""

from __future__ import annotations

import copy
import importlib
from typing import Any

import pytest

from kubeling.api.apps.v1 import Deployment
from kubeling.api.managedfields.apply import apply
from kubeling.api.managedfields.errors import ApplyConflict, Conflict
from kubeling.api.managedfields.fieldpath import from_fields_v1, render_path
from kubeling.api.managedfields.update import update

# Declares the types Deployment refers to by name (pod, and meta/v1 through it).
importlib.import_module("kubeling.api.core.v1.pod")

T0, T1, T2 = "2025-01-01T00:00:00Z", "2025-01-01T00:01:00Z", "2025-01-01T00:02:00Z"


def deployment(replicas: int = 2, **spec: Any) -> dict[str, Any]:
    """A small Deployment with one container named web."""
    containers = spec.pop("containers", [{"name": "web", "image": "nginx"}])
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": containers}}, **spec},
    }


def owned(entries: list[dict[str, Any]], manager: str, operation: str) -> list[str]:
    """The rendered fields of one entry ([] if there is none)."""
    for entry in entries:
        if entry["manager"] == manager and entry["operation"] == operation:
            return sorted(render_path(p) for p in from_fields_v1(entry["fieldsV1"]))
    return []


def do_apply(
    live: dict[str, Any] | None, applied: dict[str, Any], manager: str, now: str, *, force: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Apply with live's own managedFields."""
    mf = (live or {}).get("metadata", {}).get("managedFields", [])
    return apply(
        live,
        applied,
        manager=manager,
        managed_fields=mf,
        type=Deployment,
        api_version="apps/v1",
        force=force,
        now=now,
    )


def created_by_client_side_apply() -> dict[str, Any]:
    """A Deployment as `kubectl apply` (client-side) creates it."""
    obj = deployment(2)
    mf = update(
        None,
        obj,
        manager="kubectl-client-side-apply",
        managed_fields=[],
        type=Deployment,
        api_version="apps/v1",
        now=T0,
    )
    obj["metadata"]["managedFields"] = mf
    return obj


def test_update_on_create_owns_everything_set() -> None:
    """A create gives the writer every tracked field, never name or apiVersion."""
    obj = created_by_client_side_apply()
    [entry] = obj["metadata"]["managedFields"]
    assert entry == {
        "manager": "kubectl-client-side-apply",
        "operation": "Update",
        "apiVersion": "apps/v1",
        "time": T0,
        "fieldsType": "FieldsV1",
        "fieldsV1": {
            "f:spec": {
                "f:replicas": {},
                "f:template": {
                    "f:spec": {
                        "f:containers": {'k:{"name":"web"}': {".": {}, "f:image": {}, "f:name": {}}}
                    }
                },
            }
        },
    }


@pytest.mark.parametrize(
    ("applied", "message", "conflicts"),
    [
        (
            deployment(3),
            'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" '
            "using apps/v1: .spec.replicas",
            [("kubectl-client-side-apply", ".spec.replicas")],
        ),
        (
            deployment(3, containers=[{"name": "web", "image": "nginx:2"}]),
            'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" '
            "using apps/v1:\n- .spec.replicas\n"
            '- .spec.template.spec.containers[name="web"].image',
            [
                ("kubectl-client-side-apply", ".spec.replicas"),
                ("kubectl-client-side-apply", '.spec.template.spec.containers[name="web"].image'),
            ],
        ),
    ],
)
def test_conflict_with_client_side_apply(
    applied: dict[str, Any], message: str, conflicts: list[tuple[str, str]]
) -> None:
    """Changing a field another manager owns fails with Kubernetes' message."""
    live = created_by_client_side_apply()
    with pytest.raises(ApplyConflict) as info:
        do_apply(live, applied, "kubectl", T1, force=False)
    assert str(info.value) == message
    assert [(c.manager, c.path) for c in info.value.conflicts] == conflicts
    assert info.value.causes()[0] == {
        "type": "FieldManagerConflict",
        "message": 'conflict with "kubectl-client-side-apply" using apps/v1',
        "field": ".spec.replicas",
    }


def test_conflict_message_groups_by_manager() -> None:
    """Several managers are listed sorted, appliers without a version."""
    err = ApplyConflict(
        [
            Conflict("b", ".spec.x", "Apply"),
            Conflict("a", ".spec.y", "Update", "apps/v1", "status"),
            Conflict("b", ".spec.z", "Apply"),
        ]
    )
    assert str(err) == (
        'Apply failed with 3 conflicts: conflicts with "a" with subresource "status" '
        'using apps/v1:\n- .spec.y\nconflicts with "b":\n- .spec.x\n- .spec.z'
    )


def test_same_value_is_shared_not_a_conflict() -> None:
    """Applying the live value succeeds and both managers own the field."""
    live = created_by_client_side_apply()
    obj, mf = do_apply(live, deployment(2), "kubectl", T1, force=False)
    assert obj["spec"]["replicas"] == 2
    assert ".spec.replicas" in owned(mf, "kubectl", "Apply")
    assert ".spec.replicas" in owned(mf, "kubectl-client-side-apply", "Update")


def test_force_takes_ownership() -> None:
    """With force, the field changes and leaves the previous owner's entry."""
    live = created_by_client_side_apply()
    obj, mf = do_apply(live, deployment(3), "kubectl", T1, force=True)
    assert obj["spec"]["replicas"] == 3
    assert obj["metadata"]["managedFields"] == mf
    assert owned(mf, "kubectl", "Apply") == [
        ".spec.replicas",
        '.spec.template.spec.containers[name="web"]',
        '.spec.template.spec.containers[name="web"].image',
        '.spec.template.spec.containers[name="web"].name',
    ]
    assert ".spec.replicas" not in owned(mf, "kubectl-client-side-apply", "Update")
    assert '.spec.template.spec.containers[name="web"].image' in owned(
        mf, "kubectl-client-side-apply", "Update"
    )
    assert [e["operation"] for e in mf] == ["Apply", "Update"]
    assert mf[0]["time"] == T1
    assert "subresource" not in mf[0]


def test_apply_entry_is_exactly_the_applied_set() -> None:
    """The applier's entry lists what it applied, nothing untracked."""
    obj, mf = do_apply(None, deployment(1), "mgr", T0, force=False)
    assert owned(mf, "mgr", "Apply") == [
        ".spec.replicas",
        '.spec.template.spec.containers[name="web"]',
        '.spec.template.spec.containers[name="web"].image',
        '.spec.template.spec.containers[name="web"].name',
    ]
    assert obj["metadata"]["name"] == "web"


@pytest.mark.parametrize(
    ("second", "gone", "kept"),
    [
        (deployment(2, paused=True), [], ["paused"]),
        (deployment(2), ["paused"], []),
        (
            {k: v for k, v in deployment(2).items() if k != "spec"} | {"spec": {"replicas": 2}},
            ["template"],
            ["replicas"],
        ),
    ],
)
def test_second_apply_prunes_dropped_fields(
    second: dict[str, Any], gone: list[str], kept: list[str]
) -> None:
    """Fields the applier stops applying, and nobody else owns, are removed."""
    live, _ = do_apply(None, deployment(2, paused=True), "mgr", T0, force=False)
    obj, mf = do_apply(live, second, "mgr", T1, force=False)
    for name in gone:
        assert name not in obj["spec"]
        assert not [p for p in owned(mf, "mgr", "Apply") if p.startswith(f".spec.{name}")]
    for name in kept:
        assert name in obj["spec"]


def test_dropped_field_owned_by_another_manager_stays() -> None:
    """A field another manager also owns survives the applier dropping it."""
    live, _ = do_apply(None, deployment(2, paused=True), "a", T0, force=False)
    live, _ = do_apply(live, deployment(2, paused=True), "b", T1, force=False)
    obj, mf = do_apply(live, deployment(2), "a", T2, force=False)
    assert obj["spec"]["paused"] is True
    assert ".spec.paused" in owned(mf, "b", "Apply")
    assert ".spec.paused" not in owned(mf, "a", "Apply")


def test_two_managers_own_different_containers() -> None:
    """Each applier owns its own container; dropping one keeps the other's."""
    web = {"name": "web", "image": "nginx"}
    side = {"name": "side", "image": "busybox"}
    live, _ = do_apply(None, deployment(2, containers=[web]), "a", T0, force=False)
    only_side = deployment(2, containers=[side])
    del only_side["spec"]["replicas"]
    live, mf = do_apply(live, only_side, "b", T1, force=False)
    assert [c["name"] for c in live["spec"]["template"]["spec"]["containers"]] == ["web", "side"]
    assert '.spec.template.spec.containers[name="side"].image' in owned(mf, "b", "Apply")
    assert '.spec.template.spec.containers[name="web"].image' in owned(mf, "a", "Apply")
    assert '.spec.template.spec.containers[name="web"].image' not in owned(mf, "b", "Apply")

    changed_side = copy.deepcopy(only_side)
    changed_side["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:2"
    obj, _ = do_apply(live, changed_side, "b", T2, force=False)
    assert obj["spec"]["template"]["spec"]["containers"][1]["image"] == "busybox:2"

    with pytest.raises(ApplyConflict, match=r'conflict with "a": .*\[name="web"\]\.image'):
        do_apply(
            live,
            deployment(2, containers=[{"name": "web", "image": "nginx:2"}]),
            "b",
            T2,
            force=False,
        )

    obj, mf = do_apply(live, deployment(2, containers=[side]), "a", T2, force=False)
    assert [c["name"] for c in obj["spec"]["template"]["spec"]["containers"]] == ["side"]
    assert '.spec.template.spec.containers[name="side"].image' in owned(mf, "a", "Apply")


@pytest.mark.parametrize(
    ("new_replicas", "csa_has_replicas", "scaler_has_replicas"),
    [(5, False, True), (2, True, False)],
)
def test_update_transfers_ownership(
    new_replicas: int, csa_has_replicas: bool, scaler_has_replicas: bool
) -> None:
    """An update owns what it changed, taking it from every other entry."""
    old = created_by_client_side_apply()
    new = copy.deepcopy(old)
    new["spec"]["replicas"] = new_replicas
    mf = update(
        old,
        new,
        manager="scaler",
        managed_fields=old["metadata"]["managedFields"],
        type=Deployment,
        api_version="apps/v1",
        now=T1,
    )
    assert (".spec.replicas" in owned(mf, "kubectl-client-side-apply", "Update")) is (
        csa_has_replicas
    )
    assert (".spec.replicas" in owned(mf, "scaler", "Update")) is scaler_has_replicas


def test_update_removed_fields_leave_every_entry() -> None:
    """Removing a field drops it from its owners; empty entries disappear."""
    old, _ = do_apply(None, deployment(2, paused=True), "a", T0, force=False)
    new = copy.deepcopy(old)
    del new["spec"]["paused"]
    mf = update(
        old,
        new,
        manager="editor",
        managed_fields=old["metadata"]["managedFields"],
        type=Deployment,
        api_version="apps/v1",
        now=T1,
    )
    assert ".spec.paused" not in owned(mf, "a", "Apply")
    assert owned(mf, "editor", "Update") == []
    assert [e["manager"] for e in mf] == ["a"]


def test_status_is_not_tracked_on_the_main_resource() -> None:
    """Status changes through the main resource are neither owned nor applied."""
    applied = deployment(2) | {"status": {"replicas": 7}}
    obj, mf = do_apply(None, applied, "a", T0, force=False)
    assert "status" not in obj
    assert not [p for p in owned(mf, "a", "Apply") if p.startswith(".status")]


def test_apply_to_object_without_managed_fields() -> None:
    """Fields of an object without managedFields belong to before-first-apply."""
    live = deployment(2)
    with pytest.raises(
        ApplyConflict, match=r'"before-first-apply" using apps/v1: \.spec\.replicas'
    ):
        do_apply(live, deployment(3), "kubectl", T1, force=False)
