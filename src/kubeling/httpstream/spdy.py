"""SPDY/3.1 frames, sans-IO: what ``kubectl port-forward`` speaks, natively or inside a WebSocket.

Kubernetes multiplexes the streams of a port-forward (and of exec/attach for older clients) with
SPDY/3.1, through the ``moby/spdystream`` library. This module turns bytes into frames and frames
into bytes; :mod:`kubeling.httpstream.spdy_session` runs a session over them.

Wire format (all integers big-endian)::

    control frame:  1 | version (15) | type (16) || flags (8) | length (24) || payload
    data frame:     0 | stream id (31)           || flags (8) | length (24) || data

The name/value header blocks of SYN_STREAM, SYN_REPLY and HEADERS are a 32-bit count of pairs,
then each name and value as a 32-bit length and bytes (several values of one name joined by NUL),
compressed with zlib primed with SPDY/3's dictionary. Compression is a *stream*: one compressor
per direction for the life of the connection, each block ending in a sync flush, so a decoder
must see every block of its direction, in order.

spdystream does no flow control (WINDOW_UPDATE is ignored both ways), so neither does this codec's
user; the frame is decoded so that it can be skipped knowingly.

>>> encoder, decoder = FrameEncoder(), FrameDecoder()
>>> wire = encoder.encode(SynStream(stream_id=1, headers={"port": ["8080"]}))
>>> [frame] = decoder.feed(wire)
>>> frame.stream_id, frame.headers
(1, {'port': ['8080']})
"""

from __future__ import annotations

import enum
import struct
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "DICTIONARY",
    "FLAG_FIN",
    "FLAG_UNIDIRECTIONAL",
    "MAX_DATA_LENGTH",
    "VERSION",
    "Data",
    "FrameDecoder",
    "FrameEncoder",
    "FrameType",
    "GoAway",
    "GoAwayStatus",
    "Headers",
    "HeadersFrame",
    "Ping",
    "RstStatus",
    "RstStream",
    "Settings",
    "SpdyFrame",
    "SpdyProtocolError",
    "SynReply",
    "SynStream",
    "WindowUpdate",
    "header_value",
]

VERSION = 3
FLAG_FIN = 0x01
FLAG_UNIDIRECTIONAL = 0x02
#: The largest payload one frame can carry (a 24-bit length).
MAX_DATA_LENGTH = (1 << 24) - 1
_STREAM_ID_MASK = 0x7FFFFFFF


class FrameType(enum.IntEnum):
    """Control frame types of SPDY/3 (4 was NOOP in SPDY/2; 10 is CREDENTIAL, unused)."""

    SYN_STREAM = 1
    SYN_REPLY = 2
    RST_STREAM = 3
    SETTINGS = 4
    PING = 6
    GOAWAY = 7
    HEADERS = 8
    WINDOW_UPDATE = 9


class RstStatus(enum.IntEnum):
    """Why a stream was reset."""

    PROTOCOL_ERROR = 1
    INVALID_STREAM = 2
    REFUSED_STREAM = 3
    UNSUPPORTED_VERSION = 4
    CANCEL = 5
    INTERNAL_ERROR = 6
    FLOW_CONTROL_ERROR = 7
    STREAM_IN_USE = 8
    STREAM_ALREADY_CLOSED = 9
    INVALID_CREDENTIALS = 10
    FRAME_TOO_LARGE = 11


class GoAwayStatus(enum.IntEnum):
    """Why a session ends."""

    OK = 0
    PROTOCOL_ERROR = 1
    INTERNAL_ERROR = 2


