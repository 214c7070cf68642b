"""Field sets: computing them from typed objects, FieldsV1 and rendering."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from kubeling.api.apps.v1 import Deployment
from kubeling.api.managedfields.fieldpath import (
    FieldSet,
    from_fields_v1,
    from_object,
    merge,
    render_path,
    to_fields_v1,
)

# Declares the types Deployment refers to by name (pod, and meta/v1 through it).
importlib.import_module("kubeling.api.core.v1.pod")

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "replicas": 2,
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "web",
                        "image": "nginx",
                        "args": ["-g", "daemon off;"],
                        "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        "resources": {},
                    }
                ]
            }
        },
    },
}

WEB = 'k:{"name":"web"}'
PORT = 'k:{"containerPort":80,"protocol":"TCP"}'

DEPLOYMENT_FIELDS_V1: dict[str, Any] = {
    "f:apiVersion": {},
    "f:kind": {},
    "f:metadata": {"f:labels": {"f:app": {}}, "f:name": {}},
    "f:spec": {
        "f:replicas": {},
        "f:template": {
            "f:spec": {
                "f:containers": {
                    WEB: {
                        ".": {},
                        "f:args": {},
                        "f:image": {},
                        "f:name": {},
                        "f:ports": {PORT: {".": {}, "f:containerPort": {}, "f:protocol": {}}},
                        "f:resources": {},
                    }
                }
            }
        },
    },
}


def test_deployment_fields_v1() -> None:
    """Containers are keyed by name, ports by containerPort and protocol, args are atomic."""
    assert to_fields_v1(from_object(DEPLOYMENT, Deployment)) == DEPLOYMENT_FIELDS_V1


def test_fields_v1_round_trip() -> None:
    """FieldsV1 decodes back to the same set and encodes to the same JSON."""
    fs = from_object(DEPLOYMENT, Deployment)
    assert from_fields_v1(to_fields_v1(fs)) == fs
    assert to_fields_v1(from_fields_v1(DEPLOYMENT_FIELDS_V1)) == DEPLOYMENT_FIELDS_V1


def test_fields_v1_keys_are_canonicalized() -> None:
    """Keys written with spaces or unsorted fields name the same item."""
    loose: dict[str, Any] = {"f:ports": {'k:{"protocol": "TCP", "containerPort": 80}': {}}}
    assert from_fields_v1(loose) == FieldSet.of([("f:ports", PORT)])


@pytest.mark.parametrize(
    "bad",
    [{".": {}}, {"x:y": {}}, {"f:a": []}, {'k:["a"]': {}}, {"i:x": {}}],
)
def test_malformed_fields_v1(bad: dict[str, Any]) -> None:
    """Malformed FieldsV1 raises ValueError."""
    with pytest.raises(ValueError, match="FieldsV1"):
        from_fields_v1(bad)


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("f:spec", "f:replicas"), ".spec.replicas"),
        (
            ("f:spec", "f:template", "f:spec", "f:containers", WEB, "f:image"),
            '.spec.template.spec.containers[name="web"].image',
        ),
        (("f:ports", PORT), '.ports[containerPort=80,protocol="TCP"]'),
        (("f:finalizers", 'v:"a"'), '.finalizers[="a"]'),
        (("f:items", "i:3"), ".items[3]"),
    ],
)
def test_render_path(path: tuple[str, ...], text: str) -> None:
    """Paths render as Kubernetes prints them in conflicts."""
    assert render_path(path) == text


def test_set_operations() -> None:
    """Union, difference and intersection work on members."""
    a = FieldSet.of([("f:a",), ("f:b",)])
    b = FieldSet.of([("f:b",), ("f:c",)])
    assert a.union(b) == FieldSet.of([("f:a",), ("f:b",), ("f:c",)])
    assert a.difference(b) == FieldSet.of([("f:a",)])
    assert a.intersection(b) == FieldSet.of([("f:b",)])


def test_schemaless_subtree() -> None:
    """Without a type, objects are walked by key and lists are atomic."""
    fs = from_object({"a": {"b": [1, 2], "c": {}}}, None)
    assert to_fields_v1(fs) == {"f:a": {".": {}, "f:b": {}, "f:c": {}}}


def test_merge_by_key() -> None:
    """Map-type lists merge by key, atomic lists are replaced."""
    config = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "web", "args": ["x"]},
                        {"name": "side", "image": "busybox"},
                    ]
                }
            }
        }
    }
    merged = merge(DEPLOYMENT, config, Deployment)
    containers = merged["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["web", "side"]
    assert containers[0]["args"] == ["x"]
    assert containers[0]["image"] == "nginx"
    assert DEPLOYMENT["spec"]["template"]["spec"]["containers"][0]["args"] == ["-g", "daemon off;"]
