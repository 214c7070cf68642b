"""Pruning, unknown and duplicate fields, and Go-worded type errors."""

from __future__ import annotations

import copy
import importlib
from typing import Any

import pytest

from kubeling.api.pruning import (
    JSONBodyError,
    check_types,
    check_unknown,
    go_type_name,
    parse_json_strict,
    prune,
    unknown_field_paths,
)
from kubeling.api.schema import (
    BOOL,
    BYTES,
    DEFINITIONS,
    DOUBLE,
    DURATION,
    INT32,
    INT64,
    INT_OR_STRING,
    JSON,
    QUANTITY,
    RAW_EXTENSION,
    STRING,
    TIME,
    Field,
    ListOf,
    MapOf,
    Object,
    Ref,
)

T = "io.k8s.test.pruning.v1."
Meta = Object(
    T + "ObjectMeta",
    "",
    [
        Field("name", 1, STRING),
        Field("labels", 11, MapOf(STRING)),
        Field("creationTimestamp", 8, TIME),
    ],
)
Container = Object(
    T + "Container",
    "",
    [
        Field("name", 1, STRING),
        Field("image", 2, STRING),
        Field("stdin", 3, BOOL),
        Field("limits", 4, MapOf(QUANTITY)),
        Field("port", 5, INT_OR_STRING),
        Field("args", 6, ListOf(STRING)),
    ],
)
PodSpec = Object(
    T + "PodSpec",
    "",
    [
        Field("containers", 2, ListOf(Container)),
        Field("terminationGracePeriodSeconds", 4, INT64),
        Field("priority", 5, INT32),
        Field("ratio", 6, DOUBLE),
        Field("timeout", 7, DURATION),
        Field("blob", 8, BYTES),
        Field("extension", 9, RAW_EXTENSION),
        Field("anything", 10, JSON),
        Field(
            "open", 11, Object(T + "Open", "", [Field("known", 1, STRING)], preserve_unknown=True)
        ),
        Field("schemas", 12, MapOf(Ref(T + "Props"))),
    ],
)
Props = Object(T + "Props", "", [Field("type", 1, STRING), Field("items", 2, Ref(T + "Props"))])
Pod = Object(
    T + "Pod",
    "",
    [
        Field("apiVersion", 0, STRING),
        Field("kind", 0, STRING),
        Field("metadata", 1, Meta),
        Field("spec", 2, PodSpec),
    ],
)


def pod(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "i"}], **spec},
    }


# -- unknown fields --------------------------------------------------------------


def test_known_object_has_no_unknown_fields() -> None:
    assert check_unknown(pod(), Pod) == []


def test_unknown_field_paths_like_kubernetes() -> None:
    obj = pod(foo=1)
    obj["bogusTop"] = True
    obj["spec"]["containers"].append({"name": "d", "bogus": "x", "image": "i"})
    obj["spec"]["schemas"] = {"a": {"type": "object", "items": {"type": "string", "extra": 1}}}
    assert check_unknown(obj, Pod) == [  # document order
        'unknown field "spec.containers[1].bogus"',
        'unknown field "spec.foo"',
        'unknown field "spec.schemas.a.items.extra"',
        'unknown field "bogusTop"',
    ]


def test_opaque_and_preserved_subtrees_accept_anything() -> None:
    obj = pod(
        extension={"whatever": {"deep": 1}},
        anything=[{"x": 1}],
        open={"known": "k", "other": {"a": 1}},
    )
    assert unknown_field_paths(obj, Pod) == []


def test_apiversion_and_kind_only_known_at_the_root() -> None:
    obj = pod()
    obj["spec"]["containers"][0]["kind"] = "x"
    assert unknown_field_paths(obj, Pod) == ["spec.containers[0].kind"]


def test_prune_removes_and_reports() -> None:
    obj = pod(foo=1)
    obj["spec"]["containers"][0]["bogus"] = 2
    expected = pod()
    assert prune(obj, Pod) == ["spec.containers[0].bogus", "spec.foo"]
    assert obj == expected


