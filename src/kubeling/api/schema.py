"""Declaring API types once.

Every built-in kind is declared here-style, once: its fields with their JSON
names, types, protobuf field numbers, patch metadata (strategy, merge key,
list type and map keys), whether they are required, and a one-line
description. Everything that needs to know the shape of an object reads these
declarations and nothing else:

- OpenAPI v2 and v3 documents (``kubectl explain``, client-side validation,
  kubectl's strategic-merge-patch computation),
- pruning and strict decoding (``fieldValidation=Strict``: unknown fields),
- the protobuf codec (kubectl sends protobuf bodies for ``create namespace``
  and friends), from the field numbers of Kubernetes' ``generated.proto``,
- the strategic-merge-patch engine (``api.patch``) through ``patch_meta``.

A declaration mirrors the Go type it stands for:

>>> Probe = Object(
...     "io.k8s.example.v1.Probe",
...     "A check.",
...     [Field("path", 1, STRING, "Path to GET."), Field("port", 2, INT_OR_STRING, "Port.")],
... )
>>> Probe.field("port").type is INT_OR_STRING
True

Go structs embedded with ``json:",inline"`` are flat in JSON but nested in
protobuf (a Probe's ``httpGet`` travels inside its ``handler``, field 1, a
ProbeHandler message). The parent declares the flat JSON fields with proto 0,
as JSON, OpenAPI and patches see them, and names the protobuf message that
carries them with :class:`Embedded`; :func:`inlined` gives those flat fields:

>>> Handler = Object("io.k8s.example.v1.Handler", "", [Field("path", 1, STRING)])
>>> Check = Object(
...     "io.k8s.example.v1.Check",
...     "",
...     [*inlined(Handler), Field("period", 2, INT32)],
...     embedded=[Embedded(1, Handler, "handler")],
... )
>>> sorted(Check.embedded[0].json_names()), Check.field("path").proto
(['path'], 0)

Top-level kinds start with Go's inline ``TypeMeta`` (``apiVersion`` and
``kind``, proto 0: they travel in the protobuf envelope, not the message);
:class:`Kinds` declares a group-version's kinds with it, and
:func:`list_kind` a kind's List (ListMeta at 1, the items at 2):

>>> example = Kinds("io.k8s.example.v1.", "example.io", "v1")
>>> Widget = example.kind("Widget", "A widget.", [Field("size", 2, INT32)])
>>> WidgetList = list_kind(Widget, "A list of Widgets.", "The Widgets.")
>>> WidgetList.name, WidgetList.gvk.kind
('io.k8s.example.v1.WidgetList', 'WidgetList')
>>> [(f.json, f.proto) for f in WidgetList.fields]
[('apiVersion', 0), ('kind', 0), ('metadata', 1), ('items', 2)]

Object types may refer to each other before they are defined (and to
themselves, as JSONSchemaProps does) with ``Ref("<definition name>")``,
resolved through the global ``DEFINITIONS`` registry that every ``Object``
joins when it is created.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeAlias

__all__ = [
    "BOOL",
    "BYTES",
    "DEFINITIONS",
    "DOUBLE",
    "DURATION",
    "FIELDS_V1",
    "INT32",
    "INT64",
    "INT_OR_STRING",
    "JSON",
    "MICRO_TIME",
    "QUANTITY",
    "RAW_EXTENSION",
    "STRING",
    "TIME",
    "TYPE_META",
    "TYPE_META_GO",
    "TYPE_META_TERSE",
    "Embedded",
    "Field",
    "GroupVersionKind",
    "Kinds",
    "ListOf",
    "MapOf",
    "Object",
    "Ref",
    "Scalar",
    "ScalarKind",
    "TypeSpec",
    "conditions",
    "definition_for",
    "inlined",
    "list_kind",
    "resolve",
    "type_meta",
]


class ScalarKind(enum.Enum):
    """A leaf type: how it looks in JSON and how it is encoded in protobuf."""

    STRING = "string"
    INT32 = "int32"
    INT64 = "int64"
    BOOL = "bool"
    DOUBLE = "double"
    BYTES = "bytes"  # base64 in JSON, bytes in protobuf
    TIME = "time"  # RFC 3339 seconds; protobuf Time{seconds 1, nanos 2}
    MICRO_TIME = "micro_time"  # RFC 3339 microseconds; same protobuf shape
    DURATION = "duration"  # "1h2m3s"; protobuf Duration{duration 1 (ns)}
    QUANTITY = "quantity"  # "100m"; protobuf Quantity{string 1}
    INT_OR_STRING = "int_or_string"  # protobuf {type 1, intVal 2, strVal 3}
    RAW_EXTENSION = "raw_extension"  # any object; protobuf {raw 1 (JSON bytes)}
    FIELDS_V1 = "fields_v1"  # managedFields' fieldsV1; protobuf {Raw 1}
    JSON = "json"  # any JSON value (apiextensions JSON); protobuf {raw 1}


@dataclass(frozen=True, slots=True)
class Scalar:
    kind: ScalarKind

    def __repr__(self) -> str:
        return self.kind.name


STRING = Scalar(ScalarKind.STRING)
INT32 = Scalar(ScalarKind.INT32)
INT64 = Scalar(ScalarKind.INT64)
BOOL = Scalar(ScalarKind.BOOL)
DOUBLE = Scalar(ScalarKind.DOUBLE)
BYTES = Scalar(ScalarKind.BYTES)
TIME = Scalar(ScalarKind.TIME)
MICRO_TIME = Scalar(ScalarKind.MICRO_TIME)
DURATION = Scalar(ScalarKind.DURATION)
QUANTITY = Scalar(ScalarKind.QUANTITY)
INT_OR_STRING = Scalar(ScalarKind.INT_OR_STRING)
RAW_EXTENSION = Scalar(ScalarKind.RAW_EXTENSION)
FIELDS_V1 = Scalar(ScalarKind.FIELDS_V1)
JSON = Scalar(ScalarKind.JSON)


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to an Object by definition name, resolved lazily."""

    name: str

    def resolve(self) -> Object:
        try:
            return DEFINITIONS[self.name]
        except KeyError:
            raise KeyError(f"undeclared API type {self.name!r}") from None


