"""The Kubernetes protobuf wire format, driven by the type declarations.

client-go's typed clients (``kubectl create namespace``, ``auth can-i``,
``create deployment`` ...) send ``application/vnd.kubernetes.protobuf`` bodies
and never fall back to JSON, so the API server must read them. A body is the
magic ``k8s\\x00`` followed by a ``runtime.Unknown`` message::

    Unknown { 1 typeMeta { 1 apiVersion, 2 kind }, 2 raw, 3 contentEncoding, 4 contentType }

``raw`` is the object itself, encoded with the field numbers of k8s.io/api's
``generated.proto``. Those numbers are declared with every field
(``schema.Field.proto``), so one codec reads and writes every kind:

>>> from kubeling.api.schema import STRING, Field, MapOf, Object
>>> Thing = Object("io.k8s.example.v1.Thing", "", [
...     Field("name", 1, STRING), Field("data", 2, MapOf(STRING))])
>>> raw = encode({"name": "a", "data": {"k": "v"}}, Thing)
>>> raw
b'\\n\\x01a\\x12\\x06\\n\\x01k\\x12\\x01v'
>>> decode_object(raw, Thing)
{'name': 'a', 'data': {'k': 'v'}}
>>> decode(encode_envelope("v1", "Thing", raw)).kind
'Thing'

Special messages map to JSON scalars as their Go types marshal them:
``Time``/``MicroTime`` ``{1 seconds, 2 nanos}`` → RFC 3339 (seconds, or six
fractional digits), ``Duration`` ``{1 nanoseconds}`` → Go's ``"1h0m0s"``
form, ``Quantity`` ``{1 string}``, ``IntOrString`` ``{1 type, 2 intVal,
3 strVal}``, and ``RawExtension``/``FieldsV1``/apiextensions ``JSON`` ``{1 raw
JSON bytes}`` → the parsed JSON. Maps are repeated ``{1 key, 2 value}``
entries; a list or map nested directly in a list or map value travels in a
wrapper message holding it as field 1 (as ``ExtraValue`` does for
``UserInfo.extra``). A struct Go embeds inline (``schema.Embedded``: a
Probe's ProbeHandler, a Volume's VolumeSource ...) is one message field in
protobuf whose fields are flat in JSON: the decoder merges that message's
fields into the parent's dict, the encoder gathers them from it into the
message (always written, as gogo writes a non-pointer struct), however deep
such embedding goes. Unknown field numbers are skipped, as gogo-protobuf's
generated ``Unmarshal`` skips them.

Zero values. gogo-protobuf writes every non-pointer field, set or not: an
empty ``Namespace`` from kubectl arrives with ``name ""``, ``generation 0``,
an empty ``creationTimestamp`` message, ``spec {}``, ``status {}``. The wire
does not say which fields are Go pointers, so the decoder decides per kind of
value, and keeps the semantics the API server needs:

- a singular ``string`` or ``bytes`` that is empty is dropped (unset). A
  non-pointer string's zero value *is* unset in Go, and the strategies treat a
  missing field as Go treats ``""`` (Secret ``type: ""`` defaults to
  ``Opaque``). The price: an optional pointer string set to ``""`` (PVC
  ``storageClassName: ""``) reads as unset; no kubectl generator sends one.
- ``int32``/``int64``/``double``/``bool`` are kept as sent, zero included.
  A pointer field is only on the wire when it is set, so ``replicas: 0`` or
  ``automountServiceAccountToken: false`` must survive; for a non-pointer
  field 0/false is what Go's own defaulting treats as unset (``if x == 0``),
  so the strategies must do the same for those fields (they are the same
  fields whose JSON form may carry an explicit 0 anyway).
- an empty ``Time``/``MicroTime`` message is Go's zero time: dropped (Go
  would write ``null``). ``Quantity`` ``""`` is dropped; ``Duration``,
  ``IntOrString`` are kept (``"0s"``, ``0``). ``RawExtension``, ``FieldsV1``
  and ``JSON`` with no bytes are dropped.
- a nested message is kept even when empty (``spec: {}``), as Go's JSON
  encoder writes struct fields; lists and maps are absent when they have no
  elements. Elements of lists and values of maps are always kept, ``""``
  included (``data: {"key": ""}`` is a real ConfigMap).

Bounded work: every length is checked against the bytes that remain, varints
longer than ten bytes are rejected, and messages nest at most
``MAX_DEPTH`` deep; any malformed input raises :class:`ProtobufDecodeError`
(the API server answers 400 BadRequest), never anything else.

The encoder writes fields in field-number order and map entries in key
order, as Go does, writes what the dict holds (zeros included) and skips
keys the declaration does not know: a Go struct cannot hold them either.
The wire primitives (varints, tags, length-delimited fields) are
:mod:`kubeling.api.protowire`'s, shared with the OpenAPI v2 encoder.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import struct
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from kubeling.api.protowire import (
    FIXED64,
    LEN,
    VARINT,
    ProtobufDecodeError,
    iter_fields,
    len_field,
    read_varint,
    tag,
    varint,
)
from kubeling.api.schema import (
    Embedded,
    Field,
    ListOf,
    MapOf,
    Object,
    Ref,
    Scalar,
    ScalarKind,
    TypeSpec,
    resolve,
)

__all__ = [
    "MAGIC",
    "MAX_DEPTH",
    "Envelope",
    "ProtobufDecodeError",
    "ProtobufEncodeError",
    "decode",
    "decode_body",
    "decode_object",
    "encode",
    "encode_envelope",
    "format_go_duration",
    "parse_go_duration",
]

MAGIC = b"k8s\x00"
"""The prefix of every Kubernetes protobuf body."""

MAX_DEPTH = 100
"""How deeply messages may nest (a Pod is about 10 deep; CRD schemas more)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NUMERIC = frozenset({ScalarKind.INT32, ScalarKind.INT64, ScalarKind.BOOL, ScalarKind.DOUBLE})
_RAW_JSON = frozenset({ScalarKind.RAW_EXTENSION, ScalarKind.FIELDS_V1, ScalarKind.JSON})


