"""ConfigMaps: valid and disjoint keys, 1 MiB in total, immutability.

``data`` holds UTF-8 strings and ``binaryData`` base64; a key may be in only
one of them. The size limit counts ``data`` values as they are and
``binaryData`` values decoded, and is reported on the whole object (upstream's
empty field path, printed ``[]``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any, Final

from kubeling.api.field import FieldError, FieldPath, forbidden, invalid, too_long
from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.strategies._checks import MAX_SECRET_SIZE, as_map, is_config_map_key

__all__ = ["ConfigMapStrategy"]

_IMMUTABLE_MESSAGE: Final = "field is immutable when `immutable` is set"


def _binary_len(value: object) -> int:
    if not isinstance(value, str):
        return 0
    try:
        return len(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        return len(value)


class ConfigMapStrategy(Strategy):
    """``configmaps``: key rules, size limit and ``immutable``."""

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        data, binary = as_map(obj.get("data")), as_map(obj.get("binaryData"))
        total = 0
        for key in sorted(data):
            path = FieldPath("data").key(key)
            total += len(str(data[key]).encode())
            errs.extend(invalid(path, key, m) for m in is_config_map_key(key))
            if key in binary:
                errs.append(invalid(path, key, "duplicate of key present in binaryData"))
        for key in sorted(binary):
            path = FieldPath("binaryData").key(key)
            total += _binary_len(binary[key])
            errs.extend(invalid(path, key, m) for m in is_config_map_key(key))
            if key in data:
                errs.append(invalid(path, key, "duplicate of key present in data"))
        if total > MAX_SECRET_SIZE:
            errs.append(too_long(FieldPath(""), MAX_SECRET_SIZE))
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        errs = self.validate(new, namespaced=namespaced)
        if old.get("immutable") is True:
            if new.get("immutable") is not True:
                errs.append(forbidden(FieldPath("immutable"), _IMMUTABLE_MESSAGE))
            for key in ("data", "binaryData"):
                if (new.get(key) or {}) != (old.get(key) or {}):
                    errs.append(forbidden(FieldPath(key), _IMMUTABLE_MESSAGE))
        return errs
