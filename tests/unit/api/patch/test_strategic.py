"""Strategic merge patch: applying, its directives and errors, and creating patches."""

from __future__ import annotations

import copy
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubeling.api.patch import (
    NO_SCHEMA,
    JSONObject,
    PatchError,
    SchemaPatchMeta,
    apply_strategic_merge_patch,
    create_three_way_merge_patch,
    create_two_way_merge_patch,
)


def _ref(name: str) -> dict[str, Any]:
    return {"allOf": [{"$ref": f"#/components/schemas/{name}"}]}


def _merge_list(item: str | None, key: str | None, strategy: str = "merge") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array", "x-kubernetes-patch-strategy": strategy}
    schema["items"] = {"$ref": f"#/components/schemas/{item}"} if item else {"type": "string"}
    if key:
        schema["x-kubernetes-patch-merge-key"] = key
    return schema


# A subset of Kubernetes' published OpenAPI v3, with the same patch extensions.
COMPONENTS: dict[str, Any] = {
    "Pod": {"properties": {"metadata": _ref("ObjectMeta"), "spec": _ref("PodSpec")}},
    "ObjectMeta": {
        "properties": {
            "finalizers": _merge_list(None, None),
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        }
    },
    "PodSpec": {
        "properties": {
            "containers": _merge_list("Container", "name"),
            "volumes": _merge_list("Volume", "name", "merge,retainKeys"),
            "tolerations": {"type": "array", "items": {"$ref": "#/components/schemas/Toleration"}},
        }
    },
    "Container": {
        "properties": {
            "env": _merge_list("EnvVar", "name"),
            "ports": _merge_list("ContainerPort", "containerPort"),
        }
    },
    "EnvVar": {"properties": {"name": {"type": "string"}, "value": {"type": "string"}}},
    "ContainerPort": {"properties": {"containerPort": {"type": "integer"}}},
    "Volume": {"properties": {"name": {"type": "string"}}},
    "Toleration": {"properties": {"key": {"type": "string"}}},
    "Deployment": {"properties": {"metadata": _ref("ObjectMeta"), "spec": _ref("DeploymentSpec")}},
    "DeploymentSpec": {
        "properties": {
            "strategy": {**_ref("DeploymentStrategy"), "x-kubernetes-patch-strategy": "retainKeys"},
            "template": _ref("PodTemplateSpec"),
        }
    },
    "DeploymentStrategy": {"properties": {"type": {}, "rollingUpdate": {"type": "object"}}},
    "PodTemplateSpec": {"properties": {"metadata": _ref("ObjectMeta"), "spec": _ref("PodSpec")}},
}
POD = SchemaPatchMeta({"$ref": "#/components/schemas/Pod"}, COMPONENTS)
DEPLOYMENT = SchemaPatchMeta(COMPONENTS["Deployment"], COMPONENTS)


def _pod(**spec: Any) -> JSONObject:
    return {"spec": spec}


def _names(*names: str) -> list[Any]:
    return [{"name": name} for name in names]


def test_schema_lookup() -> None:
    """SchemaPatchMeta follows $ref and allOf to the patch extensions."""
    containers = POD.child("spec").child("containers")
    assert (containers.patch_strategy, containers.patch_merge_key) == ("merge", "name")
    ports = containers.list_item().child("ports")
    assert ports.patch_merge_key == "containerPort"
    assert POD.child("metadata").child("labels").child("x").patch_strategy == ""
    assert DEPLOYMENT.child("spec").child("strategy").patch_strategy == "retainKeys"
    assert POD.child("nope").child("deeper").list_item() is NO_SCHEMA


