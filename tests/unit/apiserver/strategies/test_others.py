"""Strategies of the smaller groups and of CustomResourceDefinitions."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubeling.apiserver.strategies.groups import group_strategies
from kubeling.apiserver.strategies.others import (
    ClusterRoleBindingStrategy,
    CustomResourceDefinitionStrategy,
    EndpointSliceStrategy,
    HorizontalPodAutoscalerStrategy,
    IngressStrategy,
    LeaseStrategy,
    NetworkPolicyStrategy,
    PriorityClassStrategy,
    RoleBindingStrategy,
    RoleStrategy,
    StorageClassStrategy,
)

Obj = dict[str, Any]


def _messages(strategy: Any, obj: Obj, *, namespaced: bool = True) -> list[str]:
    return [str(e) for e in strategy.validate(obj, namespaced=namespaced)]


def _update_messages(strategy: Any, new: Obj, old: Obj, *, namespaced: bool = True) -> list[str]:
    return [str(e) for e in strategy.validate_update(new, old, namespaced=namespaced)]


def _crd(**spec: Any) -> Obj:
    body: Obj = {
        "group": "stable.example.com",
        "scope": "Namespaced",
        "names": {"plural": "crontabs", "kind": "CronTab", "shortNames": ["ct"]},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {"spec": {"type": "object"}},
                    }
                },
            }
        ],
    }
    body.update(spec)
    return {
        "metadata": {
            "name": "crontabs.stable.example.com",
            "creationTimestamp": "2025-01-01T00:00:00Z",
        },
        "spec": body,
    }


def _created(strategy: Any, obj: Obj) -> Obj:
    strategy.default(obj)
    strategy.prepare_for_create(obj)
    return obj


def test_crd_defaults_and_initial_status() -> None:
    """A new CRD gets its names defaulted; its status waits for the controllers."""
    obj = _created(CustomResourceDefinitionStrategy(), _crd())
    names = obj["spec"]["names"]
    assert (names["singular"], names["listKind"]) == ("crontab", "CronTabList")
    assert obj["spec"]["conversion"] == {"strategy": "None"}
    assert obj["status"] == {
        "acceptedNames": {"plural": "", "kind": ""},
        "storedVersions": ["v1"],
    }
    assert _messages(CustomResourceDefinitionStrategy(), obj, namespaced=False) == []


def _established(obj: Obj) -> Obj:
    obj["status"]["conditions"] = [
        {"type": "Established", "status": "True", "reason": "InitialNamesAccepted"}
    ]
    return obj


def test_crd_first_delete_adds_cleanup_finalizer_and_terminating() -> None:
    """Deleting a CRD holds it with the cleanup finalizer and Terminating=True."""
    strategy = CustomResourceDefinitionStrategy()
    obj = _established(_created(strategy, _crd()))
    assert strategy.finalizers_pending(obj)  # the first delete never removes it
    obj["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    strategy.prepare_for_deletion(obj)
    assert obj["metadata"]["finalizers"] == ["customresourcecleanup.apiextensions.k8s.io"]
    assert obj["status"]["conditions"][-1] == {
        "type": "Terminating",
        "status": "True",
        "lastTransitionTime": "2024-01-01T00:00:00Z",
        "reason": "InstanceDeletionPending",
        "message": "CustomResourceDefinition marked for deletion; CustomResource deletion "
        "will begin soon",
    }
    strategy.prepare_for_deletion(obj)  # a second delete adds nothing
    assert obj["metadata"]["finalizers"] == ["customresourcecleanup.apiextensions.k8s.io"]
    assert [c["type"] for c in obj["status"]["conditions"]] == ["Established", "Terminating"]
    assert strategy.finalizers_pending(obj)
    obj["metadata"]["finalizers"] = []
    assert not strategy.finalizers_pending(obj)


def _scaled(scale: Obj) -> Obj:
    return {
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"scale": scale},
                "schema": {"openAPIV3Schema": {"type": "object"}},
            }
        ]
    }


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"group": "example"},
            'spec.group: Invalid value: "example": should be a domain with at least one dot',
        ),
        (
            {"scope": "Global"},
            'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
        ),
        (
            {"versions": [{"name": "v1", "served": True, "storage": True}]},
            "spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required",
        ),
        (
            {
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": False,
                        "schema": {"openAPIV3Schema": {"type": "object"}},
                    }
                ]
            },
            "must have exactly one version marked as storage version",
        ),
        (
            {
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "schema": {"openAPIV3Schema": {"properties": {"spec": {}}}},
                    }
                ]
            },
            "spec.versions[0].schema.openAPIV3Schema.type: Required value: must not be empty at "
            "the root",
        ),
        (
            {
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "schema": {
                            "openAPIV3Schema": {"type": "object", "properties": {"spec": {}}}
                        },
                    }
                ]
            },
            "spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must "
            "not be empty for specified object fields",
        ),
        (
            _scaled({"statusReplicasPath": ".status.replicas"}),
            "spec.versions[0].subresources.scale.specReplicasPath: Required value",
        ),
        (
            _scaled({"specReplicasPath": "spec.replicas", "statusReplicasPath": ".status.r"}),
            'spec.versions[0].subresources.scale.specReplicasPath: Invalid value: "spec.replicas"'
            ": must be a simple json path starting with .",
        ),
        (
            _scaled({"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".spec.r"}),
            'spec.versions[0].subresources.scale.statusReplicasPath: Invalid value: ".spec.r": '
            "should be a json path under .status",
        ),
        (
            _scaled(
                {
                    "specReplicasPath": ".spec.replicas",
                    "statusReplicasPath": ".status.replicas",
                    "labelSelectorPath": ".metadata.labels",
                }
            ),
            "spec.versions[0].subresources.scale.labelSelectorPath: Invalid value: "
            '".metadata.labels": should be a json path under either .spec or .status',
        ),
        (
            {"names": {"plural": "CronTabs", "kind": "CronTab"}},
            'metadata.name: Invalid value: "crontabs.stable.example.com": must be '
            'spec.names.plural+"."+spec.group',
        ),
    ],
)
def test_crd_validation_messages(change: Obj, expected: str) -> None:
    """Invalid CRDs get the apiextensions server's messages."""
    obj = _created(CustomResourceDefinitionStrategy(), _crd(**change))
    messages = _messages(CustomResourceDefinitionStrategy(), obj, namespaced=False)
    assert any(expected in m for m in messages), messages


