"""OpenAPI v2 as gnostic protobuf: field numbers, proto3 rules, round trips, what kubectl models.

Decoding uses the ``protobuf`` package's own parser, with message classes
built from the encoder's declarations: an independent reader of the wire
format. The field numbers themselves are pinned against OpenAPIv2.proto by
the golden tests, and end to end by kubectl (tests/e2e/test_openapi_v2.py).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from typing import Any

import pytest
import yaml
from google.protobuf import (  # type: ignore[import-untyped]
    descriptor_pb2,
    descriptor_pool,
    message_factory,
)

from kubeling.api.protowire import FIXED64, VARINT, len_field, tag, varint
from kubeling.api.schema import Object
from kubeling.apiserver.openapi import build_v2
from kubeling.apiserver.openapi_protobuf import (
    ANY,
    MESSAGES,
    Message,
    OneOf,
    OpenAPIEncodeError,
    Scalar,
    TypeRef,
    Wrapper,
    encode_document,
    yaml_text,
)
from kubeling.apiserver.registry.builtin import builtin_resources
from kubeling.apiserver.registry.resource import Resource

# -- a decoder built from the declarations -------------------------------------------

_PROTO_TYPES = {Scalar.STRING: 9, Scalar.BOOL: 8, Scalar.DOUBLE: 1, Scalar.INT64: 3}
_OPTIONAL, _REPEATED = 1, 3


def _type_name(type: TypeRef) -> str:
    if type is ANY:
        return "Any"
    return type if isinstance(type, str) else type.value.capitalize()


def _add_field(
    message: Any, name: str, number: int, type: TypeRef, *, repeated: bool = False
) -> Any:
    label = _REPEATED if repeated else _OPTIONAL
    if isinstance(type, Scalar) and type is not ANY:
        return message.field.add(name=name, number=number, type=_PROTO_TYPES[type], label=label)
    return message.field.add(
        name=name, number=number, type=11, label=label, type_name=f".gnostic.{_type_name(type)}"
    )


def _message_classes() -> dict[str, Any]:
    file = descriptor_pb2.FileDescriptorProto(name="gnostic_test.proto", package="gnostic")
    file.syntax = "proto3"
    named: set[TypeRef] = {ANY}
    for name, declaration in MESSAGES.items():
        message = file.message_type.add(name=name)
        if isinstance(declaration, Message):
            for field in declaration.fields.values():
                name = f"f{field.number}"
                _add_field(message, name, field.number, field.type, repeated=field.repeated)
            if declaration.extensions:
                number = declaration.extensions
                _add_field(message, "vendor_extension", number, "NamedAny", repeated=True)
            if declaration.entries is not None:
                entry = declaration.entries
                named.add(entry.type)
                entries = f"Named{_type_name(entry.type)}"
                _add_field(message, "entries", entry.number, entries, repeated=True)
        elif isinstance(declaration, OneOf):
            message.oneof_decl.add(name="oneof")
            for number, type in declaration.members.items():
                _add_field(message, f"f{number}", number, type).oneof_index = 0
        else:
            _add_field(message, "value", 1, declaration.item, repeated=True)
    any_message = file.message_type.add(name="Any")
    any_message.field.add(name="yaml", number=2, type=9, label=_OPTIONAL)
    for type in named:
        pair = file.message_type.add(name=f"Named{_type_name(type)}")
        pair.field.add(name="name", number=1, type=9, label=_OPTIONAL)
        _add_field(pair, "value", 2, type)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"gnostic.{name}"))
        for name in MESSAGES
    }


CLASSES = _message_classes()


def decode(data: bytes) -> Any:
    """The bytes as a gnostic Document, read by the protobuf package."""
    return CLASSES["Document"].FromString(data)


def to_json(message: Any, type: TypeRef) -> Any:
    """A decoded message back in swagger JSON form (Any: its YAML, parsed)."""
    if type is ANY:
        return yaml.safe_load(message.yaml)
    if isinstance(type, Scalar):
        return message
    declaration = MESSAGES[type]
    if isinstance(declaration, OneOf):
        member = message.WhichOneof("oneof")
        assert member is not None, f"{type}: no member set"
        number = int(member[1:])
        return to_json(getattr(message, member), declaration.members[number])
    if isinstance(declaration, Wrapper):
        return [to_json(item, declaration.item) for item in message.value]
    out: dict[str, Any] = {}
    for key, field in declaration.fields.items():
        name = f"f{field.number}"
        if field.repeated:
            items = [to_json(item, field.type) for item in getattr(message, name)]
            if items:
                out[key] = items
        elif isinstance(field.type, str) or field.type is ANY:
            if message.HasField(name):
                out[key] = to_json(getattr(message, name), field.type)
        elif getattr(message, name):
            out[key] = getattr(message, name)
    if declaration.extensions:
        for pair in message.vendor_extension:
            out[pair.name] = yaml.safe_load(pair.value.yaml)
    if declaration.entries is not None:
        for pair in message.entries:
            out[pair.name] = to_json(pair.value, declaration.entries.type)
    return out


def proto3(value: Any, type: TypeRef) -> Any:
    """``value`` as proto3 keeps it: zero scalars gone, wrapped values as lists."""
    if isinstance(type, Scalar):
        return value
    declaration = MESSAGES[type]
    if isinstance(declaration, OneOf):
        member = declaration.choose(value)
        assert member is not None
        return proto3(value, declaration.members[member])
    if isinstance(declaration, Wrapper):
        return [
            proto3(item, declaration.item)
            for item in (value if isinstance(value, list) else [value])
        ]
    out: dict[str, Any] = {}
    for key, item in value.items():
        field = declaration.fields.get(key)
        if field is None:
            entry = declaration.entries
            is_extension = declaration.extensions and key.startswith("x-")
            out[key] = item if is_extension or entry is None else proto3(item, entry.type)
        elif field.repeated:
            if item:
                out[key] = [proto3(element, field.type) for element in item]
        elif isinstance(field.type, str) or field.type is ANY or item:
            out[key] = proto3(item, field.type)
    return out


def round_trip(document: Mapping[str, Any]) -> Any:
    return to_json(decode(encode_document(document)), "Document")


# -- field numbers, pinned against OpenAPIv2.proto ---------------------------------------


def _named(number: int, name: str, value: bytes) -> bytes:
    return len_field(number, len_field(1, name.encode()) + value)


def _any(number: int, text: str) -> bytes:
    return len_field(number, len_field(2, text.encode()))


GOLDEN = [
    # Document: swagger 1, info 2 {title 1, version 2}
    (
        {"swagger": "2.0", "info": {"title": "Kubernetes", "version": "v1.32.0"}},
        len_field(1, b"2.0") + len_field(2, len_field(1, b"Kubernetes") + len_field(2, b"v1.32.0")),
    ),
    # Document.definitions 9 > NamedSchema {1 name, 2 Schema}; Schema.$ref 1
    (
        {"definitions": {"A": {"$ref": "#/definitions/B"}}},
        len_field(9, _named(1, "A", len_field(2, len_field(1, b"#/definitions/B")))),
    ),
    # Schema: type 22 (TypeItem.value 1), items 23 (ItemsItem.schema 1),
    # properties 25 (NamedSchema 1), additionalProperties 21 (boolean 2),
    # required 19, vendor_extension 31 (NamedAny {1, 2 Any{yaml 2}})
    (
        {
            "definitions": {
                "S": {
                    "type": "object",
                    "required": ["a"],
                    "properties": {"a": {"type": "array", "items": {"type": "string"}}},
                    "additionalProperties": False,
                    "x-kubernetes-map-type": "atomic",
                }
            }
        },
        len_field(
            9,
            _named(
                1,
                "S",
                len_field(
                    2,
                    len_field(19, b"a")
                    + len_field(21, tag(2, VARINT) + varint(0))
                    + len_field(22, len_field(1, b"object"))
                    + len_field(
                        25,
                        _named(
                            1,
                            "a",
                            len_field(
                                2,
                                len_field(22, len_field(1, b"array"))
                                + len_field(
                                    23, len_field(1, len_field(22, len_field(1, b"string")))
                                ),
                            ),
                        ),
                    )
                    + _named(31, "x-kubernetes-map-type", _any(2, "atomic\n")),
                ),
            ),
        ),
    ),
]


def test_golden_documents() -> None:
    """Documents small enough to spell out byte by byte, from the .proto's numbers."""
    for document, expected in GOLDEN:
        assert encode_document(document) == expected, document


