"""Request bodies in, JSON out: the API server's encodings.

Requests may be JSON, YAML or Kubernetes protobuf (kubectl's typed calls send
protobuf with no fallback, see KUBECTL-CONTRACT.md §4); patches carry their own
content types. Responses are always JSON, which every client accepts.
Malformed bodies become a 400 BadRequest Status, unsupported content types a
415, oversized bodies a 413: never a 500.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from kubeling.api import errors, protobuf
from kubeling.api.pruning import JSONBodyError, parse_json_strict
from kubeling.api.schema import Object

__all__ = [
    "MAX_BODY_BYTES",
    "PROTOBUF",
    "decode_body",
    "decode_body_strict",
    "dumps",
    "media_type",
]

MAX_BODY_BYTES = 3 * 1024 * 1024
"""Kubernetes' limit for a JSON or YAML request body (3 MiB)."""

PROTOBUF = "application/vnd.kubernetes.protobuf"

_JSON_TYPES = {
    "application/json",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
}
_YAML_TYPES = {"application/yaml", "application/apply-patch+yaml", "text/yaml"}

ACCEPTED = ["application/json", "application/yaml", PROTOBUF]


def media_type(content_type: str) -> str:
    """The bare media type of a Content-Type header, lower-cased.

    >>> media_type("application/json; charset=utf-8")
    'application/json'
    """
    return content_type.split(";", 1)[0].strip().lower()


def dumps(value: Any) -> bytes:
    """Compact JSON in UTF-8, bytes that are not UTF-8 replaced by U+FFFD as Go's
    encoder does: a header's raw bytes (decoded with surrogate escapes) may be quoted
    back in a Status message.

    >>> dumps({"user": b"\\xff".decode("utf-8", "surrogateescape")}).decode()
    '{"user":"\ufffd"}'
    """
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace").encode()


def decode_body(body: bytes, content_type: str, *, type: Object | None = None) -> Any:
    """Decode a request body by its Content-Type; raise a StatusError on failure.

    ``type`` is the declaration a protobuf body is decoded with (the
    resource's); JSON and YAML need none.
    """
    return decode_body_strict(body, content_type, type=type)[0]


def decode_body_strict(
    body: bytes, content_type: str, *, type: Object | None = None
) -> tuple[Any, list[str]]:
    """Decode a request body, and list its duplicate fields (JSON only)."""
    if len(body) > MAX_BODY_BYTES:
        raise errors.request_entity_too_large("the request body is too large")
    media = media_type(content_type) or "application/json"
    if media in _JSON_TYPES:
        try:
            return parse_json_strict(body)
        except (JSONBodyError, ValueError, UnicodeDecodeError, RecursionError) as err:
            raise errors.bad_request(f"the body of the request was not valid JSON: {err}") from err
    if media in _YAML_TYPES:
        try:
            value = yaml.safe_load(body)
            # As sigs.k8s.io/yaml, through JSON: an alias that contains itself (`a: &a [*a]`)
            # is refused here, and YAML timestamps become strings.
            return json.loads(json.dumps(value, default=str)), []
        except (yaml.YAMLError, UnicodeDecodeError, RecursionError, ValueError) as err:
            raise errors.bad_request(f"error converting YAML to JSON: {err}") from err
    if media == PROTOBUF:
        if type is None:
            raise errors.unsupported_media_type(["application/json", "application/yaml"])
        return _decode_protobuf(body, type), []
    raise errors.unsupported_media_type(ACCEPTED)


def _decode_protobuf(body: bytes, type: Object) -> Any:
    """A protobuf body, decoded with the resource's declaration; the envelope's
    apiVersion and kind are kept, so that a body of another kind is refused by
    the store's kind check with Kubernetes' message."""
    try:
        api_version, kind, raw = protobuf.decode(body)
        obj: dict[str, Any] = protobuf.decode_object(raw, type)
    except protobuf.ProtobufDecodeError as err:
        raise errors.bad_request(f"the protobuf body could not be decoded: {err}") from err
    obj["apiVersion"] = api_version
    obj["kind"] = kind
    return obj
