"""The schema-driven protobuf codec: envelope, scalars, zero values, errors, fuzzing."""

from __future__ import annotations

import base64
import contextlib
import importlib
import struct
from typing import Any

import pytest
from google.protobuf import (  # type: ignore[import-untyped]
    descriptor_pb2,
    descriptor_pool,
    message_factory,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from kubeling.api.protobuf import (
    MAGIC,
    MAX_DEPTH,
    Envelope,
    ProtobufDecodeError,
    ProtobufEncodeError,
    decode,
    decode_body,
    decode_object,
    encode,
    encode_envelope,
    format_go_duration,
    parse_go_duration,
)
from kubeling.api.schema import (
    BOOL,
    BYTES,
    DEFINITIONS,
    DOUBLE,
    DURATION,
    FIELDS_V1,
    INT32,
    INT64,
    INT_OR_STRING,
    JSON,
    MICRO_TIME,
    QUANTITY,
    RAW_EXTENSION,
    STRING,
    TIME,
    Embedded,
    Field,
    ListOf,
    MapOf,
    Object,
    Ref,
)

# -- hand-assembled wire bytes -------------------------------------------------


def varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def vi(number: int, value: int) -> bytes:
    """A varint field."""
    return varint(number << 3) + varint(value)


def ld(number: int, payload: bytes | str) -> bytes:
    """A length-delimited field."""
    data = payload.encode() if isinstance(payload, str) else payload
    return varint(number << 3 | 2) + varint(len(data)) + data


def entry(number: int, key: str, value: bytes | str) -> bytes:
    return ld(number, ld(1, key) + ld(2, value))


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    """What client-go's protobuf serializer writes (gogo writes the empty strings too)."""
    return MAGIC + ld(1, ld(1, api_version) + ld(2, kind)) + ld(2, raw) + ld(3, "") + ld(4, "")


# -- test declarations (names under io.k8s.test.* so they never replace real ones)

T = "io.k8s.test.protobuf.v1."
Meta = Object(
    T + "ObjectMeta",
    "",
    [
        Field("name", 1, STRING),
        Field("namespace", 3, STRING),
        Field("generation", 7, INT64),
        Field("creationTimestamp", 8, TIME),
        Field("labels", 11, MapOf(STRING)),
        Field("finalizers", 14, ListOf(STRING)),
    ],
)
Spec = Object(T + "Spec", "", [Field("finalizers", 1, ListOf(STRING))])
Namespace = Object(
    T + "Namespace",
    "",
    [
        Field("apiVersion", 0, STRING),
        Field("kind", 0, STRING),
        Field("metadata", 1, Meta),
        Field("spec", 2, Spec),
        Field("status", 3, Object(T + "NamespaceStatus", "", [Field("phase", 1, STRING)])),
    ],
)
Secret = Object(
    T + "Secret",
    "",
    [
        Field("metadata", 1, Meta),
        Field("data", 2, MapOf(BYTES)),
        Field("type", 3, STRING),
        Field("stringData", 4, MapOf(STRING)),
        Field("immutable", 5, BOOL),
    ],
)
Everything = Object(
    T + "Everything",
    "",
    [
        Field("s", 1, STRING),
        Field("i32", 2, INT32),
        Field("i64", 3, INT64),
        Field("b", 4, BOOL),
        Field("d", 5, DOUBLE),
        Field("bytes", 6, BYTES),
        Field("time", 7, TIME),
        Field("micro", 8, MICRO_TIME),
        Field("duration", 9, DURATION),
        Field("quantity", 10, QUANTITY),
        Field("port", 11, INT_OR_STRING),
        Field("raw", 12, RAW_EXTENSION),
        Field("fields", 13, FIELDS_V1),
        Field("json", 14, JSON),
        Field("ints", 15, ListOf(INT32)),
        Field("limits", 16, MapOf(QUANTITY)),
        Field("extra", 17, MapOf(ListOf(STRING))),
        Field("matrix", 18, ListOf(ListOf(STRING))),
        Field("children", 19, ListOf(Ref(T + "Everything"))),
        Field("doubles", 20, ListOf(DOUBLE)),
    ],
)
Node = Object(T + "Node", "", [Field("name", 1, STRING), Field("next", 2, Ref(T + "Node"))])


# -- envelope ----------------------------------------------------------------------


def test_envelope_round_trip() -> None:
    body = encode_envelope("apps/v1", "Deployment", b"\x0a\x00")
    assert decode(body) == Envelope("apps/v1", "Deployment", b"\x0a\x00")
    assert body == envelope("apps/v1", "Deployment", b"\x0a\x00")


def test_envelope_requires_magic() -> None:
    with pytest.raises(ProtobufDecodeError, match="expected prefix"):
        decode(b'{"kind": "Namespace"}')


def test_envelope_rejects_content_encoding() -> None:
    body = MAGIC + ld(1, ld(1, "v1") + ld(2, "Namespace")) + ld(2, b"") + ld(3, "gzip")
    with pytest.raises(ProtobufDecodeError, match="content encoding"):
        decode(body)


def test_envelope_skips_unknown_fields() -> None:
    body = MAGIC + vi(9, 5) + ld(1, ld(1, "v1") + ld(2, "Pod") + vi(3, 1)) + ld(2, b"x")
    assert decode(body) == Envelope("v1", "Pod", b"x")


# -- kubectl-like bodies against the test declarations ------------------------------


def namespace_body(name: str) -> bytes:
    """``kubectl create namespace demo``: every non-pointer field is on the wire."""
    meta = ld(1, name) + ld(3, "") + vi(7, 0) + ld(8, b"")
    return envelope("v1", "Namespace", ld(1, meta) + ld(2, b"") + ld(3, ld(1, "")))


def test_namespace_zero_values() -> None:
    assert decode_body(namespace_body("demo"), Namespace) == {
        "apiVersion": "v1",
        "kind": "Namespace",
        # name kept, namespace "" dropped, generation 0 kept, zero time dropped
        "metadata": {"name": "demo", "generation": 0},
        "spec": {},
        "status": {},
    }


def test_secret_bytes_and_empty_type() -> None:
    raw = (
        ld(1, ld(1, "s"))
        + entry(2, "password", b"\x00hunter2\xff")
        + entry(2, "empty", b"")
        + ld(3, "")
        + vi(5, 0)
    )
    obj = decode_object(raw, Secret)
    assert obj == {
        "metadata": {"name": "s"},
        "data": {
            "password": base64.b64encode(b"\x00hunter2\xff").decode(),
            "empty": "",
        },
        "immutable": False,  # a bool pointer: false survives
    }
    assert "type" not in obj  # "" is unset: the strategy defaults it to Opaque


def test_map_entry_without_value_is_zero() -> None:
    raw = ld(4, ld(1, "k"))  # entry with a key only
    assert decode_object(raw, Secret) == {"stringData": {"k": ""}}


def test_repeated_singular_message_merges() -> None:
    raw = ld(1, ld(1, "a")) + ld(1, ld(3, "ns"))
    assert decode_object(raw, Secret) == {"metadata": {"name": "a", "namespace": "ns"}}


def test_last_scalar_wins() -> None:
    assert decode_object(ld(3, "a") + ld(3, "b"), Secret) == {"type": "b"}


# -- scalars -------------------------------------------------------------------


def test_negative_int32_is_ten_bytes() -> None:
    raw = vi(2, -5)
    assert len(raw) == 11
    assert decode_object(raw, Everything) == {"i32": -5}
    assert encode({"i32": -5}, Everything) == raw


def test_int32_truncates_like_go() -> None:
    assert decode_object(vi(2, 2**32 + 7), Everything) == {"i32": 7}


def test_packed_and_unpacked_repeated() -> None:
    packed = ld(15, varint(1) + varint(2) + varint(-1))
    unpacked = vi(15, 4)
    assert decode_object(packed + unpacked, Everything) == {"ints": [1, 2, -1, 4]}
    doubles = ld(20, struct.pack("<2d", 1.5, -2.0))
    assert decode_object(doubles, Everything) == {"doubles": [1.5, -2]}


def test_time_formats() -> None:
    stamp = 1704164645  # 2024-01-02T03:04:05Z
    raw = ld(7, vi(1, stamp) + vi(2, 999)) + ld(8, vi(1, stamp) + vi(2, 123456789))
    assert decode_object(raw, Everything) == {
        "time": "2024-01-02T03:04:05Z",
        "micro": "2024-01-02T03:04:05.123456Z",
    }


def test_time_zero_and_epoch() -> None:
    assert decode_object(ld(7, b""), Everything) == {}
    assert decode_object(ld(7, vi(1, 0) + vi(2, 0)), Everything) == {"time": "1970-01-01T00:00:00Z"}


def test_time_out_of_range() -> None:
    with pytest.raises(ProtobufDecodeError, match="out of range"):
        decode_object(ld(7, vi(1, 2**62)), Everything)


@pytest.mark.parametrize(
    ("nanoseconds", "text"),
    [
        (0, "0s"),
        (1, "1ns"),
        (1_500, "1.5µs"),
        (2_000_000, "2ms"),
        (1_500_000_000, "1.5s"),
        (90 * 10**9, "1m30s"),
        (3600 * 10**9, "1h0m0s"),
        (3661 * 10**9 + 5 * 10**8, "1h1m1.5s"),
        (-61 * 10**9, "-1m1s"),
    ],
)
def test_duration(nanoseconds: int, text: str) -> None:
    assert format_go_duration(nanoseconds) == text
    assert parse_go_duration(text) == nanoseconds
    assert decode_object(ld(9, vi(1, nanoseconds)), Everything) == {"duration": text}


@pytest.mark.parametrize("text", ["", "1", "h", "1x", "--1s", ".s", "1.2.3s"])
def test_invalid_duration(text: str) -> None:
    with pytest.raises(ValueError, match="time: invalid duration"):
        parse_go_duration(text)


def test_int_or_string_and_quantity() -> None:
    assert decode_object(ld(11, vi(1, 0) + vi(2, 8080) + ld(3, "")), Everything) == {"port": 8080}
    assert decode_object(ld(11, vi(1, 1) + vi(2, 0) + ld(3, "http")), Everything) == {
        "port": "http"
    }
    assert decode_object(ld(11, b""), Everything) == {"port": 0}
    assert decode_object(ld(10, ld(1, "100m")), Everything) == {"quantity": "100m"}
    assert decode_object(ld(16, ld(1, "cpu") + ld(2, ld(1, "2"))), Everything) == {
        "limits": {"cpu": "2"}
    }
    with pytest.raises(ProtobufDecodeError, match="IntOrString"):
        decode_object(ld(11, vi(1, 2)), Everything)


def test_raw_json_fields() -> None:
    raw = ld(12, ld(1, b'{"a":[1,2]}')) + ld(13, ld(1, b'{"f:spec":{}}')) + ld(14, ld(1, b'"x"'))
    assert decode_object(raw, Everything) == {
        "raw": {"a": [1, 2]},
        "fields": {"f:spec": {}},
        "json": "x",
    }
    assert decode_object(ld(12, b""), Everything) == {}
    with pytest.raises(ProtobufDecodeError, match="embedded JSON"):
        decode_object(ld(12, ld(1, b"{nope")), Everything)
    with pytest.raises(ProtobufDecodeError, match="embedded JSON"):
        decode_object(ld(14, ld(1, b"NaN")), Everything)


def test_nested_lists_and_maps_use_wrappers() -> None:
    raw = ld(17, ld(1, "groups") + ld(2, ld(1, "a") + ld(1, "b"))) + ld(18, ld(1, "x"))
    assert decode_object(raw, Everything) == {"extra": {"groups": ["a", "b"]}, "matrix": [["x"]]}


def test_unknown_fields_are_skipped() -> None:
    raw = (
        vi(99, 7)
        + ld(100, b"\xff\xff")
        + varint(101 << 3 | 1)
        + b"12345678"
        + varint(102 << 3 | 5)
        + b"1234"
        + ld(1, "kept")
    )
    assert decode_object(raw, Everything) == {"s": "kept"}


def test_invalid_utf8_is_replaced() -> None:
    assert decode_object(ld(1, b"a\xffb"), Everything) == {"s": "a\ufffdb"}


ALL_KINDS: dict[str, Any] = {
    "s": "text",
    "i32": -2147483648,
    "i64": 2**63 - 1,
    "b": True,
    "d": 0.25,
    "bytes": base64.b64encode(b"\x00\x01binary").decode(),
    "time": "2024-01-02T03:04:05Z",
    "micro": "2024-01-02T03:04:05.000001Z",
    "duration": "1h2m3.5s",
    "quantity": "1Gi",
    "port": "http",
    "raw": {"apiVersion": "v1", "kind": "Pod"},
    "fields": {"f:metadata": {"f:labels": {".": {}}}},
    "json": [1, "two", None, {"three": 3.5}],
    "ints": [0, -1, 7],
    "limits": {"cpu": "500m", "memory": "1Gi"},
    "extra": {"scopes": ["a", ""], "none": []},
    "matrix": [["a"], []],
    "children": [{"s": "child", "port": 0, "ints": [1]}, {}],
    "doubles": [1.5, -3],
}


def test_round_trip_every_kind() -> None:
    raw = encode(ALL_KINDS, Everything)
    assert decode_object(raw, Everything) == ALL_KINDS


def test_round_trip_zeros() -> None:
    obj = {"i32": 0, "b": False, "d": 0, "port": 0, "duration": "0s", "ints": [0]}
    assert decode_object(encode(obj, Everything), Everything) == obj


def test_encode_orders_fields_and_map_keys() -> None:
    raw = encode({"data": {"b": "Yg==", "a": "YQ=="}, "metadata": {"name": "n"}}, Secret)
    assert raw == ld(1, ld(1, "n")) + entry(2, "a", b"a") + entry(2, "b", b"b")


def test_encode_skips_undeclared_and_nulls() -> None:
    assert encode({"s": None, "bogus": 1, "i32": 1}, Everything) == vi(2, 1)


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"s": 1}, "s: expected a string"),
        ({"i32": 2**31}, "does not fit"),
        ({"i32": True}, "expected an integer"),
        ({"b": 1}, "expected a boolean"),
        ({"bytes": "!!"}, "invalid base64"),
        ({"time": "yesterday"}, "RFC 3339"),
        ({"duration": "soon"}, "invalid duration"),
        ({"ints": 3}, "expected a list"),
        ({"children": [{"s": 5}]}, r"children\[0\].s"),
        ({"port": 1.5}, "int32 or a string"),
    ],
)
def test_encode_errors(obj: dict[str, Any], message: str) -> None:
    with pytest.raises(ProtobufEncodeError, match=message):
        encode(obj, Everything)