def test_prune_drop_nulls() -> None:
    obj = pod(priority=None)
    obj["metadata"]["creationTimestamp"] = None
    obj["spec"]["anything"] = {"keep": None}
    kept = copy.deepcopy(obj)
    assert prune(kept, Pod) == []
    assert kept["metadata"]["creationTimestamp"] is None
    assert prune(obj, Pod, drop_nulls=True) == []
    assert "creationTimestamp" not in obj["metadata"]
    assert "priority" not in obj["spec"]
    assert obj["spec"]["anything"] == {"keep": None}


def test_walks_ignore_mistyped_values() -> None:
    obj = {"metadata": "oops", "spec": {"containers": {"not": "a list"}}}
    assert unknown_field_paths(obj, Pod) == []
    assert unknown_field_paths([1, 2], Pod) == []


# -- duplicates -------------------------------------------------------------------


def test_parse_json_strict_reports_duplicates() -> None:
    body = b"""{"metadata": {"name": "a", "name": "b", "labels": {"x": "1", "x": "2"}},
                "spec": {"containers": [{"name": "c", "name": "d"}]},
                "kind": "Pod", "kind": "Pod", "kind": "Pod", "status": {"a": 1, "a": 2}}"""
    value, duplicates = parse_json_strict(body)
    assert value["metadata"] == {"name": "b", "labels": {"x": "2"}}
    assert duplicates == [
        'duplicate field "metadata.name"',
        'duplicate field "metadata.labels.x"',
        'duplicate field "spec.containers[0].name"',
        'duplicate field "kind"',
        'duplicate field "kind"',
        'duplicate field "status.a"',
    ]


def test_parse_json_strict_without_duplicates() -> None:
    assert parse_json_strict('{"a": [1, {"b": 2}]}') == ({"a": [1, {"b": 2}]}, [])
    assert parse_json_strict("[1]") == ([1], [])


@pytest.mark.parametrize("body", [b"{", b"", b'{"a": NaN}', b"\xff", b"[" * 100_000])
def test_parse_json_strict_errors(body: bytes) -> None:
    with pytest.raises(JSONBodyError):
        parse_json_strict(body)


def test_parse_json_strict_deep_duplicates() -> None:
    depth = 500
    body = '{"a":' * depth + '{"x":1,"x":2}' + "}" * depth
    _, duplicates = parse_json_strict(body)
    assert duplicates == [f'duplicate field "{".".join(["a"] * depth)}.x"']


# -- type errors -----------------------------------------------------------------


PREFIX = "json: cannot unmarshal"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"terminationGracePeriodSeconds": "30"},
            f"{PREFIX} string into Go struct field PodSpec.spec.terminationGracePeriodSeconds"
            " of type int64",
        ),
        (
            {"priority": 2**31},
            f"{PREFIX} number 2147483648 into Go struct field PodSpec.spec.priority of type int32",
        ),
        (
            {"priority": 1.5},
            f"{PREFIX} number 1.5 into Go struct field PodSpec.spec.priority of type int32",
        ),
        (
            {"priority": True},
            f"{PREFIX} bool into Go struct field PodSpec.spec.priority of type int32",
        ),
        (
            {"ratio": "x"},
            f"{PREFIX} string into Go struct field PodSpec.spec.ratio of type float64",
        ),
        (
            {"containers": {"a": 1}},
            f"{PREFIX} object into Go struct field PodSpec.spec.containers of type []v1.Container",
        ),
        (
            {"containers": ["x"]},
            f"{PREFIX} string into Go struct field PodSpec.spec.containers of type v1.Container",
        ),
        (
            {"containers": [{"name": "ok"}, {"name": 5}]},
            f"{PREFIX} number into Go struct field Container.spec.containers.name of type string",
        ),
        (
            {"containers": [{"stdin": "yes"}]},
            f"{PREFIX} string into Go struct field Container.spec.containers.stdin of type bool",
        ),
        (
            {"containers": [{"args": "a b"}]},
            f"{PREFIX} string into Go struct field Container.spec.containers.args of type []string",
        ),
        (
            # strings before it are skipped without a look; the number is still found
            {"containers": [{"args": ["a", "b", 1]}]},
            f"{PREFIX} number into Go struct field Container.spec.containers.args of type string",
        ),
        (
            {"containers": [{"port": 1.5}]},
            f"{PREFIX} number 1.5 into Go struct field Container.spec.containers.port"
            " of type int32",
        ),
        (
            {"containers": [{"limits": {"cpu": "lots"}}]},
            "quantities must match the regular expression "
            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        ),
        ({"timeout": "soon"}, 'time: invalid duration "soon"'),
        (
            {"timeout": 5},
            f"{PREFIX} number into Go struct field PodSpec.spec.timeout of type string",
        ),
        ({"blob": "a!b"}, "illegal base64 data at input byte 1"),
        (
            {"blob": 1},
            f"{PREFIX} number into Go struct field PodSpec.spec.blob of type []uint8",
        ),
        (
            {"schemas": {"a": {"items": {"type": 1}}}},
            f"{PREFIX} number into Go struct field Props.spec.schemas.items.type of type string",
        ),
    ],
)
def test_type_errors(spec: dict[str, Any], message: str) -> None:
    assert check_types(pod(**spec), Pod) == message


