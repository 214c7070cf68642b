"""Realistic manifests of the non-core groups are fully declared.

A small walker descends each manifest along the declarations and reports any
field that is not declared, any value of the wrong JSON shape and any
required field that is missing. It stops at references that do not resolve
yet (meta/v1 and core/v1 are declared elsewhere) and accepts anything where a
field holds arbitrary JSON. The apiextensions JSON unions (``items``,
``additionalProperties``, ``additionalItems``, ``dependencies``) are walked by
their JSON form: a schema, an array of schemas, a bool or a list of names.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from kubeling.api.apiextensions import v1 as apiextensions
from kubeling.api.schema import (
    DEFINITIONS,
    STRING,
    ListOf,
    MapOf,
    Object,
    Ref,
    Scalar,
    ScalarKind,
    TypeSpec,
)

# The kinds walked here register themselves when their modules are imported.
for _module in (
    "admissionregistration",
    "authentication",
    "authorization",
    "coordination",
    "discovery",
    "events",
    "networking",
    "rbac",
    "scheduling",
    "storage",
):
    importlib.import_module(f"kubeling.api.{_module}.v1")

_ANY = {ScalarKind.JSON, ScalarKind.RAW_EXTENSION, ScalarKind.FIELDS_V1}
_STRINGS = {
    ScalarKind.STRING,
    ScalarKind.BYTES,
    ScalarKind.TIME,
    ScalarKind.MICRO_TIME,
    ScalarKind.DURATION,
}


def _scalar_ok(kind: ScalarKind, value: Any) -> bool:
    if kind in _ANY:
        return True
    if kind in _STRINGS:
        return isinstance(value, str)
    if kind is ScalarKind.BOOL:
        return isinstance(value, bool)
    if kind in (ScalarKind.INT32, ScalarKind.INT64):
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is ScalarKind.DOUBLE:
        return isinstance(value, int | float) and not isinstance(value, bool)
    # QUANTITY and INT_OR_STRING
    return isinstance(value, int | float | str) and not isinstance(value, bool)


def undeclared(spec: TypeSpec, value: Any, path: str = "") -> list[str]:
    """Problems found walking ``value`` along ``spec``; empty if it is fully declared."""
    if value is None:
        return []
    if isinstance(spec, Ref):
        if spec.name not in DEFINITIONS:
            return []  # declared by a module that does not exist yet
        spec = DEFINITIONS[spec.name]
    if isinstance(spec, Scalar):
        ok = _scalar_ok(spec.kind, value)
        return [] if ok else [f"{path}: {value!r} is not {spec.kind.value}"]
    if isinstance(spec, ListOf):
        if not isinstance(value, list):
            return [f"{path}: not a list"]
        return [p for i, v in enumerate(value) for p in undeclared(spec.item, v, f"{path}[{i}]")]
    if isinstance(spec, MapOf):
        if not isinstance(value, dict):
            return [f"{path}: not a map"]
        return [p for k, v in value.items() for p in undeclared(spec.value, v, f"{path}[{k}]")]
    if spec.name in apiextensions.JSON_UNION_WRAPPERS:
        return _union(spec, value, path)
    if not isinstance(value, dict):
        return [f"{path}: not an object ({spec.name})"]
    problems = [f"{path}.{name}: required" for name in spec.required() if name not in value]
    for key, v in value.items():
        f = spec.get(key)
        if f is None:
            if not spec.preserve_unknown:
                problems.append(f"{path}.{key}: undeclared in {spec.name}")
            continue
        problems += undeclared(f.type, v, f"{path}.{key}")
    return problems


def _union(wrapper: Object, value: Any, path: str) -> list[str]:
    schema = apiextensions.JSONSchemaProps
    if isinstance(value, dict):
        return undeclared(schema, value, path)
    if wrapper is apiextensions.JSONSchemaPropsOrBool and isinstance(value, bool):
        return []
    if wrapper is apiextensions.JSONSchemaPropsOrArray and isinstance(value, list):
        return undeclared(ListOf(schema), value, path)
    if wrapper is apiextensions.JSONSchemaPropsOrStringArray and isinstance(value, list):
        return undeclared(ListOf(STRING), value, path)
    return [f"{path}: {value!r} fits no form of {wrapper.name}"]


def _kind_of(manifest: dict[str, Any]) -> Object:
    group_version, kind = manifest["apiVersion"], manifest["kind"]
    for obj in list(DEFINITIONS.values()):
        if obj.gvk is not None and (obj.gvk.api_version, obj.gvk.kind) == (group_version, kind):
            return obj
    raise LookupError(f"no kind {group_version} {kind}")


CLUSTER_ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRole",
    "metadata": {"name": "monitoring", "labels": {"team": "observability"}},
    "aggregationRule": {
        "clusterRoleSelectors": [
            {"matchLabels": {"rbac.example.com/aggregate-to-monitoring": "true"}},
            {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["metrics"]}]},
        ]
    },
    "rules": [
        {
            "apiGroups": ["", "apps"],
            "resources": ["pods", "deployments", "deployments/scale"],
            "resourceNames": ["web"],
            "verbs": ["get", "list", "watch"],
        },
        {"nonResourceURLs": ["/metrics", "/healthz/*"], "verbs": ["get"]},
    ],
}

ROLE_BINDING = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "RoleBinding",
    "metadata": {"name": "read-pods", "namespace": "dev"},
    "subjects": [
        {"kind": "User", "name": "jane", "apiGroup": "rbac.authorization.k8s.io"},
        {"kind": "ServiceAccount", "name": "builder", "namespace": "ci"},
        {"kind": "Group", "name": "system:authenticated", "apiGroup": "rbac.authorization.k8s.io"},
    ],
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
}

INGRESS = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "Ingress",
    "metadata": {
        "name": "shop",
        "namespace": "web",
        "annotations": {"nginx.ingress.kubernetes.io/rewrite-target": "/"},
    },
    "spec": {
        "ingressClassName": "nginx",
        "defaultBackend": {"service": {"name": "fallback", "port": {"number": 80}}},
        "tls": [
            {"hosts": ["shop.example.com", "api.example.com"], "secretName": "shop-tls"},
        ],
        "rules": [
            {
                "host": "shop.example.com",
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "front", "port": {"name": "http"}}},
                        },
                        {
                            "path": "/static",
                            "pathType": "ImplementationSpecific",
                            "backend": {
                                "resource": {
                                    "apiGroup": "k8s.example.com",
                                    "kind": "StorageBucket",
                                    "name": "static-assets",
                                }
                            },
                        },
                    ]
                },
            },
            {
                "host": "api.example.com",
                "http": {
                    "paths": [
                        {
                            "path": "/v1",
                            "pathType": "Exact",
                            "backend": {"service": {"name": "api", "port": {"number": 8080}}},
                        }
                    ]
                },
            },
        ],
    },
    "status": {
        "loadBalancer": {
            "ingress": [
                {"ip": "203.0.113.7", "ports": [{"port": 443, "protocol": "TCP"}]},
                {"hostname": "lb.example.net"},
            ]
        }
    },
}

NETWORK_POLICY = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "db", "namespace": "prod"},
    "spec": {
        "podSelector": {"matchLabels": {"role": "db"}},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [
            {
                "from": [
                    {"ipBlock": {"cidr": "172.17.0.0/16", "except": ["172.17.1.0/24"]}},
                    {"namespaceSelector": {"matchLabels": {"project": "shop"}}},
                    {
                        "namespaceSelector": {"matchLabels": {"env": "prod"}},
                        "podSelector": {"matchLabels": {"role": "frontend"}},
                    },
                ],
                "ports": [{"protocol": "TCP", "port": 6379}, {"port": "metrics"}],
            }
        ],
        "egress": [
            {
                "to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}],
                "ports": [{"protocol": "TCP", "port": 32000, "endPort": 32768}],
            }
        ],
    },
}

_WIDGET_SPEC_SCHEMA = {
    "type": "object",
    "required": ["replicas"],
    "x-kubernetes-validations": [
        {
            "rule": "self.minReplicas <= self.replicas",
            "message": "replicas must not be below minReplicas",
            "reason": "FieldValueInvalid",
            "fieldPath": ".replicas",
        },
        {"rule": "oldSelf.hasValue() || self.size != 'huge'", "optionalOldSelf": True},
    ],
    "properties": {
        "replicas": {"type": "integer", "format": "int32", "minimum": 0, "default": 1},
        "minReplicas": {"type": "integer", "minimum": 0, "exclusiveMinimum": False},
        "size": {"type": "string", "enum": ["small", "large", "huge"], "default": "small"},
        "port": {
            "x-kubernetes-int-or-string": True,
            "anyOf": [{"type": "integer"}, {"type": "string"}],
        },
        "selector": {"type": "string"},
        "template": {
            "type": "object",
            "x-kubernetes-embedded-resource": True,
            "x-kubernetes-preserve-unknown-fields": True,
        },
        "labels": {
            "type": "object",
            "additionalProperties": {"type": "string", "maxLength": 63},
            "x-kubernetes-map-type": "granular",
        },
        "ports": {
            "type": "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            "maxItems": 16,
            "items": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "pattern": "^[a-z]+$"},
                    "number": {"type": "integer", "maximum": 65535, "nullable": True},
                },
            },
        },
        "tags": {
            "type": "array",
            "x-kubernetes-list-type": "set",
            "uniqueItems": True,
            "items": {"type": "string"},
            "example": ["blue", "green"],
        },
        "raw": {"description": "Anything at all.", "x-kubernetes-preserve-unknown-fields": True},
    },
}

CUSTOM_RESOURCE_DEFINITION = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {
            "plural": "widgets",
            "singular": "widget",
            "kind": "Widget",
            "listKind": "WidgetList",
            "shortNames": ["wd"],
            "categories": ["all"],
        },
        "conversion": {"strategy": "None"},
        "versions": [
            {
                "name": "v1beta1",
                "served": True,
                "storage": False,
                "deprecated": True,
                "deprecationWarning": "example.com/v1beta1 Widget is deprecated; use v1",
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "x-kubernetes-preserve-unknown-fields": True,
                    }
                },
            },
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "description": "A Widget.",
                        "type": "object",
                        "properties": {
                            "apiVersion": {"type": "string"},
                            "kind": {"type": "string"},
                            "metadata": {"type": "object"},
                            "spec": _WIDGET_SPEC_SCHEMA,
                            "status": {
                                "type": "object",
                                "properties": {
                                    "replicas": {"type": "integer"},
                                    "selector": {"type": "string"},
                                    "conditions": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "type": {"type": "string"},
                                                "status": {
                                                    "type": "string",
                                                    "enum": ["True", "False", "Unknown"],
                                                },
                                                "lastTransitionTime": {
                                                    "type": "string",
                                                    "format": "date-time",
                                                },
                                            },
                                        },
                                    },
                                },
                            },
                        },
                    }
                },
                "subresources": {
                    "status": {},
                    "scale": {
                        "specReplicasPath": ".spec.replicas",
                        "statusReplicasPath": ".status.replicas",
                        "labelSelectorPath": ".status.selector",
                    },
                },
                "additionalPrinterColumns": [
                    {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
                    {
                        "name": "Size",
                        "type": "string",
                        "jsonPath": ".spec.size",
                        "description": "How big the widget is.",
                        "priority": 1,
                    },
                    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                ],
                "selectableFields": [{"jsonPath": ".spec.size"}],
            },
        ],
    },
    "status": {
        "conditions": [
            {
                "type": "Established",
                "status": "True",
                "lastTransitionTime": "2025-01-02T03:04:05Z",
                "reason": "InitialNamesAccepted",
                "message": "the initial names have been accepted",
            }
        ],
        "acceptedNames": {"plural": "widgets", "kind": "Widget", "listKind": "WidgetList"},
        "storedVersions": ["v1"],
    },
}

LEASE = {
    "apiVersion": "coordination.k8s.io/v1",
    "kind": "Lease",
    "metadata": {"name": "kube-scheduler", "namespace": "kube-system"},
    "spec": {
        "holderIdentity": "node-1_5f1c0a3e",
        "leaseDurationSeconds": 15,
        "acquireTime": "2025-01-02T03:04:05.123456Z",
        "renewTime": "2025-01-02T03:10:00.654321Z",
        "leaseTransitions": 3,
    },
}

ENDPOINT_SLICE = {
    "apiVersion": "discovery.k8s.io/v1",
    "kind": "EndpointSlice",
    "metadata": {
        "name": "web-abc12",
        "namespace": "default",
        "labels": {"kubernetes.io/service-name": "web"},
    },
    "addressType": "IPv4",
    "endpoints": [
        {
            "addresses": ["10.1.2.3"],
            "conditions": {"ready": True, "serving": True, "terminating": False},
            "hostname": "web-0",
            "nodeName": "node-1",
            "zone": "zone-a",
            "targetRef": {"kind": "Pod", "namespace": "default", "name": "web-0", "uid": "1"},
            "hints": {"forZones": [{"name": "zone-a"}]},
        },
        {"addresses": ["10.1.2.4"], "conditions": {"ready": False}},
    ],
    "ports": [{"name": "http", "protocol": "TCP", "port": 8080, "appProtocol": "http"}],
}

SELF_SUBJECT_ACCESS_REVIEW = {
    "apiVersion": "authorization.k8s.io/v1",
    "kind": "SelfSubjectAccessReview",
    "metadata": {"creationTimestamp": None},
    "spec": {
        "resourceAttributes": {
            "namespace": "dev",
            "verb": "list",
            "group": "apps",
            "version": "v1",
            "resource": "deployments",
            "subresource": "",
            "name": "",
            "fieldSelector": {
                "requirements": [{"key": "spec.nodeName", "operator": "In", "values": ["n1"]}]
            },
            "labelSelector": {"rawSelector": "app=web"},
        }
    },
    "status": {"allowed": True, "reason": 'RBAC: allowed by RoleBinding "dev/edit"'},
}

TOKEN_REQUEST = {
    "apiVersion": "authentication.k8s.io/v1",
    "kind": "TokenRequest",
    "metadata": {"name": "builder", "namespace": "ci"},
    "spec": {
        "audiences": ["https://kubernetes.default.svc"],
        "expirationSeconds": 3600,
        "boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "build-7", "uid": "a-b"},
    },
    "status": {
        "token": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
        "expirationTimestamp": "2025-01-02T04:04:05Z",
    },
}

STORAGE_CLASS = {
    "apiVersion": "storage.k8s.io/v1",
    "kind": "StorageClass",
    "metadata": {
        "name": "fast",
        "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
    },
    "provisioner": "ebs.csi.aws.com",
    "parameters": {"type": "gp3"},
    "reclaimPolicy": "Retain",
    "allowVolumeExpansion": True,
    "mountOptions": ["debug"],
    "volumeBindingMode": "WaitForFirstConsumer",
    "allowedTopologies": [
        {"matchLabelExpressions": [{"key": "topology.kubernetes.io/zone", "values": ["a"]}]}
    ],
}

EVENT = {
    "apiVersion": "events.k8s.io/v1",
    "kind": "Event",
    "metadata": {"name": "web-0.17a", "namespace": "default"},
    "eventTime": "2025-01-02T03:04:05.000001Z",
    "series": {"count": 2, "lastObservedTime": "2025-01-02T03:05:05.000001Z"},
    "reportingController": "kubernetes.io/kubelet",
    "reportingInstance": "kubelet-node-1",
    "action": "Pulling",
    "reason": "Pulling",
    "regarding": {"kind": "Pod", "namespace": "default", "name": "web-0"},
    "note": "Pulling image nginx",
    "type": "Normal",
}

VALIDATING_ADMISSION_POLICY = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "ValidatingAdmissionPolicy",
    "metadata": {"name": "replica-limit"},
    "spec": {
        "failurePolicy": "Fail",
        "paramKind": {"apiVersion": "example.com/v1", "kind": "ReplicaLimit"},
        "matchConstraints": {
            "resourceRules": [
                {
                    "apiGroups": ["apps"],
                    "apiVersions": ["v1"],
                    "operations": ["CREATE", "UPDATE"],
                    "resources": ["deployments"],
                    "resourceNames": [],
                    "scope": "Namespaced",
                }
            ],
            "matchPolicy": "Equivalent",
        },
        "matchConditions": [
            {"name": "not-system", "expression": "!request.userInfo.username.startsWith('system:')"}
        ],
        "variables": [{"name": "replicas", "expression": "object.spec.replicas"}],
        "validations": [
            {
                "expression": "variables.replicas <= params.maxReplicas",
                "messageExpression": "'too many replicas: ' + string(variables.replicas)",
                "reason": "Invalid",
            }
        ],
        "auditAnnotations": [{"key": "replicas", "valueExpression": "string(variables.replicas)"}],
    },
    "status": {
        "observedGeneration": 1,
        "typeChecking": {
            "expressionWarnings": [{"fieldRef": "spec.validations[0]", "warning": "w"}]
        },
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "lastTransitionTime": "2025-01-02T03:04:05Z",
                "reason": "Ready",
                "message": "",
            }
        ],
    },
}

MUTATING_WEBHOOK_CONFIGURATION = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "MutatingWebhookConfiguration",
    "metadata": {"name": "sidecar-injector"},
    "webhooks": [
        {
            "name": "inject.example.com",
            "admissionReviewVersions": ["v1"],
            "sideEffects": "None",
            "failurePolicy": "Ignore",
            "reinvocationPolicy": "IfNeeded",
            "timeoutSeconds": 5,
            "clientConfig": {
                "service": {
                    "namespace": "mesh",
                    "name": "injector",
                    "path": "/inject",
                    "port": 8443,
                },
                "caBundle": "LS0tLS1CRUdJTi0tLS0t",
            },
            "rules": [
                {
                    "operations": ["CREATE"],
                    "apiGroups": [""],
                    "apiVersions": ["v1"],
                    "resources": ["pods"],
                    "scope": "*",
                }
            ],
            "namespaceSelector": {"matchLabels": {"mesh": "enabled"}},
            "objectSelector": {},
            "matchConditions": [
                {"name": "no-host-network", "expression": "!object.spec.hostNetwork"}
            ],
        }
    ],
}

MANIFESTS: dict[str, dict[str, Any]] = {
    "ClusterRole": CLUSTER_ROLE,
    "RoleBinding": ROLE_BINDING,
    "Ingress": INGRESS,
    "NetworkPolicy": NETWORK_POLICY,
    "CustomResourceDefinition": CUSTOM_RESOURCE_DEFINITION,
    "Lease": LEASE,
    "EndpointSlice": ENDPOINT_SLICE,
    "SelfSubjectAccessReview": SELF_SUBJECT_ACCESS_REVIEW,
    "TokenRequest": TOKEN_REQUEST,
    "StorageClass": STORAGE_CLASS,
    "Event": EVENT,
    "ValidatingAdmissionPolicy": VALIDATING_ADMISSION_POLICY,
    "MutatingWebhookConfiguration": MUTATING_WEBHOOK_CONFIGURATION,
}


@pytest.mark.parametrize("kind", sorted(MANIFESTS))
def test_manifest_is_fully_declared(kind: str) -> None:
    """Every field of a realistic manifest is declared, well-shaped and complete."""
    manifest = MANIFESTS[kind]
    assert undeclared(_kind_of(manifest), manifest) == []


def test_walker_reports_undeclared_fields() -> None:
    """The walker itself catches a misspelled field deep inside a manifest."""
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "rules": [{"verbs": ["get"], "resource": ["pods"]}],
    }
    assert undeclared(_kind_of(role), role) == [
        ".rules[0].resource: undeclared in io.k8s.api.rbac.v1.PolicyRule"
    ]


def test_walker_reports_missing_required_and_bad_shapes() -> None:
    """Missing required fields and wrongly shaped values are reported."""
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding"}
    assert undeclared(_kind_of(binding), binding) == [".roleRef: required"]
    lease = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "spec": {"leaseTransitions": "3"},
    }
    assert undeclared(_kind_of(lease), lease) == [".spec.leaseTransitions: '3' is not int32"]


def test_walker_checks_schema_unions() -> None:
    """additionalProperties takes a bool or a schema, and nothing else."""
    schema = apiextensions.JSONSchemaProps
    assert undeclared(schema, {"additionalProperties": True}) == []
    assert undeclared(schema, {"items": [{"type": "string"}, {"typo": 1}]}) == [
        ".items[1].typo: undeclared in " + schema.name
    ]
    assert undeclared(schema, {"additionalProperties": "yes"}) == [
        ".additionalProperties: 'yes' fits no form of " + apiextensions.JSONSchemaPropsOrBool.name
    ]
    assert undeclared(schema, {"dependencies": {"a": ["b"], "c": {"required": ["d"]}}}) == []