class ProtobufEncodeError(ValueError):
    """The object does not fit its declaration, so it has no protobuf form."""


class Envelope(NamedTuple):
    """A decoded ``runtime.Unknown``: the type and the still-encoded object."""

    api_version: str
    kind: str
    raw: bytes


# -- small helpers ----------------------------------------------------------------


def _signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _wire_type_error(wire: int, where: str) -> ProtobufDecodeError:
    return ProtobufDecodeError(f"proto: wrong wireType = {wire} for field {where}")


# -- decoding -----------------------------------------------------------------


def decode(body: bytes) -> Envelope:
    """Split a Kubernetes protobuf body into apiVersion, kind and the raw object.

    >>> decode(b"k8s\\x00\\n\\x0f\\n\\x02v1\\x12\\tNamespace\\x12\\x00")
    Envelope(api_version='v1', kind='Namespace', raw=b'')
    """
    if not body.startswith(MAGIC):
        raise ProtobufDecodeError(
            "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
        )
    api_version = kind = content_encoding = ""
    raw = b""
    for number, wire, value in iter_fields(body[len(MAGIC) :]):
        if number == 1:
            type_meta = _expect_bytes(wire, value, "Unknown.typeMeta")
            for inner, inner_wire, inner_value in iter_fields(type_meta):
                if inner == 1:
                    api_version = _decode_string(
                        _expect_bytes(inner_wire, inner_value, "TypeMeta.apiVersion")
                    )
                elif inner == 2:
                    kind = _decode_string(_expect_bytes(inner_wire, inner_value, "TypeMeta.kind"))
        elif number == 2:
            raw = _expect_bytes(wire, value, "Unknown.raw")
        elif number == 3:
            content_encoding = _decode_string(_expect_bytes(wire, value, "Unknown.contentEncoding"))
        elif number == 4:
            _expect_bytes(wire, value, "Unknown.contentType")
    if content_encoding:
        raise ProtobufDecodeError(f"unsupported protobuf content encoding {content_encoding!r}")
    return Envelope(api_version, kind, raw)