def test_golden_scalars() -> None:
    """Schema's double (maximum 7), int64 (maxLength 11) and Any (default 5, enum 20)."""
    schema = (
        _any(5, "1\n")
        + tag(7, FIXED64)
        + struct.pack("<d", 2.5)
        + tag(11, VARINT)
        + varint(3)
        + _any(20, "a\n")
        + _any(20, "''\n")
    )
    document = {
        "definitions": {"N": {"maximum": 2.5, "maxLength": 3, "default": 1, "enum": ["a", ""]}}
    }
    assert encode_document(document) == len_field(9, _named(1, "N", len_field(2, schema)))


def test_golden_patch_operation() -> None:
    """What kubectl's v2 verifier walks: Paths.path 2 > PathItem.patch 8 > Operation
    parameters 8 (ParametersItem.parameter 1 > Parameter.non_body_parameter 2 >
    NonBodyParameter.query_parameter_sub_schema 3 > name 4) and vendor_extension 13."""
    gvk = {"group": "", "kind": "Pod", "version": "v1"}
    document = {
        "paths": {
            "/api/v1/namespaces/{namespace}/pods/{name}": {
                "patch": {
                    "parameters": [{"name": "fieldValidation", "in": "query", "type": "string"}],
                    "x-kubernetes-group-version-kind": gvk,
                }
            }
        }
    }
    query = len_field(2, b"query") + len_field(4, b"fieldValidation") + len_field(6, b"string")
    parameter = len_field(1, len_field(2, len_field(3, query)))
    extension = _any(2, "group: ''\nkind: Pod\nversion: v1\n")
    operation = len_field(8, parameter) + _named(13, "x-kubernetes-group-version-kind", extension)
    path_item = len_field(8, operation)
    expected = len_field(
        8, _named(2, "/api/v1/namespaces/{namespace}/pods/{name}", len_field(2, path_item))
    )
    assert encode_document(document) == expected


