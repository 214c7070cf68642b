"""Declarations of the non-core API groups: references, shape and well-known numbers.

The groups refer to meta/v1 and core/v1 types that are declared in other
modules. Whichever of those modules exist are imported, and every reference
reachable from the groups' types must then resolve; references into modules
that do not exist yet must be among ``EXTERNAL_REFS``.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator
from types import ModuleType

import pytest

from kubeling.api.schema import (
    DEFINITIONS,
    INT32,
    INT64,
    MICRO_TIME,
    STRING,
    TIME,
    Field,
    ListOf,
    MapOf,
    Object,
    Ref,
    TypeSpec,
)

GROUP_MODULES = (
    "kubeling.api.admissionregistration.v1",
    "kubeling.api.apiextensions.v1",
    "kubeling.api.authentication.v1",
    "kubeling.api.authorization.v1",
    "kubeling.api.coordination.v1",
    "kubeling.api.discovery.v1",
    "kubeling.api.events.v1",
    "kubeling.api.networking.v1",
    "kubeling.api.rbac.v1",
    "kubeling.api.scheduling.v1",
    "kubeling.api.storage.v1",
)

META = "io.k8s.apimachinery.pkg.apis.meta.v1."
CORE = "io.k8s.api.core.v1."

EXTERNAL_REFS = {
    META + "Condition": "kubeling.api.meta.v1",
    META + "FieldSelectorRequirement": "kubeling.api.meta.v1",
    META + "LabelSelector": "kubeling.api.meta.v1",
    META + "LabelSelectorRequirement": "kubeling.api.meta.v1",
    META + "ListMeta": "kubeling.api.meta.v1",
    META + "ObjectMeta": "kubeling.api.meta.v1",
    CORE + "EventSource": "kubeling.api.core.v1",
    CORE + "ObjectReference": "kubeling.api.core.v1",
    CORE + "PersistentVolumeSpec": "kubeling.api.core.v1",
    CORE + "TopologySelectorTerm": "kubeling.api.core.v1",
    CORE + "TypedLocalObjectReference": "kubeling.api.core.v1",
}
"""Definitions the groups refer to but do not declare, and where they are expected."""

OWNER_MODULES = {
    "kubeling.api.meta.v1": ("kubeling.api.meta.v1",),
    "kubeling.api.core.v1": ("kubeling.api.core.v1.pod", "kubeling.api.core.v1.cluster"),
}
"""Modules that together declare each owner's types."""

INLINE_FIELDS = {
    ("io.k8s.api.networking.v1.IngressRule", "http"),
    ("io.k8s.api.admissionregistration.v1.RuleWithOperations", "apiGroups"),
    ("io.k8s.api.admissionregistration.v1.RuleWithOperations", "apiVersions"),
    ("io.k8s.api.admissionregistration.v1.RuleWithOperations", "resources"),
    ("io.k8s.api.admissionregistration.v1.RuleWithOperations", "scope"),
    ("io.k8s.api.admissionregistration.v1.NamedRuleWithOperations", "operations"),
    ("io.k8s.api.admissionregistration.v1.NamedRuleWithOperations", "apiGroups"),
    ("io.k8s.api.admissionregistration.v1.NamedRuleWithOperations", "apiVersions"),
    ("io.k8s.api.admissionregistration.v1.NamedRuleWithOperations", "resources"),
    ("io.k8s.api.admissionregistration.v1.NamedRuleWithOperations", "scope"),
}
"""Fields of structs Go embeds inline: in JSON at the outer level, proto 0 here."""


def _import(name: str) -> ModuleType | None:
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:
        return None
    return importlib.import_module(name) if spec is not None else None


GROUPS = [importlib.import_module(name) for name in GROUP_MODULES]
PRESENT_OWNERS = {
    owner for owner, modules in OWNER_MODULES.items() if all(_import(m) for m in modules)
}


def _objects(module: ModuleType) -> list[Object]:
    return [v for v in vars(module).values() if isinstance(v, Object)]


GROUP_OBJECTS = [obj for module in GROUPS for obj in _objects(module)]


def _refs(spec: TypeSpec) -> Iterator[Ref | Object]:
    if isinstance(spec, ListOf):
        yield from _refs(spec.item)
    elif isinstance(spec, MapOf):
        yield from _refs(spec.value)
    elif isinstance(spec, Ref | Object):
        yield spec


def _unresolved() -> set[str]:
    """Names of every undeclared definition reachable from the groups' types."""
    seen: set[str] = set()
    missing: set[str] = set()
    todo = list(GROUP_OBJECTS)
    while todo:
        obj = todo.pop()
        if obj.name in seen:
            continue
        seen.add(obj.name)
        for f in obj.fields:
            for target in _refs(f.type):
                if isinstance(target, Object):
                    todo.append(target)
                elif target.name in DEFINITIONS:
                    todo.append(DEFINITIONS[target.name])
                else:
                    missing.add(target.name)
    return missing


def test_unresolved_refs_are_expected_externals() -> None:
    """Every reference that does not resolve names an expected meta/v1 or core/v1 type."""
    assert _unresolved() <= set(EXTERNAL_REFS)