@dataclass(frozen=True, slots=True)
class ListOf:
    """A JSON array; a repeated field in protobuf."""

    item: TypeSpec


@dataclass(frozen=True, slots=True)
class MapOf:
    """A JSON object with string keys; repeated {1 key, 2 value} entries in protobuf."""

    value: TypeSpec


def resolve(spec: TypeSpec) -> Scalar | ListOf | MapOf | Object:
    """``spec`` with a top-level Ref replaced by the Object it names."""
    return spec.resolve() if isinstance(spec, Ref) else spec


@dataclass(frozen=True, slots=True)
class Field:
    """One field of an object type.

    ``proto`` is the field number in Kubernetes' ``generated.proto`` (0: the
    field is not in the protobuf message, e.g. ``apiVersion`` and ``kind``,
    which travel in the protobuf envelope). ``patch_strategy`` and
    ``patch_merge_key`` are the ``x-kubernetes-patch-*`` extensions;
    ``list_type``/``list_map_keys``/``map_type`` the ``x-kubernetes-list-*``
    and ``x-kubernetes-map-type`` ones; on a field of an object type,
    ``map_type`` is the Go field's ``+structType`` and overrides the type's
    own (PersistentVolumeSpec's ``claimRef`` is a granular ObjectReference).
    ``enum`` lists the allowed values where
    the API reference gives them. ``default`` is the OpenAPI ``default`` of a
    scalar (the ``+default`` markers of Kubernetes' types); server-side apply
    reads it for list-map keys a configuration leaves out.
    """

    json: str
    proto: int
    type: TypeSpec
    doc: str = ""
    required: bool = False
    patch_strategy: str | None = None
    patch_merge_key: str | None = None
    list_type: str | None = None
    list_map_keys: tuple[str, ...] = ()
    map_type: str | None = None
    enum: tuple[str, ...] = ()
    default: str | int | bool | None = None

    def __post_init__(self) -> None:
        if self.map_type not in (None, "atomic", "granular"):
            raise ValueError(f"{self.json}: map_type must be atomic or granular")

    def resolved(self) -> Scalar | ListOf | MapOf | Object:
        return resolve(self.type)


