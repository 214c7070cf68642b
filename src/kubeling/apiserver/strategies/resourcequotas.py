"""ResourceQuotas: hard limits are non-negative quantities; status via /status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubeling.api.field import FieldError, FieldPath, invalid, not_supported
from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.strategies._checks import as_list, as_map, quantity_of

__all__ = ["ResourceQuotaStrategy"]

Obj = dict[str, Any]

SCOPES: Final = (
    "BestEffort",
    "CrossNamespacePodAffinity",
    "NotBestEffort",
    "NotTerminating",
    "PriorityClass",
    "Terminating",
)


class ResourceQuotaStrategy(Strategy):
    """``resourcequotas``."""

    has_status_subresource = True

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        spec = as_map(obj.get("spec"))
        for name, raw in as_map(spec.get("hard")).items():
            path = FieldPath("spec", "hard").key(name)
            value = quantity_of(raw)
            if value is None:
                errs.append(invalid(path, raw, "must be a valid quantity"))
            elif value.sign() < 0:
                errs.append(invalid(path, str(value), "must be greater than or equal to 0"))
        for i, scope in enumerate(as_list(spec.get("scopes"))):
            if scope not in SCOPES:
                errs.append(not_supported(FieldPath("spec", "scopes").index(i), scope, SCOPES))
        return errs
