"""Kubernetes' format library: named string formats and their validation messages.

``format.dns1123Label().validate(self.name)`` is ``optional.none()`` for a
valid name, and otherwise an optional list of the same messages the API
server gives for a bad object name. ``format.named('dns1123Label')`` looks a
format up by name.

>>> validate(NamedFormat("dns1123Label"), "Bad_Name").value[0][:37]
'a lowercase RFC 1123 label must consi'
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from kubeling.api import naming
from kubeling.api.cel import timeutil
from kubeling.api.cel import types as t
from kubeling.api.cel.errors import EvalError
from kubeling.api.cel.functions import Library, member, overload
from kubeling.api.cel.library.urls import request_uri_problem
from kubeling.api.cel.values import NONE, Optional, register_opaque

__all__ = ["FORMATS", "NamedFormat", "validate"]

FORMATS: Final = Library()
_FORMAT: Final = t.opaque("kubernetes.NamedFormat")


@dataclass(frozen=True)
class NamedFormat:
    name: str


register_opaque(NamedFormat, _FORMAT.name)


def _date(text: str) -> list[str]:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            timeutil.parse_timestamp(text + "T00:00:00Z")
            return []
        except EvalError:
            pass
    return ["an RFC3339 full-date (e.g. 2006-01-02) is required"]


def _datetime(text: str) -> list[str]:
    try:
        timeutil.parse_timestamp(text)
    except EvalError:
        return ["an RFC3339 date-time (e.g. 2006-01-02T15:04:05Z) is required"]
    return []


def _uuid(text: str) -> list[str]:
    try:
        uuid.UUID(text)
    except ValueError:
        return ["does not match the UUID format"]
    return [] if len(text) in (32, 36) else ["does not match the UUID format"]


def _byte(text: str) -> list[str]:
    try:
        base64.b64decode(text, validate=True)
    except binascii.Error:
        return ["invalid base64"]
    return []


def _uri(text: str) -> list[str]:
    return ["invalid URI"] if request_uri_problem(text) else []


_VALIDATORS: Final[dict[str, Callable[[str], list[str]]]] = {
    "dns1123Label": naming.is_dns1123_label,
    "dns1123Subdomain": naming.is_dns1123_subdomain,
    "dns1035Label": naming.is_dns1035_label,
    "qualifiedName": naming.is_qualified_name,
    "dns1123LabelPrefix": lambda s: naming.name_is_dns_label(s, prefix=True),
    "dns1123SubdomainPrefix": lambda s: naming.name_is_dns_subdomain(s, prefix=True),
    "dns1035LabelPrefix": lambda s: naming.name_is_dns1035_label(s, prefix=True),
    "labelValue": naming.is_valid_label_value,
    "uri": _uri,
    "uuid": _uuid,
    "byte": _byte,
    "date": _date,
    "datetime": _datetime,
}


def validate(fmt: NamedFormat, text: str) -> Optional:
    """``optional.none()`` when ``text`` is valid, else ``optional.of(messages)``."""
    problems = _VALIDATORS[fmt.name](text)
    return Optional.of(list(problems)) if problems else NONE


def _named(name: str) -> Optional:
    return Optional.of(NamedFormat(name)) if name in _VALIDATORS else NONE


for _name in _VALIDATORS:
    FORMATS.add(
        f"format.{_name}",
        overload(f"format_{_name}", [], _FORMAT, lambda n=_name: NamedFormat(n)),
    )
FORMATS.add("format.named", overload("format_named", [t.STRING], t.optional_of(_FORMAT), _named))
FORMATS.add(
    "validate",
    member("format_validate", [_FORMAT, t.STRING], t.optional_of(t.list_of(t.STRING)), validate),
)