@dataclass(frozen=True, slots=True)
class GroupVersionKind:
    group: str
    version: str
    kind: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


@dataclass(frozen=True, slots=True, eq=False)
class Embedded:
    """A Go struct embedded inline: flat in the parent's JSON, one message in protobuf.

    Protobuf field ``number`` of the parent holds a ``type`` message whose
    fields (and, recursively, those of the structs ``type`` itself embeds)
    appear directly in the parent's JSON, where the parent declares them with
    proto 0. ``name`` is the Go field's protobuf name (``handler``), used in
    messages only. OpenAPI documents follow fields, not this, so a type that
    is only ever embedded (ProbeHandler, VolumeSource) is never described.
    """

    number: int
    type: Object
    name: str = ""

    def json_names(self) -> frozenset[str]:
        """The parent's JSON fields this message carries."""
        return self.type.flattened_json()


@dataclass(eq=False, slots=True)
class Object:
    """An object type: a Go struct. Joins ``DEFINITIONS`` under ``name``.

    ``name`` is the OpenAPI definition name (``io.k8s.api.core.v1.Pod``).
    ``gvk`` is set for top-level kinds (those with apiVersion and kind).
    ``preserve_unknown`` keeps fields that are not declared (as
    ``x-kubernetes-preserve-unknown-fields``). ``embedded`` lists the structs
    Go inlines (:class:`Embedded`): each of their JSON fields must be declared
    here too, with proto 0. ``atomic`` is the Go type's ``+structType=atomic``
    (the default is granular): server-side apply owns, merges and conflicts on
    such a struct as one value, as on a scalar, and its OpenAPI definition
    says ``x-kubernetes-map-type: atomic``. A struct embedded inline is not a
    value of its own, so this applies only where a field holds the type.
    """

    name: str
    doc: str
    fields: Sequence[Field]
    gvk: GroupVersionKind | None = None
    preserve_unknown: bool = False
    embedded: Sequence[Embedded] = ()
    atomic: bool = False
    _by_json: dict[str, Field] = field(init=False, repr=False)
    _flattened: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.fields = tuple(self.fields)
        self._by_json = {f.json: f for f in self.fields}
        if len(self._by_json) != len(self.fields):
            raise ValueError(f"{self.name}: duplicate JSON field names")
        self.embedded = tuple(self.embedded)
        numbers = [f.proto for f in self.fields if f.proto] + [e.number for e in self.embedded]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"{self.name}: duplicate protobuf field numbers")
        carried: set[str] = set()
        for embedded in self.embedded:
            if embedded.number <= 0:
                raise ValueError(f"{self.name}: embedded message number must be positive")
            names = embedded.json_names()
            if carried & names:
                raise ValueError(f"{self.name}: {sorted(carried & names)} embedded twice")
            carried |= names
            for json_name in sorted(names):
                flat = self._by_json.get(json_name)
                if flat is None or flat.proto:
                    raise ValueError(
                        f"{self.name}: {json_name!r}, embedded in protobuf field "
                        f"{embedded.number}, must be declared here with proto 0"
                    )
        self._flattened = frozenset({f.json for f in self.fields if f.proto} | carried)
        DEFINITIONS[self.name] = self

    def field(self, json_name: str) -> Field:
        """The field named ``json_name``; KeyError if there is none."""
        return self._by_json[json_name]

    def get(self, json_name: str) -> Field | None:
        return self._by_json.get(json_name)

    def required(self) -> Iterable[str]:
        return (f.json for f in self.fields if f.required)

    def flattened_json(self) -> frozenset[str]:
        """The JSON names of the fields this type's protobuf message carries.

        Its own numbered fields and those of the structs it embeds, however
        deeply: what a parent embedding this type shows flat in its JSON.
        """
        return self._flattened