# The SPDY/3 header compression dictionary (draft 3, section 2.6.10.1): the header names of
# HTTP, each with its 32-bit length, then common values run together without lengths. It must be
# byte-exact: zlib checks the dictionary's Adler-32 before inflating anything.
_DICTIONARY_WORDS = [
    "options",
    "head",
    "post",
    "put",
    "delete",
    "trace",
    "accept",
    "accept-charset",
    "accept-encoding",
    "accept-language",
    "accept-ranges",
    "age",
    "allow",
    "authorization",
    "cache-control",
    "connection",
    "content-base",
    "content-encoding",
    "content-language",
    "content-length",
    "content-location",
    "content-md5",
    "content-range",
    "content-type",
    "date",
    "etag",
    "expect",
    "expires",
    "from",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "last-modified",
    "location",
    "max-forwards",
    "pragma",
    "proxy-authenticate",
    "proxy-authorization",
    "range",
    "referer",
    "retry-after",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "vary",
    "via",
    "warning",
    "www-authenticate",
    "method",
    "get",
    "status",
    "200 OK",
    "version",
    "HTTP/1.1",
    "url",
    "public",
    "set-cookie",
    "keep-alive",
    "origin",
]
_DICTIONARY_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information"
    "204 No Content"
    "301 Moved Permanently"
    "400 Bad Request"
    "401 Unauthorized"
    "403 Forbidden"
    "404 Not Found"
    "500 Internal Server Error"
    "501 Not Implemented"
    "503 Service Unavailable"
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec"
    " 00:00:00"
    " Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,"
    "text/plain,text/javascript,public"
    "private"
    "max-age="
    "gzip,deflate,sdch"
    "charset=utf-8"
    "charset=iso-8859-1,"
    "utf-,*,enq=0."
)
DICTIONARY: bytes = (
    b"".join(struct.pack(">I", len(word)) + word.encode() for word in _DICTIONARY_WORDS)
    + _DICTIONARY_TAIL.encode()
)

#: Header names map to their values; SPDY names are lower case.
Headers = dict[str, list[str]]


class SpdyProtocolError(Exception):
    """The peer sent bytes that are not SPDY/3.1: the session must end (GOAWAY PROTOCOL_ERROR)."""


def header_value(headers: Mapping[str, Sequence[str]], name: str) -> str:
    """The first value of ``name`` (any case), or ``""``: Go's ``http.Header.Get``.

    >>> header_value({"streamtype": ["data"]}, "streamType")
    'data'
    """
    values = headers.get(name.lower()) or ()
    return values[0] if values else ""


@dataclass(frozen=True, kw_only=True)
class SynStream:
    """Open a stream. FLAG_FIN: the opener sends nothing more; FLAG_UNIDIRECTIONAL: no replies."""

    stream_id: int
    headers: Headers = field(default_factory=dict)
    associated_to: int = 0
    priority: int = 0
    flags: int = 0


@dataclass(frozen=True, kw_only=True)
class SynReply:
    """Accept a stream the peer opened."""

    stream_id: int
    headers: Headers = field(default_factory=dict)
    flags: int = 0


@dataclass(frozen=True, kw_only=True)
class RstStream:
    """Abort a stream."""

    stream_id: int
    status: int = RstStatus.CANCEL


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Session settings: (flags, id, value) entries. Read and ignored, as spdystream does."""

    entries: tuple[tuple[int, int, int], ...] = ()
    flags: int = 0


@dataclass(frozen=True, kw_only=True)
class Ping:
    """Liveness check; the receiver echoes a ping whose id parity is the peer's."""

    ping_id: int


@dataclass(frozen=True, kw_only=True)
class GoAway:
    """The sender opens no more streams and accepts none above ``last_good_stream_id``."""

    last_good_stream_id: int
    status: int = GoAwayStatus.OK


@dataclass(frozen=True, kw_only=True)
class HeadersFrame:
    """More headers for an open stream."""

    stream_id: int
    headers: Headers = field(default_factory=dict)
    flags: int = 0


@dataclass(frozen=True, kw_only=True)
class WindowUpdate:
    """Flow control credit (SPDY/3.1); spdystream ignores it, and so do we."""

    stream_id: int
    delta: int


@dataclass(frozen=True, kw_only=True)
class Data:
    """Stream bytes. FLAG_FIN: the sender's last frame on this stream (a half-close)."""

    stream_id: int
    data: bytes = b""
    flags: int = 0


SpdyFrame = (
    SynStream | SynReply | RstStream | Settings | Ping | GoAway | HeadersFrame | WindowUpdate | Data
)

_HEADER = struct.Struct(">II")
_U32 = struct.Struct(">I")


