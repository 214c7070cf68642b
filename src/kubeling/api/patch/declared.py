"""Strategic-merge-patch metadata read from kubeling's type declarations.

The same ``api.schema`` declarations that produce OpenAPI carry each field's
``patch_strategy`` and ``patch_merge_key``; this adapter lets the patch engine
walk them, so a strategic merge patch on the server merges exactly as
kubectl computed it from the OpenAPI document we served.
"""

from __future__ import annotations

from kubeling.api.patch.strategic_schema import NO_SCHEMA, PatchMeta
from kubeling.api.schema import Field, ListOf, MapOf, Object, TypeSpec, resolve

__all__ = ["DeclaredPatchMeta"]


class DeclaredPatchMeta:
    """PatchMeta for a value of a declared type (an Object, list or map)."""

    __slots__ = ("_field", "_type")

    def __init__(self, type_: TypeSpec, field: Field | None = None) -> None:
        self._type = type_
        self._field = field

    @property
    def patch_strategy(self) -> str:
        return (self._field.patch_strategy or "") if self._field is not None else ""

    @property
    def patch_merge_key(self) -> str:
        return (self._field.patch_merge_key or "") if self._field is not None else ""

    def child(self, name: str) -> PatchMeta:
        resolved = resolve(self._type)
        if isinstance(resolved, Object):
            declared = resolved.get(name)
            if declared is None:
                return NO_SCHEMA
            return DeclaredPatchMeta(declared.type, declared)
        if isinstance(resolved, MapOf):
            return DeclaredPatchMeta(resolved.value)
        return NO_SCHEMA

    def list_item(self) -> PatchMeta:
        resolved = resolve(self._type)
        if isinstance(resolved, ListOf):
            return DeclaredPatchMeta(resolved.item)
        return NO_SCHEMA
