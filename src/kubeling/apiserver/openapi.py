"""OpenAPI v3 and v2 documents, generated from the declarations and the served Resources.

What kubectl 1.32 reads (KUBECTL-CONTRACT section 3):

- ``GET /openapi/v3``: ``{"paths": {"api/v1": {"serverRelativeURL":
  "/openapi/v3/api/v1?hash=<HEX>"}, ...}}`` with every served group-version;
  the hash is the upper-case hex SHA-512 of the served bytes, as kube-openapi's
  handler3 computes it (:func:`v3_root`).
- The per group-version document (:func:`build_v3`). kubectl's
  ``query_param_verifier_v3`` looks for the ``patch`` operation whose
  ``x-kubernetes-group-version-kind`` is the object's GVK and trusts the
  server when it lists the ``fieldValidation`` query parameter; client-side
  apply builds a strategic merge patch when that operation's
  ``requestBody.content`` has ``application/strategic-merge-patch+json``,
  from the schema whose ``x-kubernetes-group-version-kind`` list matches,
  honouring ``x-kubernetes-patch-merge-key``/``-strategy``. ``kubectl
  explain`` reads ``components.schemas``.
- v2 (:func:`build_v2`) carries the same paths and definitions in swagger 2.0
  form. kubectl asks for it, as gnostic protobuf, to validate a kind that
  has no PATCH operation (the create-only reviews); ``openapi_http.py``
  serves it in that form too.

Paths, operation ids (``listCoreV1NamespacedPod``, ``deleteAppsV1CollectionNamespacedDeployment``),
tags (``core_v1``, ``rbacAuthorization_v1``) and ``x-kubernetes-action``
follow apiserver's route names and ``GetOperationIDAndTags``. Schemas follow
kube-openapi's v3 shape: a reference with siblings (description, default) is
wrapped as ``{"allOf": [{"$ref": ...}]}`` (v2 keeps ``$ref`` beside its
siblings); Time, MicroTime, Quantity, IntOrString, RawExtension and FieldsV1
are named definitions, a Duration is an inline string and apiextensions JSON
an inline ``x-kubernetes-preserve-unknown-fields``.

Custom resources (the seam). A CRD's kind has no ``schema.Object`` worth
describing: its shape is the raw OpenAPI v3 schema in the CRD. Every builder
takes ``schema_provider``, a function from a Resource to that schema dict (or
None for a built-in). When it returns a schema, the kind's definition is that
schema (copied, with ``apiVersion``, ``kind``, ``metadata`` and the GVK
extension added), named as upstream names CRD definitions
(``com.example.stable.v1.CronTab``); v2 gets it lowered as the apiextensions
server lowers it (:mod:`kubeling.apiserver.customresources.openapi_v2`).
Its list is synthesised, and its patch operation lists no strategic merge
patch, since Kubernetes answers 415 to one for a custom resource. The
Resource's ``type`` is then not read at all; the CRD registry may pass any
placeholder Object.

Everything here is pure: documents are plain dicts, and each v3 document
comes with the exact bytes to serve and their hash (:class:`OpenAPIDocument`).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

from kubeling.api.schema import (
    DEFINITIONS,
    Field,
    GroupVersionKind,
    ListOf,
    MapOf,
    Object,
    Scalar,
    ScalarKind,
    TypeSpec,
    definition_for,
    resolve,
)
from kubeling.apiserver.customresources.openapi_v2 import openapi_v2_schema
from kubeling.apiserver.registry.resource import Resource, Subresource

__all__ = [
    "KUBERNETES_VERSION",
    "PATCH_CONTENT_TYPES",
    "OpenAPIDocument",
    "SchemaProvider",
    "build_v2",
    "build_v3",
    "crd_definition_name",
    "document_hash",
    "group_version_path",
    "v3_root",
]

KUBERNETES_VERSION = "v1.32.0"

SchemaProvider = Callable[[Resource], Mapping[str, Any] | None]
"""A Resource's raw OpenAPI v3 schema (custom resources), or None (built-ins)."""

DeletedObjectProvider = Callable[[Resource], bool]
"""Whether a DELETE of the Resource answers with the object (pods) rather than a Status,
which the document declares as its 200 and 202 responses, as Kubernetes' installer does."""

PATCH_CONTENT_TYPES = (
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)
_CUSTOM_PATCH_CONTENT_TYPES = tuple(
    t for t in PATCH_CONTENT_TYPES if t != "application/strategic-merge-patch+json"
)
_RESPONSE_TYPES = ("application/json", "application/yaml", "application/vnd.kubernetes.protobuf")
_STREAM_TYPES = (
    *_RESPONSE_TYPES,
    "application/json;stream=watch",
    "application/vnd.kubernetes.protobuf;stream=watch",
)
_CONNECT_SUBRESOURCES = frozenset({"exec", "attach", "portforward", "proxy"})