# -- round trips -----------------------------------------------------------------------

GVK = {"group": "widgets.test.io", "kind": "Widget", "version": "v1"}
REPRESENTATIVE: dict[str, Any] = {
    "swagger": "2.0",
    "info": {"title": "Kubernetes", "version": "v1.32.0", "x-note": {"nested": [1, "two", None]}},
    "paths": {
        "/apis/widgets.test.io/v1/namespaces/{namespace}/widgets/{name}": {
            "parameters": [
                {
                    "name": "name",
                    "in": "path",
                    "required": True,
                    "type": "string",
                    "uniqueItems": True,
                    "description": "name of the Widget",
                },
                {"$ref": "#/parameters/pretty"},
            ],
            "get": {
                "operationId": "readWidgetsV1NamespacedWidget",
                "tags": ["widgets_v1"],
                "produces": ["application/json", "application/yaml"],
                "responses": {
                    "200": {"description": "OK", "schema": {"$ref": "#/definitions/W"}},
                    "401": {"description": "Unauthorized"},
                    "default": {"$ref": "#/responses/err"},
                },
                "x-kubernetes-action": "get",
                "x-kubernetes-group-version-kind": GVK,
            },
            "patch": {
                "description": "partially update the specified Widget",
                "consumes": ["application/merge-patch+json"],
                "schemes": ["https"],
                "deprecated": True,
                "parameters": [
                    {
                        "name": "body",
                        "in": "body",
                        "required": True,
                        "schema": {"$ref": "#/definitions/Patch"},
                    },
                    {"name": "fieldValidation", "in": "query", "type": "string"},
                    {"name": "force", "in": "query", "type": "boolean", "default": False},
                    {
                        "name": "limit",
                        "in": "query",
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 500,
                    },
                    {"name": "X-Trace", "in": "header", "type": "string"},
                    {"name": "note", "in": "formData", "type": "string", "allowEmptyValue": True},
                    {
                        "name": "modes",
                        "in": "query",
                        "type": "array",
                        "items": {"type": "string", "enum": ["a", "b"]},
                        "collectionFormat": "multi",
                    },
                ],
                "responses": {"200": {"description": "OK", "schema": {"type": "string"}}},
                "security": [{"BearerToken": []}],
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": GVK,
            },
        },
        "x-paths-note": "yes",
    },
    "definitions": {
        "W": {
            "type": "object",
            "description": "A widget.",
            "required": ["spec"],
            "properties": {
                "spec": {"$ref": "#/definitions/Port", "description": "Spec."},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "free": {"type": "object", "additionalProperties": True},
                "closed": {"type": "object", "properties": {}, "additionalProperties": False},
                "mode": {"type": "string", "enum": ["Always", "Never", ""], "default": "Always"},
                "count": {
                    "type": "integer",
                    "format": "int32",
                    "default": 0,
                    "minimum": -1,
                    "exclusiveMinimum": True,
                    "maximum": 1e12,
                    "multipleOf": 0.5,
                },
                "ratio": {"type": "number", "format": "double", "default": 0.25},
                "on": {"type": "boolean", "default": True},
                "tags": {
                    "type": "array",
                    "items": {"type": "string"},
                    "maxItems": 5,
                    "minItems": 1,
                    "uniqueItems": True,
                    "x-kubernetes-list-type": "set",
                },
                "ports": {
                    "type": "array",
                    "items": {"$ref": "#/definitions/Port"},
                    "x-kubernetes-list-map-keys": ["port", "protocol"],
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-patch-merge-key": "port",
                    "x-kubernetes-patch-strategy": "merge",
                },
                "blob": {"x-kubernetes-preserve-unknown-fields": True},
                "either": {"allOf": [{"$ref": "#/definitions/Port"}], "title": "Either"},
                "name": {
                    "type": "string",
                    "pattern": "^[a-z]+$",
                    "maxLength": 63,
                    "minLength": 1,
                    "readOnly": True,
                    "example": "web",
                    "externalDocs": {"url": "https://example.com"},
                },
                "settings": {
                    "type": "object",
                    "default": {"a": [1, {"b": None}], "yes": "no", "multi": "one\ntwo"},
                    "maxProperties": 3,
                    "minProperties": 1,
                },
                "default": {"type": "string"},
                "x-kubernetes-embedded-resource": {"type": "boolean"},
            },
            "x-kubernetes-group-version-kind": [GVK],
        },
        "Port": {
            "type": "object",
            "required": ["port"],
            "properties": {
                "port": {"type": "integer", "format": "int32", "default": 80},
                "protocol": {"type": "string", "default": "TCP"},
            },
        },
        "Patch": {"type": "object"},
        "x-kubernetes-named-like-an-extension": {"type": "string"},
    },
    "parameters": {
        "pretty": {"name": "pretty", "in": "query", "type": "string", "uniqueItems": True}
    },
    "responses": {"err": {"description": "Error", "schema": {"$ref": "#/definitions/Patch"}}},
    "securityDefinitions": {
        "BearerToken": {
            "type": "apiKey",
            "name": "authorization",
            "in": "header",
            "description": "Bearer Token authentication",
        },
        "Basic": {"type": "basic"},
    },
    "security": [{"BearerToken": []}, {"Basic": ["read", "write"]}],
    "tags": [{"name": "widgets", "description": "Widgets."}],
    "x-document-note": 1.5,
}


