"""SPDY/3.1 frames: round trips, header compression as a stream, partial input, bad input."""

from __future__ import annotations

import struct
import zlib

import pytest

from kubeling.httpstream import spdy
from kubeling.httpstream.spdy import (
    Data,
    FrameDecoder,
    FrameEncoder,
    GoAway,
    HeadersFrame,
    Ping,
    RstStream,
    Settings,
    SpdyFrame,
    SpdyProtocolError,
    SynReply,
    SynStream,
    WindowUpdate,
)

FRAMES: list[SpdyFrame] = [
    SynStream(
        stream_id=1,
        headers={"streamtype": ["error"], "port": ["8080"], "requestid": ["0"]},
        priority=0,
    ),
    SynStream(stream_id=3, associated_to=1, priority=7, flags=spdy.FLAG_FIN, headers={}),
    SynStream(stream_id=5, flags=spdy.FLAG_UNIDIRECTIONAL, headers={"multi": ["a", "b"]}),
    SynReply(stream_id=1),
    SynReply(stream_id=3, flags=spdy.FLAG_FIN, headers={"status": ["200 OK"]}),
    HeadersFrame(stream_id=1, headers={"x": ["y"]}),
    RstStream(stream_id=7, status=spdy.RstStatus.REFUSED_STREAM),
    Settings(entries=((0, 7, 65536), (1, 4, 100)), flags=1),
    Ping(ping_id=1),
    Ping(ping_id=0xFFFFFFFF),
    GoAway(last_good_stream_id=9, status=spdy.GoAwayStatus.PROTOCOL_ERROR),
    WindowUpdate(stream_id=1, delta=65536),
    Data(stream_id=1, data=b"hello"),
    Data(stream_id=3, data=b"", flags=spdy.FLAG_FIN),
    Data(stream_id=0x7FFFFFFF, data=bytes(range(256)) * 300),
]


@pytest.mark.parametrize("frame", FRAMES, ids=lambda f: type(f).__name__)
def test_every_frame_round_trips(frame: SpdyFrame) -> None:
    """A frame encoded and decoded is the same frame."""
    assert FrameDecoder().feed(FrameEncoder().encode(frame)) == [frame]


def test_a_session_of_frames_round_trips_fed_byte_by_byte() -> None:
    """Header blocks share one compression stream; a decoder fed one byte at a time still gets
    every frame, in order, once each."""
    encoder, decoder = FrameEncoder(), FrameDecoder()
    wire = b"".join(encoder.encode(frame) for frame in FRAMES)
    out: list[SpdyFrame] = []
    for index in range(len(wire)):
        out += decoder.feed(wire[index : index + 1])
    assert out == FRAMES


def test_header_blocks_must_be_decoded_in_order() -> None:
    """The second header block refers to the first one's compression history: a fresh decoder
    cannot read it alone (which is why one decoder per direction must see every block)."""
    encoder = FrameEncoder()
    encoder.encode(SynStream(stream_id=1, headers={"streamtype": ["data"], "port": ["80"]}))
    second = encoder.encode(
        SynStream(stream_id=3, headers={"streamtype": ["data"], "port": ["80"]})
    )
    with pytest.raises(SpdyProtocolError):
        FrameDecoder().feed(second)


def test_wire_layout_of_a_syn_stream() -> None:
    """Control bit, version 3, type 1, flags, 24-bit length; stream ids; priority in the top
    three bits; the header block is zlib with the SPDY dictionary's id."""
    wire = FrameEncoder().encode(SynStream(stream_id=1, priority=2, headers={"a": ["b"]}))
    first, second, stream_id, associated, priority = struct.unpack_from(">IIIIH", wire)
    assert first == 0x80030001
    assert second >> 24 == 0
    assert second & 0xFFFFFF == len(wire) - 8
    assert (stream_id, associated, priority) == (1, 0, 2 << 13)
    block = wire[18:]
    header = struct.unpack_from(">BBI", block)
    assert header[2] == zlib.adler32(spdy.DICTIONARY)  # FDICT: the dictionary's Adler-32
    assert header[1] & 0x20