_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
OBJECT_META = _META + "ObjectMeta"
LIST_META = _META + "ListMeta"
STATUS = _META + "Status"
DELETE_OPTIONS = _META + "DeleteOptions"
PATCH = _META + "Patch"
WATCH_EVENT = _META + "WatchEvent"
API_RESOURCE_LIST = _META + "APIResourceList"
TIME = _META + "Time"
MICRO_TIME = _META + "MicroTime"
FIELDS_V1 = _META + "FieldsV1"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
RAW_EXTENSION = "io.k8s.apimachinery.pkg.runtime.RawExtension"

_API_VERSION_DOC = (
    "APIVersion defines the versioned schema of this representation of an object. Servers "
    "should convert recognized schemas to the latest internal value, and may reject "
    "unrecognized values."
)
_KIND_DOC = (
    "Kind is a string value representing the REST resource this object represents. Servers "
    "may infer this from the endpoint the client submits requests to. Cannot be updated. "
    "In CamelCase."
)

# Definitions that every document may need whether or not a module declares
# them. A declared Object of the same name wins.
_FALLBACK_SCHEMAS: dict[str, dict[str, Any]] = {
    TIME: {
        "description": "Time is a wrapper around time.Time which supports correct marshaling "
        "to YAML and JSON; it is written as an RFC 3339 date and time.",
        "type": "string",
        "format": "date-time",
    },
    MICRO_TIME: {
        "description": "MicroTime is version of Time with microsecond level precision.",
        "type": "string",
        "format": "date-time",
    },
    QUANTITY: {
        "description": "Quantity is a fixed-point representation of a number, serialized as "
        "a string such as 100m, 1.5Gi or 2e3.",
        "type": "string",
    },
    INT_OR_STRING: {
        "description": "IntOrString is a type that can hold an int32 or a string.",
        "type": "string",
        "format": "int-or-string",
    },
    RAW_EXTENSION: {
        "description": "RawExtension is used to hold extensions in external versions: "
        "any embedded object.",
        "type": "object",
    },
    FIELDS_V1: {
        "description": "FieldsV1 stores a set of fields in a data structure like a Trie, "
        "in JSON format.",
        "type": "object",
    },
    PATCH: {
        "description": "Patch is provided to give a concrete name and type to the Kubernetes "
        "PATCH request body.",
        "type": "object",
    },
    OBJECT_META: {
        "description": "ObjectMeta is metadata that all persisted resources must have.",
        "type": "object",
    },
    LIST_META: {
        "description": "ListMeta describes metadata that synthetic resources must have.",
        "type": "object",
    },
    STATUS: {
        "description": "Status is a return value for calls that don't return other objects.",
        "type": "object",
    },
    DELETE_OPTIONS: {
        "description": "DeleteOptions may be provided when deleting an API object.",
        "type": "object",
    },
    API_RESOURCE_LIST: {
        "description": "APIResourceList is a list of APIResource, it is used to expose the "
        "name of the resources supported in a specific group and version.",
        "type": "object",
    },
    WATCH_EVENT: {
        "description": "Event represents a single event to a watched resource.",
        "type": "object",
        "required": ["type", "object"],
        "properties": {"type": {"type": "string", "default": ""}},  # object: see _fallback()
    },
}

_SCALAR_DEFINITIONS = {
    ScalarKind.TIME: TIME,
    ScalarKind.MICRO_TIME: MICRO_TIME,
    ScalarKind.QUANTITY: QUANTITY,
    ScalarKind.INT_OR_STRING: INT_OR_STRING,
    ScalarKind.RAW_EXTENSION: RAW_EXTENSION,
    ScalarKind.FIELDS_V1: FIELDS_V1,
}
_INLINE_SCALARS: dict[ScalarKind, dict[str, Any]] = {
    ScalarKind.STRING: {"type": "string"},
    ScalarKind.INT32: {"type": "integer", "format": "int32"},
    ScalarKind.INT64: {"type": "integer", "format": "int64"},
    ScalarKind.BOOL: {"type": "boolean"},
    ScalarKind.DOUBLE: {"type": "number", "format": "double"},
    ScalarKind.BYTES: {"type": "string", "format": "byte"},
    ScalarKind.DURATION: {"type": "string"},
    ScalarKind.JSON: {"x-kubernetes-preserve-unknown-fields": True},
}

Flavour = Literal["v2", "v3"]


# -- documents ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenAPIDocument:
    """One group-version's v3 document, the bytes to serve and their hash.

    ``path`` is the discovery key (``api/v1``, ``apis/apps/v1``); serve
    ``body`` at ``/openapi/v3/<path>``, with ``hash`` as the Etag.
    """

    path: str
    document: dict[str, Any]
    body: bytes
    hash: str

    @property
    def server_relative_url(self) -> str:
        return f"/openapi/v3/{self.path}?{urlencode({'hash': self.hash})}"