def test_representative_document_round_trips() -> None:
    """Refs, extensions, additionalProperties (schema, true, false), enums, defaults,
    parameter kinds, $ref parameters and responses, security: all read back."""
    assert round_trip(REPRESENTATIVE) == proto3(REPRESENTATIVE, "Document")


def test_property_names_are_never_extensions() -> None:
    """Properties and definitions hold every key as a name, ``x-...`` ones too."""
    document = decode(encode_document(REPRESENTATIVE))
    widget = next(d.value for d in document.f9.entries if d.name == "W")
    names = [p.name for p in widget.f25.entries]
    assert "x-kubernetes-embedded-resource" in names
    assert "default" in names
    assert [e.name for e in widget.vendor_extension] == ["x-kubernetes-group-version-kind"]
    assert "x-kubernetes-named-like-an-extension" in [d.name for d in document.f9.entries]


def test_proto3_zero_values() -> None:
    """Zero scalars vanish as in Go; messages, oneof members and Any values stay."""
    document = {
        "definitions": {
            "A": {
                "description": "",
                "uniqueItems": False,
                "required": [],
                "properties": {},
                "additionalProperties": False,
                "default": "",
                "enum": [0, False, ""],
            }
        }
    }
    assert round_trip(document) == {
        "definitions": {
            "A": {
                "properties": {},
                "additionalProperties": False,
                "default": "",
                "enum": [0, False, ""],
            }
        }
    }
    schema = decode(encode_document(document)).f9.entries[0].value
    assert schema.HasField("f25")  # properties: {} is not "no properties"
    assert schema.f21.WhichOneof("oneof") == "f2"