def decode_object(raw: bytes, type: Object) -> dict[str, Any]:
    """The JSON-shaped dict for ``raw``, a message of the declared ``type``.

    apiVersion and kind are not in the message (they travel in the envelope);
    :func:`decode_body` adds them.
    """
    try:
        return _decode_message(raw, type, 1)
    except RecursionError:
        raise ProtobufDecodeError("message nesting is too deep") from None


def decode_body(body: bytes, type: Object) -> dict[str, Any]:
    """Decode a whole request body: envelope plus object, with apiVersion and kind set."""
    envelope = decode(body)
    obj = decode_object(envelope.raw, type)
    result: dict[str, Any] = {}
    if envelope.api_version:
        result["apiVersion"] = envelope.api_version
    if envelope.kind:
        result["kind"] = envelope.kind
    result.update(obj)
    return result


def _expect_bytes(wire: int, value: int | bytes, where: str) -> bytes:
    if wire != LEN or not isinstance(value, bytes):
        raise _wire_type_error(wire, where)
    return value


def _decode_string(value: bytes) -> str:
    # Go keeps the bytes; its JSON encoder then writes U+FFFD for invalid UTF-8.
    return value.decode("utf-8", errors="replace")


def _decode_message(data: bytes, type: Object, depth: int) -> dict[str, Any]:
    if depth > MAX_DEPTH:
        raise ProtobufDecodeError(f"message nesting is deeper than {MAX_DEPTH}")
    known = {f.proto for f in type.fields if f.proto} | {e.number for e in type.embedded}
    # Gather every occurrence per field first: repeated fields append, and a
    # singular message that appears twice merges (protobuf's rule), which is
    # the same as decoding the concatenation of its parts.
    seen: dict[int, list[tuple[int, int | bytes]]] = {}
    for number, wire, value in iter_fields(data):
        if number in known:
            seen.setdefault(number, []).append((wire, value))
    # Inlined structs: their message's fields are the parent's flat fields.
    flat: dict[str, Any] = {}
    for embedded in type.embedded:
        occurrences = seen.get(embedded.number)
        if occurrences:
            where = f"{type.name.rsplit('.', 1)[-1]}.{embedded.name or embedded.number}"
            parts = [_expect_bytes(wire, value, where) for wire, value in occurrences]
            flat.update(_decode_message(b"".join(parts), embedded.type, depth + 1))
    result: dict[str, Any] = {}
    for field_decl in type.fields:
        if not field_decl.proto:
            if field_decl.json in flat:
                result[field_decl.json] = flat.pop(field_decl.json)
            continue
        occurrences = seen.get(field_decl.proto)
        if not occurrences:
            continue
        where = f"{type.name.rsplit('.', 1)[-1]}.{field_decl.json}"
        spec = field_decl.resolved()
        if isinstance(spec, ListOf):
            result[field_decl.json] = _decode_list(occurrences, spec, where, depth)
        elif isinstance(spec, MapOf):
            result[field_decl.json] = _decode_map(occurrences, spec, where, depth)
        elif isinstance(spec, Object):
            parts = [_expect_bytes(wire, value, where) for wire, value in occurrences]
            result[field_decl.json] = _decode_message(b"".join(parts), spec, depth + 1)
        else:
            wire, value = occurrences[-1]
            decoded = _decode_scalar(wire, value, spec, where, depth)
            if not _is_unset(decoded, spec):
                result[field_decl.json] = decoded
    return result


def _is_unset(value: Any, spec: Scalar) -> bool:
    """Whether a singular field's decoded value means "not set" (module docstring)."""
    if value is None:
        return True
    if spec.kind in (ScalarKind.STRING, ScalarKind.BYTES, ScalarKind.QUANTITY):
        return isinstance(value, str) and not value
    return False


def _decode_list(
    occurrences: list[tuple[int, int | bytes]], spec: ListOf, where: str, depth: int
) -> list[Any]:
    item = resolve(spec.item)
    items: list[Any] = []
    for wire, value in occurrences:
        if isinstance(item, Scalar) and item.kind in _NUMERIC and wire == LEN:
            assert isinstance(value, bytes)
            items.extend(_unpack(value, item, where))
        else:
            items.append(_decode_element(wire, value, item, where, depth))
    return items