def test_crd_update_rules() -> None:
    """Group and plural never change; kind and scope are fixed once established."""
    strategy = CustomResourceDefinitionStrategy()
    old = _established(_created(strategy, _crd()))
    new = copy.deepcopy(old)
    new["spec"]["scope"] = "Cluster"
    new["spec"]["names"]["kind"] = "Tab"
    new["spec"]["names"]["listKind"] = "TabList"
    assert _update_messages(strategy, new, old, namespaced=False) == [
        'spec.scope: Invalid value: "Cluster": field is immutable',
        'spec.names.kind: Invalid value: "Tab": field is immutable',
    ]


def test_crd_update_records_new_storage_version() -> None:
    """Moving storage to a new version appends it to storedVersions and bumps generation."""
    strategy = CustomResourceDefinitionStrategy()
    old = _created(strategy, _crd())
    new = copy.deepcopy(old)
    schema = new["spec"]["versions"][0]["schema"]
    new["spec"]["versions"][0]["storage"] = False
    new["spec"]["versions"].append(
        {"name": "v2", "served": True, "storage": True, "schema": schema}
    )
    strategy.prepare_for_update(new, old)
    assert new["status"]["storedVersions"] == ["v1", "v2"]
    assert new["metadata"]["generation"] == 2


def _binding(kind: str = "ClusterRole") -> Obj:
    return {
        "metadata": {"name": "b", "namespace": "default"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": "view"},
        "subjects": [{"kind": "ServiceAccount", "name": "default"}],
    }


def test_role_binding_role_ref_is_immutable() -> None:
    """Changing roleRef is rejected with the Go rendering of the new ref."""
    old = _binding()
    new = copy.deepcopy(old)
    new["roleRef"]["name"] = "edit"
    assert _update_messages(RoleBindingStrategy(), new, old) == [
        'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", '
        'Kind:"ClusterRole", Name:"edit"}: cannot change roleRef'
    ]


def test_binding_subjects_and_kinds() -> None:
    """ClusterRoleBindings bind ClusterRoles and need service account namespaces."""
    obj = _binding(kind="Role")
    obj["metadata"].pop("namespace")
    assert _messages(ClusterRoleBindingStrategy(), obj, namespaced=False) == [
        'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
        "subjects[0].namespace: Required value",
    ]


def test_role_rules_need_verbs() -> None:
    """A rule without verbs, groups or resources is rejected."""
    obj = {"metadata": {"name": "r", "namespace": "d"}, "rules": [{}]}
    assert _messages(RoleStrategy(), obj) == [
        "rules[0].verbs: Required value: verbs must contain at least one value",
        "rules[0].apiGroups: Required value: resource rules must supply at least one api group",
        "rules[0].resources: Required value: resource rules must supply at least one resource",
    ]


def test_storage_class_defaults_and_immutability() -> None:
    """StorageClasses default their policies and keep parameters fixed."""
    strategy = StorageClassStrategy()
    obj: Obj = {"metadata": {"name": "fast"}, "provisioner": "example.com/disk"}
    strategy.default(obj)
    assert (obj["reclaimPolicy"], obj["volumeBindingMode"]) == ("Delete", "Immediate")
    assert _messages(strategy, obj, namespaced=False) == []
    new = dict(obj, parameters={"type": "ssd"})
    assert _update_messages(strategy, new, obj, namespaced=False) == [
        "parameters: Forbidden: updates to parameters are forbidden."
    ]
    assert _messages(
        strategy,
        {"metadata": {"name": "x"}, "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate"},
        namespaced=False,
    ) == ["provisioner: Required value"]


def test_hpa_defaults() -> None:
    """An autoscaling/v2 HPA gets minReplicas 1 and the CPU 80% metric."""
    strategy = HorizontalPodAutoscalerStrategy()
    obj: Obj = {
        "metadata": {"name": "web", "namespace": "d"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "maxReplicas": 5,
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}},
        },
    }
    _created(strategy, obj)
    spec = obj["spec"]
    assert spec["minReplicas"] == 1
    assert spec["metrics"] == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 80},
            },
        }
    ]
    assert spec["behavior"]["scaleDown"] == {
        "stabilizationWindowSeconds": 60,
        "selectPolicy": "Max",
        "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
    }
    assert spec["behavior"]["scaleUp"]["policies"][0] == {
        "type": "Pods",
        "value": 4,
        "periodSeconds": 15,
    }
    assert _messages(strategy, obj) == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            {"path": "/", "backend": {"service": {"name": "web", "port": {"number": 80}}}},
            "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified",
        ),
        (
            {
                "path": "foo",
                "pathType": "Prefix",
                "backend": {"service": {"name": "web", "port": {"number": 80}}},
            },
            'spec.rules[0].http.paths[0].path: Invalid value: "foo": must be an absolute path',
        ),
        (
            {
                "path": "/",
                "pathType": "Any",
                "backend": {"service": {"name": "web", "port": {"number": 80}}},
            },
            'spec.rules[0].http.paths[0].pathType: Unsupported value: "Any": supported values: '
            '"Exact", "ImplementationSpecific", "Prefix"',
        ),
        (
            {
                "path": "/",
                "pathType": "Prefix",
                "backend": {"service": {"name": "web", "port": {}}},
            },
            "spec.rules[0].http.paths[0].backend: Required value: port name or number is required",
        ),
    ],
)
def test_ingress_path_rules(path: Obj, expected: str) -> None:
    """Ingress paths need a known pathType, absolute paths and one port."""
    obj = {
        "metadata": {"name": "i", "namespace": "d"},
        "spec": {"rules": [{"host": "*.example.com", "http": {"paths": [path]}}]},
    }
    assert _messages(IngressStrategy(), obj) == [expected]


