"""``metadata.managedFields`` entries, decoded, and the fields never tracked.

An entry is identified, as in Kubernetes' ``BuildManagerIdentifier``, by its
manager name, operation and subresource, plus its apiVersion for Update
entries (an applier keeps one entry whatever version it applies with).

Fields never tracked (apimachinery's ``stripMetaManager``) are removed by
exact path, so ``metadata.labels`` is still tracked while ``metadata`` as a
member is not: ``apiVersion``, ``kind``, ``metadata``, ``metadata.name``,
``metadata.namespace``, ``metadata.creationTimestamp``, ``metadata.selfLink``,
``metadata.uid``, ``metadata.clusterName``, ``metadata.generation``,
``metadata.managedFields`` and ``metadata.resourceVersion``. On top of that
the fields a write cannot change (the strategy's reset fields) are removed
with everything under them: ``status`` for the main resource, ``spec`` for
the ``status`` subresource.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from kubeling.api.jsoncopy import copy_json
from kubeling.api.managedfields.fieldpath import FieldSet, Path, decode_fields_v1, to_fields_v1

__all__ = [
    "Entry",
    "decode",
    "encode",
    "reset_prefixes",
    "untracked",
    "untracked_v1",
    "without_managed_fields",
    "without_reset",
]

APPLY = "Apply"
UPDATE = "Update"

_STRIPPED_META = tuple(
    "f:" + name
    for name in (
        "name",
        "namespace",
        "creationTimestamp",
        "selfLink",
        "uid",
        "clusterName",
        "generation",
        "managedFields",
        "resourceVersion",
    )
)
_STRIPPED: frozenset[Path] = frozenset(
    {("f:apiVersion",), ("f:kind",), ("f:metadata",)}
    | {("f:metadata", element) for element in _STRIPPED_META}
)


def reset_prefixes(subresource: str) -> tuple[Path, ...]:
    """The subtrees a write through ``subresource`` cannot change."""
    return (("f:spec",),) if subresource == "status" else (("f:status",),)


def untracked(fs: FieldSet, subresource: str) -> FieldSet:
    """``fs`` without the fields no manager ever owns through ``subresource``."""
    reset = reset_prefixes(subresource)
    return FieldSet(
        frozenset(
            p for p in fs.paths if p not in _STRIPPED and not any(p[: len(r)] == r for r in reset)
        )
    )


def untracked_v1(fields: dict[str, Any], subresource: str) -> dict[str, Any]:
    """:func:`untracked` for a FieldsV1 tree (a new one; ``fields`` is not changed)."""
    out = {k: v for k, v in fields.items() if k not in ("f:apiVersion", "f:kind")}
    for (element,) in reset_prefixes(subresource):
        out.pop(element, None)
    meta = out.get("f:metadata")
    if meta is not None:
        # metadata itself is never a member: no "." mark, and gone when nothing is left
        kept = {k: v for k, v in meta.items() if k != "." and k not in _STRIPPED_META}
        if kept:
            out["f:metadata"] = kept
        else:
            del out["f:metadata"]
    return out


def without_managed_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of ``obj`` without ``metadata.managedFields``."""
    out = copy.deepcopy(obj)
    meta = out.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    return out


def without_reset(obj: dict[str, Any], subresource: str) -> dict[str, Any]:
    """A deep copy of ``obj`` without the subtrees ``subresource`` cannot change."""
    out = without_managed_fields(obj)
    for (element,) in reset_prefixes(subresource):
        out.pop(element[2:], None)
    return out


@dataclass(frozen=True, slots=True)
class Entry:
    """One managedFields entry with its fields decoded."""

    manager: str
    operation: str
    api_version: str
    time: str | None
    fields: FieldSet
    subresource: str = ""
    #: The FieldsV1 this entry was decoded from, when it is exactly ``to_fields_v1(fields)``:
    #: encoded again as it is (an entry a write leaves alone is most of them).
    fields_v1: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    def key(self) -> tuple[str, str, str, str]:
        """The manager identity: entries with equal keys are one manager."""
        version = self.api_version if self.operation != APPLY else ""
        return (self.manager, self.operation, version, self.subresource)

    def with_fields(self, fields: FieldSet) -> Entry:
        kept = self.fields_v1 if fields.paths == self.fields.paths else None
        return replace(self, fields=fields, fields_v1=kept)


def decode(entries: Iterable[dict[str, Any]]) -> list[Entry]:
    """Decode managedFields; ValueError if an entry is not FieldsV1 or malformed."""
    out: list[Entry] = []
    for raw in entries:
        manager = raw.get("manager", "")
        operation = raw.get("operation")
        if operation not in (APPLY, UPDATE):
            raise ValueError(f"managedFields: invalid operation {operation!r} for {manager!r}")
        if raw.get("fieldsType", "FieldsV1") != "FieldsV1":
            raise ValueError(f"managedFields: unsupported fieldsType {raw.get('fieldsType')!r}")
        fields_v1 = raw.get("fieldsV1") or {}
        if not isinstance(fields_v1, dict):
            raise ValueError(f"managedFields: fieldsV1 of {manager!r} is not an object")
        fields, canonical = decode_fields_v1(fields_v1)
        out.append(
            Entry(
                manager=manager,
                operation=operation,
                api_version=raw.get("apiVersion", ""),
                time=raw.get("time"),
                fields=fields,
                subresource=raw.get("subresource", ""),
                fields_v1=fields_v1 if canonical else None,
            )
        )
    keys = [e.key() for e in out]
    if len(set(keys)) != len(keys):
        raise ValueError("managedFields: duplicate entries for one manager")
    return out


def _sort_key(entry: Entry) -> tuple[str, str, str, str, str]:
    # Kubernetes' sortEncodedManagedFields: operation, time, manager, apiVersion, subresource.
    return (entry.operation, entry.time or "", entry.manager, entry.api_version, entry.subresource)


def encode(entries: Iterable[Entry]) -> list[dict[str, Any]]:
    """Entries with fields, sorted as Kubernetes stores them, in wire form."""
    out: list[dict[str, Any]] = []
    for entry in sorted((e for e in entries if e.fields), key=_sort_key):
        raw: dict[str, Any] = {"manager": entry.manager, "operation": entry.operation}
        if entry.api_version:
            raw["apiVersion"] = entry.api_version
        if entry.time is not None:
            raw["time"] = entry.time
        raw["fieldsType"] = "FieldsV1"
        if entry.fields_v1 is not None:
            raw["fieldsV1"] = copy_json(entry.fields_v1)
        else:
            raw["fieldsV1"] = to_fields_v1(entry.fields)
        if entry.subresource:
            raw["subresource"] = entry.subresource
        out.append(raw)
    return out
