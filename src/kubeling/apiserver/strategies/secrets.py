"""Secrets: ``stringData`` folded into ``data``, type rules, immutability.

``stringData`` is a write-only convenience: v1 → internal conversion encodes
each value as base64 into ``data`` (overriding a ``data`` key of the same
name) and drops it, so it is never stored nor returned. ``type`` defaults to
``Opaque`` (an empty string counts as unset) and never changes. Values are
base64 on the wire; sizes are counted on the decoded bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any, Final

from kubeling.api.field import FieldError, FieldPath, forbidden, invalid, required, too_long
from kubeling.apiserver.rest.strategy import Strategy
from kubeling.apiserver.strategies._checks import MAX_SECRET_SIZE, as_map, is_config_map_key

__all__ = ["SecretStrategy", "decoded_size"]

Obj = dict[str, Any]

_DATA: Final = FieldPath("data")
_ANNOTATIONS: Final = FieldPath("metadata", "annotations")
_IMMUTABLE_MESSAGE: Final = "field is immutable when `immutable` is set"


def _decode(value: object) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def decoded_size(data: Mapping[str, Any]) -> int:
    """The total decoded bytes of a ``data`` map (undecodable values count as text)."""
    total = 0
    for value in data.values():
        raw = _decode(value)
        total += len(raw) if raw is not None else len(str(value))
    return total


def _type_errors(
    secret_type: str, data: Mapping[str, Any], meta: Mapping[str, Any]
) -> list[FieldError]:
    errs: list[FieldError] = []
    annotations = as_map(meta.get("annotations"))
    if secret_type == "kubernetes.io/service-account-token":
        key = "kubernetes.io/service-account.name"
        if not annotations.get(key):
            errs.append(required(_ANNOTATIONS.key(key), ""))
    elif secret_type in ("kubernetes.io/dockercfg", "kubernetes.io/dockerconfigjson"):
        key = ".dockercfg" if secret_type == "kubernetes.io/dockercfg" else ".dockerconfigjson"
        raw = data.get(key)
        if raw is None:
            errs.append(required(_DATA.key(key), ""))
        else:
            decoded = _decode(raw) or b""
            try:
                json.loads(decoded)
            except ValueError as err:
                errs.append(invalid(_DATA.key(key), "<secret contents redacted>", str(err)))
    elif secret_type == "kubernetes.io/basic-auth":
        if not data.get("username") and not data.get("password"):
            errs.append(required(_DATA.key("username"), ""))
            errs.append(required(_DATA.key("password"), ""))
    elif secret_type == "kubernetes.io/ssh-auth":
        if not data.get("ssh-privatekey"):
            errs.append(required(_DATA.key("ssh-privatekey"), ""))
    elif secret_type == "kubernetes.io/tls":
        for key in ("tls.crt", "tls.key"):
            if key not in data:
                errs.append(required(_DATA.key(key), ""))
    return errs


class SecretStrategy(Strategy):
    """``secrets``: Opaque by default, config-key data, typed secrets' required keys."""

    def default(self, obj: Obj) -> None:
        if not obj.get("type"):
            obj["type"] = "Opaque"
        string_data = obj.pop("stringData", None)
        if isinstance(string_data, Mapping) and string_data:
            data = obj.get("data")
            if not isinstance(data, dict):
                data = obj["data"] = {}
            for key, value in string_data.items():
                data[key] = base64.b64encode(str(value).encode()).decode()

    def validate(self, obj: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
        errs = self.validate_metadata(obj, namespaced=namespaced)
        data = as_map(obj.get("data"))
        for key in sorted(data):
            errs.extend(invalid(_DATA.key(key), key, m) for m in is_config_map_key(key))
            if _decode(data[key]) is None:
                errs.append(invalid(_DATA.key(key), "<secret contents redacted>", "must be base64"))
        if decoded_size(data) > MAX_SECRET_SIZE:
            errs.append(too_long(_DATA, MAX_SECRET_SIZE))
        errs.extend(_type_errors(str(obj.get("type") or ""), data, as_map(obj.get("metadata"))))
        return errs

    def validate_update(
        self, new: Mapping[str, Any], old: Mapping[str, Any], *, namespaced: bool
    ) -> list[FieldError]:
        errs = self.validate(new, namespaced=namespaced)
        if new.get("type") != old.get("type"):
            errs.append(invalid(FieldPath("type"), new.get("type"), "field is immutable"))
        if old.get("immutable") is True:
            if new.get("immutable") is not True:
                errs.append(forbidden(FieldPath("immutable"), _IMMUTABLE_MESSAGE))
            if (new.get("data") or {}) != (old.get("data") or {}):
                errs.append(forbidden(_DATA, _IMMUTABLE_MESSAGE))
        return errs

    def field_set(self, obj: Mapping[str, Any], *, namespaced: bool) -> dict[str, str]:
        fields = super().field_set(obj, namespaced=namespaced)
        fields["type"] = str(obj.get("type") or "")
        return fields