def document_hash(body: bytes) -> str:
    """kube-openapi's Etag: upper-case hex SHA-512 of the served bytes."""
    return hashlib.sha512(body).hexdigest().upper()


def _serialize(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def group_version_path(group: str, version: str) -> str:
    """The discovery key of a group-version: ``api/v1`` or ``apis/<group>/<version>``."""
    return f"apis/{group}/{version}" if group else f"api/{version}"


def build_v3(
    resources: Iterable[Resource],
    *,
    schema_provider: SchemaProvider | None = None,
    returns_deleted_object: DeletedObjectProvider | None = None,
    version: str = KUBERNETES_VERSION,
) -> dict[str, OpenAPIDocument]:
    """One OpenAPI v3 document per served group-version, keyed by discovery path."""
    documents: dict[str, OpenAPIDocument] = {}
    for (group, gv_version), members in _by_group_version(resources).items():
        path = group_version_path(group, gv_version)
        schemas = _Schemas("v3")
        paths = _paths(group, gv_version, members, schemas, schema_provider, returns_deleted_object)
        document = {
            "openapi": "3.0.0",
            "info": {"title": "Kubernetes", "version": version},
            "paths": {p.url: p.render("v3", schemas) for p in paths},
            "components": {
                "schemas": schemas.render(),
                "securitySchemes": {"BearerToken": _BEARER},
            },
            "security": [{"BearerToken": []}],
        }
        body = _serialize(document)
        documents[path] = OpenAPIDocument(path, document, body, document_hash(body))
    return documents


def v3_root(documents: Mapping[str, OpenAPIDocument]) -> dict[str, Any]:
    """The ``/openapi/v3`` discovery document for ``documents``."""
    return {
        "paths": {
            path: {"serverRelativeURL": doc.server_relative_url}
            for path, doc in sorted(documents.items())
        }
    }


def build_v2(
    resources: Iterable[Resource],
    *,
    schema_provider: SchemaProvider | None = None,
    returns_deleted_object: DeletedObjectProvider | None = None,
    version: str = KUBERNETES_VERSION,
) -> dict[str, Any]:
    """The swagger 2.0 document of every served resource (``/openapi/v2``, JSON)."""
    schemas = _Schemas("v2")
    paths: dict[str, Any] = {}
    for (group, gv_version), members in _by_group_version(resources).items():
        for p in _paths(
            group, gv_version, members, schemas, schema_provider, returns_deleted_object
        ):
            paths[p.url] = p.render("v2", schemas)
    return {
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": version},
        "paths": paths,
        "definitions": schemas.render(),
        "securityDefinitions": {"BearerToken": _BEARER},
        "security": [{"BearerToken": []}],
    }


_BEARER = {
    "description": "Bearer Token authentication",
    "in": "header",
    "name": "authorization",
    "type": "apiKey",
}


def _by_group_version(resources: Iterable[Resource]) -> dict[tuple[str, str], list[Resource]]:
    grouped: dict[tuple[str, str], list[Resource]] = {}
    for resource in resources:
        grouped.setdefault((resource.group, resource.version), []).append(resource)
    return dict(sorted(grouped.items()))


# -- schemas ----------------------------------------------------------------------


def crd_definition_name(group: str, version: str, kind: str) -> str:
    """Upstream's definition name for a custom kind: the group reversed.

    >>> crd_definition_name("stable.example.com", "v1", "CronTab")
    'com.example.stable.v1.CronTab'
    """
    return ".".join([*reversed(group.split(".")), version, kind])


def _gvk_extension(gvk: GroupVersionKind) -> list[dict[str, str]]:
    return [{"group": gvk.group, "kind": gvk.kind, "version": gvk.version}]


@dataclass(slots=True)
class _Schemas:
    """The definitions one document needs, collected as operations refer to them."""

    flavour: Flavour
    _objects: dict[str, Object] = field(default_factory=dict)
    _raw: dict[str, dict[str, Any]] = field(default_factory=dict)
    _named: set[str] = field(default_factory=set)

    def ref(self, name: str) -> str:
        prefix = "#/components/schemas/" if self.flavour == "v3" else "#/definitions/"
        return prefix + name

    def use(self, name: str) -> str:
        """Include the definition ``name`` (declared, raw or a fallback); return its name."""
        if name in self._objects or name in self._raw or name in self._named:
            return name
        declared = DEFINITIONS.get(name)
        if declared is not None:
            self.use_object(declared)
        elif name in _FALLBACK_SCHEMAS:
            self._named.add(name)
            if name == WATCH_EVENT:
                self.use(RAW_EXTENSION)
        else:
            raise KeyError(f"no OpenAPI definition for {name!r}")
        return name

    def use_object(self, obj: Object) -> str:
        if obj.name in self._objects:
            return obj.name
        self._objects[obj.name] = obj
        for f in obj.fields:
            self._reach(f.type)
        return obj.name

    def add_raw(self, name: str, schema: dict[str, Any]) -> str:
        self._raw[name] = schema
        return name

    def _reach(self, spec_ref: TypeSpec) -> None:
        spec = resolve(spec_ref)
        if isinstance(spec, Object):
            self.use_object(spec)
        elif isinstance(spec, ListOf):
            self._reach(spec.item)
        elif isinstance(spec, MapOf):
            self._reach(spec.value)
        elif spec.kind in _SCALAR_DEFINITIONS:
            self.use(_SCALAR_DEFINITIONS[spec.kind])

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self._named:
            out[name] = self._fallback(name)
        for name, obj in self._objects.items():
            out[name] = self._object_schema(obj)
        for name, schema in self._raw.items():
            out[name] = _rewrite_refs(schema, self.ref("")) if self.flavour == "v2" else schema
        return dict(sorted(out.items()))

    def _fallback(self, name: str) -> dict[str, Any]:
        schema = copy.deepcopy(_FALLBACK_SCHEMAS[name])
        if name == WATCH_EVENT:
            schema["properties"]["object"] = self.wrap(
                self.ref(RAW_EXTENSION),
                {"description": "Object is the object of the event (a Status for ERROR)."},
            )
        return schema

    # -- one Object -----------------------------------------------------------

    def _object_schema(self, obj: Object) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "object"}
        if obj.doc:
            schema["description"] = obj.doc
        properties = {f.json: self.field_schema(f) for f in obj.fields}
        if properties:
            schema["properties"] = properties
        required = list(obj.required())
        if required:
            schema["required"] = required
        if obj.gvk is not None:
            schema["x-kubernetes-group-version-kind"] = _gvk_extension(obj.gvk)
        if obj.preserve_unknown:
            schema["x-kubernetes-preserve-unknown-fields"] = True
        if obj.atomic:
            schema["x-kubernetes-map-type"] = "atomic"
        return schema

    def field_schema(self, f: Field) -> dict[str, Any]:
        extras: dict[str, Any] = {}
        if f.doc:
            extras["description"] = f.doc
        if f.enum:
            extras["enum"] = list(f.enum)
        if f.default is not None:
            extras["default"] = f.default
        if f.patch_strategy:
            extras["x-kubernetes-patch-strategy"] = f.patch_strategy
        if f.patch_merge_key:
            extras["x-kubernetes-patch-merge-key"] = f.patch_merge_key
        if f.list_type:
            extras["x-kubernetes-list-type"] = f.list_type
        if f.list_map_keys:
            extras["x-kubernetes-list-map-keys"] = list(f.list_map_keys)
        if f.map_type:
            extras["x-kubernetes-map-type"] = f.map_type
        return self.type_schema(f.type, extras)

    def type_schema(self, spec_ref: TypeSpec, extras: dict[str, Any]) -> dict[str, Any]:
        spec = resolve(spec_ref)
        if isinstance(spec, Object):
            return self.wrap(self.ref(spec.name), {"default": {}, **extras})
        if isinstance(spec, ListOf):
            return {"type": "array", "items": self.type_schema(spec.item, {}), **extras}
        if isinstance(spec, MapOf):
            return {
                "type": "object",
                "additionalProperties": self.type_schema(spec.value, {}),
                **extras,
            }
        return self._scalar(spec, extras)

    def _scalar(self, spec: Scalar, extras: dict[str, Any]) -> dict[str, Any]:
        named = _SCALAR_DEFINITIONS.get(spec.kind)
        if named is not None:
            return self.wrap(self.ref(named), extras)
        return {**_INLINE_SCALARS[spec.kind], **extras}

    def wrap(self, ref: str, extras: dict[str, Any]) -> dict[str, Any]:
        """A reference, alone or with siblings (v3: inside ``allOf``)."""
        if not extras:
            return {"$ref": ref}
        if self.flavour == "v3":
            return {"allOf": [{"$ref": ref}], **extras}
        return {"$ref": ref, **{k: v for k, v in extras.items() if k != "default"}}