def test_entries_are_written_in_key_order() -> None:
    """Named entries follow the keys' order, as kube-apiserver's JSON lists them."""
    forward = {"definitions": {"a": {}, "b": {}}, "x-b": 1, "x-a": 2}
    backward = {"x-a": 2, "x-b": 1, "definitions": {"b": {}, "a": {}}}
    assert encode_document(forward) == encode_document(backward)
    assert [d.name for d in decode(encode_document(backward)).f9.entries] == ["a", "b"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"swagger": 2}, "swagger: expected a string"),
        ({"info": []}, "info: expected an object"),
        ({"definitions": {"A": {"nullable": True}}}, "definitions.A: unexpected key 'nullable'"),
        ({"definitions": {"A": {"oneOf": []}}}, "definitions.A: unexpected key 'oneOf'"),
        ({"paths": {"api/v1": {}}}, "paths: unexpected key 'api/v1'"),
        ({"definitions": {"A": {"maxLength": 1.5}}}, "maxLength: expected a 64-bit integer"),
        ({"definitions": {"A": {"maximum": "1"}}}, "maximum: expected a number"),
        ({"definitions": {"A": {"uniqueItems": 1}}}, "uniqueItems: expected a boolean"),
        ({"definitions": {"A": {"required": "a"}}}, "required: expected a list"),
        ({"definitions": {"A": {"type": [None]}}}, "definitions.A.type[0]: expected a string"),
        (
            {"paths": {"/x": {"get": {"parameters": [{"name": "a", "in": "cookie"}]}}}},
            "paths./x.get.parameters[0]: fits no member of NonBodyParameter",
        ),
        ({"securityDefinitions": {"o": {"type": "oauth2"}}}, "fits no member"),
        ({"responses": {"e": {"headers": {}}}}, "responses.e: unexpected key 'headers'"),
    ],
)
def test_documents_gnostic_would_refuse(document: dict[str, Any], message: str) -> None:
    """Nothing is dropped silently: the error names the path, as a 503 reason."""
    with pytest.raises(OpenAPIEncodeError, match=message.replace("[", r"\[").replace(".", r"\.")):
        encode_document(document)


# -- Any: YAML text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("get", "get\n"),
        (True, "true\n"),
        (None, "null\n"),
        (0, "0\n"),
        ("", "''\n"),
        ("yes", "'yes'\n"),
        ("1", "'1'\n"),
        ({}, "{}\n"),
        ([], "[]\n"),
        (["name"], "- name\n"),
        (
            [{"version": "v1", "group": "", "kind": "Pod"}],
            "- group: ''\n  kind: Pod\n  version: v1\n",
        ),
    ],
)
def test_yaml_text(value: Any, text: str) -> None:
    """Block style, keys sorted, ambiguous strings quoted; it reads back as the value."""
    assert yaml_text(value) == text
    assert yaml.safe_load(text) == value


def test_yaml_text_keeps_one_line_per_value() -> None:
    """A long description is not folded, and odd strings read back exactly."""
    long = "word " * 60
    assert yaml_text(long).count("\n") == 1
    for value in ("a: b", "- x", "#c", "multi\nline", "tab\there", "é ✓", '"quoted"', "{x}"):
        assert yaml.safe_load(yaml_text(value)) == value


# -- the served document, as kubectl reads it ----------------------------------------------

CRD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["size"],
            "properties": {
                "size": {"type": "string", "nullable": True},
                "port": {
                    "x-kubernetes-int-or-string": True,
                    "anyOf": [{"type": "integer"}, {"type": "string"}],
                },
                "free": {
                    "type": "object",
                    "x-kubernetes-preserve-unknown-fields": True,
                    "properties": {"a": {"type": "string"}},
                },
                "one": {
                    "type": "object",
                    "oneOf": [{"required": ["a"]}, {"required": ["b"]}],
                    "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
                },
                "mode": {"type": "string", "enum": ["a", "b"], "default": "a"},
            },
        }
    },
}
GADGETS = Resource(
    group="example.com",
    version="v1",
    kind="Gadget",
    plural="gadgets",
    singular="gadget",
    namespaced=True,
    type=Object("io.k8s.test.protobuf.v1.Placeholder", "", [], preserve_unknown=True),
)


@pytest.fixture(scope="module")
def served() -> dict[str, Any]:
    """What /openapi/v2 serves for every built-in resource and a custom one."""
    return build_v2(
        [*builtin_resources(), GADGETS],
        schema_provider=lambda r: CRD_SCHEMA if r.group == "example.com" else None,
    )