# -- malformed input -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\x08", "end of data in varint"),
        (b"\x08" + b"\xff" * 10 + b"\x01", "overflows 64 bits"),
        (b"\x0a\x05ab", "exceeds the 2 bytes left"),
        (b"\x0a\xff\xff\xff\xff\x0f", "exceeds"),
        (b"\x00\x01", "illegal field number 0"),
        (b"\x0b", "unsupported wire type 3"),
        (b"\x08\x01", "wrong wireType = 0 for field Everything.s"),
        (b"\x12\x01a", "wrong wireType = 2 for field Everything.i32"),
        (b"\x29\x00\x00", "end of data in fixed64"),
        (b"\x2d\x00\x00\x00\x00", "wrong wireType = 5"),
        (ld(5, b"") + ld(20, b"123"), "wrong wireType"),
        (ld(20, b"123"), "multiple of 8"),
        (ld(5, b""), "wrong wireType"),
    ],
)
def test_malformed(raw: bytes, message: str) -> None:
    with pytest.raises(ProtobufDecodeError, match=message):
        decode_object(raw, Everything)


def test_nan_double_rejected() -> None:
    raw = varint(5 << 3 | 1) + struct.pack("<d", float("nan"))
    with pytest.raises(ProtobufDecodeError, match="no JSON form"):
        decode_object(raw, Everything)


