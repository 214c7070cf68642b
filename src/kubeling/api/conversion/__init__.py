"""Conversion between the versions of one resource, declared as pure functions.

Kubernetes stores a resource served at several group/versions once, in its
*storage version*, and converts on the way in and out: core/v1 ``Event`` also
serves ``events.k8s.io/v1``; ``autoscaling/v2`` HorizontalPodAutoscalers also
serve ``autoscaling/v1``; a CustomResourceDefinition's versions share one
storage version. A served version that is not stored as it is declares a
``Conversion``: a function to the storage version, one back, and how its
field-selector labels map onto the storage version's. The API server applies
them at one boundary (``apiserver/rest/served_version.py``); nothing else in
it knows that versions differ.

Every converter here keeps three rules, and the unit tests hold them to it:

1. *Pure.* It never mutates its input. Its result may share unchanged nested
   values with the input, or be the input itself when nothing differs, so a
   caller that mutates the result copies first (the write path works on
   private copies anyway).
2. *Total* over what the API server hands them: objects that passed the
   served version's type checks, and stored objects. Fields Go always
   serializes (structs, non-``omitempty`` scalars) are written with Go's zero
   value when missing, as the Go API server's output has them; ``omitempty``
   fields that are empty are left out. Data they decode themselves (the HPA
   round-trip annotations) may be anything: malformed data is ignored.
3. *Typed.* The result carries the ``apiVersion`` and ``kind`` of the version
   it is in.

>>> from kubeling.api.schema import GroupVersionKind
>>> rename = none_conversion(
...     GroupVersionKind("example.com", "v2", "Widget"),
...     GroupVersionKind("example.com", "v1", "Widget"),
... )
>>> rename.from_storage({"apiVersion": "example.com/v2", "kind": "Widget"})["apiVersion"]
'example.com/v1'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kubeling.api.schema import GroupVersionKind

__all__ = ["Conversion", "Converter", "none_conversion"]

Obj = dict[str, Any]

Converter = Callable[[Mapping[str, Any]], Obj]
"""A pure function from an object in one version to the same object in another."""


@dataclass(frozen=True, slots=True, eq=False)
class Conversion:
    """How one served version maps onto the version it is stored in.

    ``field_labels`` maps each field-selector label the served version
    accepts to the storage version's label it reads (Kubernetes' field label
    conversion functions); None when the served version accepts exactly the
    storage version's labels.
    """

    served: GroupVersionKind
    storage: GroupVersionKind
    to_storage: Converter
    from_storage: Converter
    field_labels: Mapping[str, str] | None = None


def _with_api_version(obj: Mapping[str, Any], gvk: GroupVersionKind) -> Obj:
    """``obj`` typed as ``gvk``: the very object when it already is."""
    typed = obj.get("apiVersion") == gvk.api_version and obj.get("kind") == gvk.kind
    if typed and isinstance(obj, dict):
        return obj
    return {**obj, "apiVersion": gvk.api_version, "kind": gvk.kind}


def none_conversion(storage: GroupVersionKind, served: GroupVersionKind) -> Conversion:
    """A custom resource's ``None`` conversion strategy: only ``apiVersion`` changes.

    Used for every served version of a CRD, the storage version included, so
    that objects written when another version was the storage version read
    back with the right ``apiVersion`` too.
    """
    return Conversion(
        served=served,
        storage=storage,
        to_storage=lambda obj: _with_api_version(obj, storage),
        from_storage=lambda obj: _with_api_version(obj, served),
    )