APPLY_CASES: list[tuple[str, Any, JSONObject, JSONObject, JSONObject]] = [
    (
        "containers merge by name",
        POD,
        _pod(containers=[{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]),
        _pod(containers=[{"name": "b", "image": "z"}]),
        _pod(containers=[{"name": "a", "image": "x"}, {"name": "b", "image": "z"}]),
    ),
    (
        "a new container goes before unmentioned ones (Go's mergeSortedSlice)",
        POD,
        _pod(containers=_names("a")),
        _pod(containers=_names("b")),
        _pod(containers=_names("b", "a")),
    ),
    (
        "env merges by name inside a container",
        POD,
        _pod(containers=[{"name": "a", "env": [{"name": "X", "value": "1"}, {"name": "Y"}]}]),
        _pod(containers=[{"name": "a", "env": [{"name": "X", "value": "2"}]}]),
        _pod(containers=[{"name": "a", "env": [{"name": "X", "value": "2"}, {"name": "Y"}]}]),
    ),
    (
        "ports merge by containerPort",
        POD,
        _pod(containers=[{"name": "a", "ports": [{"containerPort": 80, "name": "http"}]}]),
        _pod(containers=[{"name": "a", "ports": [{"containerPort": 80, "protocol": "TCP"}]}]),
        _pod(
            containers=[
                {"name": "a", "ports": [{"containerPort": 80, "name": "http", "protocol": "TCP"}]}
            ]
        ),
    ),
    (
        "volumes merge by name",
        POD,
        _pod(volumes=[{"name": "v", "emptyDir": {}}, {"name": "w"}]),
        _pod(volumes=[{"name": "v", "emptyDir": {"medium": "Memory"}}]),
        _pod(volumes=[{"name": "v", "emptyDir": {"medium": "Memory"}}, {"name": "w"}]),
    ),
    (
        "volume retainKeys switches the source",
        POD,
        _pod(volumes=[{"name": "v", "emptyDir": {}}]),
        _pod(volumes=[{"name": "v", "$retainKeys": ["name", "secret"], "secret": {"x": 1}}]),
        _pod(volumes=[{"name": "v", "secret": {"x": 1}}]),
    ),
    (
        "finalizers merge as a set",
        POD,
        {"metadata": {"finalizers": ["a", "b"]}},
        {"metadata": {"finalizers": ["b", "c"]}},
        {"metadata": {"finalizers": ["a", "b", "c"]}},
    ),
    (
        "tolerations (no strategy) are replaced",
        POD,
        _pod(tolerations=[{"key": "a"}, {"key": "b"}]),
        _pod(tolerations=[{"key": "c"}]),
        _pod(tolerations=[{"key": "c"}]),
    ),
    (
        "labels merge and null deletes",
        POD,
        {"metadata": {"labels": {"a": "1", "b": "2"}}},
        {"metadata": {"labels": {"b": None, "c": "3", "d": None}}},
        {"metadata": {"labels": {"a": "1", "c": "3"}}},
    ),
    (
        "$setElementOrder/containers orders the merged list",
        POD,
        _pod(containers=_names("a", "b", "c")),
        _pod(
            containers=[{"name": "c", "image": "new"}],
            **{"$setElementOrder/containers": _names("c", "a", "b")},
        ),
        _pod(containers=[{"name": "c", "image": "new"}, *_names("a", "b")]),
    ),
    (
        "$setElementOrder keeps a server-only item ahead of later patch items",
        POD,
        _pod(containers=_names("a", "s", "b")),
        _pod(**{"$setElementOrder/containers": _names("b", "a")}),
        _pod(containers=_names("s", "b", "a")),
    ),
    (
        "$setElementOrder may name items missing from the list",
        POD,
        _pod(containers=_names("a", "c")),
        _pod(
            containers=[{"name": "c", "image": "3"}, {"name": "a", "image": "1"}],
            **{"$setElementOrder/containers": _names("c", "b", "a")},
        ),
        _pod(containers=[{"name": "c", "image": "3"}, {"name": "a", "image": "1"}]),
    ),
    (
        "$setElementOrder on a primitive list with a live-only value",
        POD,
        {"metadata": {"finalizers": ["1", "2", "4"]}},
        {"metadata": {"finalizers": ["3"], "$setElementOrder/finalizers": ["1", "2", "3"]}},
        {"metadata": {"finalizers": ["1", "2", "3", "4"]}},
    ),
    (
        "patch order is kept for mentioned items",
        POD,
        _pod(containers=[{"name": "1"}, {"name": "2", "image": "b"}, {"name": "3"}]),
        _pod(containers=[{"name": "3", "image": "c"}, {"name": "1", "image": "a"}]),
        _pod(
            containers=[
                {"name": "2", "image": "b"},
                {"name": "3", "image": "c"},
                {"name": "1", "image": "a"},
            ]
        ),
    ),
    (
        "$retainKeys on Deployment strategy drops rollingUpdate",
        DEPLOYMENT,
        {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}},
        {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}},
        {"spec": {"strategy": {"type": "Recreate"}}},
    ),
    (
        "without $retainKeys a retainKeys map merges",
        DEPLOYMENT,
        {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}},
        {"spec": {"strategy": {"type": "Recreate"}}},
        {"spec": {"strategy": {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}}},
    ),
    (
        "$deleteFromPrimitiveList/finalizers removes values",
        POD,
        {"metadata": {"finalizers": ["a", "b", "c", "b"]}},
        {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"]}},
        {"metadata": {"finalizers": ["a", "c"]}},
    ),
    (
        "$patch: replace on a map",
        POD,
        {"metadata": {"labels": {"a": "1", "b": "2"}}},
        {"metadata": {"labels": {"$patch": "replace", "c": "3"}}},
        {"metadata": {"labels": {"c": "3"}}},
    ),
    (
        "$patch: replace on a list",
        POD,
        _pod(containers=_names("a", "b")),
        _pod(containers=[{"name": "z"}, {"$patch": "replace"}]),
        _pod(containers=_names("z")),
    ),
    (
        "$patch: replace alone empties a list",
        POD,
        _pod(containers=_names("a", "b")),
        _pod(containers=[{"$patch": "replace"}]),
        _pod(containers=[]),
    ),
    (
        "$patch: delete of a container",
        POD,
        _pod(containers=_names("a", "b", "c")),
        _pod(containers=[{"name": "b", "$patch": "delete"}]),
        _pod(containers=_names("a", "c")),
    ),
    (
        "$patch: delete removes every duplicate",
        POD,
        _pod(containers=[*_names("1", "1"), {"name": "2", "image": "a"}, *_names("3", "3")]),
        _pod(containers=[{"name": "1", "$patch": "delete"}, {"name": "3", "$patch": "delete"}]),
        _pod(containers=[{"name": "2", "image": "a"}]),
    ),
    (
        "$patch: delete on a map leaves an empty map",
        POD,
        {"metadata": {"labels": {"a": "1"}}},
        {"metadata": {"labels": {"$patch": "delete"}}},
        {"metadata": {"labels": {}}},
    ),
    (
        "a new map carrying $patch is dropped",
        POD,
        {"metadata": {}},
        {"metadata": {"labels": {"$patch": "replace", "a": "1"}}},
        {"metadata": {}},
    ),
    (
        "new values lose their nulls and directives",
        POD,
        {},
        {"spec": {"containers": [{"name": "a", "image": None}], "$retainKeys": ["containers"]}},
        {"spec": {"containers": [{"name": "a"}]}},
    ),
    (
        "without a schema lists are replaced and maps merged",
        NO_SCHEMA,
        {"a": {"b": 1}, "l": [1, 2]},
        {"a": {"c": 2}, "l": [3]},
        {"a": {"b": 1, "c": 2}, "l": [3]},
    ),
]


