"""core/v1 Events: selectable by what they are about; lightly validated.

Events are written by every component at a high rate, so validation stays
minimal, as upstream's: the involved object's namespace must be the event's
own for namespaced objects (and empty ``involvedObject.namespace`` is allowed
for cluster-scoped ones).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubeling.api.field import FieldError, FieldPath, invalid
from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.strategies._checks import as_map

__all__ = ["EventStrategy"]

_INVOLVED: Final = (
    "kind",
    "namespace",
    "name",
    "uid",
    "apiVersion",
    "resourceVersion",
    "fieldPath",
)


class EventStrategy(Strategy):
    """``events`` (core group)."""

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        involved_ns = as_map(obj.get("involvedObject")).get("namespace")
        namespace = as_map(obj.get("metadata")).get("namespace")
        if involved_ns and namespace and involved_ns != namespace:
            errs.append(
                invalid(
                    FieldPath("involvedObject", "namespace"),
                    involved_ns,
                    "does not match event.namespace",
                )
            )
        return errs

    def field_set(self, obj: Mapping[str, Any], *, namespaced: bool) -> dict[str, str]:
        fields = super().field_set(obj, namespaced=namespaced)
        involved = as_map(obj.get("involvedObject"))
        for key in _INVOLVED:
            fields[f"involvedObject.{key}"] = str(involved.get(key) or "")
        fields["reason"] = str(obj.get("reason") or "")
        fields["reportingComponent"] = str(obj.get("reportingComponent") or "")
        fields["source"] = str(as_map(obj.get("source")).get("component") or "")
        fields["type"] = str(obj.get("type") or "")
        return fields