@pytest.mark.parametrize("owner", sorted(OWNER_MODULES))
def test_refs_into_present_modules_resolve(owner: str) -> None:
    """Once an owner's modules exist, every reference into them resolves."""
    if owner not in PRESENT_OWNERS:
        pytest.skip(f"{owner} is not declared yet")
    # Transitively: the owner's own types must not leave references dangling either.
    unresolved = _unresolved()
    expected_here = {name for name, where in EXTERNAL_REFS.items() if where == owner}
    prefix = META if owner.endswith("meta.v1") else CORE
    dangling = (unresolved & expected_here) | {n for n in unresolved if n.startswith(prefix)}
    assert not dangling, f"{owner} does not declare {sorted(dangling)}"


def test_group_types_are_registered_once() -> None:
    """Each declared object is the one registered under its definition name."""
    for obj in GROUP_OBJECTS:
        assert DEFINITIONS[obj.name] is obj


def test_kinds_start_with_type_meta() -> None:
    """Top-level kinds begin with apiVersion and kind, both outside protobuf."""
    kinds = [obj for obj in GROUP_OBJECTS if obj.gvk is not None]
    assert len(kinds) == 49
    for obj in kinds:
        api_version, kind, metadata = obj.fields[:3]
        assert (api_version.json, api_version.proto, api_version.type) == ("apiVersion", 0, STRING)
        assert (kind.json, kind.proto, kind.type) == ("kind", 0, STRING)
        assert (metadata.json, metadata.proto) == ("metadata", 1), obj.name
        assert obj.gvk is not None
        assert obj.name.endswith("." + obj.gvk.kind)


def test_list_kinds_hold_list_meta_and_items() -> None:
    """Every List kind has ListMeta at 1 and its items, required, at 2."""
    lists = [obj for obj in GROUP_OBJECTS if obj.gvk and obj.gvk.kind.endswith("List")]
    assert len(lists) == 21
    for obj in lists:
        assert obj.field("metadata").type == Ref(META + "ListMeta")
        items = obj.field("items")
        assert (items.proto, items.required) == (2, True)
        assert isinstance(items.type, ListOf)
        item = items.type.item
        assert isinstance(item, Object)
        assert item.gvk is not None
        assert obj.gvk is not None
        assert obj.gvk.kind == item.gvk.kind + "List"
        assert obj.gvk.group == item.gvk.group


def test_only_type_meta_and_inline_fields_lack_protobuf_numbers() -> None:
    """proto 0 is reserved for apiVersion/kind and the fields of inlined structs."""
    unnumbered = {
        (obj.name, f.json)
        for obj in GROUP_OBJECTS
        for f in obj.fields
        if f.proto == 0 and f.json not in ("apiVersion", "kind")
    }
    carried = {
        (obj.name, name)
        for obj in GROUP_OBJECTS
        for embedded in obj.embedded
        for name in embedded.json_names()
    }
    assert unnumbered == carried == INLINE_FIELDS


def test_inlined_structs_nest_as_in_generated_proto() -> None:
    """IngressRule{2 IngressRuleValue{1 http}}; Named{2 RuleWithOperations{1 ops, 2 Rule}}."""
    nesting = {
        obj.name: [(e.number, e.type.name, sorted(e.json_names())) for e in obj.embedded]
        for obj in GROUP_OBJECTS
        if obj.embedded
    }
    rule = ["apiGroups", "apiVersions", "resources", "scope"]
    admission = "io.k8s.api.admissionregistration.v1."
    assert nesting == {
        "io.k8s.api.networking.v1.IngressRule": [
            (2, "io.k8s.api.networking.v1.IngressRuleValue", ["http"])
        ],
        admission + "RuleWithOperations": [(2, admission + "Rule", rule)],
        admission + "NamedRuleWithOperations": [
            (2, admission + "RuleWithOperations", sorted(["operations", *rule]))
        ],
    }
    numbers = {f.json: f.proto for f in DEFINITIONS[admission + "Rule"].fields}
    assert numbers == {"apiGroups": 1, "apiVersions": 2, "resources": 3, "scope": 4}


def test_map_lists_name_their_keys() -> None:
    """A list of type map names its keys, and a merge key is one of them."""
    for obj in GROUP_OBJECTS:
        for f in obj.fields:
            if f.list_type == "map":
                assert f.list_map_keys, (obj.name, f.json)
            if f.patch_merge_key is not None:
                assert f.patch_strategy == "merge"
                assert f.patch_merge_key in f.list_map_keys


def _path(name: str, *path: str) -> Field:
    obj = DEFINITIONS[name]
    f = obj.field(path[0])
    for step in path[1:]:
        target = f.resolved()
        assert isinstance(target, Object)
        f = target.field(step)
    return f