def inlined(type: Object) -> list[Field]:
    """``type``'s fields as a struct that embeds it declares them: the same, with proto 0.

    Name ``type`` in the parent's ``embedded`` too, with its message number.
    """
    return [replace(f, proto=0) for f in type.fields]


TypeSpec: TypeAlias = Scalar | ListOf | MapOf | Ref | Object
"""What a field holds."""

DEFINITIONS: dict[str, Object] = {}
"""Every declared Object by definition name."""


def definition_for(gvk: GroupVersionKind) -> Object | None:
    """The declared top-level kind ``gvk`` (a subresource's body type), if any is loaded."""
    for obj in DEFINITIONS.values():
        if obj.gvk == gvk:
            return obj
    return None


# -- Top-level kinds -------------------------------------------------------------------

_LIST_META = Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta")


def type_meta(api_version_doc: str, kind_doc: str) -> tuple[Field, Field]:
    """Go's inline ``TypeMeta``: ``apiVersion`` and ``kind``, described as given.

    Proto 0: protobuf carries them in the envelope (``runtime.Unknown``), not
    in the object's message.
    """
    return Field("apiVersion", 0, STRING, api_version_doc), Field("kind", 0, STRING, kind_doc)


# Three wordings of the TypeMeta descriptions are served today, one per set of
# modules; they are kept apart so that the OpenAPI documents do not change.
TYPE_META = type_meta(
    "The versioned schema of this representation of an object.",
    "The REST resource this object represents, in CamelCase.",
)
"""apiVersion and kind of apps, batch, policy, autoscaling and the core cluster kinds."""

TYPE_META_TERSE = type_meta(
    "Versioned schema of this object.", "REST resource this object represents, in CamelCase."
)
"""apiVersion and kind of the other API groups (rbac, storage, networking...)."""

TYPE_META_GO = type_meta(
    "APIVersion defines the versioned schema of this representation of an object.",
    "Kind is a string value representing the REST resource this object represents.",
)
"""apiVersion and kind in Kubernetes' own words: meta/v1 and the core Pod kinds."""


@dataclass(frozen=True, slots=True)
class Kinds:
    """Declares the top-level kinds of one group-version.

    ``package`` is the definition-name prefix (``io.k8s.api.apps.v1.``);
    every kind gets ``type_meta`` first and its GroupVersionKind.
    """

    package: str
    group: str
    version: str
    type_meta: tuple[Field, Field] = TYPE_META

    def kind(self, kind: str, doc: str, fields: Iterable[Field]) -> Object:
        """The kind ``kind``: apiVersion and kind, then ``fields``."""
        return Object(
            self.package + kind,
            doc,
            [*self.type_meta, *fields],
            gvk=GroupVersionKind(self.group, self.version, kind),
        )


def list_kind(item: Object, doc: str, items_doc: str) -> Object:
    """The List of the top-level kind ``item``, beside it: ``<Kind>List``.

    Its apiVersion and kind are described as the item's; ``metadata`` is the
    ListMeta (1), ``items`` the required repeated item (2), as in every
    ``generated.proto``.
    """
    if item.gvk is None:
        raise ValueError(f"{item.name} is not a top-level kind")
    return Object(
        item.name + "List",
        doc,
        [
            item.field("apiVersion"),
            item.field("kind"),
            Field("metadata", 1, _LIST_META, "Standard list metadata."),
            Field("items", 2, ListOf(item), items_doc, required=True),
        ],
        gvk=GroupVersionKind(item.gvk.group, item.gvk.version, item.gvk.kind + "List"),
    )


def conditions(item: TypeSpec, proto: int, doc: str) -> Field:
    """A status's ``conditions``: a list merged and keyed by ``type`` (strategic and SSA)."""
    return Field(
        "conditions",
        proto,
        ListOf(item),
        doc,
        patch_strategy="merge",
        patch_merge_key="type",
        list_type="map",
        list_map_keys=("type",),
    )