def _unpack(data: bytes, item: Scalar, where: str) -> Iterator[Any]:
    """The values of a packed repeated numeric field."""
    pos = 0
    if item.kind == ScalarKind.DOUBLE:
        if len(data) % 8:
            raise ProtobufDecodeError(f"{where}: packed doubles are not a multiple of 8 bytes")
        for offset in range(0, len(data), 8):
            yield _decode_scalar(
                FIXED64, int.from_bytes(data[offset : offset + 8], "little"), item, where, 0
            )
        return
    while pos < len(data):
        value, pos = read_varint(data, pos)
        yield _decode_scalar(VARINT, value, item, where, 0)


def _decode_map(
    occurrences: list[tuple[int, int | bytes]], spec: MapOf, where: str, depth: int
) -> dict[str, Any]:
    value_spec = resolve(spec.value)
    result: dict[str, Any] = {}
    for wire, entry in occurrences:
        entry_bytes = _expect_bytes(wire, entry, where)
        key = ""
        found: tuple[int, int | bytes] | None = None
        for number, entry_wire, entry_value in iter_fields(entry_bytes):
            if number == 1:
                key = _decode_string(_expect_bytes(entry_wire, entry_value, f"{where} key"))
            elif number == 2:
                found = (entry_wire, entry_value)
        if found is None:
            result[key] = _zero_value(value_spec)
        else:
            result[key] = _decode_element(found[0], found[1], value_spec, where, depth)
    return result


def _zero_value(spec: Scalar | ListOf | MapOf | Object) -> Any:
    """What Go holds for a map value that the entry leaves out."""
    if isinstance(spec, Object | MapOf):
        return {}
    if isinstance(spec, ListOf):
        return []
    if spec.kind == ScalarKind.BOOL:
        return False
    if spec.kind in _NUMERIC or spec.kind == ScalarKind.INT_OR_STRING:
        return 0
    if spec.kind == ScalarKind.DURATION:
        return "0s"
    if spec.kind in (ScalarKind.STRING, ScalarKind.BYTES, ScalarKind.QUANTITY):
        return ""
    return None  # Time, RawExtension, FieldsV1, JSON: Go's zero value is null


def _decode_element(
    wire: int, value: int | bytes, spec: Scalar | ListOf | MapOf | Object, where: str, depth: int
) -> Any:
    """One list item or map value (kept even when it is a zero value)."""
    if isinstance(spec, Object):
        return _decode_message(_expect_bytes(wire, value, where), spec, depth + 1)
    if isinstance(spec, ListOf | MapOf):
        # A list or map directly inside a list or map rides in a wrapper
        # message that holds it as field 1.
        wrapper = _expect_bytes(wire, value, where)
        if depth + 1 > MAX_DEPTH:
            raise ProtobufDecodeError(f"message nesting is deeper than {MAX_DEPTH}")
        inner = [(w, v) for number, w, v in iter_fields(wrapper) if number == 1]
        if isinstance(spec, ListOf):
            return _decode_list(inner, spec, where, depth + 1)
        return _decode_map(inner, spec, where, depth + 1)
    return _decode_scalar(wire, value, spec, where, depth)


