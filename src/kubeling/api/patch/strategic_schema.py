"""Where a strategic merge patch learns how to merge each field.

apimachinery reads the strategy from Go struct tags (``patchStrategy``,
``patchMergeKey``) on the server and from the OpenAPI extensions
``x-kubernetes-patch-strategy`` / ``x-kubernetes-patch-merge-key`` in kubectl.
kubeling has no Go structs, so one engine serves every kind through the
:class:`PatchMeta` protocol: a cursor on the schema of one field that can step
to a child field or to a list's items and reports that field's strategy.

* :class:`SchemaPatchMeta` walks an OpenAPI v3 (or v2) schema dict, following
  ``$ref`` into the component schemas and looking through ``allOf``, which is
  how Kubernetes' published v3 schemas wrap referenced types.
* :data:`NO_SCHEMA` knows nothing: maps merge, lists are replaced. That is JSON
  merge patch plus the ``$patch`` directives. Kubernetes itself never applies
  a strategic patch without struct tags: for custom resources (unstructured
  objects) the handler answers 415 Unsupported Media Type before patching, and
  ``StrategicMergeMapPatch`` rejects unstructured objects with 400
  ``ErrUnsupportedStrategicMergePatchFormat``. The API layer should keep
  rejecting SMP for CRDs; ``NO_SCHEMA`` exists for fields the schema does not
  describe and for tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from kubeling.api.patch.errors import PatchError

__all__ = ["NO_SCHEMA", "PatchMeta", "SchemaPatchMeta", "parse_patch_strategy"]

STRATEGY_EXTENSION = "x-kubernetes-patch-strategy"
MERGE_KEY_EXTENSION = "x-kubernetes-patch-merge-key"
_RETAIN_KEYS = "retainKeys"


class PatchMeta(Protocol):
    """The patch metadata of one field, and the way to the metadata of its children."""

    @property
    def patch_strategy(self) -> str:
        """The raw strategy: "", "merge", "replace", "retainKeys" or "merge,retainKeys"."""
        ...

    @property
    def patch_merge_key(self) -> str:
        """The key identifying items of a merged list of objects ("" for none)."""
        ...

    def child(self, name: str) -> PatchMeta:
        """The metadata of field ``name`` of this (object) field."""
        ...

    def list_item(self) -> PatchMeta:
        """The metadata of the items of this (list) field."""
        ...


def parse_patch_strategy(strategy: str) -> tuple[bool, str]:
    """Split a strategy into (retain keys?, the other strategy), as Go's tag parser does.

    >>> parse_patch_strategy("merge,retainKeys"), parse_patch_strategy("replace")
    ((True, 'merge'), (False, 'replace'))
    """
    parts = strategy.split(",")
    if len(parts) == 1:
        return (True, "") if parts[0] == _RETAIN_KEYS else (False, parts[0])
    if len(parts) == 2 and _RETAIN_KEYS in parts:
        return True, parts[1] if parts[0] == _RETAIN_KEYS else parts[0]
    raise PatchError.internal(f"unexpected patch strategy: [{' '.join(parts)}]")


class _NoSchema:
    """Metadata for fields nobody described: maps merge, lists are replaced."""

    @property
    def patch_strategy(self) -> str:
        return ""

    @property
    def patch_merge_key(self) -> str:
        return ""

    def child(self, name: str) -> PatchMeta:
        return self

    def list_item(self) -> PatchMeta:
        return self

    def __repr__(self) -> str:
        return "NO_SCHEMA"


NO_SCHEMA: PatchMeta = _NoSchema()
"""Metadata that describes nothing, so every list is replaced and every map merged."""


@dataclass(frozen=True)
class SchemaPatchMeta:
    """Patch metadata read from an OpenAPI schema.

    ``schema`` is the schema of the field (the root object for a whole kind);
    ``components`` maps schema names to schemas, as ``components.schemas`` in
    v3 or ``definitions`` in v2, for resolving ``$ref``.

    >>> pod_spec = {"properties": {"containers": {
    ...     "type": "array", "items": {"$ref": "#/components/schemas/Container"},
    ...     "x-kubernetes-patch-strategy": "merge", "x-kubernetes-patch-merge-key": "name"}}}
    >>> meta = SchemaPatchMeta(pod_spec, {"Container": {"type": "object"}})
    >>> meta.child("containers").patch_merge_key
    'name'
    """

    schema: Mapping[str, Any]
    components: Mapping[str, Any] = field(default_factory=dict)

    @property
    def patch_strategy(self) -> str:
        return self._extension(STRATEGY_EXTENSION)

    @property
    def patch_merge_key(self) -> str:
        return self._extension(MERGE_KEY_EXTENSION)

    def child(self, name: str) -> PatchMeta:
        for schema in self._resolved():
            properties = schema.get("properties")
            if isinstance(properties, Mapping) and isinstance(properties.get(name), Mapping):
                return SchemaPatchMeta(properties[name], self.components)
        for schema in self._resolved():
            additional = schema.get("additionalProperties")
            if isinstance(additional, Mapping):
                return SchemaPatchMeta(additional, self.components)
        return NO_SCHEMA

    def list_item(self) -> PatchMeta:
        for schema in self._resolved():
            items = schema.get("items")
            if isinstance(items, Mapping):
                return SchemaPatchMeta(items, self.components)
        return NO_SCHEMA

    def _extension(self, name: str) -> str:
        """Read an extension from the field's own schema or its ``allOf`` wrappers."""
        candidates = [self.schema, *self._all_of(self.schema)]
        for schema in candidates:
            value = schema.get(name)
            if isinstance(value, str):
                return value
        return ""

    def _resolved(self) -> list[Mapping[str, Any]]:
        """The field's schema and every schema it reaches through ``$ref`` and ``allOf``."""
        seen: set[int] = set()
        out: list[Mapping[str, Any]] = []
        pending: list[Mapping[str, Any]] = [self.schema]
        while pending:
            schema = pending.pop(0)
            if id(schema) in seen:
                continue
            seen.add(id(schema))
            out.append(schema)
            target = self._deref(schema.get("$ref"))
            if target is not None:
                pending.append(target)
            pending.extend(self._all_of(schema))
        return out

    def _deref(self, ref: object) -> Mapping[str, Any] | None:
        if not isinstance(ref, str):
            return None
        target = self.components.get(ref.rsplit("/", 1)[-1])
        return target if isinstance(target, Mapping) else None

    @staticmethod
    def _all_of(schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        members = schema.get("allOf")
        if not isinstance(members, list):
            return []
        return [member for member in members if isinstance(member, Mapping)]