@pytest.mark.parametrize(
    ("name", "meta", "original", "patch", "expected"),
    APPLY_CASES,
    ids=[case[0] for case in APPLY_CASES],
)
def test_apply(
    name: str, meta: Any, original: JSONObject, patch: JSONObject, expected: JSONObject
) -> None:
    """Each patch yields the object Kubernetes would produce."""
    assert apply_strategic_merge_patch(original, patch, meta) == expected


def test_input_not_mutated() -> None:
    """Neither the live object nor the patch is changed."""
    original = _pod(containers=_names("a", "b"))
    patch = _pod(containers=[{"name": "b", "$patch": "delete"}, {"name": "c"}])
    before = copy.deepcopy((original, patch))
    apply_strategic_merge_patch(original, patch, POD)
    assert (original, patch) == before


_STRATEGY: JSONObject = {"spec": {"strategy": {"type": "Recreate"}}}

ERROR_CASES: list[tuple[str, JSONObject, JSONObject, HTTPStatus, str]] = [
    (
        "unknown $patch in a map",
        {"metadata": {"labels": {"a": "1"}}},
        {"metadata": {"labels": {"$patch": "x"}}},
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "unknown patch type: x in map: map[$patch:x]",
    ),
    (
        "unknown $patch in a list",
        _pod(containers=_names("a")),
        _pod(containers=[{"name": "a", "$patch": "x"}]),
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "unknown patch type: x in map: map[$patch:x name:a]",
    ),
    (
        "$patch: merge in a map is rejected like Kubernetes",
        {"metadata": {"labels": {"a": "1"}}},
        {"metadata": {"labels": {"$patch": "merge"}}},
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "unknown patch type: merge",
    ),
    (
        "$patch: merge in a list",
        _pod(containers=_names("a")),
        _pod(containers=[{"$patch": "merge"}]),
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "merging lists cannot yet be specified in the patch",
    ),
    (
        "merge-key list item without its key",
        _pod(containers=_names("a")),
        _pod(containers=[{"image": "x"}]),
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "map: map[image:x] does not contain declared merge key: name",
    ),
    (
        "$patch: delete without the merge key",
        _pod(containers=_names("a")),
        _pod(containers=[{"$patch": "delete"}]),
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "does not contain declared merge key: name",
    ),
    (
        "$retainKeys not a list",
        _STRATEGY,
        {"spec": {"strategy": {"$retainKeys": "type"}}},
        HTTPStatus.BAD_REQUEST,
        "invalid patch format of retainKeys",
    ),
    (
        "patch key missing from $retainKeys",
        _STRATEGY,
        {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {}}}},
        HTTPStatus.BAD_REQUEST,
        "invalid patch format of retainKeys",
    ),
    (
        "bad $setElementOrder prefix",
        _pod(containers=_names("a")),
        _pod(**{"$setElementOrderX/containers": _names("a")}),
        HTTPStatus.BAD_REQUEST,
        "invalid patch format of setElementOrder list",
    ),
    (
        "bad $deleteFromPrimitiveList prefix",
        {"metadata": {"finalizers": ["a"]}},
        {"metadata": {"$deleteFromPrimitiveListX/finalizers": ["a"]}},
        HTTPStatus.BAD_REQUEST,
        "invalid patch format of primitive list",
    ),
    (
        "patch list out of $setElementOrder order",
        _pod(containers=_names("1", "3", "2")),
        _pod(
            containers=_names("3", "1"),
            **{"$setElementOrder/containers": _names("1", "2", "3")},
        ),
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "doesn't match $setElementOrder list",
    ),
    (
        "lists of lists",
        {"metadata": {"finalizers": [["a"]]}},
        {"metadata": {"finalizers": [["b"]]}},
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "lists of lists are not supported",
    ),
    (
        "mixed element types",
        {"metadata": {"finalizers": ["a"]}},
        {"metadata": {"finalizers": [1]}},
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "list element types are not identical",
    ),
]