def _rewrite_refs(value: Any, prefix: str) -> Any:
    """A raw v3 schema with its component references pointing at v2 definitions."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str):
                out[key] = item.replace("#/components/schemas/", prefix)
            else:
                out[key] = _rewrite_refs(item, prefix)
        return out
    if isinstance(value, list):
        return [_rewrite_refs(item, prefix) for item in value]
    return value


def _custom_schema(
    resource: Resource, raw: Mapping[str, Any], schemas: _Schemas
) -> tuple[str, str]:
    """Add a custom kind's definitions (kind and list); return their names."""
    name = crd_definition_name(resource.group, resource.version, resource.kind)
    # v2 carries what swagger 2.0 and kubectl's v2 models can hold.
    schema = openapi_v2_schema(raw) if schemas.flavour == "v2" else copy.deepcopy(dict(raw))
    schema.setdefault("type", "object")
    properties = dict(schema.get("properties") or {})
    properties["apiVersion"] = {"description": _API_VERSION_DOC, "type": "string"}
    properties["kind"] = {"description": _KIND_DOC, "type": "string"}
    properties["metadata"] = schemas.wrap(
        schemas.ref(schemas.use(OBJECT_META)),
        {"description": "Standard object's metadata.", "default": {}},
    )
    schema["properties"] = properties
    schema["x-kubernetes-group-version-kind"] = _gvk_extension(resource.gvk)
    schemas.add_raw(name, schema)
    list_name = crd_definition_name(resource.group, resource.version, resource.list_kind_name)
    schemas.add_raw(list_name, _list_schema(resource, name, schemas))
    return name, list_name


