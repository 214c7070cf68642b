"""The CRI log format: timestamps with nanoseconds and offsets, tags, partial lines."""

from __future__ import annotations

import pytest

from kubeling.kubelet.server.cri_log import LogLine, LogTimestamp, format_line, parse_line


@pytest.mark.parametrize(
    ("text", "epoch_ns", "offset", "formatted"),
    [
        (b"1970-01-01T00:00:00Z", 0, 0, "1970-01-01T00:00:00.000000000Z"),
        (
            b"2016-10-06T00:17:09.669794202Z",
            1475713029669794202,
            0,
            "2016-10-06T00:17:09.669794202Z",
        ),
        (b"2016-10-06T00:17:09.6Z", 1475713029600000000, 0, "2016-10-06T00:17:09.600000000Z"),
        (
            b"2016-10-06t00:17:09.000000001z",
            1475713029000000001,
            0,
            "2016-10-06T00:17:09.000000001Z",
        ),
        (
            b"2016-10-06T02:17:09.5+02:00",
            1475713029500000000,
            7200,
            "2016-10-06T02:17:09.500000000+02:00",
        ),
        (
            b"2016-10-05T19:47:09-04:30",
            1475713029000000000,
            -16200,
            "2016-10-05T19:47:09.000000000-04:30",
        ),
        (b"2016-10-06T00:17:09+00:00", 1475713029000000000, 0, "2016-10-06T00:17:09.000000000Z"),
    ],
)
def test_timestamps(text: bytes, epoch_ns: int, offset: int, formatted: str) -> None:
    """RFC 3339 with up to nine fraction digits in; nine digits, same offset, out."""
    stamp = LogTimestamp.parse(text)
    assert (stamp.epoch_ns, stamp.offset_seconds) == (epoch_ns, offset)
    assert stamp.format() == formatted


def test_timestamps_order_by_instant() -> None:
    """The same instant in two offsets is equal in time; ordering is by the instant."""
    utc = LogTimestamp.parse(b"2016-10-06T00:17:09Z")
    later = LogTimestamp.parse(b"2016-10-06T02:17:09.000000001+02:00")
    assert utc < later
    assert utc.epoch_ns == LogTimestamp.parse(b"2016-10-06T02:17:09+02:00").epoch_ns


@pytest.mark.parametrize(
    "text",
    [
        b"",
        b"2016-10-06",
        b"2016-10-06T00:17:09",
        b"2016-10-06T00:17:09.1234567890Z",
        b"2016-02-30T00:00:00Z",
        b"now",
    ],
)
def test_bad_timestamps(text: bytes) -> None:
    """Anything else is not a CRI timestamp."""
    with pytest.raises(ValueError, match="timestamp"):
        LogTimestamp.parse(text)


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        (
            b"2016-10-06T00:17:09.669794202Z stdout F log content 1\n",
            LogLine(LogTimestamp(1475713029669794202), "stdout", False, b"log content 1\n"),
        ),
        (
            b"2016-10-06T00:17:09Z stderr P partial\n",
            LogLine(LogTimestamp(1475713029000000000), "stderr", True, b"partial"),
        ),
        (
            b"2016-10-06T00:17:09Z stdout F:x:y tags after F\n",
            LogLine(LogTimestamp(1475713029000000000), "stdout", False, b"tags after F\n"),
        ),
        (
            b"2016-10-06T00:17:09Z stdout F  two spaces",
            LogLine(LogTimestamp(1475713029000000000), "stdout", False, b" two spaces"),
        ),
        (
            b"2016-10-06T00:17:09Z stdout F \n",
            LogLine(LogTimestamp(1475713029000000000), "stdout", False, b"\n"),
        ),
    ],
)
def test_lines(raw: bytes, line: LogLine) -> None:
    """Timestamp, stream, tag (only the first ':' part counts), content with its newline (a
    partial line loses the newline the file adds)."""
    assert parse_line(raw) == line


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"no-spaces-here", "timestamp is not found"),
        (b"2016-10-06T00:17:09Z", "timestamp is not found"),
        (b"2016-10-06T00:17:09Z stdout", "stream type is not found"),
        (b"2016-10-06T00:17:09Z stdin F x", "unexpected stream type"),
        (b"2016-10-06T00:17:09Z stdout F", "log tag is not found"),
        (b'{"log":"docker json","stream":"stdout"}', "timestamp"),
    ],
)
def test_bad_lines(raw: bytes, message: str) -> None:
    """A line missing a part is not a CRI line."""
    with pytest.raises(ValueError, match=message):
        parse_line(raw)


def test_format_line_round_trips() -> None:
    """What the runtime writes is what the reader parses."""
    stamp = LogTimestamp.parse(b"2024-01-02T03:04:05.000000006Z")
    full = format_line(stamp, "stdout", b"hello\n", partial=False)
    assert full == b"2024-01-02T03:04:05.000000006Z stdout F hello\n"
    partial = format_line(stamp, "stderr", b"par", partial=True)
    assert partial == b"2024-01-02T03:04:05.000000006Z stderr P par\n"
    assert parse_line(partial) == LogLine(stamp, "stderr", True, b"par")
