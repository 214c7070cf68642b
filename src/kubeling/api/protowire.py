"""The protocol buffers wire format: varints, tags and length-delimited fields.

Two codecs speak protobuf and share these primitives: the Kubernetes object
codec (:mod:`kubeling.api.protobuf`, driven by the type declarations) and the
OpenAPI v2 document encoder (:mod:`kubeling.apiserver.openapi_protobuf`,
driven by gnostic's messages). A field on the wire is a tag (field number
and wire type) followed by its value:

>>> tag(1, LEN) + varint(3) + b"abc" == len_field(1, b"abc")
True
>>> list(iter_fields(len_field(2, b"x") + tag(3, VARINT) + varint(150)))
[(2, 2, b'x'), (3, 0, 150)]

Reading is bounded: every length is checked against the bytes that remain and
varints longer than ten bytes are refused; malformed input raises
:class:`ProtobufDecodeError`, never anything else.
"""

from __future__ import annotations

from collections.abc import Iterator

__all__ = [
    "END_GROUP",
    "FIXED32",
    "FIXED64",
    "LEN",
    "MASK64",
    "START_GROUP",
    "VARINT",
    "ProtobufDecodeError",
    "iter_fields",
    "len_field",
    "read_varint",
    "tag",
    "varint",
]

VARINT, FIXED64, LEN, START_GROUP, END_GROUP, FIXED32 = 0, 1, 2, 3, 4, 5
"""The wire types."""

MASK64 = (1 << 64) - 1
_MAX_FIELD_NUMBER = (1 << 29) - 1


class ProtobufDecodeError(ValueError):
    """The bytes are not a valid protobuf encoding of the expected message (HTTP 400)."""


# -- reading ------------------------------------------------------------------


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The unsigned varint at ``pos`` and the position after it."""
    result = 0
    shift = 0
    end = len(data)
    while True:
        if pos >= end:
            raise ProtobufDecodeError("unexpected end of data in varint")
        if shift >= 64:
            raise ProtobufDecodeError("varint overflows 64 bits")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result & MASK64, pos
        shift += 7


def iter_fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """Yield (field number, wire type, value) for each field of one message.

    The value of a varint, fixed64 or fixed32 field is its unsigned integer;
    the value of a length-delimited field its bytes.
    """
    pos = 0
    end = len(data)
    while pos < end:
        key, pos = read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0 or number > _MAX_FIELD_NUMBER:
            raise ProtobufDecodeError(f"illegal field number {number}")
        value: int | bytes
        if wire == VARINT:
            value, pos = read_varint(data, pos)
        elif wire == FIXED64:
            if end - pos < 8:
                raise ProtobufDecodeError("unexpected end of data in fixed64 field")
            value = int.from_bytes(data[pos : pos + 8], "little")
            pos += 8
        elif wire == FIXED32:
            if end - pos < 4:
                raise ProtobufDecodeError("unexpected end of data in fixed32 field")
            value = int.from_bytes(data[pos : pos + 4], "little")
            pos += 4
        elif wire == LEN:
            length, pos = read_varint(data, pos)
            if length > end - pos:
                raise ProtobufDecodeError(
                    f"field {number}: length {length} exceeds the {end - pos} bytes left"
                )
            value = data[pos : pos + length]
            pos += length
        else:
            raise ProtobufDecodeError(f"field {number}: unsupported wire type {wire}")
        yield number, wire, value


# -- writing ------------------------------------------------------------------


def varint(value: int) -> bytes:
    """``value`` as a varint; a negative number as its 64-bit two's complement (ten bytes)."""
    value &= MASK64
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def tag(number: int, wire: int) -> bytes:
    """The key that starts field ``number`` of wire type ``wire``."""
    return varint(number << 3 | wire)


def len_field(number: int, payload: bytes) -> bytes:
    """A length-delimited field: a string, bytes or an embedded message."""
    return tag(number, LEN) + varint(len(payload)) + payload