@pytest.mark.parametrize(
    ("name", "original", "patch", "code", "message"),
    ERROR_CASES,
    ids=[case[0] for case in ERROR_CASES],
)
def test_errors(
    name: str, original: JSONObject, patch: JSONObject, code: HTTPStatus, message: str
) -> None:
    """Invalid directives fail with Kubernetes' status and message."""
    meta = DEPLOYMENT if original is _STRATEGY else POD
    with pytest.raises(PatchError) as caught:
        apply_strategic_merge_patch(original, patch, meta)
    assert caught.value.code == code
    assert message in caught.value.message


TWO_WAY_CASES: list[tuple[str, Any, JSONObject, JSONObject, JSONObject]] = [
    (
        "changed container image",
        POD,
        _pod(containers=[{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]),
        _pod(containers=[{"name": "a", "image": "z"}, {"name": "b", "image": "y"}]),
        _pod(
            containers=[{"name": "a", "image": "z"}],
            **{"$setElementOrder/containers": _names("a", "b")},
        ),
    ),
    (
        "removed container",
        POD,
        _pod(containers=_names("a", "b")),
        _pod(containers=_names("a")),
        _pod(
            containers=[{"name": "b", "$patch": "delete"}],
            **{"$setElementOrder/containers": _names("a")},
        ),
    ),
    (
        "removed finalizer",
        POD,
        {"metadata": {"finalizers": ["a", "b"]}},
        {"metadata": {"finalizers": ["a"]}},
        {
            "metadata": {
                "$deleteFromPrimitiveList/finalizers": ["b"],
                "$setElementOrder/finalizers": ["a"],
            }
        },
    ),
    (
        "removed label is null",
        POD,
        {"metadata": {"labels": {"a": "1", "b": "2"}}},
        {"metadata": {"labels": {"a": "1"}}},
        {"metadata": {"labels": {"b": None}}},
    ),
    (
        "tolerations sent whole",
        POD,
        _pod(tolerations=[{"key": "a"}]),
        _pod(tolerations=[{"key": "a"}, {"key": "b"}]),
        _pod(tolerations=[{"key": "a"}, {"key": "b"}]),
    ),
    (
        "strategy switch carries $retainKeys",
        DEPLOYMENT,
        {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}},
        {"spec": {"strategy": {"type": "Recreate"}}},
        {
            "spec": {
                "strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": None}
            }
        },
    ),
    ("no change", POD, _pod(containers=_names("a")), _pod(containers=_names("a")), {}),
]