def test_served_document_round_trips(served: dict[str, Any]) -> None:
    """Every path, operation, parameter, definition and extension reads back."""
    decoded = round_trip(served)
    assert decoded == proto3(served, "Document")
    assert decoded["paths"].keys() == served["paths"].keys()
    assert decoded["definitions"].keys() == served["definitions"].keys()


def _models(document: Mapping[str, Any]) -> dict[str, str]:
    """What kube-openapi's proto.NewOpenAPIData makes of the definitions: each
    model's kind (Kind, Map, Array, Primitive, Arbitrary, Ref). Its refusals
    (a refused document is a failed kubectl validation) fail here too."""
    definitions = document["definitions"]

    def model(schema: Mapping[str, Any], path: str) -> str:
        if "$ref" in schema:
            assert not schema.get("properties"), f"{path}: unallowed embedded type definition"
            assert not schema.get("type"), f"{path}: definition reference can't have a type"
            ref = schema["$ref"]
            assert ref.startswith("#/definitions/"), f"{path}: reference to non-definition"
            assert ref.removeprefix("#/definitions/") in definitions, f"{path}: unknown {ref}"
            return "Ref"
        types = schema.get("type", [])
        assert len(types) <= 1, f"{path}: definitions with multiple types aren't supported"
        if types == ["array"]:
            items = schema.get("items", [])
            assert len(items) == 1, f"{path}: array should have exactly one sub-item"
            model(items[0], f"{path}[]")
            return "Array"
        if types in ([], ["object"]) and "properties" in schema:
            for name, child in schema["properties"].items():
                model(child, f"{path}.{name}")
            return "Kind"
        if types == ["object"]:
            additional = schema.get("additionalProperties")
            if isinstance(additional, Mapping):
                model(additional, f"{path}{{}}")
            return "Map"
        if not types:
            return "Arbitrary"
        assert types[0] in ("string", "number", "integer", "boolean"), f"{path}: {types}"
        return "Primitive"

    return {name: model(schema, name) for name, schema in definitions.items()}


def test_kubectl_models_every_definition(served: dict[str, Any]) -> None:
    """kubectl's v2 models accept the decoded document, and find the review kinds."""
    decoded = round_trip(served)
    models = _models(decoded)
    assert models["io.k8s.api.authentication.v1.TokenReview"] == "Kind"
    assert models["com.example.v1.Gadget"] == "Kind"
    kinds = {
        (gvk["group"], gvk["version"], gvk["kind"]): name
        for name, schema in decoded["definitions"].items()
        for gvk in schema.get("x-kubernetes-group-version-kind", [])
    }
    review = kinds[("authentication.k8s.io", "v1", "TokenReview")]
    spec = decoded["definitions"][review]["properties"]["spec"]
    assert spec["$ref"] == "#/definitions/io.k8s.api.authentication.v1.TokenReviewSpec"
    assert ("authorization.k8s.io", "v1", "SubjectAccessReview") in kinds
    gadget = decoded["definitions"]["com.example.v1.Gadget"]["properties"]["spec"]
    assert gadget["properties"]["size"] == {}  # nullable: an untyped value
    assert "required" not in gadget  # a nullable property is not required in v2


def _patch_supports(document: Mapping[str, Any], gvk: Mapping[str, str]) -> bool | None:
    """kubectl's v2 query-param verifier: None when no PATCH operation has the kind."""
    for item in document["paths"].values():
        patch = item.get("patch")
        if patch and patch.get("x-kubernetes-group-version-kind") == gvk:
            return any(p.get("name") == "fieldValidation" for p in patch.get("parameters", []))
    return None


def test_verifier_falls_back_to_client_side_validation(served: dict[str, Any]) -> None:
    """A review has no PATCH, Namespace's lists fieldValidation: kubectl then checks for
    a CRD, finds none and validates the review itself."""
    decoded = round_trip(served)
    review = {"group": "authentication.k8s.io", "kind": "TokenReview", "version": "v1"}
    assert _patch_supports(decoded, review) is None
    assert _patch_supports(decoded, {"group": "", "kind": "Namespace", "version": "v1"})


def test_encoding_is_deterministic(served: dict[str, Any]) -> None:
    """The same document gives the same bytes, so one encoding per generation serves all."""
    assert encode_document(served) == encode_document(json.loads(json.dumps(served)))
