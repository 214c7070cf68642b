"""OpenAPI v2 as gnostic protobuf: the form kubectl downloads from ``/openapi/v2``.

kubectl 1.32 decides whether to validate a manifest itself by looking for the
kind's PATCH operation in ``/openapi/v3``. A kind without one (TokenReview,
SubjectAccessReview, the other create-only reviews) sends it on to
``GET /openapi/v2`` with ``Accept:
application/com.github.proto-openapi.spec.v2@v1.0+protobuf``, and the body is
parsed as gnostic's ``openapi.v2.Document`` (github.com/google/gnostic-models,
``openapiv2/OpenAPIv2.proto``); kubectl's schema validation then reads the
same message. kube-apiserver makes those bytes by parsing its swagger JSON
with gnostic and marshalling the result. :func:`encode_document` does the
same from the document dict that :func:`kubeling.apiserver.openapi.build_v2`
returns, driven by the declarations below, whose field numbers are the
.proto's. They take four shapes:

- :class:`Message`: a JSON object with fixed keys (``fields``); keys starting
  ``x-`` go to the message's ``repeated NamedAny vendor_extension``; a map
  message (Definitions, Properties, Paths, Responses...) holds its other keys
  as ``repeated Named<T>`` entries ``{1 name, 2 value}``.
- :class:`OneOf`: gnostic's ``oneof`` wrappers (ParametersItem, Parameter,
  AdditionalPropertiesItem...): the JSON value fills the one member gnostic's
  parser would pick for it (``$ref`` makes a JsonReference, ``in: body`` a
  BodyParameter, ``true`` an AdditionalPropertiesItem.boolean).
- :class:`Wrapper`: TypeItem, ItemsItem, StringArray hold the value itself in
  repeated field 1; a single value is a list of one.
- ``ANY``: gnostic's ``Any`` carries a value as YAML text in field 2
  (``yaml``): extensions, ``default``, ``enum`` and ``example`` values.
  gnostic's ``compiler.Marshal`` writes block style with yaml.v3; PyYAML's
  block style here may quote differently (``''`` for ``""``) but reads back
  as the same value in any YAML parser, kubectl's included.

>>> encode_document({"swagger": "2.0", "info": {"title": "T", "version": "v"}})
b'\\n\\x032.0\\x12\\x06\\n\\x01T\\x12\\x01v'

proto3 rules, as Go's marshaller applies them: a zero scalar (``""``,
``false``, ``0``) is not written, except as a oneof member
(``additionalProperties: false`` must survive); a message is written whenever
its key is present, even empty (kubectl's model tells ``properties: {}`` from
no properties); fields go in field-number order, named entries in key order,
which is the order of kube-apiserver's JSON (Go writes map keys sorted).

Nothing is dropped silently: a key gnostic's parser would refuse (neither a
field of its message nor an extension or entry it takes) or a value of the
wrong JSON type raises :class:`OpenAPIEncodeError` naming the path, as
kube-apiserver refuses to serve a document gnostic cannot parse.
"""

from __future__ import annotations

import enum
import json
import re
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from kubeling.api.protowire import FIXED64, VARINT, len_field, tag, varint

__all__ = [
    "MESSAGES",
    "Entries",
    "Field",
    "Message",
    "OneOf",
    "OpenAPIEncodeError",
    "Scalar",
    "Wrapper",
    "encode_document",
    "yaml_text",
]


class OpenAPIEncodeError(ValueError):
    """The document has no gnostic form: gnostic's parser would refuse it."""


class Scalar(enum.Enum):
    """A leaf: a proto3 scalar, or gnostic's ``Any`` (YAML text)."""

    STRING = "string"
    BOOL = "bool"
    DOUBLE = "double"
    INT64 = "int64"
    ANY = "Any"


STRING = Scalar.STRING
BOOL = Scalar.BOOL
DOUBLE = Scalar.DOUBLE
INT64 = Scalar.INT64
ANY = Scalar.ANY

TypeRef = Scalar | str
"""A scalar, or the name of a message in :data:`MESSAGES`."""


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a message: its number in the .proto, its type, repeated or not."""

    number: int
    type: TypeRef
    repeated: bool = False


@dataclass(frozen=True, slots=True)
class Entries:
    """A map message's ``repeated Named<T>`` field: the keys ``pattern`` matches (all if None)."""

    number: int
    type: TypeRef
    pattern: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """A JSON object: fixed keys, ``x-`` extensions (field ``extensions``), named entries."""

    fields: Mapping[str, Field] = field(default_factory=dict)
    extensions: int = 0
    entries: Entries | None = None


