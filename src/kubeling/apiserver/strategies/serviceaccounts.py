"""ServiceAccounts: names are DNS subdomains; secret references need a name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubeling.api.field import FieldError, FieldPath, required
from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.strategies._checks import as_list, as_map

__all__ = ["ServiceAccountStrategy"]


class ServiceAccountStrategy(Strategy):
    """``serviceaccounts``: metadata rules plus named secret and pull-secret references."""

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        for key in ("secrets", "imagePullSecrets"):
            for i, ref in enumerate(as_list(obj.get(key))):
                if not as_map(ref).get("name"):
                    errs.append(required(FieldPath(key).index(i).child("name"), ""))
        return errs