@pytest.mark.parametrize(
    ("name", "meta", "original", "modified", "expected"),
    TWO_WAY_CASES,
    ids=[case[0] for case in TWO_WAY_CASES],
)
def test_two_way(
    name: str, meta: Any, original: JSONObject, modified: JSONObject, expected: JSONObject
) -> None:
    """create_two_way_merge_patch produces kubectl's patch, which applies back to modified."""
    patch = create_two_way_merge_patch(original, modified, meta)
    assert patch == expected
    assert apply_strategic_merge_patch(original, patch, meta) == modified


THREE_WAY_CASES: list[tuple[str, JSONObject, JSONObject, JSONObject, JSONObject, JSONObject]] = [
    (
        "label dropped from the manifest, server label kept",
        {"metadata": {"labels": {"a": "1", "b": "2"}}},
        {"metadata": {"labels": {"a": "1"}}},
        {"metadata": {"labels": {"a": "1", "b": "2", "c": "3"}}},
        {"metadata": {"labels": {"b": None}}},
        {"metadata": {"labels": {"a": "1", "c": "3"}}},
    ),
    (
        "finalizer added alongside a server one",
        {"metadata": {"finalizers": ["1", "2"]}},
        {"metadata": {"finalizers": ["1", "2", "3"]}},
        {"metadata": {"finalizers": ["1", "2", "4"]}},
        {"metadata": {"$setElementOrder/finalizers": ["1", "2", "3"], "finalizers": ["3"]}},
        {"metadata": {"finalizers": ["1", "2", "3", "4"]}},
    ),
    (
        "container removed and another changed",
        _pod(containers=[{"name": "a", "image": "1"}, {"name": "b"}]),
        _pod(containers=[{"name": "a", "image": "2"}]),
        _pod(containers=[{"name": "a", "image": "1", "tty": True}, {"name": "b"}, {"name": "s"}]),
        _pod(
            containers=[{"name": "a", "image": "2"}, {"name": "b", "$patch": "delete"}],
            **{"$setElementOrder/containers": _names("a")},
        ),
        _pod(containers=[{"name": "a", "image": "2", "tty": True}, {"name": "s"}]),
    ),
]


@pytest.mark.parametrize(
    ("name", "original", "modified", "current", "expected", "result"),
    THREE_WAY_CASES,
    ids=[case[0] for case in THREE_WAY_CASES],
)
def test_three_way(
    name: str,
    original: JSONObject,
    modified: JSONObject,
    current: JSONObject,
    expected: JSONObject,
    result: JSONObject,
) -> None:
    """create_three_way_merge_patch is what kubectl apply sends, and it applies as expected."""
    patch = create_three_way_merge_patch(original, modified, current, POD)
    assert patch == expected
    assert apply_strategic_merge_patch(current, patch, POD) == result