def _decode_scalar(wire: int, value: int | bytes, spec: Scalar, where: str, depth: int) -> Any:
    kind = spec.kind
    if kind in (ScalarKind.INT32, ScalarKind.INT64, ScalarKind.BOOL):
        if wire != VARINT or not isinstance(value, int):
            raise _wire_type_error(wire, where)
        if kind == ScalarKind.BOOL:
            return value != 0
        return _signed(value, 32 if kind == ScalarKind.INT32 else 64)
    if kind == ScalarKind.DOUBLE:
        if wire != FIXED64 or not isinstance(value, int):
            raise _wire_type_error(wire, where)
        number: float = struct.unpack("<d", value.to_bytes(8, "little"))[0]
        if not math.isfinite(number):
            raise ProtobufDecodeError(f"{where}: {number} has no JSON form")
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    data = _expect_bytes(wire, value, where)
    if kind == ScalarKind.STRING:
        return _decode_string(data)
    if kind == ScalarKind.BYTES:
        return base64.b64encode(data).decode("ascii")
    if depth + 1 > MAX_DEPTH:
        raise ProtobufDecodeError(f"message nesting is deeper than {MAX_DEPTH}")
    if kind in (ScalarKind.TIME, ScalarKind.MICRO_TIME):
        return _decode_time(data, micro=kind == ScalarKind.MICRO_TIME, where=where)
    if kind == ScalarKind.DURATION:
        nanoseconds = 0
        for number_, inner_wire, inner in iter_fields(data):
            if number_ == 1:
                if inner_wire != VARINT or not isinstance(inner, int):
                    raise _wire_type_error(inner_wire, f"{where}.duration")
                nanoseconds = _signed(inner, 64)
        return format_go_duration(nanoseconds)
    if kind == ScalarKind.QUANTITY:
        text = ""
        for number_, inner_wire, inner in iter_fields(data):
            if number_ == 1:
                text = _decode_string(_expect_bytes(inner_wire, inner, f"{where}.string"))
        return text
    if kind == ScalarKind.INT_OR_STRING:
        return _decode_int_or_string(data, where)
    # RawExtension, FieldsV1, JSON: {1 raw}
    raw = b""
    for number_, inner_wire, inner in iter_fields(data):
        if number_ == 1:
            raw = _expect_bytes(inner_wire, inner, f"{where}.raw")
    if not raw:
        return None
    return _parse_raw_json(raw, where)