def test_ingress_wildcard_host() -> None:
    """A wildcard host must be one leading ``*.`` label."""
    obj = {"metadata": {"name": "i", "namespace": "d"}, "spec": {"rules": [{"host": "a.*.com"}]}}
    assert _messages(IngressStrategy(), obj)[0].startswith(
        'spec.rules[0].host: Invalid value: "a.*.com": a wildcard DNS-1123 subdomain must start'
    )


def test_network_policy_types_default() -> None:
    """policyTypes follow the rules present."""
    strategy = NetworkPolicyStrategy()
    obj: Obj = {"metadata": {"name": "n", "namespace": "d"}, "spec": {"egress": [{}]}}
    strategy.default(obj)
    assert obj["spec"] == {"egress": [{}], "podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_small_rules() -> None:
    """Lease, EndpointSlice and PriorityClass rules give upstream's messages."""
    lease = {"metadata": {"name": "l", "namespace": "d"}, "spec": {"leaseDurationSeconds": 0}}
    assert _messages(LeaseStrategy(), lease) == [
        "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"
    ]
    old = {"metadata": {"name": "s", "namespace": "d"}, "addressType": "IPv4"}
    assert _update_messages(EndpointSliceStrategy(), dict(old, addressType="IPv6"), old) == [
        'addressType: Invalid value: "IPv6": field is immutable'
    ]
    assert _messages(EndpointSliceStrategy(), {"metadata": {"name": "s", "namespace": "d"}}) == [
        "addressType: Required value"
    ]
    pc = {"metadata": {"name": "high"}, "value": 2_000_000_000}
    assert _messages(PriorityClassStrategy(), pc, namespaced=False) == [
        "value: Forbidden: maximum allowed value of a user defined priority is 1000000000"
    ]
    assert _update_messages(PriorityClassStrategy(), dict(pc, value=5), pc, namespaced=False) == [
        "value: Forbidden: may not be changed in an update."
    ]


def test_group_strategies_cover_the_priority_resources() -> None:
    """The table names each resource by (group, plural)."""
    table = group_strategies()
    for key in [
        ("apps", "deployments"),
        ("apps", "statefulsets"),
        ("batch", "jobs"),
        ("batch", "cronjobs"),
        ("apiextensions.k8s.io", "customresourcedefinitions"),
        ("rbac.authorization.k8s.io", "rolebindings"),
    ]:
        assert key in table