# Random Pods over the schema above, for the round-trip property.
def _by(key: str) -> Callable[[dict[str, Any]], str]:
    return lambda item: str(item[key])


_NAMES = st.sampled_from(["a", "b", "c", "d"])
_TEXT = st.text("xyz", max_size=2)
_FREE = st.recursive(
    st.one_of(st.booleans(), st.integers(-3, 3), _TEXT),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("pqr"), inner),
    max_leaves=6,
)
_ENV = st.lists(
    st.fixed_dictionaries({"name": _NAMES}, optional={"value": _TEXT}),
    unique_by=_by("name"),
    max_size=3,
)
_PORTS = st.lists(
    st.fixed_dictionaries(
        {"containerPort": st.integers(1, 4)}, optional={"protocol": st.sampled_from(["TCP", "UDP"])}
    ),
    unique_by=_by("containerPort"),
    max_size=3,
)
_CONTAINERS = st.lists(
    st.fixed_dictionaries(
        {"name": _NAMES}, optional={"image": _TEXT, "env": _ENV, "ports": _PORTS, "p": _FREE}
    ),
    unique_by=_by("name"),
    max_size=4,
)
_VOLUMES = st.lists(
    st.fixed_dictionaries(
        {"name": _NAMES},
        optional={"emptyDir": st.dictionaries(st.just("medium"), _TEXT), "secret": _FREE},
    ),
    unique_by=_by("name"),
    max_size=3,
)
_PODS = st.fixed_dictionaries(
    {},
    optional={
        "metadata": st.fixed_dictionaries(
            {},
            optional={
                "finalizers": st.lists(st.sampled_from(["f1", "f2", "f3", "f4"]), unique=True),
                "labels": st.dictionaries(st.sampled_from(["l1", "l2", "l3"]), _TEXT),
            },
        ),
        "spec": st.fixed_dictionaries(
            {},
            optional={
                "containers": _CONTAINERS,
                "volumes": _VOLUMES,
                "tolerations": st.lists(st.dictionaries(st.sampled_from(["key", "value"]), _TEXT)),
                "q": _FREE,
            },
        ),
        "r": _FREE,
    },
)
_DEPLOYMENTS = st.fixed_dictionaries(
    {
        "spec": st.fixed_dictionaries(
            {},
            optional={
                "strategy": st.fixed_dictionaries(
                    {},
                    optional={
                        "type": st.sampled_from(["Recreate", "RollingUpdate"]),
                        "rollingUpdate": st.dictionaries(st.sampled_from(["maxSurge"]), _FREE),
                    },
                )
            },
        )
    }
)


@settings(max_examples=300)
@given(original=_PODS, modified=_PODS)
def test_two_way_round_trip_pods(original: JSONObject, modified: JSONObject) -> None:
    """apply(original, create_two_way_merge_patch(original, modified)) == modified for Pods."""
    patch = create_two_way_merge_patch(original, modified, POD)
    assert apply_strategic_merge_patch(original, patch, POD) == modified


@given(original=_DEPLOYMENTS, modified=_DEPLOYMENTS)
def test_two_way_round_trip_retain_keys(original: JSONObject, modified: JSONObject) -> None:
    """The round trip also holds through a retainKeys field."""
    patch = create_two_way_merge_patch(original, modified, DEPLOYMENT)
    assert apply_strategic_merge_patch(original, patch, DEPLOYMENT) == modified


def test_null_patch_is_a_no_op() -> None:
    """A JSON null strategic patch leaves the object as it was, as Kubernetes does."""
    assert apply_strategic_merge_patch({"a": 1}, None, POD) == {"a": 1}


def test_non_object_patch_is_400() -> None:
    """A strategic patch that is not an object is a 400."""
    with pytest.raises(PatchError) as caught:
        apply_strategic_merge_patch({"a": 1}, [1], POD)
    assert caught.value.code == HTTPStatus.BAD_REQUEST
