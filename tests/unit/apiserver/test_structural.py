"""Structural schemas of custom resources: pruning, defaults, validation messages."""

from __future__ import annotations

from typing import Any

from kubeling.apiserver.customresources import structural

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["image"],
            "properties": {
                "image": {"type": "string", "maxLength": 10},
                "replicas": {"type": "integer", "minimum": 1, "default": 1},
                "mode": {"type": "string", "enum": ["a", "b"]},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "ports": {
                    "type": "array",
                    "maxItems": 2,
                    "items": {"type": "object", "properties": {"port": {"type": "integer"}}},
                },
            },
        }
    },
}


def test_prune_drops_undeclared_keeps_preserved_and_root_meta() -> None:
    """Unknown fields go (reported by path); preserved subtrees and metadata stay."""
    obj = {
        "apiVersion": "x/v1",
        "kind": "K",
        "metadata": {"name": "n"},
        "top": 1,
        "spec": {
            "image": "i",
            "bogus": 2,
            "extra": {"any": {"thing": 1}},
            "labels": {"a": "b"},
            "ports": [{"port": 1, "junk": 0}],
        },
    }
    assert structural.prune(obj, SCHEMA) == ["top", "spec.bogus", "spec.ports[0].junk"]
    assert obj["spec"] == {
        "image": "i",
        "extra": {"any": {"thing": 1}},
        "labels": {"a": "b"},
        "ports": [{"port": 1}],
    }
    assert obj["metadata"] == {"name": "n"}


def test_defaults_fill_missing_properties_only() -> None:
    """A missing property gets its default; a present one is left alone."""
    obj: dict[str, Any] = {"spec": {"image": "i"}}
    structural.default(obj, SCHEMA)
    assert obj["spec"]["replicas"] == 1
    obj["spec"]["replicas"] = 5
    structural.default(obj, SCHEMA)
    assert obj["spec"]["replicas"] == 5


def test_validation_messages() -> None:
    """Each violation is one field error worded as Kubernetes words it."""
    obj = {
        "spec": {
            "replicas": "two",
            "mode": "c",
            "image": "x" * 11,
            "ports": [{"port": 1}, {"port": 2}, {"port": 3}],
        }
    }
    messages = [str(e) for e in structural.validate(obj, SCHEMA)]
    assert messages == [
        'spec.replicas: Invalid value: "two": spec.replicas in body must be of type integer: '
        '"string"',
        'spec.mode: Unsupported value: "c": supported values: "a", "b"',
        "spec.image: Too long: may not be more than 10 bytes",
        "spec.ports: Too many: 3: must have at most 2 items",
    ]
    assert [str(e) for e in structural.validate({"spec": {}}, SCHEMA)] == [
        "spec.image: Required value"
    ]