def _list_schema(resource: Resource, item_name: str, schemas: _Schemas) -> dict[str, Any]:
    return {
        "description": f"{resource.list_kind_name} is a list of {resource.kind}",
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": {"description": _API_VERSION_DOC, "type": "string"},
            "kind": {"description": _KIND_DOC, "type": "string"},
            "items": {
                "description": f"List of {resource.plural}.",
                "type": "array",
                "items": schemas.wrap(schemas.ref(item_name), {"default": {}}),
            },
            "metadata": schemas.wrap(
                schemas.ref(schemas.use(LIST_META)),
                {"description": "Standard list metadata.", "default": {}},
            ),
        },
        "x-kubernetes-group-version-kind": _gvk_extension(
            GroupVersionKind(resource.group, resource.version, resource.list_kind_name)
        ),
    }


def _builtin_schema(resource: Resource, schemas: _Schemas) -> tuple[str, str]:
    name = schemas.use_object(resource.type)
    package = resource.type.name.rsplit(".", 1)[0]
    list_name = f"{package}.{resource.list_kind_name}"
    declared = DEFINITIONS.get(list_name)
    if declared is not None:
        schemas.use_object(declared)
    else:
        schemas.add_raw(list_name, _list_schema(resource, name, schemas))
    return name, list_name


# -- paths ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Param:
    name: str
    location: Literal["query", "path"]
    type: Literal["string", "boolean", "integer"]
    description: str

    def render(self, flavour: Flavour) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "in": self.location}
        if self.description:
            out["description"] = self.description
        if self.location == "path":
            out["required"] = True
        if flavour == "v3":
            out["schema"] = {"type": self.type, "uniqueItems": True}
        else:
            out["type"] = self.type
            out["uniqueItems"] = True
        return out


_Q: Literal["query"] = "query"
PRETTY = _Param("pretty", _Q, "string", "If 'true', then the output is pretty printed.")
DRY_RUN = _Param(
    "dryRun",
    _Q,
    "string",
    "When present, indicates that modifications should not be persisted. Valid values are: "
    "- All: all dry run stages will be processed",
)
FIELD_MANAGER = _Param(
    "fieldManager",
    _Q,
    "string",
    "fieldManager is a name associated with the actor or entity that is making these changes.",
)
FIELD_VALIDATION = _Param(
    "fieldValidation",
    _Q,
    "string",
    "fieldValidation determines how the server should respond to unknown/duplicate fields in "
    "the object in the request. Valid values are: - Ignore: ignores unknown/duplicate fields. "
    "- Warn: responds with a warning for each unknown/duplicate field, but successfully serves "
    "the request. - Strict: fails the request on unknown/duplicate fields.",
)
FORCE = _Param(
    "force",
    _Q,
    "boolean",
    'Force is going to "force" Apply requests. It means user will re-acquire conflicting '
    "fields owned by other people. Force flag must be unset for non-apply patch requests.",
)
_LIST_PARAMS = (
    _Param("allowWatchBookmarks", _Q, "boolean", 'Request watch events of type "BOOKMARK".'),
    _Param("continue", _Q, "string", "The continue token of a previous chunked list."),
    _Param("fieldSelector", _Q, "string", "Restrict the returned objects by their fields."),
    _Param("labelSelector", _Q, "string", "Restrict the returned objects by their labels."),
    _Param("limit", _Q, "integer", "The maximum number of objects to return."),
    _Param("resourceVersion", _Q, "string", "Which resource version to serve from."),
    _Param("resourceVersionMatch", _Q, "string", "How resourceVersion is applied to lists."),
    _Param("sendInitialEvents", _Q, "boolean", "Start a watch with synthetic ADDED events."),
    _Param("timeoutSeconds", _Q, "integer", "Timeout for the list/watch call."),
    _Param("watch", _Q, "boolean", "Watch for changes instead of listing."),
)
_DELETE_PARAMS = (
    DRY_RUN,
    _Param("gracePeriodSeconds", _Q, "integer", "The duration in seconds before deletion."),
    _Param(
        "ignoreStoreReadErrorWithClusterBreakingPotential",
        _Q,
        "boolean",
        "Delete an object that cannot be read from storage (unsafe).",
    ),
    _Param("orphanDependents", _Q, "boolean", "Deprecated: use propagationPolicy."),
    _Param("propagationPolicy", _Q, "string", "Orphan, Background or Foreground."),
)
_DELETE_COLLECTION_PARAMS = tuple(
    sorted(
        (p for p in {*_DELETE_PARAMS, *_LIST_PARAMS} if p.name != "watch"),
        key=lambda p: p.name,
    )
)
_WRITE_PARAMS = (DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION)
_PATCH_PARAMS = (DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE)