def nested(depth: int) -> bytes:
    raw = ld(1, "leaf")
    for _ in range(depth):
        raw = ld(2, raw)
    return raw


def test_depth_limit() -> None:
    obj = decode_object(nested(MAX_DEPTH - 1), Node)
    for _ in range(MAX_DEPTH - 1):
        obj = obj["next"]
    assert obj == {"name": "leaf"}
    with pytest.raises(ProtobufDecodeError, match="deeper than"):
        decode_object(nested(MAX_DEPTH + 5), Node)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_decode_object(raw: bytes) -> None:
    """Garbage never raises anything but ProtobufDecodeError."""
    for type_ in (Everything, Namespace, Node):
        with contextlib.suppress(ProtobufDecodeError):
            decode_object(raw, type_)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_fuzz_decode_body(tail: bytes) -> None:
    with contextlib.suppress(ProtobufDecodeError):
        decode_body(MAGIC + tail, Namespace)


_json_leaf = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=5)


@settings(max_examples=200, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "s": st.text(min_size=1, max_size=10),
            "i32": st.integers(-(2**31), 2**31 - 1),
            "i64": st.integers(-(2**63), 2**63 - 1),
            "b": st.booleans(),
            "ints": st.lists(st.integers(-(2**31), 2**31 - 1), min_size=1, max_size=4),
            "extra": st.dictionaries(st.text(max_size=4), st.lists(st.text(max_size=4))),
            "json": st.recursive(
                _json_leaf,
                lambda inner: (
                    st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=3), inner, max_size=3)
                ),
                max_leaves=8,
            ),
        },
    )
)
def test_fuzz_round_trip(obj: dict[str, Any]) -> None:
    if obj.get("json") is None:
        obj.pop("json", None)  # null raw JSON has no bytes: it reads back as unset
    if "extra" in obj and not obj["extra"]:
        del obj["extra"]  # an empty map has no entries on the wire
    assert decode_object(encode(obj, Everything), Everything) == obj


