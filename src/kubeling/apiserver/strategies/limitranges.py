"""LimitRanges: Container limits' defaults; each limit has a known type and parsable quantities.

Defaulting is upstream's ``SetDefaults_LimitRangeItem``: for a ``Container``
limit, ``default`` falls back to ``max``, then ``defaultRequest`` to
``default``, then to ``min``, resource by resource.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubeling.api.field import FieldError, FieldPath, invalid
from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.strategies._checks import (
    as_list,
    as_map,
    quantity_of,
    required_one_of,
)

__all__ = ["LimitRangeStrategy"]

LIMIT_TYPES: Final = ("Container", "PersistentVolumeClaim", "Pod")
_QUANTITY_MAPS: Final = ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio")


class LimitRangeStrategy(Strategy):
    """``limitranges``."""

    def default(self, obj: dict[str, Any]) -> None:
        limits = (
            (obj.get("spec") or {}).get("limits") if isinstance(obj.get("spec"), dict) else None
        )
        for limit in limits if isinstance(limits, list) else ():
            if isinstance(limit, dict) and limit.get("type") == "Container":
                _default_container_limit(limit)

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        for i, limit in enumerate(as_list(as_map(obj.get("spec")).get("limits"))):
            path = FieldPath("spec", "limits").index(i)
            body = as_map(limit)
            kind = body.get("type")
            errs.extend(required_one_of(kind, path.child("type"), LIMIT_TYPES))
            for key in _QUANTITY_MAPS:
                for name, raw in as_map(body.get(key)).items():
                    if quantity_of(raw) is None:
                        errs.append(
                            invalid(path.child(key).key(name), raw, "must be a valid quantity")
                        )
        return errs


def _default_container_limit(limit: dict[str, Any]) -> None:
    default = dict(as_map(limit.get("default")))
    for name, value in as_map(limit.get("max")).items():
        default.setdefault(name, value)
    request = dict(as_map(limit.get("defaultRequest")))
    for source in (default, as_map(limit.get("min"))):
        for name, value in source.items():
            request.setdefault(name, value)
    if default:
        limit["default"] = default
    if request:
        limit["defaultRequest"] = request