# A response's schema: a definition name, or an inline schema (pods/log: a string).
_Body = str | dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Operation:
    method: str
    operation_id: str
    description: str
    action: str
    tag: str
    gvk: GroupVersionKind | None
    params: tuple[_Param, ...] = ()
    body: _Body | None = None
    body_types: tuple[str, ...] = ("*/*",)
    body_required: bool = True
    responses: tuple[tuple[str, str, _Body], ...] = ()
    response_types: tuple[str, ...] = _RESPONSE_TYPES

    def render(self, flavour: Flavour, schemas: _Schemas) -> dict[str, Any]:
        out: dict[str, Any] = {
            "description": self.description,
            "operationId": self.operation_id,
            "tags": [self.tag],
            "x-kubernetes-action": self.action,
        }
        if self.gvk is not None:
            out["x-kubernetes-group-version-kind"] = {
                "group": self.gvk.group,
                "kind": self.gvk.kind,
                "version": self.gvk.version,
            }
        params = [p.render(flavour) for p in self.params]
        responses: dict[str, Any] = {}
        for code, text, body in self.responses:
            schema = _body_schema(body, schemas)
            if flavour == "v3":
                content = {t: {"schema": schema} for t in self.response_types}
                responses[code] = {"description": text, "content": content}
            else:
                responses[code] = {"description": text, "schema": schema}
        responses["401"] = {"description": "Unauthorized"}
        out["responses"] = responses
        if flavour == "v3":
            if self.body is not None:
                schema = _body_schema(self.body, schemas)
                out["requestBody"] = {
                    "content": {t: {"schema": schema} for t in self.body_types},
                    "required": self.body_required,
                }
        else:
            out["schemes"] = ["https"]
            out["produces"] = list(self.response_types)
            out["consumes"] = list(self.body_types)
            if self.body is not None:
                params.insert(
                    0,
                    {
                        "name": "body",
                        "in": "body",
                        "required": self.body_required,
                        "schema": _body_schema(self.body, schemas),
                    },
                )
        if params:
            out["parameters"] = params
        return out


def _body_schema(body: _Body, schemas: _Schemas) -> dict[str, Any]:
    if isinstance(body, dict):
        return dict(body)
    return {"$ref": schemas.ref(body)}


@dataclass(slots=True)
class _Path:
    url: str
    params: tuple[_Param, ...]
    operations: list[_Operation] = field(default_factory=list)

    def render(self, flavour: Flavour, schemas: _Schemas) -> dict[str, Any]:
        out: dict[str, Any] = {op.method: op.render(flavour, schemas) for op in self.operations}
        if self.params:
            out["parameters"] = [p.render(flavour) for p in self.params]
        return out


def _camel(text: str, *, capitalize: bool) -> str:
    """apiserver's ToValidOperationID: drop punctuation, capitalise after it."""
    out = []
    upper = capitalize
    for index, char in enumerate(text):
        if char.isalpha() or char == "_" or (index and char.isdigit()):
            out.append(char.upper() if upper else char)
            upper = False
        else:
            upper = True
    return "".join(out)


@dataclass(frozen=True, slots=True)
class _Naming:
    """Operation ids and the tag of one group-version."""

    group: str
    version: str

    @property
    def _group_part(self) -> str:
        return (self.group or "core").removesuffix(".k8s.io")

    @property
    def tag(self) -> str:
        return (
            f"{_camel(self._group_part, capitalize=False)}_{_camel(self.version, capitalize=False)}"
        )

    def operation_id(self, verb: str, rest: str) -> str:
        return (
            verb
            + _camel(self._group_part, capitalize=True)
            + _camel(self.version, capitalize=True)
            + _camel(rest, capitalize=True)
        )


def _paths(
    group: str,
    version: str,
    resources: Sequence[Resource],
    schemas: _Schemas,
    provider: SchemaProvider | None,
    returns_deleted_object: DeletedObjectProvider | None = None,
) -> list[_Path]:
    naming = _Naming(group, version)
    prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
    paths: list[_Path] = [
        _Path(
            f"{prefix}/",
            (),
            [
                _Operation(
                    "get",
                    naming.operation_id("get", "APIResources"),
                    "get available resources",
                    "get",
                    naming.tag,
                    None,
                    responses=(("200", "OK", schemas.use(API_RESOURCE_LIST)),),
                    response_types=_RESPONSE_TYPES,
                )
            ],
        )
    ]
    for resource in sorted(resources, key=lambda r: r.plural):
        raw = provider(resource) if provider is not None else None
        if raw is not None:
            kind_schema, list_schema = _custom_schema(resource, raw, schemas)
        else:
            kind_schema, list_schema = _builtin_schema(resource, schemas)
        paths.extend(
            _resource_paths(
                resource,
                prefix,
                naming,
                schemas,
                kind_schema=kind_schema,
                list_schema=list_schema,
                custom=raw is not None,
                returns_deleted=returns_deleted_object is not None
                and returns_deleted_object(resource),
            )
        )
    return [p for p in paths if p.operations]