def test_self_subject_access_review_numbers() -> None:
    """SelfSubjectAccessReview.spec is 2 and its resourceAttributes 1, numbered 1 to 9."""
    review = "io.k8s.api.authorization.v1.SelfSubjectAccessReview"
    assert _path(review, "spec").proto == 2
    attributes = _path(review, "spec", "resourceAttributes")
    assert attributes.proto == 1
    target = attributes.resolved()
    assert isinstance(target, Object)
    assert {f.json: f.proto for f in target.fields} == {
        "namespace": 1,
        "verb": 2,
        "group": 3,
        "version": 4,
        "resource": 5,
        "subresource": 6,
        "name": 7,
        "fieldSelector": 8,
        "labelSelector": 9,
    }


@pytest.mark.parametrize(
    ("name", "path", "proto"),
    [
        ("io.k8s.api.coordination.v1.Lease", ("spec",), 2),
        ("io.k8s.api.coordination.v1.Lease", ("spec", "renewTime"), 4),
        ("io.k8s.api.rbac.v1.PolicyRule", ("verbs",), 1),
        ("io.k8s.api.rbac.v1.Subject", ("apiGroup",), 2),
        ("io.k8s.api.discovery.v1.EndpointSlice", ("addressType",), 4),
        ("io.k8s.api.networking.v1.HTTPIngressPath", ("pathType",), 3),
        ("io.k8s.api.networking.v1.IngressBackend", ("service",), 4),
        ("io.k8s.api.networking.v1.IngressLoadBalancerIngress", ("ports",), 4),
        ("io.k8s.api.authorization.v1.SubjectAccessReviewStatus", ("denied",), 4),
        ("io.k8s.api.authentication.v1.TokenRequestSpec", ("expirationSeconds",), 4),
        ("io.k8s.api.authentication.v1.TokenReviewStatus", ("audiences",), 4),
        ("io.k8s.api.admissionregistration.v1.MutatingWebhook", ("objectSelector",), 11),
        ("io.k8s.api.admissionregistration.v1.ValidatingWebhook", ("objectSelector",), 10),
        ("io.k8s.api.admissionregistration.v1.MatchResources", ("matchPolicy",), 7),
        ("io.k8s.api.events.v1.Event", ("type",), 11),
    ],
)
def test_well_known_numbers(name: str, path: tuple[str, ...], proto: int) -> None:
    """Fields whose protobuf numbers are out of declaration order keep upstream's."""
    assert _path(name, *path).proto == proto


def test_custom_resource_definition_numbers() -> None:
    """CRD spec is 2; its spec skips v1beta1's numbers; the schema keeps JSON Schema names."""
    crd = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition"
    assert _path(crd, "spec").proto == 2
    spec = _path(crd, "spec").resolved()
    assert isinstance(spec, Object)
    assert {f.json: f.proto for f in spec.fields} == {
        "group": 1,
        "names": 3,
        "scope": 4,
        "versions": 7,
        "conversion": 9,
        "preserveUnknownFields": 10,
    }
    schema = DEFINITIONS["io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps"]
    assert schema.field("$ref").proto == 3
    assert schema.field("x-kubernetes-preserve-unknown-fields").proto == 38
    validations = schema.field("x-kubernetes-validations")
    assert (validations.proto, validations.patch_merge_key, validations.list_map_keys) == (
        44,
        "rule",
        ("rule",),
    )
    assert schema.field("properties").type == MapOf(Ref(schema.name))


def test_scalar_kinds() -> None:
    """Integer widths and time precisions follow generated.proto."""
    assert _path("io.k8s.api.coordination.v1.LeaseSpec", "acquireTime").type is MICRO_TIME
    assert _path("io.k8s.api.events.v1.Event", "eventTime").type is MICRO_TIME
    assert _path("io.k8s.api.events.v1.Event", "deprecatedFirstTimestamp").type is TIME
    assert _path("io.k8s.api.coordination.v1.LeaseSpec", "leaseDurationSeconds").type is INT32
    assert _path("io.k8s.api.authentication.v1.TokenRequestSpec", "expirationSeconds").type is (
        INT64
    )
    assert _path("io.k8s.api.storage.v1.TokenRequest", "expirationSeconds").type is INT64


def test_patch_metadata() -> None:
    """Lists merged by key in strategic merge patches say so."""
    drivers = _path("io.k8s.api.storage.v1.CSINodeSpec", "drivers")
    assert (drivers.patch_strategy, drivers.patch_merge_key, drivers.list_type) == (
        "merge",
        "name",
        "map",
    )
    webhooks = _path(
        "io.k8s.api.admissionregistration.v1.ValidatingWebhookConfiguration", "webhooks"
    )
    assert (webhooks.patch_strategy, webhooks.patch_merge_key) == ("merge", "name")
    assert _path("io.k8s.api.discovery.v1.Endpoint", "addresses").list_type == "set"
    assert _path("io.k8s.api.rbac.v1.PolicyRule", "verbs").required


def test_extra_is_a_map_of_string_lists() -> None:
    """ExtraValue is declared by its JSON shape, a map of string lists."""
    for name in (
        "io.k8s.api.authorization.v1.SubjectAccessReviewSpec",
        "io.k8s.api.authentication.v1.UserInfo",
    ):
        assert DEFINITIONS[name].field("extra").type == MapOf(ListOf(STRING))
