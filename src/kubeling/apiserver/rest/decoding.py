"""What Kubernetes' decoder checks in a written body before any handler sees it.

A body is decoded into one Go type: a body of another kind or API version is
refused, a field of the wrong JSON type is a 400, and unknown or duplicate
fields are refused, warned about or dropped as ``fieldValidation`` says. The
generic store and the subresources that take their own kind (TokenRequest)
share these checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kubeling.api import errors
from kubeling.api.pruning import scan
from kubeling.api.schema import GroupVersionKind, Object
from kubeling.apiserver.rest.options import WriteOptions
from kubeling.apiserver.warnings import add_warning

__all__ = ["check_fields", "check_kind"]


def check_kind(obj: Mapping[str, Any], gvk: GroupVersionKind) -> None:
    """400 if the body names another kind or API version than ``gvk`` (unset is fine)."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if kind not in (None, "", gvk.kind):
        raise errors.bad_request(
            f'{kind} in version "{gvk.version}" cannot be handled as a {gvk.kind}: '
            f'no kind "{kind}" is registered for version "{gvk.api_version}"'
        )
    if api_version not in (None, "", gvk.api_version):
        raise errors.bad_request(
            f"the API version in the data ({api_version}) does not match the expected "
            f"API version ({gvk.api_version})"
        )


def check_fields(
    obj: Any,
    *,
    type: Object,
    gvk: GroupVersionKind,
    options: WriteOptions,
    duplicates: Iterable[str] = (),
    more_unknown: Callable[[Any], Iterable[str]] | None = None,
) -> None:
    """Decode-time checks on a written object of ``type``, as fieldValidation asks.

    A JSON type error is always a 400. Unknown (and duplicate) fields, and
    those ``more_unknown`` reports, are a 400 with ``Strict``, a Warning with
    ``Warn``, silent with ``Ignore``; either way unknown fields are then
    dropped, as decoding into a typed object drops them in Kubernetes.
    """
    prefix = f'{gvk.kind} in version "{gvk.version}" cannot be handled as a {gvk.kind}: '
    found = scan(obj, type)
    if found.type_error:
        raise errors.bad_request(prefix + found.type_error)
    unknown = found.unknown_messages()
    problems = [
        *duplicates,
        *unknown,
        *(f'unknown field "{p}"' for p in (more_unknown(obj) if more_unknown else ())),
    ]
    if problems and options.field_validation == "Strict":
        raise errors.bad_request(prefix + "strict decoding error: " + ", ".join(problems))
    if options.field_validation == "Warn":
        for problem in problems:
            add_warning(problem)
    found.drop_unknown()
