"""Which StorageClass a claim or a volume names, and which class is the default.

The API server's DefaultStorageClass admission and the PersistentVolume
controller's retroactive default assignment both need these answers, so they
live here, below both (Kubernetes keeps them in ``component-helpers/storage``
and ``pkg/volume/util``):

- A claim *has* a class when ``spec.storageClassName`` is set, even to ``""``
  (which asks for no class), or when it carries the deprecated
  ``volume.beta.kubernetes.io/storage-class`` annotation; the annotation wins.
- A StorageClass is a default when its ``storageclass.kubernetes.io/is-default-class``
  (or the beta) annotation is exactly ``"true"``. When several are, the newest
  one is the default, ties broken by name, as Kubernetes 1.26+ chooses.

>>> claim_class({"spec": {"storageClassName": "fast"}})
'fast'
>>> default_class([
...     {"metadata": {"name": "a", "creationTimestamp": "2024-01-01T00:00:00Z",
...                   "annotations": {IS_DEFAULT_CLASS_ANNOTATION: "true"}}},
...     {"metadata": {"name": "b", "creationTimestamp": "2024-02-01T00:00:00Z",
...                   "annotations": {IS_DEFAULT_CLASS_ANNOTATION: "true"}}},
... ])["metadata"]["name"]
'b'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

__all__ = [
    "BETA_IS_DEFAULT_CLASS_ANNOTATION",
    "BETA_STORAGE_CLASS_ANNOTATION",
    "IS_DEFAULT_CLASS_ANNOTATION",
    "claim_class",
    "claim_has_class",
    "default_class",
    "is_default_class",
    "volume_class",
]

IS_DEFAULT_CLASS_ANNOTATION: Final = "storageclass.kubernetes.io/is-default-class"
BETA_IS_DEFAULT_CLASS_ANNOTATION: Final = "storageclass.beta.kubernetes.io/is-default-class"
#: The class a claim or volume named before ``storageClassName`` existed.
BETA_STORAGE_CLASS_ANNOTATION: Final = "volume.beta.kubernetes.io/storage-class"


def _annotations(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return (obj.get("metadata") or {}).get("annotations") or {}


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def claim_has_class(claim: Mapping[str, Any]) -> bool:
    """Whether the claim names a class at all (``""`` counts: it asks for none)."""
    if BETA_STORAGE_CLASS_ANNOTATION in _annotations(claim):
        return True
    return _spec(claim).get("storageClassName") is not None


def claim_class(claim: Mapping[str, Any]) -> str:
    """The claim's class name, ``""`` for none (``GetPersistentVolumeClaimClass``)."""
    annotations = _annotations(claim)
    if BETA_STORAGE_CLASS_ANNOTATION in annotations:
        return str(annotations[BETA_STORAGE_CLASS_ANNOTATION])
    return str(_spec(claim).get("storageClassName") or "")


def volume_class(volume: Mapping[str, Any]) -> str:
    """The volume's class name, ``""`` for none (``GetPersistentVolumeClass``)."""
    annotations = _annotations(volume)
    if BETA_STORAGE_CLASS_ANNOTATION in annotations:
        return str(annotations[BETA_STORAGE_CLASS_ANNOTATION])
    return str(_spec(volume).get("storageClassName") or "")


def is_default_class(storage_class: Mapping[str, Any]) -> bool:
    """Whether the class is marked as the cluster's default."""
    annotations = _annotations(storage_class)
    return (
        annotations.get(IS_DEFAULT_CLASS_ANNOTATION) == "true"
        or annotations.get(BETA_IS_DEFAULT_CLASS_ANNOTATION) == "true"
    )


def default_class(classes: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The default StorageClass: the newest marked one (then by name), or None."""
    marked = [c for c in classes if is_default_class(c)]
    if not marked:
        return None
    # RFC 3339 UTC timestamps of one format sort as strings do.
    marked.sort(key=lambda c: str((c.get("metadata") or {}).get("name") or ""))
    marked.sort(
        key=lambda c: str((c.get("metadata") or {}).get("creationTimestamp") or ""),
        reverse=True,
    )
    return marked[0]