def test_dictionary_is_spdy3s() -> None:
    """The dictionary: 1423 bytes, length-prefixed header names first, common values after."""
    assert len(spdy.DICTIONARY) == 1423
    assert spdy.DICTIONARY.startswith(b"\x00\x00\x00\x07options\x00\x00\x00\x04head")
    assert b"\x00\x00\x00\x06origin100101201202" in spdy.DICTIONARY
    assert spdy.DICTIONARY.endswith(b"charset=utf-8charset=iso-8859-1,utf-,*,enq=0.")


def test_header_block_codec() -> None:
    """Names are lower-cased on the way out; NUL-joined values are several values."""
    raw = spdy.encode_header_block({"Port": ["80"], "X": ["a", "b"]})
    assert spdy.decode_header_block(raw) == {"port": ["80"], "x": ["a", "b"]}
    assert spdy.header_value({"streamtype": ["data"]}, "streamType") == "data"
    assert spdy.header_value({}, "port") == ""


def _control(kind: int, payload: bytes, *, version: int = 3, flags: int = 0) -> bytes:
    return struct.pack(">II", 0x80000000 | (version << 16) | kind, (flags << 24) | len(payload)) + (
        payload
    )


def _block(raw: bytes) -> bytes:
    compressor = zlib.compressobj(zdict=spdy.DICTIONARY)
    return compressor.compress(raw) + compressor.flush(zlib.Z_SYNC_FLUSH)


def _pair(name: bytes, value: bytes) -> bytes:
    return struct.pack(">I", len(name)) + name + struct.pack(">I", len(value)) + value


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        (_control(1, b"\x00" * 10, version=2), "unsupported SPDY version 2"),
        (_control(3, b"\x00\x00\x00\x01"), "wrong length"),
        (_control(6, b"\x00\x00"), "wrong length"),
        (_control(7, b"\x00" * 4), "wrong length"),
        (_control(9, b"\x00" * 9), "wrong length"),
        (_control(4, struct.pack(">I", 2) + b"\x00" * 8), "entry count"),
        (_control(1, b"\x00\x00\x00"), "truncated"),
        (_control(2, struct.pack(">I", 0) + _block(b"\x00\x00\x00\x00")), "zero"),
        (_control(2, struct.pack(">I", 1) + b"not zlib at all"), "does not decompress"),
        (
            _control(2, struct.pack(">I", 1) + _block(struct.pack(">I", 1) + _pair(b"Port", b"1"))),
            "not lowercased",
        ),
        (
            _control(
                2,
                struct.pack(">I", 1)
                + _block(struct.pack(">I", 2) + _pair(b"a", b"1") + _pair(b"a", b"2")),
            ),
            "same name",
        ),
        (
            _control(2, struct.pack(">I", 1) + _block(struct.pack(">I", 3) + _pair(b"a", b"1"))),
            "truncated",
        ),
    ],
)
def test_bad_bytes_are_protocol_errors(wire: bytes, message: str) -> None:
    """What is not SPDY/3.1 raises SpdyProtocolError (the session then says GOAWAY)."""
    with pytest.raises(SpdyProtocolError, match=message):
        FrameDecoder().feed(wire)


def test_unknown_control_frames_are_skipped() -> None:
    """A control frame of an unknown type is ignored (the specification says so)."""
    wire = _control(10, b"credential") + FrameEncoder().encode(Ping(ping_id=3))
    assert FrameDecoder().feed(wire) == [Ping(ping_id=3)]


def test_oversized_frames_are_refused_by_the_encoder() -> None:
    """A DATA frame carries at most 16 MiB - 1 bytes."""
    with pytest.raises(ValueError, match="16 MiB"):
        FrameEncoder().encode(Data(stream_id=1, data=bytes(spdy.MAX_DATA_LENGTH + 1)))