def _resource_paths(
    resource: Resource,
    prefix: str,
    naming: _Naming,
    schemas: _Schemas,
    *,
    kind_schema: str,
    list_schema: str,
    custom: bool,
    returns_deleted: bool = False,
) -> list[_Path]:
    kind = resource.kind
    verbs = set(resource.verbs)
    scope = "Namespaced" if resource.namespaced else ""
    ns_url = f"{prefix}/namespaces/{{namespace}}" if resource.namespaced else prefix
    ns_params = (_namespace_param(),) if resource.namespaced else ()
    name_param = _Param("name", "path", "string", f"name of the {kind}")
    tag = naming.tag
    status = schemas.use(STATUS)
    patch_types = _CUSTOM_PATCH_CONTENT_TYPES if custom else PATCH_CONTENT_TYPES

    def op(
        method: str,
        verb: str,
        rest: str,
        description: str,
        action: str,
        *,
        gvk: GroupVersionKind = resource.gvk,
        **kw: Any,
    ) -> _Operation:
        return _Operation(
            method, naming.operation_id(verb, rest), description, action, tag, gvk, **kw
        )

    collection = _Path(f"{ns_url}/{resource.plural}", (*ns_params, PRETTY))
    item = _Path(f"{ns_url}/{resource.plural}/{{name}}", (name_param, *ns_params, PRETTY))
    paths = [collection, item]
    written = (("200", "OK", kind_schema), ("201", "Created", kind_schema))

    if "list" in verbs:
        collection.operations.append(
            op(
                "get",
                "list",
                f"{scope}{kind}",
                f"list or watch objects of kind {kind}",
                "list",
                params=_LIST_PARAMS,
                responses=(("200", "OK", list_schema),),
                response_types=_STREAM_TYPES,
            )
        )
    if "create" in verbs:
        collection.operations.append(
            op(
                "post",
                "create",
                f"{scope}{kind}",
                f"create a {kind}",
                "post",
                params=_WRITE_PARAMS,
                body=kind_schema,
                responses=(*written, ("202", "Accepted", kind_schema)),
            )
        )
    if "deletecollection" in verbs:
        collection.operations.append(
            op(
                "delete",
                "delete",
                f"Collection{scope}{kind}",
                f"delete collection of {kind}",
                "deletecollection",
                params=_DELETE_COLLECTION_PARAMS,
                body=schemas.use(DELETE_OPTIONS),
                body_required=False,
                responses=(("200", "OK", status),),
            )
        )
    if "get" in verbs:
        item.operations.append(
            op(
                "get",
                "read",
                f"{scope}{kind}",
                f"read the specified {kind}",
                "get",
                responses=(("200", "OK", kind_schema),),
            )
        )
    if "update" in verbs:
        item.operations.append(
            op(
                "put",
                "replace",
                f"{scope}{kind}",
                f"replace the specified {kind}",
                "put",
                params=_WRITE_PARAMS,
                body=kind_schema,
                responses=written,
            )
        )
    if "patch" in verbs:
        item.operations.append(
            op(
                "patch",
                "patch",
                f"{scope}{kind}",
                f"partially update the specified {kind}",
                "patch",
                params=_PATCH_PARAMS,
                body=schemas.use(PATCH),
                body_types=patch_types,
                responses=written,
            )
        )
    if "delete" in verbs:
        deleted = kind_schema if returns_deleted else status
        item.operations.append(
            op(
                "delete",
                "delete",
                f"{scope}{kind}",
                f"delete a {kind}",
                "delete",
                params=_DELETE_PARAMS,
                body=schemas.use(DELETE_OPTIONS),
                body_required=False,
                responses=(("200", "OK", deleted), ("202", "Accepted", deleted)),
            )
        )
    if resource.namespaced and "list" in verbs:
        paths.append(
            _Path(
                f"{prefix}/{resource.plural}",
                (*_LIST_PARAMS, PRETTY),
                [
                    op(
                        "get",
                        "list",
                        f"{kind}ForAllNamespaces",
                        f"list or watch objects of kind {kind}",
                        "list",
                        responses=(("200", "OK", list_schema),),
                        response_types=_STREAM_TYPES,
                    )
                ],
            )
        )
    if "watch" in verbs:
        paths.extend(
            _watch_paths(resource, prefix, ns_url, ns_params, name_param, op, schemas, scope)
        )
    for sub in resource.subresources:
        paths.append(_subresource_path(resource, sub, item, op, schemas, scope, patch_types))
    return paths


