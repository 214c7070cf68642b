"""``+structType=atomic`` structs: one value to server-side apply, as in Kubernetes 1.32."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest

import kubeling.api
from kubeling.api.apps.v1 import Deployment
from kubeling.api.managedfields.apply import apply
from kubeling.api.managedfields.errors import ApplyConflict
from kubeling.api.managedfields.fieldpath import (
    fields_v1_of,
    from_fields_v1,
    from_object,
    merge,
    render_path,
    to_fields_v1,
)
from kubeling.api.schema import DEFINITIONS, STRING, Field, Object

# Every declaration, so that the whole registry can be compared with Kubernetes'.
for _module in pkgutil.walk_packages(kubeling.api.__path__, "kubeling.api."):
    importlib.import_module(_module.name)

PersistentVolume: Object = DEFINITIONS["io.k8s.api.core.v1.PersistentVolume"]

WEB = 'k:{"name":"web"}'
ENV_X = 'k:{"name":"X"}'

# The struct types marked +structType=atomic in Kubernetes 1.32's types.go files,
# among those kubeling declares.
KUBERNETES_ATOMIC = {
    "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
    "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference",
    "io.k8s.api.core.v1.ConfigMapKeySelector",
    "io.k8s.api.core.v1.EndpointAddress",
    "io.k8s.api.core.v1.EndpointPort",
    "io.k8s.api.core.v1.LocalObjectReference",
    "io.k8s.api.core.v1.NodeSelector",
    "io.k8s.api.core.v1.NodeSelectorTerm",
    "io.k8s.api.core.v1.ObjectFieldSelector",
    "io.k8s.api.core.v1.ObjectReference",
    "io.k8s.api.core.v1.ResourceFieldSelector",
    "io.k8s.api.core.v1.ScopeSelector",
    "io.k8s.api.core.v1.SecretKeySelector",
    "io.k8s.api.core.v1.SecretReference",
    "io.k8s.api.core.v1.TopologySelectorTerm",
    "io.k8s.api.core.v1.TypedLocalObjectReference",
    "io.k8s.api.autoscaling.v1.CrossVersionObjectReference",
    "io.k8s.api.admissionregistration.v1.MatchResources",
    "io.k8s.api.admissionregistration.v1.NamedRuleWithOperations",
    "io.k8s.api.admissionregistration.v1.ParamKind",
    "io.k8s.api.admissionregistration.v1.ParamRef",
    "io.k8s.api.admissionregistration.v1.Variable",
    "io.k8s.api.networking.v1.ServiceBackendPort",
    "io.k8s.api.rbac.v1.RoleRef",
    "io.k8s.api.rbac.v1.Subject",
}


def test_declared_atomic_structs_are_the_kubernetes_ones() -> None:
    """Exactly the types Kubernetes marks atomic are declared atomic (autoscaling/v2's
    CrossVersionObjectReference and discovery/v1's EndpointPort are not)."""
    assert {name for name, obj in DEFINITIONS.items() if obj.atomic} == KUBERNETES_ATOMIC


def deployment(env: list[dict[str, Any]] | None = None, **spec: Any) -> dict[str, Any]:
    """A Deployment with one container named web."""
    container: dict[str, Any] = {"name": "web", "image": "nginx"}
    if env is not None:
        container["env"] = env
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"template": {"spec": {"containers": [container]}}, **spec},
    }


def pod_spec_fields(fields_v1: dict[str, Any]) -> dict[str, Any]:
    return fields_v1["f:spec"]["f:template"]["f:spec"]  # type: ignore[no-any-return]