class FrameDecoder:
    """Frames from a byte stream fed in pieces of any size (one per connection direction)."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._inflater = zlib.decompressobj(zdict=DICTIONARY)

    def feed(self, data: bytes) -> list[SpdyFrame]:
        """Every frame completed by ``data``; a partial frame waits for the next call.

        Raises :class:`SpdyProtocolError` on bytes that are not SPDY/3.1. Unknown control frame
        types are skipped, as the specification requires.
        """
        self._buffer += data
        frames: list[SpdyFrame] = []
        while len(self._buffer) >= _HEADER.size:
            first, second = _HEADER.unpack_from(self._buffer)
            length = second & 0xFFFFFF
            if len(self._buffer) < _HEADER.size + length:
                break
            flags = second >> 24
            payload = bytes(self._buffer[_HEADER.size : _HEADER.size + length])
            del self._buffer[: _HEADER.size + length]
            if first & 0x80000000:
                version = (first >> 16) & 0x7FFF
                if version != VERSION:
                    raise SpdyProtocolError(f"unsupported SPDY version {version}")
                frame = self._control(first & 0xFFFF, flags, payload)
                if frame is not None:
                    frames.append(frame)
            else:
                frames.append(Data(stream_id=first & _STREAM_ID_MASK, data=payload, flags=flags))
        return frames

    def _control(self, kind: int, flags: int, payload: bytes) -> SpdyFrame | None:
        try:
            if kind == FrameType.SYN_STREAM:
                stream_id, associated, priority = struct.unpack_from(">IIH", payload)
                return SynStream(
                    stream_id=_stream_id(stream_id),
                    associated_to=associated & _STREAM_ID_MASK,
                    priority=priority >> 13,
                    flags=flags,
                    headers=self._headers(payload[10:]),
                )
            if kind == FrameType.SYN_REPLY:
                (stream_id,) = _U32.unpack_from(payload)
                return SynReply(
                    stream_id=_stream_id(stream_id), flags=flags, headers=self._headers(payload[4:])
                )
            if kind == FrameType.HEADERS:
                (stream_id,) = _U32.unpack_from(payload)
                return HeadersFrame(
                    stream_id=_stream_id(stream_id), flags=flags, headers=self._headers(payload[4:])
                )
            if kind == FrameType.RST_STREAM:
                stream_id, status = _fixed(payload, ">II")
                return RstStream(stream_id=_stream_id(stream_id), status=status)
            if kind == FrameType.SETTINGS:
                (count,) = _U32.unpack_from(payload)
                if len(payload) != 4 + 8 * count:
                    raise SpdyProtocolError("SETTINGS length does not match its entry count")
                entries = tuple(
                    (word >> 24, word & 0xFFFFFF, value)
                    for word, value in struct.iter_unpack(">II", payload[4:])
                )
                return Settings(entries=entries, flags=flags)
            if kind == FrameType.PING:
                (ping_id,) = _fixed(payload, ">I")
                return Ping(ping_id=ping_id)
            if kind == FrameType.GOAWAY:
                last, status = _fixed(payload, ">II")
                return GoAway(last_good_stream_id=last & _STREAM_ID_MASK, status=status)
            if kind == FrameType.WINDOW_UPDATE:
                stream_id, delta = _fixed(payload, ">II")
                return WindowUpdate(stream_id=stream_id & _STREAM_ID_MASK, delta=delta & 0x7FFFFFFF)
        except struct.error as err:
            raise SpdyProtocolError(f"truncated control frame of type {kind}") from err
        return None  # an unknown control frame: ignored

    def _headers(self, block: bytes) -> Headers:
        try:
            raw = self._inflater.decompress(block)
        except zlib.error as err:
            raise SpdyProtocolError(f"header block does not decompress: {err}") from err
        return decode_header_block(raw)


class FrameEncoder:
    """Bytes of frames (one per connection direction: the header compressor is a stream)."""

    def __init__(self) -> None:
        self._deflater = zlib.compressobj(
            zlib.Z_BEST_COMPRESSION, zlib.DEFLATED, 15, zdict=DICTIONARY
        )

    def encode(self, frame: SpdyFrame) -> bytes:
        """The wire bytes of ``frame``; frames must be sent in the order they are encoded."""
        if isinstance(frame, Data):
            if len(frame.data) > MAX_DATA_LENGTH:
                raise ValueError("a DATA frame carries at most 16 MiB - 1 bytes")
            return (
                _HEADER.pack(
                    frame.stream_id & _STREAM_ID_MASK, _flags_length(frame.flags, len(frame.data))
                )
                + frame.data
            )
        if isinstance(frame, SynStream):
            payload = struct.pack(
                ">IIH", frame.stream_id, frame.associated_to, (frame.priority & 0x7) << 13
            ) + self._headers(frame.headers)
            return _control(FrameType.SYN_STREAM, frame.flags, payload)
        if isinstance(frame, SynReply):
            payload = _U32.pack(frame.stream_id) + self._headers(frame.headers)
            return _control(FrameType.SYN_REPLY, frame.flags, payload)
        if isinstance(frame, HeadersFrame):
            payload = _U32.pack(frame.stream_id) + self._headers(frame.headers)
            return _control(FrameType.HEADERS, frame.flags, payload)
        if isinstance(frame, RstStream):
            return _control(
                FrameType.RST_STREAM, 0, struct.pack(">II", frame.stream_id, frame.status)
            )
        if isinstance(frame, Settings):
            payload = _U32.pack(len(frame.entries)) + b"".join(
                struct.pack(">II", (flags << 24) | ident, value)
                for flags, ident, value in frame.entries
            )
            return _control(FrameType.SETTINGS, frame.flags, payload)
        if isinstance(frame, Ping):
            return _control(FrameType.PING, 0, _U32.pack(frame.ping_id))
        if isinstance(frame, GoAway):
            return _control(
                FrameType.GOAWAY, 0, struct.pack(">II", frame.last_good_stream_id, frame.status)
            )
        return _control(
            FrameType.WINDOW_UPDATE, 0, struct.pack(">II", frame.stream_id, frame.delta)
        )

    def _headers(self, headers: Mapping[str, Sequence[str]]) -> bytes:
        raw = encode_header_block(headers)
        return self._deflater.compress(raw) + self._deflater.flush(zlib.Z_SYNC_FLUSH)


def encode_header_block(headers: Mapping[str, Sequence[str]]) -> bytes:
    """The uncompressed name/value block: names lower-cased, several values joined by NUL.

    >>> encode_header_block({"Port": ["80"]})
    b'\\x00\\x00\\x00\\x01\\x00\\x00\\x00\\x04port\\x00\\x00\\x00\\x0280'
    """
    parts = [_U32.pack(len(headers))]
    for name, values in headers.items():
        key = name.lower().encode()
        value = "\x00".join(values).encode()
        parts += [_U32.pack(len(key)), key, _U32.pack(len(value)), value]
    return b"".join(parts)


def decode_header_block(raw: bytes) -> Headers:
    """The headers of an uncompressed block, checked as spdystream checks them.

    Names must be lower case and appear once; a value holding NULs is several values.
    """
    try:
        (count,) = _U32.unpack_from(raw)
        offset = 4
        headers: Headers = {}
        for _ in range(count):
            (size,) = _U32.unpack_from(raw, offset)
            name = raw[offset + 4 : offset + 4 + size].decode()
            offset += 4 + size
            (size,) = _U32.unpack_from(raw, offset)
            value = raw[offset + 4 : offset + 4 + size].decode()
            offset += 4 + size
            if offset > len(raw):
                raise SpdyProtocolError("header block is truncated")
            if name != name.lower():
                raise SpdyProtocolError("header was not lowercased")
            if name in headers:
                raise SpdyProtocolError("multiple headers with same name")
            headers[name] = value.split("\x00")
    except struct.error as err:
        raise SpdyProtocolError("header block is truncated") from err
    except UnicodeDecodeError as err:
        raise SpdyProtocolError("header block is not UTF-8") from err
    return headers


def _stream_id(word: int) -> int:
    stream_id = word & _STREAM_ID_MASK
    if stream_id == 0:
        raise SpdyProtocolError("stream id zero is disallowed")
    return stream_id


def _fixed(payload: bytes, layout: str) -> tuple[int, ...]:
    if len(payload) != struct.calcsize(layout):
        raise SpdyProtocolError("control frame has the wrong length")
    return struct.unpack(layout, payload)


def _flags_length(flags: int, length: int) -> int:
    return ((flags & 0xFF) << 24) | length


def _control(kind: FrameType, flags: int, payload: bytes) -> bytes:
    if len(payload) > MAX_DATA_LENGTH:
        raise ValueError("a control frame carries at most 16 MiB - 1 bytes")
    return (
        _HEADER.pack(0x80000000 | (VERSION << 16) | kind, _flags_length(flags, len(payload)))
        + payload
    )