def _namespace_param() -> _Param:
    return _Param(
        "namespace", "path", "string", "object name and auth scope, such as for teams and projects"
    )


def _watch_paths(
    resource: Resource,
    prefix: str,
    ns_url: str,
    ns_params: tuple[_Param, ...],
    name_param: _Param,
    op: Callable[..., _Operation],
    schemas: _Schemas,
    scope: str,
) -> list[_Path]:
    kind = resource.kind
    event = schemas.use(WATCH_EVENT)
    watch_ns_url = ns_url.replace(prefix, f"{prefix}/watch", 1)
    common = {"responses": (("200", "OK", event),), "response_types": _STREAM_TYPES}
    paths = [
        _Path(
            f"{watch_ns_url}/{resource.plural}",
            (*ns_params, *_LIST_PARAMS, PRETTY),
            [
                op(
                    "get",
                    "watch",
                    f"{scope}{kind}List",
                    f"watch individual changes to a list of {kind}. deprecated: use the "
                    "'watch' parameter with a list operation instead.",
                    "watchlist",
                    **common,
                )
            ],
        ),
        _Path(
            f"{watch_ns_url}/{resource.plural}/{{name}}",
            (name_param, *ns_params, *_LIST_PARAMS, PRETTY),
            [
                op(
                    "get",
                    "watch",
                    f"{scope}{kind}",
                    f"watch changes to an object of kind {kind}. deprecated: use the 'watch' "
                    "parameter with a list operation instead, filtered to a single item with "
                    "the 'fieldSelector' parameter.",
                    "watch",
                    **common,
                )
            ],
        ),
    ]
    if resource.namespaced:
        paths.append(
            _Path(
                f"{prefix}/watch/{resource.plural}",
                (*_LIST_PARAMS, PRETTY),
                [
                    op(
                        "get",
                        "watch",
                        f"{kind}ListForAllNamespaces",
                        f"watch individual changes to a list of {kind}. deprecated: use the "
                        "'watch' parameter with a list operation instead.",
                        "watchlist",
                        **common,
                    )
                ],
            )
        )
    return paths


def _subresource_path(
    resource: Resource,
    sub: Subresource,
    item: _Path,
    op: Callable[..., _Operation],
    schemas: _Schemas,
    scope: str,
    patch_types: tuple[str, ...],
) -> _Path:
    kind = resource.kind
    title = sub.name[:1].upper() + sub.name[1:]
    rest = f"{scope}{kind}{title}"
    path = _Path(f"{item.url}/{sub.name}", item.params)
    body: _Body
    if sub.gvk == resource.gvk:
        body = schemas.use_object(resource.type)
    else:
        declared = definition_for(sub.gvk)
        body = schemas.use_object(declared) if declared is not None else {"type": "object"}
    if sub.name == "log":
        body = {"type": "string"}
    gvk_kw: dict[str, Any] = {"gvk": sub.gvk}
    verbs = set(sub.verbs)
    if sub.name in _CONNECT_SUBRESOURCES:
        for method in ("get", "post"):
            if ("get" if method == "get" else "create") in verbs or not verbs:
                path.operations.append(
                    op(
                        method,
                        "connect",
                        f"{method.title()}{rest}",
                        f"connect {method.upper()} requests to {sub.name} of {kind}",
                        "connect",
                        responses=(("200", "OK", {"type": "string"}),),
                        response_types=("*/*",),
                        **gvk_kw,
                    )
                )
        return path
    written = (("200", "OK", body), ("201", "Created", body))
    if "get" in verbs:
        path.operations.append(
            op(
                "get",
                "read",
                rest,
                f"read {sub.name} of the specified {kind}",
                "get",
                responses=(("200", "OK", body),),
                **gvk_kw,
            )
        )
    if "create" in verbs:
        path.operations.append(
            op(
                "post",
                "create",
                rest,
                f"create {sub.name} of a {kind}",
                "post",
                params=_WRITE_PARAMS,
                body=body,
                responses=(*written, ("202", "Accepted", body)),
                **gvk_kw,
            )
        )
    if "update" in verbs:
        path.operations.append(
            op(
                "put",
                "replace",
                rest,
                f"replace {sub.name} of the specified {kind}",
                "put",
                params=_WRITE_PARAMS,
                body=body,
                responses=written,
                **gvk_kw,
            )
        )
    if "patch" in verbs:
        path.operations.append(
            op(
                "patch",
                "patch",
                rest,
                f"partially update {sub.name} of the specified {kind}",
                "patch",
                params=_PATCH_PARAMS,
                body=schemas.use(PATCH),
                body_types=patch_types,
                responses=written,
                **gvk_kw,
            )
        )
    return path
