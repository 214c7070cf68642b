"""Reading Deployments and ReplicaSets as the JSON the API serves.

The controller works on plain dicts from the informers' caches. These
accessors read them the way Go reads the typed structs after defaulting: a
missing ``spec.replicas`` is the API's default (1), a missing count in
``status`` is 0 (``omitempty`` left it out), missing maps are empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "Obj",
    "annotations_of",
    "creation_key",
    "metadata",
    "min_ready_seconds",
    "name",
    "spec",
    "spec_replicas",
    "status",
    "status_count",
    "uid",
]

Obj = dict[str, Any]


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def metadata(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return _map(obj.get("metadata"))


def spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return _map(obj.get("spec"))


def status(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return _map(obj.get("status"))


def annotations_of(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return _map(metadata(obj).get("annotations"))


def name(obj: Mapping[str, Any]) -> str:
    return str(metadata(obj).get("name") or "")


def uid(obj: Mapping[str, Any]) -> str:
    return str(metadata(obj).get("uid") or "")


def spec_replicas(obj: Mapping[str, Any]) -> int:
    """``spec.replicas``; 1 when unset, as the API defaults it for both kinds."""
    value = spec(obj).get("replicas")
    return int(value) if isinstance(value, int) else 1


def status_count(obj: Mapping[str, Any], field: str) -> int:
    """A count in ``status`` (``replicas``, ``availableReplicas``...), 0 when absent."""
    value = status(obj).get(field)
    return int(value) if isinstance(value, int) else 0


def min_ready_seconds(obj: Mapping[str, Any]) -> int:
    value = spec(obj).get("minReadySeconds")
    return int(value) if isinstance(value, int) else 0


def creation_key(obj: Mapping[str, Any]) -> tuple[str, str]:
    """Sort key of ``ReplicaSetsByCreationTimestamp``: creation time, then name.

    RFC 3339 UTC timestamps at whole seconds sort as strings; an object
    without one (Go's zero time) sorts first.
    """
    return (str(metadata(obj).get("creationTimestamp") or ""), name(obj))