# -- bytes written by the protobuf package itself --------------------------------


def test_decodes_messages_written_by_google_protobuf() -> None:
    """An independent encoder (proto2, like generated.proto) agrees with the codec."""
    file = descriptor_pb2.FileDescriptorProto(name="kubeling_test.proto", package="kt")
    file.syntax = "proto2"
    time_msg = file.message_type.add(name="Time")
    time_msg.field.add(name="seconds", number=1, type=3, label=1)  # int64
    time_msg.field.add(name="nanos", number=2, type=5, label=1)  # int32
    meta = file.message_type.add(name="Meta")
    meta.field.add(name="name", number=1, type=9, label=1)
    meta.field.add(name="generation", number=7, type=3, label=1)
    meta.field.add(name="creationTimestamp", number=8, type=11, label=1, type_name=".kt.Time")
    labels = meta.nested_type.add(name="LabelsEntry")
    labels.options.map_entry = True
    labels.field.add(name="key", number=1, type=9, label=1)
    labels.field.add(name="value", number=2, type=9, label=1)
    meta.field.add(name="labels", number=11, type=11, label=3, type_name=".kt.Meta.LabelsEntry")
    meta.field.add(name="finalizers", number=14, type=9, label=3)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("kt.Meta"))
    message = cls(name="web", generation=-3, finalizers=["a", "b"])
    message.creationTimestamp.seconds = 1704164645
    message.labels["app"] = "web"
    message.labels["tier"] = ""
    obj = decode_object(message.SerializeToString(), Meta)
    assert obj == {
        "name": "web",
        "generation": -3,
        "creationTimestamp": "2024-01-02T03:04:05Z",
        "labels": {"app": "web", "tier": ""},
        "finalizers": ["a", "b"],
    }
    parsed = cls.FromString(encode(obj, Meta))
    assert parsed.labels["app"] == "web"
    assert parsed.creationTimestamp.seconds == 1704164645
    assert list(parsed.finalizers) == ["a", "b"]