def _decode_time(data: bytes, *, micro: bool, where: str) -> str | None:
    if not data:
        return None  # Go's zero time: marshalled as an empty message
    seconds = nanos = 0
    for number, wire, value in iter_fields(data):
        if wire != VARINT or not isinstance(value, int):
            raise _wire_type_error(wire, where)
        if number == 1:
            seconds = _signed(value, 64)
        elif number == 2:
            nanos = _signed(value, 32)
    try:
        moment = _EPOCH + timedelta(seconds=seconds, microseconds=nanos // 1000)
    except OverflowError:
        raise ProtobufDecodeError(f"{where}: time {seconds}s is out of range") from None
    text = (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )
    return f"{text}.{moment.microsecond:06d}Z" if micro else f"{text}Z"


def _decode_int_or_string(data: bytes, where: str) -> int | str:
    type_ = int_val = 0
    str_val = ""
    for number, wire, value in iter_fields(data):
        if number == 1:
            if wire != VARINT or not isinstance(value, int):
                raise _wire_type_error(wire, f"{where}.type")
            type_ = _signed(value, 64)
        elif number == 2:
            if wire != VARINT or not isinstance(value, int):
                raise _wire_type_error(wire, f"{where}.intVal")
            int_val = _signed(value, 32)
        elif number == 3:
            str_val = _decode_string(_expect_bytes(wire, value, f"{where}.strVal"))
    if type_ == 0:
        return int_val
    if type_ == 1:
        return str_val
    raise ProtobufDecodeError(f"{where}: impossible IntOrString.Type {type_}")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_raw_json(raw: bytes, where: str) -> Any:
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except RecursionError:
        raise ProtobufDecodeError(f"{where}: embedded JSON nests too deeply") from None
    except ValueError as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ProtobufDecodeError(f"{where}: embedded JSON is invalid: {err}") from None


# -- Go durations --------------------------------------------------------------

_UNITS = (("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000))


def _trim_fraction(value: int, digits: int) -> str:
    text = f"{value:0{digits}d}".rstrip("0")
    return f".{text}" if text else ""


def format_go_duration(nanoseconds: int) -> str:
    """``time.Duration.String()``: the form metav1.Duration marshals to.

    >>> [format_go_duration(n) for n in (0, 1500, 1_500_000_000, 3_600_000_000_000, -61 * 10**9)]
    ['0s', '1.5µs', '1.5s', '1h0m0s', '-1m1s']
    """
    if nanoseconds == 0:
        return "0s"
    sign = "-" if nanoseconds < 0 else ""
    n = abs(nanoseconds)
    if n < 1_000:
        return f"{sign}{n}ns"
    if n < 1_000_000:
        return f"{sign}{n // 1_000}{_trim_fraction(n % 1_000, 3)}µs"
    if n < 1_000_000_000:
        return f"{sign}{n // 1_000_000}{_trim_fraction(n % 1_000_000, 6)}ms"
    seconds, fraction = divmod(n, 1_000_000_000)
    out = f"{seconds % 60}{_trim_fraction(fraction, 9)}s"
    minutes = seconds // 60
    if minutes:
        out = f"{minutes % 60}m{out}"
        hours = minutes // 60
        if hours:
            out = f"{hours}h{out}"
    return sign + out


_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}


def parse_go_duration(text: str) -> int:
    """``time.ParseDuration``, in nanoseconds; ValueError as Go words it.

    >>> parse_go_duration("1h30m"), parse_go_duration("-1.5s"), parse_go_duration("0")
    (5400000000000, -1500000000, 0)
    """
    error = ValueError(f"time: invalid duration {json.dumps(text, ensure_ascii=False)}")
    rest = text
    sign = 1
    if rest[:1] in ("+", "-"):
        sign = -1 if rest[0] == "-" else 1
        rest = rest[1:]
    if rest == "0":
        return 0
    if not rest:
        raise error
    total = 0
    pos = 0
    while pos < len(rest):
        match = _DURATION_PART.match(rest, pos)
        if match is None or match.group(1) in ("", "."):
            raise error
        number, unit = match.groups()
        whole, _, fraction = number.partition(".")
        scale = _UNIT_NS[unit]
        total += int(whole or "0") * scale
        if fraction:
            total += int(fraction) * scale // 10 ** len(fraction)
        pos = match.end()
    if total >= 1 << 63:
        raise ValueError(f"time: invalid duration {json.dumps(text, ensure_ascii=False)}")
    return sign * total


# -- encoding -----------------------------------------------------------------


def encode_envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    """``k8s\\x00`` + ``runtime.Unknown{typeMeta, raw, contentEncoding "", contentType ""}``."""
    type_meta = len_field(1, api_version.encode()) + len_field(2, kind.encode())
    return (
        MAGIC + len_field(1, type_meta) + len_field(2, raw) + len_field(3, b"") + len_field(4, b"")
    )


def encode(obj: Mapping[str, Any], type: Object) -> bytes:
    """The protobuf message for ``obj`` (without envelope; apiVersion/kind are not in it)."""
    try:
        return _encode_message(obj, type, "")
    except RecursionError:
        raise ProtobufEncodeError("object nests too deeply") from None


def _encode_message(obj: Mapping[str, Any], type: Object, path: str) -> bytes:
    if not isinstance(obj, Mapping):
        raise ProtobufEncodeError(f"{path or '<root>'}: expected an object")
    parts: list[tuple[int, Field | Embedded]] = [(f.proto, f) for f in type.fields if f.proto]
    parts += [(embedded.number, embedded) for embedded in type.embedded]
    out = bytearray()
    for number, part in sorted(parts, key=lambda p: p[0]):
        if isinstance(part, Embedded):
            # An inlined struct: its flat JSON fields, written as one message.
            # Go writes a non-pointer struct even when it is empty.
            names = part.json_names()
            carried = {key: value for key, value in obj.items() if key in names}
            out += len_field(number, _encode_message(carried, part.type, path))
            continue
        value = obj.get(part.json)
        if value is None:
            continue
        out += _encode_field(part, value, _join(path, part.json))
    return bytes(out)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _encode_field(field_decl: Field, value: Any, path: str) -> bytes:
    return _encode_value(field_decl.proto, field_decl.type, value, path)


def _encode_value(number: int, spec_ref: TypeSpec, value: Any, path: str) -> bytes:
    spec = resolve(spec_ref) if isinstance(spec_ref, Ref) else spec_ref
    if isinstance(spec, ListOf):
        if not isinstance(value, list):
            raise ProtobufEncodeError(f"{path}: expected a list")
        return b"".join(
            _encode_element(number, spec.item, item, f"{path}[{index}]")
            for index, item in enumerate(value)
        )
    if isinstance(spec, MapOf):
        if not isinstance(value, Mapping):
            raise ProtobufEncodeError(f"{path}: expected an object")
        return b"".join(
            len_field(
                number,
                len_field(1, str(key).encode())
                + _encode_element(2, spec.value, value[key], f"{path}.{key}"),
            )
            for key in sorted(value)
        )
    if isinstance(spec, Object):
        return len_field(number, _encode_message(value, spec, path))
    assert isinstance(spec, Scalar)
    return _encode_scalar(number, spec, value, path)


def _encode_element(number: int, spec_ref: TypeSpec, value: Any, path: str) -> bytes:
    spec = resolve(spec_ref)
    if isinstance(spec, ListOf | MapOf):
        return len_field(number, _encode_value(1, spec, value, path))
    if value is None:  # a null element: Go's zero value
        if isinstance(spec, Object) or spec.kind not in _NUMERIC:
            return len_field(number, b"")
        value = _zero_value(spec)
    return _encode_value(number, spec, value, path)


def _encode_scalar(number: int, spec: Scalar, value: Any, path: str) -> bytes:
    kind = spec.kind
    if kind in (ScalarKind.INT32, ScalarKind.INT64):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProtobufEncodeError(f"{path}: expected an integer")
        bits = 32 if kind == ScalarKind.INT32 else 64
        if _signed(value, bits) != value:
            raise ProtobufEncodeError(f"{path}: {value} does not fit in {kind.value}")
        return tag(number, VARINT) + varint(value)
    if kind == ScalarKind.BOOL:
        if not isinstance(value, bool):
            raise ProtobufEncodeError(f"{path}: expected a boolean")
        return tag(number, VARINT) + (b"\x01" if value else b"\x00")
    if kind == ScalarKind.DOUBLE:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ProtobufEncodeError(f"{path}: expected a number")
        return tag(number, FIXED64) + struct.pack("<d", float(value))
    if kind == ScalarKind.STRING:
        return len_field(number, _expect_str(value, path).encode())
    if kind == ScalarKind.BYTES:
        try:
            data = base64.b64decode(_expect_str(value, path), validate=True)
        except binascii.Error as err:
            raise ProtobufEncodeError(f"{path}: invalid base64: {err}") from None
        return len_field(number, data)
    return len_field(number, _encode_special(kind, value, path))


def _expect_str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise ProtobufEncodeError(f"{path}: expected a string")
    return value


def _encode_special(kind: ScalarKind, value: Any, path: str) -> bytes:
    """The payload of a Time, Duration, Quantity, IntOrString or raw-JSON message."""
    if kind in (ScalarKind.TIME, ScalarKind.MICRO_TIME):
        try:
            moment = datetime.fromisoformat(_expect_str(value, path))
        except ValueError:
            raise ProtobufEncodeError(f"{path}: {value!r} is not an RFC 3339 time") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        delta = moment - _EPOCH
        seconds = delta.days * 86_400 + delta.seconds
        nanos = delta.microseconds * 1000
        return tag(1, VARINT) + varint(seconds) + tag(2, VARINT) + varint(nanos)
    if kind == ScalarKind.DURATION:
        try:
            nanoseconds = parse_go_duration(_expect_str(value, path))
        except ValueError as err:
            raise ProtobufEncodeError(f"{path}: {err}") from None
        return tag(1, VARINT) + varint(nanoseconds)
    if kind == ScalarKind.QUANTITY:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ProtobufEncodeError(f"{path}: expected a quantity")
        return len_field(1, str(value).encode())
    if kind == ScalarKind.INT_OR_STRING:
        if isinstance(value, str):
            return (
                tag(1, VARINT) + b"\x01" + tag(2, VARINT) + b"\x00" + len_field(3, value.encode())
            )
        if isinstance(value, bool) or not isinstance(value, int) or _signed(value, 32) != value:
            raise ProtobufEncodeError(f"{path}: expected an int32 or a string")
        return tag(1, VARINT) + b"\x00" + tag(2, VARINT) + varint(value) + len_field(3, b"")
    assert kind in _RAW_JSON
    raw = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return len_field(1, raw.encode())
