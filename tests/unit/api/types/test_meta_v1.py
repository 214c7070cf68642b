"""meta/v1 declarations: well-known protobuf numbers, patch metadata, realistic documents.

``walk`` at the top descends a JSON document along a declaration and reports every
field the declaration does not know; the Pod tests reuse it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kubeling.api import errors, field, schema
from kubeling.api.meta import v1 as meta
from kubeling.api.schema import DEFINITIONS, ListOf, MapOf, Object, Ref, Scalar, TypeSpec

_JSON_TYPES: dict[Scalar, tuple[type, ...]] = {
    schema.STRING: (str,),
    schema.INT32: (int,),
    schema.INT64: (int,),
    schema.BOOL: (bool,),
    schema.DOUBLE: (int, float),
    schema.BYTES: (str,),
    schema.TIME: (str,),
    schema.MICRO_TIME: (str,),
    schema.DURATION: (str,),
    schema.QUANTITY: (str, int, float),
    schema.INT_OR_STRING: (str, int),
}


def walk(spec: TypeSpec, value: Any, path: str, *, unresolved: frozenset[str]) -> list[str]:
    """Problems met descending ``value`` along ``spec``: undeclared fields, wrong JSON types.

    A Ref named in ``unresolved`` (declared by a module not written yet) ends the descent;
    any other Ref must resolve.
    """
    if isinstance(spec, Ref):
        if spec.name in unresolved and spec.name not in DEFINITIONS:
            return []
        spec = spec.resolve()
    if isinstance(spec, Object):
        if not isinstance(value, dict):
            return [f"{path}: not an object ({spec.name})"]
        problems: list[str] = []
        for key, item in value.items():
            declared = spec.get(key)
            if declared is None:
                problems.append(f"{path}.{key}: not declared in {spec.name}")
            else:
                problems += walk(declared.type, item, f"{path}.{key}", unresolved=unresolved)
        return problems
    if isinstance(spec, ListOf):
        if not isinstance(value, list):
            return [f"{path}: not a list"]
        return [
            problem
            for i, item in enumerate(value)
            for problem in walk(spec.item, item, f"{path}[{i}]", unresolved=unresolved)
        ]
    if isinstance(spec, MapOf):
        if not isinstance(value, dict):
            return [f"{path}: not a map"]
        return [
            problem
            for key, item in value.items()
            for problem in walk(spec.value, item, f"{path}[{key}]", unresolved=unresolved)
        ]
    allowed = _JSON_TYPES.get(spec)
    if allowed is None:  # RawExtension, FieldsV1, JSON: any JSON value
        return []
    if isinstance(value, bool) and bool not in allowed:
        return [f"{path}: {value!r} is not {spec!r}"]
    return [] if isinstance(value, allowed) else [f"{path}: {value!r} is not {spec!r}"]


def refs_in(spec: TypeSpec) -> Iterator[Ref]:
    """The Refs a field type mentions directly (through lists and maps)."""
    if isinstance(spec, Ref):
        yield spec
    elif isinstance(spec, ListOf):
        yield from refs_in(spec.item)
    elif isinstance(spec, MapOf):
        yield from refs_in(spec.value)


def objects_in(spec: TypeSpec) -> Iterator[Object]:
    """The Objects a field type holds directly (through lists and maps), Refs resolved."""
    if isinstance(spec, Ref):
        if spec.name in DEFINITIONS:
            yield spec.resolve()
    elif isinstance(spec, Object):
        yield spec
    elif isinstance(spec, ListOf):
        yield from objects_in(spec.item)
    elif isinstance(spec, MapOf):
        yield from objects_in(spec.value)


def unresolved_refs(roots: list[Object]) -> set[str]:
    """Names of every Ref reachable from ``roots`` that no module has declared."""
    seen: set[str] = set()
    missing: set[str] = set()
    todo = list(roots)
    while todo:
        obj = todo.pop()
        if obj.name in seen:
            continue
        seen.add(obj.name)
        for f in obj.fields:
            missing |= {r.name for r in refs_in(f.type) if r.name not in DEFINITIONS}
            todo += objects_in(f.type)
    return missing


META_OBJECTS = [getattr(meta, name) for name in meta.__all__]


def test_every_ref_resolves() -> None:
    """meta/v1 is self-contained: nothing it refers to is declared elsewhere."""
    assert unresolved_refs(META_OBJECTS) == set()


def test_each_declaration_is_the_registered_one() -> None:
    for obj in META_OBJECTS:
        assert isinstance(obj, Object)
        assert DEFINITIONS[obj.name] is obj
        assert obj.name == "io.k8s.apimachinery.pkg.apis.meta.v1." + obj.name.rsplit(".")[-1]


def test_kinds_lead_with_api_version_and_kind() -> None:
    """Every kind but WatchEvent (whose 1.32 schema has neither) starts with TypeMeta."""
    kinds = [obj for obj in META_OBJECTS if obj.gvk is not None]
    assert len(kinds) == 16
    for obj in kinds:
        head = [(f.json, f.proto) for f in obj.fields[:2]]
        if obj is meta.WatchEvent:
            assert head == [("type", 1), ("object", 2)]
        else:
            assert head == [("apiVersion", 0), ("kind", 0)], obj.name


@pytest.mark.parametrize(
    ("obj", "field", "number"),
    [
        (meta.ObjectMeta, "name", 1),
        (meta.ObjectMeta, "generateName", 2),
        (meta.ObjectMeta, "namespace", 3),
        (meta.ObjectMeta, "selfLink", 4),
        (meta.ObjectMeta, "uid", 5),
        (meta.ObjectMeta, "resourceVersion", 6),
        (meta.ObjectMeta, "generation", 7),
        (meta.ObjectMeta, "creationTimestamp", 8),
        (meta.ObjectMeta, "deletionTimestamp", 9),
        (meta.ObjectMeta, "deletionGracePeriodSeconds", 10),
        (meta.ObjectMeta, "labels", 11),
        (meta.ObjectMeta, "annotations", 12),
        (meta.ObjectMeta, "ownerReferences", 13),
        (meta.ObjectMeta, "finalizers", 14),
        (meta.ObjectMeta, "managedFields", 17),
        (meta.ListMeta, "continue", 3),
        (meta.ListMeta, "remainingItemCount", 4),
        (meta.OwnerReference, "kind", 1),
        (meta.OwnerReference, "name", 3),
        (meta.OwnerReference, "uid", 4),
        (meta.OwnerReference, "apiVersion", 5),
        (meta.OwnerReference, "controller", 6),
        (meta.OwnerReference, "blockOwnerDeletion", 7),
        (meta.ManagedFieldsEntry, "time", 4),
        (meta.ManagedFieldsEntry, "fieldsType", 6),
        (meta.ManagedFieldsEntry, "fieldsV1", 7),
        (meta.ManagedFieldsEntry, "subresource", 8),
        (meta.Status, "metadata", 1),
        (meta.Status, "code", 6),
        (meta.StatusDetails, "uid", 6),
        (meta.StatusDetails, "causes", 4),
        (meta.StatusDetails, "retryAfterSeconds", 5),
        (meta.StatusCause, "reason", 1),
        (meta.DeleteOptions, "gracePeriodSeconds", 1),
        (meta.DeleteOptions, "preconditions", 2),
        (meta.DeleteOptions, "propagationPolicy", 4),
        (meta.DeleteOptions, "dryRun", 5),
        (meta.ListOptions, "watch", 3),
        (meta.ListOptions, "resourceVersion", 4),
        (meta.ListOptions, "timeoutSeconds", 5),
        (meta.ListOptions, "limit", 7),
        (meta.ListOptions, "continue", 8),
        (meta.ListOptions, "allowWatchBookmarks", 9),
        (meta.ListOptions, "resourceVersionMatch", 10),
        (meta.ListOptions, "sendInitialEvents", 11),
        (meta.CreateOptions, "fieldManager", 3),
        (meta.CreateOptions, "fieldValidation", 4),
        (meta.UpdateOptions, "fieldManager", 2),
        (meta.UpdateOptions, "fieldValidation", 3),
        (meta.PatchOptions, "force", 2),
        (meta.PatchOptions, "fieldValidation", 4),
        (meta.Condition, "observedGeneration", 3),
        (meta.Condition, "lastTransitionTime", 4),
        (meta.APIResource, "singularName", 6),
        (meta.APIResource, "group", 8),
        (meta.APIResource, "storageVersionHash", 10),
        (meta.WatchEvent, "object", 2),
        (meta.TableOptions, "includeObject", 1),
    ],
)
def test_well_known_protobuf_numbers(obj: Object, field: str, number: int) -> None:
    assert obj.field(field).proto == number


def test_numbered_fields_have_protobuf_numbers() -> None:
    """Only TypeMeta, the +protobuf=false Table types and the Verbs wrapper lack a number."""
    unnumbered = {
        f"{obj.name.rsplit('.')[-1]}.{f.json}"
        for obj in META_OBJECTS
        for f in obj.fields
        if f.proto == 0 and f.json not in ("apiVersion", "kind")
    }
    table = {
        "Table.metadata",
        "Table.columnDefinitions",
        "Table.rows",
        "TableColumnDefinition.name",
        "TableColumnDefinition.type",
        "TableColumnDefinition.format",
        "TableColumnDefinition.description",
        "TableColumnDefinition.priority",
        "TableRow.cells",
        "TableRow.conditions",
        "TableRow.object",
        "TableRowCondition.type",
        "TableRowCondition.status",
        "TableRowCondition.reason",
        "TableRowCondition.message",
    }
    assert unnumbered == table | {"APIResource.verbs"}


def test_object_meta_patch_metadata() -> None:
    owners = meta.ObjectMeta.field("ownerReferences")
    assert (owners.patch_strategy, owners.patch_merge_key) == ("merge", "uid")
    assert (owners.list_type, owners.list_map_keys) == ("map", ("uid",))
    finalizers = meta.ObjectMeta.field("finalizers")
    assert (finalizers.patch_strategy, finalizers.patch_merge_key) == ("merge", None)
    assert finalizers.list_type == "set"
    assert meta.ObjectMeta.field("managedFields").list_type == "atomic"
    assert meta.ObjectMeta.field("labels").type == schema.MapOf(schema.STRING)
    assert meta.ObjectMeta.field("creationTimestamp").type is schema.TIME
    assert meta.ManagedFieldsEntry.field("fieldsV1").type is schema.FIELDS_V1
    assert set(meta.OwnerReference.required()) == {"apiVersion", "kind", "name", "uid"}


def test_kinds_and_groups() -> None:
    assert meta.Status.gvk == schema.GroupVersionKind("", "v1", "Status")
    assert meta.APIResourceList.gvk == schema.GroupVersionKind("", "v1", "APIResourceList")
    assert meta.Table.gvk == schema.GroupVersionKind("meta.k8s.io", "v1", "Table")
    partial = meta.PartialObjectMetadataList
    assert partial.gvk == schema.GroupVersionKind("meta.k8s.io", "v1", "PartialObjectMetadataList")
    assert partial.field("items").type == ListOf(meta.PartialObjectMetadata)


def test_status_from_the_errors_module_is_declared() -> None:
    """The Status documents the API server answers with fit the Status declaration."""
    invalid = errors.invalid("Pod", "web", [field.required("spec.containers")])
    documents = [
        errors.not_found("pods", "web").to_status(),
        errors.too_many_requests("slow down", 3).to_status(),
        invalid.to_status(),
    ]
    for document in documents:
        assert walk(meta.Status, document, "", unresolved=frozenset()) == []
    assert "causes" in documents[2]["details"]


OBJECT_META = {
    "name": "web-7d4b9c6f5d-x2x9k",
    "generateName": "web-7d4b9c6f5d-",
    "namespace": "default",
    "uid": "0b6c2f4e-4b1a-4c55-9e39-6d1f0b0f7a11",
    "resourceVersion": "4211",
    "generation": 1,
    "creationTimestamp": "2025-01-10T09:00:00Z",
    "deletionTimestamp": "2025-01-10T10:00:00Z",
    "deletionGracePeriodSeconds": 30,
    "labels": {"app": "web", "pod-template-hash": "7d4b9c6f5d"},
    "annotations": {"kubectl.kubernetes.io/restartedAt": "2025-01-10T08:59:00Z"},
    "ownerReferences": [
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": "web-7d4b9c6f5d",
            "uid": "a1b2c3d4-0000-4000-8000-000000000001",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ],
    "finalizers": ["example.com/cleanup"],
    "managedFields": [
        {
            "manager": "kube-controller-manager",
            "operation": "Update",
            "apiVersion": "v1",
            "time": "2025-01-10T09:00:00Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}},
            "subresource": "status",
        }
    ],
}


@pytest.mark.parametrize(
    ("obj", "document"),
    [
        (meta.ObjectMeta, OBJECT_META),
        (
            meta.PartialObjectMetadataList,
            {
                "apiVersion": "meta.k8s.io/v1",
                "kind": "PartialObjectMetadataList",
                "metadata": {
                    "resourceVersion": "4211",
                    "continue": "eyJ2Ijo",
                    "remainingItemCount": 3,
                },
                "items": [
                    {
                        "apiVersion": "meta.k8s.io/v1",
                        "kind": "PartialObjectMetadata",
                        "metadata": OBJECT_META,
                    }
                ],
            },
        ),
        (
            meta.Table,
            {
                "apiVersion": "meta.k8s.io/v1",
                "kind": "Table",
                "metadata": {"resourceVersion": "4211"},
                "columnDefinitions": [
                    {
                        "name": "Name",
                        "type": "string",
                        "format": "name",
                        "description": "Name",
                        "priority": 0,
                    },
                    {
                        "name": "Age",
                        "type": "string",
                        "format": "",
                        "description": "Age",
                        "priority": 0,
                    },
                ],
                "rows": [
                    {
                        "cells": ["web", "5m", 3, None, {"x": [1]}],
                        "conditions": [{"type": "Completed", "status": "True"}],
                        "object": {"kind": "PartialObjectMetadata", "metadata": {"name": "web"}},
                    }
                ],
            },
        ),
        (
            meta.DeleteOptions,
            {
                "apiVersion": "v1",
                "kind": "DeleteOptions",
                "gracePeriodSeconds": 0,
                "propagationPolicy": "Foreground",
                "preconditions": {"uid": "u", "resourceVersion": "7"},
                "dryRun": ["All"],
                "orphanDependents": False,
            },
        ),
        (
            meta.APIGroupList,
            {
                "kind": "APIGroupList",
                "apiVersion": "v1",
                "groups": [
                    {
                        "name": "apps",
                        "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
                        "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"},
                        "serverAddressByClientCIDRs": [
                            {"clientCIDR": "0.0.0.0/0", "serverAddress": "10.0.0.1:6443"}
                        ],
                    }
                ],
            },
        ),
        (
            meta.APIResourceList,
            {
                "kind": "APIResourceList",
                "apiVersion": "v1",
                "groupVersion": "v1",
                "resources": [
                    {
                        "name": "pods",
                        "singularName": "pod",
                        "namespaced": True,
                        "kind": "Pod",
                        "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
                        "shortNames": ["po"],
                        "categories": ["all"],
                        "storageVersionHash": "xPOwRZ+Yhw8=",
                    },
                    {
                        "name": "pods/status",
                        "singularName": "",
                        "namespaced": True,
                        "kind": "Pod",
                        "verbs": ["get"],
                    },
                ],
            },
        ),
        (
            meta.WatchEvent,
            {
                "type": "ADDED",
                "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}},
            },
        ),
        (
            meta.LabelSelector,
            {
                "matchLabels": {"app": "web"},
                "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}],
            },
        ),
    ],
)
def test_realistic_documents_are_declared(obj: Object, document: dict[str, Any]) -> None:
    assert walk(obj, document, "", unresolved=frozenset()) == []


def test_walk_reports_undeclared_fields_and_wrong_types() -> None:
    """The walker itself: it notices what it is meant to notice."""
    problems = walk(
        meta.ObjectMeta,
        {"name": 3, "labels": {"a": "b"}, "bogus": 1, "ownerReferences": [{"uid": "u", "x": 1}]},
        "metadata",
        unresolved=frozenset(),
    )
    assert problems == [
        "metadata.name: 3 is not STRING",
        "metadata.bogus: not declared in io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        "metadata.ownerReferences[0].x: not declared in "
        "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference",
    ]