# -- the real declarations ----------------------------------------------------------


def real(name: str, module: str) -> Object:
    for needed in ("kubeling.api.meta.v1", "kubeling.api.core.v1.pod", module):
        pytest.importorskip(needed)
        importlib.import_module(needed)
    if name not in DEFINITIONS:
        pytest.skip(f"{name} is not declared yet")
    return DEFINITIONS[name]


def real_meta(name: str) -> bytes:
    """ObjectMeta as gogo writes it: every non-pointer field present."""
    return (
        ld(1, name)
        + ld(2, "")
        + ld(3, "")
        + ld(4, "")
        + ld(5, "")
        + ld(6, "")
        + vi(7, 0)
        + ld(8, b"")
        + ld(15, "")
    )


def test_real_namespace() -> None:
    type_ = real("io.k8s.api.core.v1.Namespace", "kubeling.api.core.v1.cluster")
    body = envelope("v1", "Namespace", ld(1, real_meta("demo")) + ld(2, b"") + ld(3, ld(1, "")))
    assert decode_body(body, type_) == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "demo", "generation": 0},
        "spec": {},
        "status": {},
    }


def test_real_configmap() -> None:
    type_ = real("io.k8s.api.core.v1.ConfigMap", "kubeling.api.core.v1.cluster")
    raw = ld(1, real_meta("cfg")) + entry(2, "a", "1") + entry(2, "blank", "")
    body = decode_body(envelope("v1", "ConfigMap", raw), type_)
    assert body["data"] == {"a": "1", "blank": ""}
    assert body["metadata"]["name"] == "cfg"