@dataclass(frozen=True, slots=True)
class OneOf:
    """A gnostic oneof: ``choose`` names the member a JSON value fills (None: none fits)."""

    members: Mapping[int, TypeRef]
    choose: Callable[[Any], int | None]


@dataclass(frozen=True, slots=True)
class Wrapper:
    """A message holding the JSON value itself (one value or a list) in repeated field 1."""

    item: TypeRef


def _key_of(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else None


def _reference_or(member: int) -> Callable[[Any], int]:
    """Parameters and responses: a ``$ref`` is a JsonReference (2), anything else ``member``."""
    return lambda value: 2 if _key_of(value, "$ref") is not None else member


_NON_BODY_LOCATIONS = {"header": 1, "formData": 2, "query": 3, "path": 4}
_SECURITY_TYPES = {"basic": 1, "apiKey": 2}

# The fields every Schema-like parameter shares: header and path parameters
# number them one way, query and formData parameters (with allowEmptyValue at
# 5) one further on.
_PATH_PARAMETER = Message(
    {
        "required": Field(1, BOOL),
        "in": Field(2, STRING),
        "description": Field(3, STRING),
        "name": Field(4, STRING),
        "type": Field(5, STRING),
        "format": Field(6, STRING),
        "items": Field(7, "PrimitivesItems"),
        "collectionFormat": Field(8, STRING),
        "default": Field(9, ANY),
        "maximum": Field(10, DOUBLE),
        "exclusiveMaximum": Field(11, BOOL),
        "minimum": Field(12, DOUBLE),
        "exclusiveMinimum": Field(13, BOOL),
        "maxLength": Field(14, INT64),
        "minLength": Field(15, INT64),
        "pattern": Field(16, STRING),
        "maxItems": Field(17, INT64),
        "minItems": Field(18, INT64),
        "uniqueItems": Field(19, BOOL),
        "enum": Field(20, ANY, repeated=True),
        "multipleOf": Field(21, DOUBLE),
    },
    extensions=22,
)
_QUERY_PARAMETER = Message(
    {
        "required": Field(1, BOOL),
        "in": Field(2, STRING),
        "description": Field(3, STRING),
        "name": Field(4, STRING),
        "allowEmptyValue": Field(5, BOOL),
        "type": Field(6, STRING),
        "format": Field(7, STRING),
        "items": Field(8, "PrimitivesItems"),
        "collectionFormat": Field(9, STRING),
        "default": Field(10, ANY),
        "maximum": Field(11, DOUBLE),
        "exclusiveMaximum": Field(12, BOOL),
        "minimum": Field(13, DOUBLE),
        "exclusiveMinimum": Field(14, BOOL),
        "maxLength": Field(15, INT64),
        "minLength": Field(16, INT64),
        "pattern": Field(17, STRING),
        "maxItems": Field(18, INT64),
        "minItems": Field(19, INT64),
        "uniqueItems": Field(20, BOOL),
        "enum": Field(21, ANY, repeated=True),
        "multipleOf": Field(22, DOUBLE),
    },
    extensions=23,
)

MESSAGES: dict[str, Message | OneOf | Wrapper] = {
    "Document": Message(
        {
            "swagger": Field(1, STRING),
            "info": Field(2, "Info"),
            "host": Field(3, STRING),
            "basePath": Field(4, STRING),
            "schemes": Field(5, STRING, repeated=True),
            "consumes": Field(6, STRING, repeated=True),
            "produces": Field(7, STRING, repeated=True),
            "paths": Field(8, "Paths"),
            "definitions": Field(9, "Definitions"),
            "parameters": Field(10, "ParameterDefinitions"),
            "responses": Field(11, "ResponseDefinitions"),
            "security": Field(12, "SecurityRequirement", repeated=True),
            "securityDefinitions": Field(13, "SecurityDefinitions"),
            "tags": Field(14, "Tag", repeated=True),
            "externalDocs": Field(15, "ExternalDocs"),
        },
        extensions=16,
    ),
    "Info": Message(
        {
            "title": Field(1, STRING),
            "version": Field(2, STRING),
            "description": Field(3, STRING),
            "termsOfService": Field(4, STRING),
            "contact": Field(5, "Contact"),
            "license": Field(6, "License"),
        },
        extensions=7,
    ),
    "Contact": Message(
        {"name": Field(1, STRING), "url": Field(2, STRING), "email": Field(3, STRING)},
        extensions=4,
    ),
    "License": Message({"name": Field(1, STRING), "url": Field(2, STRING)}, extensions=3),
    "ExternalDocs": Message(
        {"description": Field(1, STRING), "url": Field(2, STRING)}, extensions=3
    ),
    "Tag": Message(
        {
            "name": Field(1, STRING),
            "description": Field(2, STRING),
            "externalDocs": Field(3, "ExternalDocs"),
        },
        extensions=4,
    ),
    "Paths": Message(extensions=1, entries=Entries(2, "PathItem", re.compile("^/"))),
    "PathItem": Message(
        {
            "$ref": Field(1, STRING),
            "get": Field(2, "Operation"),
            "put": Field(3, "Operation"),
            "post": Field(4, "Operation"),
            "delete": Field(5, "Operation"),
            "options": Field(6, "Operation"),
            "head": Field(7, "Operation"),
            "patch": Field(8, "Operation"),
            "parameters": Field(9, "ParametersItem", repeated=True),
        },
        extensions=10,
    ),
    "Operation": Message(
        {
            "tags": Field(1, STRING, repeated=True),
            "summary": Field(2, STRING),
            "description": Field(3, STRING),
            "externalDocs": Field(4, "ExternalDocs"),
            "operationId": Field(5, STRING),
            "produces": Field(6, STRING, repeated=True),
            "consumes": Field(7, STRING, repeated=True),
            "parameters": Field(8, "ParametersItem", repeated=True),
            "responses": Field(9, "Responses"),
            "schemes": Field(10, STRING, repeated=True),
            "deprecated": Field(11, BOOL),
            "security": Field(12, "SecurityRequirement", repeated=True),
        },
        extensions=13,
    ),
    "ParametersItem": OneOf({1: "Parameter", 2: "JsonReference"}, _reference_or(1)),
    "JsonReference": Message({"$ref": Field(1, STRING), "description": Field(2, STRING)}),
    "Parameter": OneOf(
        {1: "BodyParameter", 2: "NonBodyParameter"},
        lambda value: 1 if _key_of(value, "in") == "body" else 2,
    ),
    "BodyParameter": Message(
        {
            "description": Field(1, STRING),
            "name": Field(2, STRING),
            "in": Field(3, STRING),
            "required": Field(4, BOOL),
            "schema": Field(5, "Schema"),
        },
        extensions=6,
    ),
    "NonBodyParameter": OneOf(
        {
            1: "HeaderParameterSubSchema",
            2: "FormDataParameterSubSchema",
            3: "QueryParameterSubSchema",
            4: "PathParameterSubSchema",
        },
        lambda value: _NON_BODY_LOCATIONS.get(_key_of(value, "in")),
    ),
    "HeaderParameterSubSchema": _PATH_PARAMETER,
    "PathParameterSubSchema": _PATH_PARAMETER,
    "QueryParameterSubSchema": _QUERY_PARAMETER,
    "FormDataParameterSubSchema": _QUERY_PARAMETER,
    "PrimitivesItems": Message(
        {
            "type": Field(1, STRING),
            "format": Field(2, STRING),
            "items": Field(3, "PrimitivesItems"),
            "collectionFormat": Field(4, STRING),
            "default": Field(5, ANY),
            "maximum": Field(6, DOUBLE),
            "exclusiveMaximum": Field(7, BOOL),
            "minimum": Field(8, DOUBLE),
            "exclusiveMinimum": Field(9, BOOL),
            "maxLength": Field(10, INT64),
            "minLength": Field(11, INT64),
            "pattern": Field(12, STRING),
            "maxItems": Field(13, INT64),
            "minItems": Field(14, INT64),
            "uniqueItems": Field(15, BOOL),
            "enum": Field(16, ANY, repeated=True),
            "multipleOf": Field(17, DOUBLE),
        },
        extensions=18,
    ),
    "Responses": Message(
        extensions=2,
        entries=Entries(1, "ResponseValue", re.compile("^([0-9]{3})$|^(default)$")),
    ),
    "ResponseValue": OneOf({1: "Response", 2: "JsonReference"}, _reference_or(1)),
    "Response": Message(
        {"description": Field(1, STRING), "schema": Field(2, "SchemaItem")}, extensions=5
    ),
    # gnostic tries Schema, then FileSchema; only a file schema fits both.
    "SchemaItem": OneOf(
        {1: "Schema", 2: "FileSchema"},
        lambda value: 2 if _key_of(value, "type") == "file" else 1,
    ),
    "FileSchema": Message(
        {
            "format": Field(1, STRING),
            "title": Field(2, STRING),
            "description": Field(3, STRING),
            "default": Field(4, ANY),
            "required": Field(5, STRING, repeated=True),
            "type": Field(6, STRING),
            "readOnly": Field(7, BOOL),
            "externalDocs": Field(8, "ExternalDocs"),
            "example": Field(9, ANY),
        },
        extensions=10,
    ),
    "Schema": Message(
        {
            "$ref": Field(1, STRING),
            "format": Field(2, STRING),
            "title": Field(3, STRING),
            "description": Field(4, STRING),
            "default": Field(5, ANY),
            "multipleOf": Field(6, DOUBLE),
            "maximum": Field(7, DOUBLE),
            "exclusiveMaximum": Field(8, BOOL),
            "minimum": Field(9, DOUBLE),
            "exclusiveMinimum": Field(10, BOOL),
            "maxLength": Field(11, INT64),
            "minLength": Field(12, INT64),
            "pattern": Field(13, STRING),
            "maxItems": Field(14, INT64),
            "minItems": Field(15, INT64),
            "uniqueItems": Field(16, BOOL),
            "maxProperties": Field(17, INT64),
            "minProperties": Field(18, INT64),
            "required": Field(19, STRING, repeated=True),
            "enum": Field(20, ANY, repeated=True),
            "additionalProperties": Field(21, "AdditionalPropertiesItem"),
            "type": Field(22, "TypeItem"),
            "items": Field(23, "ItemsItem"),
            "allOf": Field(24, "Schema", repeated=True),
            "properties": Field(25, "Properties"),
            "discriminator": Field(26, STRING),
            "readOnly": Field(27, BOOL),
            "externalDocs": Field(29, "ExternalDocs"),
            "example": Field(30, ANY),
        },
        extensions=31,
    ),
    "AdditionalPropertiesItem": OneOf(
        {1: "Schema", 2: BOOL}, lambda value: 2 if isinstance(value, bool) else 1
    ),
    "TypeItem": Wrapper(STRING),
    "ItemsItem": Wrapper("Schema"),
    "Properties": Message(entries=Entries(1, "Schema")),
    "Definitions": Message(entries=Entries(1, "Schema")),
    "ParameterDefinitions": Message(entries=Entries(1, "Parameter")),
    "ResponseDefinitions": Message(entries=Entries(1, "Response")),
    "SecurityDefinitions": Message(entries=Entries(1, "SecurityDefinitionsItem")),
    "SecurityDefinitionsItem": OneOf(
        {1: "BasicAuthenticationSecurity", 2: "ApiKeySecurity"},
        lambda value: _SECURITY_TYPES.get(_key_of(value, "type")),
    ),
    "BasicAuthenticationSecurity": Message(
        {"type": Field(1, STRING), "description": Field(2, STRING)}, extensions=3
    ),
    "ApiKeySecurity": Message(
        {
            "type": Field(1, STRING),
            "name": Field(2, STRING),
            "in": Field(3, STRING),
            "description": Field(4, STRING),
        },
        extensions=5,
    ),
    "SecurityRequirement": Message(entries=Entries(1, "StringArray")),
    "StringArray": Wrapper(STRING),
}
"""gnostic's OpenAPI v2 messages that a Kubernetes swagger document uses."""


# -- Any: YAML text -------------------------------------------------------------

# libyaml when present (much faster); both write the same text.
_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def yaml_text(value: Any) -> str:
    """``value`` as gnostic's ``Any.yaml``: block-style YAML, keys sorted, one line per value.

    >>> print(yaml_text([{"group": "", "kind": "Pod", "version": "v1"}]), end="")
    - group: ''
      kind: Pod
      version: v1
    >>> yaml_text("get"), yaml_text(True), yaml_text({})
    ('get\\n', 'true\\n', '{}\\n')
    """
    text: str = yaml.dump(
        value,
        Dumper=_DUMPER,
        default_flow_style=False,
        sort_keys=True,
        allow_unicode=True,
        width=1 << 30,
    )
    # PyYAML's pure-Python dumper ends a lone scalar with a document-end marker.
    return text[: -len("...\n")] if text.endswith("\n...\n") else text


# -- encoding ---------------------------------------------------------------------


def encode_document(document: Mapping[str, Any]) -> bytes:
    """The ``openapi.v2.Document`` message for a swagger 2.0 document."""
    try:
        return _Encoder().payload("Document", document, "")
    except RecursionError:
        raise OpenAPIEncodeError("the document nests too deeply") from None


class _Encoder:
    """One document's encoding; remembers the YAML of repeated ``Any`` values."""

    def __init__(self) -> None:
        self._yaml: dict[str, bytes] = {}

    def payload(self, name: str, value: Any, path: str) -> bytes:
        """The bytes of message ``name`` (without its tag and length) holding ``value``."""
        declaration = MESSAGES[name]
        if isinstance(declaration, Message):
            return self._message(declaration, value, path)
        if isinstance(declaration, OneOf):
            member = declaration.choose(value)
            if member is None or member not in declaration.members:
                raise OpenAPIEncodeError(f"{_where(path)}: fits no member of {name}")
            return self._field(member, declaration.members[member], value, path, presence=True)
        items = value if isinstance(value, list) else [value]
        return b"".join(
            self._field(1, declaration.item, item, f"{path}[{index}]", presence=True)
            for index, item in enumerate(items)
        )

    def _message(self, declaration: Message, value: Any, path: str) -> bytes:
        if not isinstance(value, Mapping):
            raise OpenAPIEncodeError(f"{_where(path)}: expected an object")
        parts: list[tuple[int, bytes]] = []
        extensions: list[str] = []
        entries: list[str] = []
        entry = declaration.entries
        for key in value:
            if not isinstance(key, str):
                raise OpenAPIEncodeError(f"{_where(path)}: key {key!r} is not a string")
            declared = declaration.fields.get(key)
            if declared is not None:
                parts.append(
                    (declared.number, self._declared(declared, value[key], _join(path, key)))
                )
            elif declaration.extensions and key.startswith("x-"):
                extensions.append(key)
            elif entry is not None and (entry.pattern is None or entry.pattern.search(key)):
                entries.append(key)
            else:
                raise OpenAPIEncodeError(f"{_where(path)}: unexpected key {key!r}")
        if extensions:
            parts.append(
                (
                    declaration.extensions,
                    b"".join(
                        self._named(declaration.extensions, key, ANY, value[key], path)
                        for key in sorted(extensions)
                    ),
                )
            )
        if entry is not None and entries:
            parts.append(
                (
                    entry.number,
                    b"".join(
                        self._named(entry.number, key, entry.type, value[key], path)
                        for key in sorted(entries)
                    ),
                )
            )
        parts.sort(key=lambda part: part[0])
        return b"".join(encoded for _, encoded in parts)

    def _declared(self, declared: Field, value: Any, path: str) -> bytes:
        if not declared.repeated:
            return self._field(declared.number, declared.type, value, path, presence=False)
        if not isinstance(value, list):
            raise OpenAPIEncodeError(f"{_where(path)}: expected a list")
        return b"".join(
            self._field(declared.number, declared.type, item, f"{path}[{index}]", presence=True)
            for index, item in enumerate(value)
        )

    def _named(self, number: int, key: str, type: TypeRef, value: Any, path: str) -> bytes:
        """One ``Named<T>`` entry ``{1 name, 2 value}`` as field ``number``."""
        body = len_field(1, key.encode()) + self._field(
            2, type, value, _join(path, key), presence=False
        )
        return len_field(number, body)

    def _field(self, number: int, type: TypeRef, value: Any, path: str, *, presence: bool) -> bytes:
        """Field ``number`` holding ``value``; empty for a proto3 zero without ``presence``."""
        if isinstance(type, str):
            return len_field(number, self.payload(type, value, path))
        if type is ANY:
            return len_field(number, len_field(2, self._any(value)))
        if type is STRING:
            if not isinstance(value, str):
                raise OpenAPIEncodeError(f"{_where(path)}: expected a string")
            return len_field(number, value.encode()) if value or presence else b""
        if type is BOOL:
            if not isinstance(value, bool):
                raise OpenAPIEncodeError(f"{_where(path)}: expected a boolean")
            return tag(number, VARINT) + varint(int(value)) if value or presence else b""
        if type is INT64:
            if isinstance(value, bool) or not isinstance(value, int) or value.bit_length() > 63:
                raise OpenAPIEncodeError(f"{_where(path)}: expected a 64-bit integer")
            return tag(number, VARINT) + varint(value) if value or presence else b""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise OpenAPIEncodeError(f"{_where(path)}: expected a number")
        if not value and not presence:
            return b""
        return tag(number, FIXED64) + struct.pack("<d", float(value))

    def _any(self, value: Any) -> bytes:
        memo = json.dumps(value, sort_keys=True)
        text = self._yaml.get(memo)
        if text is None:
            text = self._yaml[memo] = yaml_text(value).encode()
        return text


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _where(path: str) -> str:
    return path or "<document>"