def test_map_values_have_no_key_in_path() -> None:
    obj = pod()
    obj["metadata"]["labels"] = {"app": 1}
    assert check_types(obj, Pod) == (
        f"{PREFIX} number into Go struct field ObjectMeta.metadata.labels of type string"
    )


def test_root_and_top_level_mismatches() -> None:
    assert check_types([1], Pod) == f"{PREFIX} array into Go value of type v1.Pod"
    assert check_types({"spec": "x"}, Pod) == (
        f"{PREFIX} string into Go struct field Pod.spec of type v1.PodSpec"
    )


def test_valid_values_and_nulls_pass() -> None:
    obj = pod(
        terminationGracePeriodSeconds=30,
        priority=-(2**31),
        ratio=1,
        timeout="1m30s",
        blob="aGVsbG8=",
        extension={"any": "thing"},
        anything=[1, "x"],
        schemas={"a": {"type": "string", "items": None}},
    )
    obj["spec"]["containers"][0].update(limits={"cpu": "100m", "memory": 1024}, port="http")
    obj["metadata"]["creationTimestamp"] = None
    obj["spec"]["containers"].append({"name": None, "port": 80})
    obj["spec"]["unknownIsNotATypeError"] = {"a": 1}
    assert check_types(obj, Pod) is None


def test_first_error_wins() -> None:
    assert check_types(pod(priority="a", ratio="b"), Pod) == (
        f"{PREFIX} string into Go struct field PodSpec.spec.priority of type int32"
    )


def test_go_type_names() -> None:
    assert go_type_name(MapOf(ListOf(Container))) == "map[string][]v1.Container"
    assert go_type_name(QUANTITY) == "resource.Quantity"


# -- the real declarations ----------------------------------------------------------


def test_real_pod_declarations() -> None:
    for module in ("kubeling.api.meta.v1", "kubeling.api.core.v1.pod"):
        pytest.importorskip(module)
        importlib.import_module(module)
    real_pod = DEFINITIONS.get("io.k8s.api.core.v1.Pod")
    if real_pod is None:
        pytest.skip("Pod is not declared yet")
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {"a": "b"}},
        "spec": {
            "containers": [{"name": "c", "image": "nginx", "bogus": 1}],
            "terminationGracePeriodSeconds": "30",
        },
    }
    assert check_unknown(obj, real_pod) == ['unknown field "spec.containers[0].bogus"']
    assert check_types(obj, real_pod) == (
        f"{PREFIX} string into Go struct field PodSpec.spec.terminationGracePeriodSeconds"
        " of type int64"
    )