def test_real_secret() -> None:
    type_ = real("io.k8s.api.core.v1.Secret", "kubeling.api.core.v1.cluster")
    raw = ld(1, real_meta("s")) + entry(2, "token", b"\x01\x02") + ld(3, "")
    body = decode_body(envelope("v1", "Secret", raw), type_)
    assert body["data"] == {"token": "AQI="}
    assert "type" not in body


def test_real_self_subject_access_review() -> None:
    type_ = real(
        "io.k8s.api.authorization.v1.SelfSubjectAccessReview", "kubeling.api.authorization.v1"
    )
    attributes = ld(1, "default") + ld(2, "list") + ld(3, "") + ld(4, "") + ld(5, "pods")
    attributes += ld(6, "") + ld(7, "")
    raw = ld(1, real_meta("")) + ld(2, ld(1, attributes)) + ld(3, vi(1, 0) + vi(4, 0))
    body = decode_body(envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview", raw), type_)
    assert body["apiVersion"] == "authorization.k8s.io/v1"
    assert body["spec"] == {
        "resourceAttributes": {"namespace": "default", "verb": "list", "resource": "pods"}
    }
    assert body["metadata"] == {"generation": 0}


def test_real_deployment_keeps_zero_replicas() -> None:
    type_ = real("io.k8s.api.apps.v1.Deployment", "kubeling.api.apps.v1")
    container = ld(1, "nginx") + ld(2, "nginx:1.27") + ld(5, "") + ld(8, b"")
    pod_spec = ld(2, container) + ld(3, "") + vi(11, 0)
    template = ld(1, real_meta("") + entry(11, "app", "web")) + ld(2, pod_spec)
    selector = entry(1, "app", "web")
    spec = vi(1, 0) + ld(2, selector) + ld(3, template) + ld(4, b"") + vi(5, 0) + vi(7, 0)
    raw = ld(1, real_meta("web")) + ld(2, spec) + ld(3, vi(1, 0))
    body = decode_body(envelope("apps/v1", "Deployment", raw), type_)
    assert body["spec"]["replicas"] == 0
    assert body["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    template_out = body["spec"]["template"]
    assert template_out["metadata"]["labels"] == {"app": "web"}
    assert template_out["spec"]["containers"] == [
        {"name": "nginx", "image": "nginx:1.27", "resources": {}}
    ]
    assert template_out["spec"]["hostNetwork"] is False
    assert "restartPolicy" not in template_out["spec"]
    again = decode_object(encode(body, type_), type_)
    assert again == {k: v for k, v in body.items() if k not in ("apiVersion", "kind")}


# -- structs Go embeds inline: flat in JSON, one message field in protobuf ------------

# Outer {1 id, 2 Middle{1 tag, 2 Inner{1 path, 2 port}}}, JSON {id, tag, path, port}.
Inner = Object(T + "Inner", "", [Field("path", 1, STRING), Field("port", 2, INT32)])
Middle = Object(
    T + "Middle",
    "",
    [Field("tag", 1, STRING), Field("path", 0, STRING), Field("port", 0, INT32)],
    embedded=[Embedded(2, Inner, "inner")],
)
Outer = Object(
    T + "Outer",
    "",
    [
        Field("id", 1, STRING),
        Field("tag", 0, STRING),
        Field("path", 0, STRING),
        Field("port", 0, INT32),
    ],
    embedded=[Embedded(2, Middle, "middle")],
)


def test_nested_embedding_decodes_flat_and_encodes_nested() -> None:
    raw = ld(1, "x") + ld(2, ld(1, "t") + ld(2, ld(1, "/p") + vi(2, 8)))
    flat = {"id": "x", "tag": "t", "path": "/p", "port": 8}
    assert decode_object(raw, Outer) == flat
    assert list(decode_object(raw, Outer)) == ["id", "tag", "path", "port"]  # declared order
    assert encode(flat, Outer) == raw
    assert Outer.embedded[0].json_names() == {"tag", "path", "port"}


def test_embedded_message_parts_merge_and_empty_is_written() -> None:
    raw = ld(2, ld(2, ld(1, "/a"))) + ld(1, "x") + ld(2, ld(1, "t") + ld(2, vi(2, 9)))
    assert decode_object(raw, Outer) == {"id": "x", "tag": "t", "path": "/a", "port": 9}
    # gogo writes a non-pointer embedded struct even when it holds nothing.
    assert encode({"id": "x"}, Outer) == ld(1, "x") + ld(2, ld(2, b""))
    assert decode_object(ld(1, "x") + ld(2, ld(2, b"")), Outer) == {"id": "x"}


def test_embedded_errors_name_the_flat_path() -> None:
    with pytest.raises(ProtobufDecodeError, match=r"Outer\.middle"):
        decode_object(vi(2, 1), Outer)
    with pytest.raises(ProtobufEncodeError, match=r"^port: expected an integer"):
        encode({"port": "80"}, Outer)
    with pytest.raises(ProtobufEncodeError, match=r"^kids\[0\]\.path: expected a string"):
        encode({"kids": [{"path": 1}]}, Object(T + "Kids", "", [Field("kids", 1, ListOf(Outer))]))


@pytest.mark.parametrize(
    ("fields", "number", "message"),
    [
        ([Field("tag", 0, STRING)], 2, "'path', embedded in protobuf field 2, must be declared"),
        (
            [Field("tag", 0, STRING), Field("path", 3, STRING), Field("port", 0, INT32)],
            2,
            "'path'.*proto 0",
        ),
        (
            [
                Field("x", 2, STRING),
                Field("tag", 0, STRING),
                Field("path", 0, STRING),
                Field("port", 0, INT32),
            ],
            2,
            "duplicate protobuf field numbers",
        ),
    ],
)
def test_embedding_is_checked_when_declared(fields: list[Field], number: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Object(T + "Broken", "", fields, embedded=[Embedded(number, Middle)])
    assert T + "Broken" not in DEFINITIONS


# -- real inlined structs, as kubectl (gogo-protobuf) nests them ---------------------


def port_int(value: int) -> bytes:
    """IntOrString{type 0, intVal, strVal ""}."""
    return vi(1, 0) + vi(2, value) + ld(3, "")


def pod_raw(*, gogo: bool) -> bytes:
    """A Pod with an httpGet probe, a configMapKeyRef env var, configMap and emptyDir volumes.

    ``gogo`` adds the zero-valued non-pointer fields gogo-protobuf writes too
    (empty strings, which decode as unset).
    """
    zero = (lambda number: ld(number, "")) if gogo else (lambda number: b"")
    local_ref = ld(1, ld(1, "app-config"))  # localObjectReference {name}
    config_volume = ld(1, "config") + ld(2, ld(19, local_ref + vi(3, 420)))
    scratch_volume = ld(1, "scratch") + ld(2, ld(2, zero(1)))  # emptyDir {medium ""}
    env = ld(1, "MODE") + zero(2) + ld(3, ld(3, local_ref + ld(2, "mode")))
    http_get = ld(1, "/healthz") + ld(2, port_int(8080)) + zero(3) + zero(4)
    probe = ld(1, ld(2, http_get)) + vi(2, 5) + vi(3, 1) + vi(4, 10) + vi(5, 1) + vi(6, 3)
    container = ld(1, "web") + ld(2, "nginx:1.27") + ld(7, env) + ld(10, probe)
    spec = ld(1, config_volume) + ld(1, scratch_volume) + ld(2, container)
    return ld(1, ld(1, "web")) + ld(2, spec)


POD_JSON = {
    "metadata": {"name": "web"},
    "spec": {
        "volumes": [
            {"name": "config", "configMap": {"name": "app-config", "defaultMode": 420}},
            {"name": "scratch", "emptyDir": {}},
        ],
        "containers": [
            {
                "name": "web",
                "image": "nginx:1.27",
                "env": [
                    {
                        "name": "MODE",
                        "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "mode"}},
                    }
                ],
                "livenessProbe": {
                    "httpGet": {"path": "/healthz", "port": 8080},
                    "initialDelaySeconds": 5,
                    "timeoutSeconds": 1,
                    "periodSeconds": 10,
                    "successThreshold": 1,
                    "failureThreshold": 3,
                },
            }
        ],
    },
}


def test_real_pod_inlined_structs_decode_flat() -> None:
    type_ = real("io.k8s.api.core.v1.Pod", "kubeling.api.core.v1.pod")
    body = decode_body(envelope("v1", "Pod", pod_raw(gogo=True)), type_)
    assert body == {"apiVersion": "v1", "kind": "Pod", **POD_JSON}
    assert decode_object(pod_raw(gogo=False), type_) == POD_JSON


def test_real_pod_inlined_structs_encode_nested() -> None:
    type_ = real("io.k8s.api.core.v1.Pod", "kubeling.api.core.v1.pod")
    raw = encode(POD_JSON, type_)
    assert raw == pod_raw(gogo=False)
    assert decode_object(raw, type_) == POD_JSON


def test_real_secret_refs_and_ephemeral_container() -> None:
    """secretKeyRef/secretRef name in localObjectReference; EphemeralContainerCommon at 1."""
    type_ = real("io.k8s.api.core.v1.EphemeralContainer", "kubeling.api.core.v1.pod")
    secret_ref = ld(1, ld(1, "creds"))
    env = ld(1, "TOKEN") + ld(3, ld(4, secret_ref + ld(2, "token") + vi(3, 1)))
    env_from = ld(1, "APP_") + ld(3, secret_ref)  # EnvFromSource{prefix 1, secretRef 3}
    common = ld(1, "debug") + ld(2, "busybox") + ld(7, env) + ld(19, env_from) + vi(16, 1)
    raw = ld(1, common) + ld(2, "web")
    obj = {
        "name": "debug",
        "image": "busybox",
        "env": [
            {
                "name": "TOKEN",
                "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token", "optional": True}},
            }
        ],
        "envFrom": [{"prefix": "APP_", "secretRef": {"name": "creds"}}],
        "stdin": True,
        "targetContainerName": "web",
    }
    assert decode_object(raw, type_) == obj
    assert decode_object(encode(obj, type_), type_) == obj


def test_real_persistent_volume_source_nests_under_field_2() -> None:
    type_ = real("io.k8s.api.core.v1.PersistentVolumeSpec", "kubeling.api.core.v1.cluster")
    host_path = ld(1, "/data") + ld(2, "DirectoryOrCreate")
    raw = ld(2, ld(3, host_path)) + ld(3, "ReadWriteOnce")
    obj = {
        "hostPath": {"path": "/data", "type": "DirectoryOrCreate"},
        "accessModes": ["ReadWriteOnce"],
    }
    assert decode_object(raw, type_) == obj
    assert encode(obj, type_) == raw


def ingress_raw(*, gogo: bool) -> bytes:
    """An Ingress with an http rule and a host-only rule (``gogo``: zero fields too)."""
    port = (ld(1, "") if gogo else b"") + vi(2, 80)  # ServiceBackendPort{name, number}
    backend = ld(4, ld(1, "front") + ld(2, port))  # IngressBackend{service 4}
    path = ld(1, "/") + ld(2, backend) + ld(3, "Prefix")
    rule = ld(1, "shop.example.com") + ld(2, ld(1, ld(1, path)))  # ingressRuleValue{http}
    bare = ld(1, "bare.example.com") + ld(2, b"")  # gogo writes the empty IngressRuleValue
    return ld(1, ld(1, "web")) + ld(2, ld(3, rule) + ld(3, bare))


INGRESS_JSON = {
    "metadata": {"name": "web"},
    "spec": {
        "rules": [
            {
                "host": "shop.example.com",
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "front", "port": {"number": 80}}},
                        }
                    ]
                },
            },
            {"host": "bare.example.com"},
        ]
    },
}