def test_a_deployment_owns_its_selector_whole() -> None:
    """spec.selector is ``"f:selector": {}``, as kubectl apply --server-side shows."""
    obj = deployment(
        selector={"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "a"}]},
        replicas=1,
    )
    fields = fields_v1_of(obj, Deployment)
    assert fields["f:spec"]["f:selector"] == {}
    assert fields == to_fields_v1(from_object(obj, Deployment))
    assert ("f:spec", "f:selector") in from_object(obj, Deployment)


@pytest.mark.parametrize(
    ("pod_spec", "path"),
    [
        (
            {"containers": [{"name": "web", "env": [{"name": "X", "valueFrom": {
                "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}]}]},
            ("f:containers", WEB, "f:env", ENV_X, "f:valueFrom", "f:fieldRef"),
        ),
        (
            {"containers": [{"name": "web", "env": [{"name": "X", "valueFrom": {
                "secretKeyRef": {"name": "s", "key": "k"}}}]}]},
            ("f:containers", WEB, "f:env", ENV_X, "f:valueFrom", "f:secretKeyRef"),
        ),
        (
            {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [{"key": "a", "operator": "Exists"}]}]
            }}}},
            ("f:affinity", "f:nodeAffinity", "f:requiredDuringSchedulingIgnoredDuringExecution"),
        ),
        (
            {"imagePullSecrets": [{"name": "reg"}]},
            ("f:imagePullSecrets", 'k:{"name":"reg"}'),
        ),
        (
            {"topologySpreadConstraints": [{"topologyKey": "zone", "whenUnsatisfiable": "X",
                                            "labelSelector": {"matchLabels": {"a": "b"}}}]},
            ("f:topologySpreadConstraints", 'k:{"topologyKey":"zone","whenUnsatisfiable":"X"}',
             "f:labelSelector"),
        ),
    ],
)  # fmt: skip
def test_atomic_structs_are_leaves(pod_spec: dict[str, Any], path: tuple[str, ...]) -> None:
    """Each atomic struct is one member with nothing under it, in both field-set builders."""
    obj = deployment()
    obj["spec"]["template"]["spec"] = pod_spec
    prefix = ("f:spec", "f:template", "f:spec")
    members = from_object(obj, Deployment)
    assert (*prefix, *path) in members
    assert not any(p[: len(prefix) + len(path)] == (*prefix, *path) for p in members.prefixes())
    node = fields_v1_of(obj, Deployment)
    for element in (*prefix, *path):
        node = node[element]
    assert node == {}
    assert fields_v1_of(obj, Deployment) == to_fields_v1(members)


def test_owner_references_are_owned_by_uid_whole() -> None:
    """Each ownerReference (listType=map on uid) is one atomic item."""
    obj = {"metadata": {"ownerReferences": [{"uid": "u", "name": "rs", "kind": "ReplicaSet"}]}}
    assert fields_v1_of(obj, Deployment) == {
        "f:metadata": {"f:ownerReferences": {'k:{"uid":"u"}': {}}}
    }


def test_a_field_can_make_an_atomic_type_granular() -> None:
    """PersistentVolumeSpec.claimRef is +structType=granular although ObjectReference is atomic."""
    pv = {"spec": {"claimRef": {"name": "c", "namespace": "ns"}}}
    assert fields_v1_of(pv, PersistentVolume) == {
        "f:spec": {"f:claimRef": {"f:name": {}, "f:namespace": {}}}
    }
    live = {"spec": {"claimRef": {"name": "c", "namespace": "ns", "uid": "u"}}}
    merged = merge(live, {"spec": {"claimRef": {"name": "d"}}}, PersistentVolume)
    assert merged["spec"]["claimRef"] == {"name": "d", "namespace": "ns", "uid": "u"}


def test_merge_replaces_an_atomic_struct_whole() -> None:
    """Merging a selector onto a live one keeps nothing of the live one's fields."""
    live = deployment(selector={"matchLabels": {"app": "web", "tier": "front"}})
    config = {"spec": {"selector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]}}}
    merged = merge(live, config, Deployment)
    assert merged["spec"]["selector"] == config["spec"]["selector"]
    assert merged["spec"]["template"] == live["spec"]["template"]
    assert live["spec"]["selector"] == {"matchLabels": {"app": "web", "tier": "front"}}


def test_merge_replaces_atomic_items_of_a_map_list() -> None:
    """An imagePullSecret item named like a live one replaces it (LocalObjectReference)."""
    live = {"spec": {"template": {"spec": {"imagePullSecrets": [{"name": "a", "extra": 1}]}}}}
    config = {"spec": {"template": {"spec": {"imagePullSecrets": [{"name": "a"}]}}}}
    merged = merge(live, config, Deployment)
    assert merged["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "a"}]


def secret_env(**ref: Any) -> list[dict[str, Any]]:
    return [{"name": "X", "valueFrom": {"secretKeyRef": ref}}]


def run_apply(
    live: dict[str, Any] | None, applied: dict[str, Any], manager: str, *, force: bool = False
) -> dict[str, Any]:
    result, _ = apply(
        live,
        applied,
        manager=manager,
        managed_fields=(live or {}).get("metadata", {}).get("managedFields", []),
        type=Deployment,
        api_version="apps/v1",
        force=force,
        now="2025-01-01T00:00:00Z",
    )
    return result


def owned_paths(obj: dict[str, Any], manager: str) -> list[str]:
    [entry] = [e for e in obj["metadata"]["managedFields"] if e["manager"] == manager]
    return sorted(render_path(p) for p in from_fields_v1(entry["fieldsV1"]))


SECRET_KEY_REF = '.spec.template.spec.containers[name="web"].env[name="X"].valueFrom.secretKeyRef'


def test_a_second_manager_conflicts_on_the_whole_struct() -> None:
    """Adding a field the first manager never set still changes the struct it owns whole."""
    live = run_apply(None, deployment(secret_env(name="s", key="k")), "a")
    assert SECRET_KEY_REF in owned_paths(live, "a")
    other = deployment(secret_env(name="s", key="k", optional=True))
    with pytest.raises(ApplyConflict) as caught:
        run_apply(live, other, "b")
    assert [(c.manager, c.path) for c in caught.value.conflicts] == [("a", SECRET_KEY_REF)]

    forced = run_apply(live, other, "b", force=True)
    env = forced["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == secret_env(name="s", key="k", optional=True)
    assert SECRET_KEY_REF not in owned_paths(forced, "a")
    assert SECRET_KEY_REF in owned_paths(forced, "b")


def test_applying_the_same_struct_shares_it() -> None:
    """The same value from another manager is no conflict: both own the struct."""
    live = run_apply(None, deployment(secret_env(name="s", key="k")), "a")
    shared = run_apply(live, deployment(secret_env(name="s", key="k")), "b")
    assert SECRET_KEY_REF in owned_paths(shared, "a")
    assert SECRET_KEY_REF in owned_paths(shared, "b")


def test_a_struct_no_longer_applied_is_removed_whole() -> None:
    """Dropping the selector from the applied config prunes all of it."""
    live = run_apply(None, deployment(selector={"matchLabels": {"app": "web"}}), "a")
    pruned = run_apply(live, deployment(), "a")
    assert "selector" not in pruned["spec"]


def test_map_type_is_checked() -> None:
    """A field's map type is atomic or granular; anything else is a declaration error."""
    with pytest.raises(ValueError, match="map_type"):
        Field("x", 1, STRING, map_type="atomc")