def test_real_ingress_rule_http_nests_in_ingress_rule_value() -> None:
    type_ = real("io.k8s.api.networking.v1.Ingress", "kubeling.api.networking.v1")
    body = decode_body(envelope("networking.k8s.io/v1", "Ingress", ingress_raw(gogo=True)), type_)
    assert body == {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", **INGRESS_JSON}
    assert encode(INGRESS_JSON, type_) == ingress_raw(gogo=False)
    assert decode_object(ingress_raw(gogo=False), type_) == INGRESS_JSON


def test_real_named_rule_with_operations_nests_twice() -> None:
    type_ = real(
        "io.k8s.api.admissionregistration.v1.NamedRuleWithOperations",
        "kubeling.api.admissionregistration.v1",
    )
    rule = ld(1, "") + ld(2, "v1") + ld(3, "pods") + ld(4, "*")
    raw = ld(1, "web") + ld(2, ld(1, "CREATE") + ld(1, "UPDATE") + ld(2, rule))
    obj = {
        "resourceNames": ["web"],
        "operations": ["CREATE", "UPDATE"],
        "apiGroups": [""],
        "apiVersions": ["v1"],
        "resources": ["pods"],
        "scope": "*",
    }
    assert decode_object(raw, type_) == obj
    assert encode(obj, type_) == raw
